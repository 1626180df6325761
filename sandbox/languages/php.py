"""PHP: one script per item, run by the PHP CLI (MBXP's PHP shape: `if (!compare(...)) throw`)."""

from __future__ import annotations

import functools
import re
from typing import Any

from sandbox.languages import scripts, syntax
from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    numbered,
    on_path,
    require_toolchain,
    run_step,
)
from sandbox.result import RunRequest

_PRELUDE = r"""<?php
$__assay_channel = fopen('php://fd/3', 'w');
function __assay_send($record) {
    global $__assay_channel;
    fwrite($__assay_channel, json_encode($record, JSON_INVALID_UTF8_SUBSTITUTE) . "\n");
    fflush($__assay_channel);
}
function __assay_end($t, $t0, $e) {
    $record = ['e' => 'end', 't' => $t, 'd' => microtime(true) - $t0];
    if ($e !== null) {
        $kind = ($e instanceof Exception) ? 'fail' : 'error';
        $record['x'] = ['k' => $kind, 'type' => get_class($e), 'm' => substr((string) $e->getMessage(), 0, 1000)];
    }
    __assay_send($record);
}
__assay_send(['e' => 'start']);
"""


@functools.cache
def toolchain() -> Toolchain:
    return on_path("php", ["--version"], "Debian: apt-get install php-cli")


def _is_check(node: Any, source: bytes) -> bool:
    if node.type == "throw_expression":
        return True
    if node.type == "function_call_expression":
        name = node.child_by_field_name("function")
        return name is not None and syntax.text(name, source).lower() == "assert"
    return False


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    tests = re.sub(r"^\s*<\?php\b", "", request.tests)
    pairs = scripts.split_tests(
        "php",
        "<?php\n" + tests,
        skip={"php_tag", "text_interpolation"},
        declarations={"function_definition", "class_declaration", "namespace_use_declaration"},
        is_check=_is_check,
    )
    solution = re.sub(r"^\s*<\?php\b", "", request.solution)
    solution = re.sub(r"\?>\s*$", "", solution)

    def wrap(i: int, stmt: str) -> str:
        return (
            f"__assay_send(['e' => 'begin', 't' => {i}]); $__assay_t0 = microtime(true);\n"
            f"try {{\n{stmt}\n__assay_end({i}, $__assay_t0, null); }}"
            f" catch (\\Throwable $__assay_e) {{ __assay_end({i}, $__assay_t0, $__assay_e); }}"
        )

    source = (
        _PRELUDE + solution + "\n;\n" + numbered(pairs, wrap) + "\n__assay_send(['e' => 'done']);\n"
    )
    argv = ["php", "-n", "-d", "display_errors=stderr", "-d", "memory_limit=256M", "main.php"]
    steps = [run_step(argv, request.timeout, "managed")]
    return Program(language.id, scripts.names(pairs), {"main.php": source}, steps)


LANGUAGES = [
    Language(
        "php",
        "PHP",
        ("php",),
        ".php",
        lexer="php",
        grammar="php",
        toolchain=toolchain,
        build=build,
    ),
]
