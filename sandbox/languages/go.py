"""Go: bare statements and `_test.go` programs, compiled and linked against a trusted library.

Each item becomes one `package main` file (see `go_source`), compiled with the
toolchain's own `compile` and `link` against export data the parent built once
(`go_kit`): a run pays one compile and one link, never the standard library or testify.
Per-test results come from the harness package's records on the result channel, each
carrying the run's nonce (`go_harness`); `go test -json` is not used, since a test can
print lines that look like its events. A test that reached no check is `error`.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from sandbox.languages import go_kit, go_source
from sandbox.languages.base import (
    Language,
    Program,
    Unsupported,
    compile_step,
    not_compiled,
    require_toolchain,
    run_step,
)
from sandbox.result import RunRequest, RunResult, TestResult, clip

NONCE_FILE = ".assay-nonce"
NO_ASSERTION = "no assertion was evaluated"
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
    nonce = secrets.token_hex(16)
    env = {"GOROOT": go.goroot, "GOGC": "off", "CGO_ENABLED": "0"}
    compile_argv = [go.tool("compile"), "-p", "main", "-complete", "-importcfg", importcfg]
    steps = [
        compile_step([*compile_argv, "-pack", "-o", "main.a", "main.go"]),
        compile_step(
            [go.tool("link"), "-importcfg", importcfg, "-s", "-w", "-o", "prog", "main.a"]
        ),
        run_step(["./prog"], request.timeout, "managed"),
    ]
    steps[-1]["env"] = {"GOROOT": go.goroot, "CGO_ENABLED": "0"}
    files = {"main.go": program.source, NONCE_FILE: nonce}
    return Program(
        language.id, program.tests, files, steps, env, judge=lambda p, s: judge(p, s, library)
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


def judge(program: Program, steps: list[dict[str, Any]], library: go_kit.Library) -> RunResult:
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
    return _verdict(program, last)


def _records(program: Program, text: str) -> tuple[list[dict[str, Any]], str | None]:
    nonce = program.files[NONCE_FILE]
    records: list[dict[str, Any]] = []
    problem = None
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return records, "malformed result channel"
        if not isinstance(record, dict) or record.get("k") != nonce:
            return records, "a record on the result channel did not come from the harness"
        if record.get("e") == "tamper":
            return records, "the code called the harness itself"
        records.append(record)
    return records, problem


def _verdict(program: Program, report: dict[str, Any]) -> RunResult:
    result = RunResult("error", language=program.language)
    result.stdout_tail, result.stderr_tail = report["stdout"], report["stderr"]
    records, problem = _records(program, report["records"])
    n = len(program.tests)
    begun = [False] * n
    ended: list[dict[str, Any] | None] = [None] * n
    started = done = False
    for record in records:
        event, t = record.get("e"), record.get("t")
        if event == "start":
            started = True
        elif event == "done":
            done = True
        elif event in ("begin", "end") and isinstance(t, int) and 0 <= t < n:
            if event == "begin" and not begun[t]:
                begun[t] = True
            elif event == "end" and begun[t] and ended[t] is None:
                ended[t] = record
            else:
                problem = problem or f"unexpected {event} of test {t}"
        else:
            problem = problem or "unknown record on the result channel"
    crash = _crash_message(report)
    for i, name in enumerate(program.tests):
        result.tests.append(_test_result(name, begun[i], ended[i], report, crash))
    if report["timed_out"]:
        result.status, result.reason = "timeout", f"exceeded {report['timeout']} s"
    elif report.get("problem") or problem:
        result.reason = report.get("problem") or problem
    elif not (started and done) or report["exit"] != 0:
        result.reason = clip(f"the program ended before reporting every test ({crash})")
    elif any(t.status == "skipped" for t in result.tests):
        result.reason = "a test was skipped"
    elif all(t.status == "pass" for t in result.tests):
        result.status = "pass"
    elif all(t.status in ("pass", "fail") for t in result.tests):
        result.status = "fail"
    else:
        bad = next(t for t in result.tests if t.status != "pass" and t.status != "fail")
        result.reason = clip(f"{bad.name}: {bad.message}")
    return result


def _crash_message(report: dict[str, Any]) -> str:
    stderr = report["stderr"].strip()
    panic = re.search(r"^(panic: .*|fatal error: .*)$", stderr, re.M)
    if panic:
        return panic.group(1)
    return f"exit status {report['exit']}"


def _test_result(
    name: str, begun: bool, end: dict[str, Any] | None, report: dict[str, Any], crash: str
) -> TestResult:
    if end is None:
        if not begun:
            return TestResult(name, "error", "not run: the program stopped before this test")
        if report["timed_out"]:
            return TestResult(name, "timeout", f"exceeded {report['timeout']} s")
        return TestResult(name, "error", clip(f"the test did not finish: {crash}"))
    status = str(end.get("s"))
    status = status if status in ("pass", "fail", "error", "skipped") else "error"
    message = _tidy(str(end.get("m", "")))
    d = end.get("d")
    duration = float(d) if isinstance(d, (int, float)) else 0.0
    if status == "pass" and not (isinstance(end.get("n"), int) and end["n"] > 0):
        status, message = "error", NO_ASSERTION
    return TestResult(name, status, clip(message), duration)


def _tidy(message: str) -> str:
    """Test output without the testing package's indentation."""
    lines = [line.strip() for line in message.splitlines()]
    return "\n".join(line for line in lines if line)


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
