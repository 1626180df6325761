"""Go: bare statements and `_test.go` programs, compiled and linked against a trusted library.

Each item becomes one `package main` file (see `go_source`), compiled with the
toolchain's own `compile` and `link` against export data the parent built once
(`go_kit`): a run pays one compile and one link, never the standard library or testify.
Per-test results come from the harness package's records on the result channel, each
sealed with the run's key (`go_harness`, `channel`); `go test -json` is not used, since a test can
print lines that look like its events. A test that reached no check is `error`.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.languages import channel, go_kit, go_source
from sandbox.languages.base import (
    Language,
    Program,
    Unsupported,
    compile_step,
    not_compiled,
    require_toolchain,
    run_step,
)
from sandbox.result import RunRequest, RunResult

# Messages of a compiler too old for the code, and the release each one asks for.
TOO_OLD = (
    (re.compile(r"requires go(\d+)\.(\d+) or later"), None),
    (
        re.compile(
            r"cannot range over [^\n]*\(untyped int constant|cannot range over \w+ \(variable of type int"
        ),
        (1, 22),
    ),
    (re.compile(r"cannot range over [^\n]*func\("), (1, 23)),
    (re.compile(r"undefined: (min|max|clear)\b"), (1, 21)),
)


def toolchain() -> Any:
    return go_kit.toolchain()


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    go = go_kit.find()
    assert go is not None
    solution = go_source.parse(request.solution, "solution")
    tests = go_source.parse(request.tests, "tests")
    needed = go_source.needed_version([solution, tests])
    if needed and needed[0] > go.version:
        raise Unsupported(f"needs Go >= {needed[0][0]}.{needed[0][1]} ({needed[1]})")
    library = go_kit.library()
    imports = go_source.merge_imports([solution, tests], library.std)
    go_source.check_imports(imports)
    program = go_source.assemble(solution, tests, imports)
    paths = [imp.path for imp in imports if imp.path != "unsafe"]
    importcfg = library.ensure([*paths, go_kit.HARNESS_PATH])
    key = channel.new_key()
    env = {"GOROOT": go.goroot, "GOGC": "off", "CGO_ENABLED": "0"}
    compile_argv = [go.tool("compile"), "-p", "main", "-complete", "-importcfg", importcfg]
    steps = [
        compile_step([*compile_argv, "-pack", "-o", "main.a", "main.go"]),
        compile_step(
            [go.tool("link"), "-importcfg", importcfg, "-s", "-w", "-o", "prog", "main.a"]
        ),
        run_step(["./prog"], request.timeout, "managed"),
    ]
    # The key only in the run's environment: the compile step cannot embed it.
    steps[-1]["env"] = {"GOROOT": go.goroot, "CGO_ENABLED": "0", channel.KEY_ENV: key}
    files = {"main.go": program.source}
    return Program(
        language.id,
        program.tests,
        files,
        steps,
        env,
        judge=lambda p, s: judge(p, s, library, key),
        applies=("landlock",),  # the harness denies the run /proc where the kernel can
    )


def too_old(message: str) -> tuple[int, int] | None:
    """The Go release a compiler error asks for, when the toolchain is older than that."""
    go = go_kit.find()
    for pattern, version in TOO_OLD:
        found = pattern.search(message)
        if found:
            wanted = version or (int(found.group(1)), int(found.group(2)))
            if go is None or wanted > go.version:
                return wanted
    return None


def judge(
    program: Program, steps: list[dict[str, Any]], library: go_kit.Library, key: str
) -> RunResult:
    """The verdict from the harness's records (compile and link failures first)."""
    if not library.intact():  # only possible where runs share the parent's uid, unwrapped
        library.discard()
        reason = "the Go package library changed during the run (it is rebuilt for the next)"
        return RunResult("error", reason=reason, language=program.language)
    last = steps[-1]
    if len(steps) < len(program.steps) or program.steps[len(steps) - 1]["phase"] == "compile":
        wanted = too_old(last["stderr"] + last["stdout"])
        if wanted and not last["timed_out"]:
            return RunResult(
                "unsupported",
                reason=f"needs Go >= {wanted[0]}.{wanted[1]}",
                language=program.language,
            )
        return not_compiled(program, last)
    return channel.judge_records(program.language, program.tests, last, key, channel.panic_line)


LANGUAGES = [
    Language(
        "go",
        "Go",
        ("go", "golang"),
        ".go",
        lexer="go",
        editor="go",
        grammar="go",
        toolchain=toolchain,
        build=build,
        roots=go_kit.sandbox_roots,
    ),
]
