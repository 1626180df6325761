"""Ruby: one script per item, run by `ruby` (MBXP's Ruby shape: `if x != v; raise ...; end`)."""

from __future__ import annotations

import functools
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

_PRELUDE = r"""
require 'json'
$__assay_channel = IO.new(3, 'w')
$__assay_channel.sync = true
def __assay_send(record)
  $__assay_channel.write(JSON.generate(record) + "\n")
end
def __assay_end(t, t0, e)
  record = { 'e' => 'end', 't' => t, 'd' => Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0 }
  if e
    kind = e.is_a?(StandardError) ? 'fail' : 'error'
    record['x'] = { 'k' => kind, 'type' => e.class.name.to_s, 'm' => e.message.to_s.scrub[0, 1000] }
  end
  __assay_send(record)
end
__assay_send({ 'e' => 'start' })
"""

_RAISING = {"raise", "fail", "assert", "assert_equal", "abort"}


@functools.cache
def toolchain() -> Toolchain:
    return on_path("ruby", ["--version"], "Debian: apt-get install ruby")


def _is_check(node: Any, source: bytes) -> bool:
    if node.type in ("call", "identifier"):
        name = node.child_by_field_name("method") if node.type == "call" else node
        return name is not None and syntax.text(name, source) in _RAISING
    return False


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    pairs = scripts.split_tests(
        "ruby",
        request.tests,
        skip={"comment"},
        declarations={"method", "class", "module"},
        is_check=_is_check,
    )

    def wrap(i: int, stmt: str) -> str:
        return (
            f"__assay_send({{ 'e' => 'begin', 't' => {i} }})\n"
            f"__assay_t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)\n"
            f"begin\n{stmt}\n__assay_end({i}, __assay_t0, nil)\n"
            f"rescue Exception => __assay_e\n__assay_end({i}, __assay_t0, __assay_e)\nend"
        )

    source = (
        _PRELUDE
        + request.solution
        + "\n"
        + numbered(pairs, wrap)
        + "\n__assay_send({ 'e' => 'done' })\n"
    )
    argv = ["ruby", "--disable-gems", "main.rb"]
    steps = [run_step(argv, request.timeout, "managed")]
    return Program(language.id, scripts.names(pairs), {"main.rb": source}, steps)


LANGUAGES = [
    Language(
        "ruby",
        "Ruby",
        ("ruby", "rb"),
        ".rb",
        lexer="ruby",
        grammar="ruby",
        comment="#",
        short="rb",
        toolchain=toolchain,
        build=build,
    ),
]
