"""What Java and C++ tests share: tree-sitter walks, source edits, checks, the verdict.

Both languages come as bare statements or as a whole test program (`class Main` with
`main`, a C++ `main()`). Tests are top-level statements that hold a check (a `throw`,
an `assert`, a call of a helper that checks); the declarations between them are their
setup. Every check site is instrumented to count its evaluation, and a test that
evaluated none is an error, never a pass. Inside a test program the tests are
delimited by begin/end markers, so the program keeps its own scopes; a failed check
does not stop the others, an exception from the setup stops the program there (the
tests after it are skipped, as the authors' harness would never reach them).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import pyplan
from sandbox.languages import syntax
from sandbox.languages.base import NoTests, Program, verdict
from sandbox.result import RunResult, TestResult, clip

CACHE_ENV = "ASSAY_CACHE_DIR"
STAGING = "assay-staging-"  # a build's scratch dir inside the folder it fills
BUILD_TIMEOUT = 180.0  # a precompiled header of bits/stdc++.h on a busy machine
NO_ASSERTION = "no assertion was evaluated"
NONCE_ENV = "ASSAY_NONCE"  # the run's secret: every record of the harness carries it
FORGED = "a record on the result channel did not come from the harness"
STOPPED = "not run: the test program stopped at an earlier test"


class Refused(NoTests):
    """The item reaches for the harness (its names, the keywords it relies on, the C
    library under it): an `error` with the reason, never compiled or run."""


def nonce() -> str:
    return secrets.token_hex(16)


def authentic(program: Program, report: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The run's report with only the harness's records, up to its `done` (each line must
    carry the run's nonce, which is then dropped), and the problem when one did not."""
    key = program.steps[-1].get("env", {}).get(NONCE_ENV)
    kept: list[str] = []
    problem = None
    for line in report.get("records", "").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            problem = "malformed result channel"
            break
        if not isinstance(record, dict) or not key or record.pop("k", None) != key:
            problem = FORGED
            break
        if record.get("e") == "tamper":
            problem = f"the code called the harness itself (from {clip(str(record.get('m')), 80)})"
            break
        kept.append(json.dumps(record))
        if record.get("e") == "done":
            break
    return {**report, "records": "\n".join(kept)}, problem


def walk(node: Any, skip: tuple[str, ...] = ()) -> Iterator[Any]:
    """`node` and every descendant, not entering nodes whose type is in `skip`."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in reversed(current.children) if c.type not in skip)


def named(node: Any) -> list[Any]:
    """The named children of a node that are not comments."""
    return [c for c in node.named_children if "comment" not in c.type]


class Edits:
    """Insertions and replacements on a source, applied together from the original offsets.

    An insertion either opens (belongs to the text after it) or closes (belongs to the
    text before it), so that a node's range takes exactly its own markers.
    """

    def __init__(self, source: bytes) -> None:
        self.source = source
        self._edits: list[tuple[int, int, int, int, str, bool]] = []

    def insert(self, pos: int, text: str, order: int = 0, closing: bool = False) -> None:
        """Insert `text` at `pos`; at one position, lower `order` comes first."""
        self._edits.append((pos, order, len(self._edits), pos, text, closing))

    def replace(self, node: Any, text: str) -> None:
        self._edits.append((node.start_byte, 5, len(self._edits), node.end_byte, text, False))

    def wrap(self, node: Any, before: str, after: str) -> None:
        """Put `before` and `after` around a node (an enclosing wrap stays outside)."""
        self.insert(node.start_byte, before, 1)
        self.insert(node.end_byte, after, -1, closing=True)

    def apply(self, start: int = 0, end: int | None = None) -> str:
        """The edited text of source[start:end]."""
        end = len(self.source) if end is None else end
        out, cursor = [], start
        for pos, _, _, stop, text, closing in sorted(self._edits):
            inside = start < pos < end or (pos == start and not closing and pos < end)
            inside = inside or (pos == end and closing and pos > start)
            if not inside or pos < cursor:
                continue
            out += [self.source[cursor:pos].decode("utf-8", "replace"), text]
            cursor = stop
        out.append(self.source[cursor:end].decode("utf-8", "replace"))
        return "".join(out)

    def node(self, node: Any) -> str:
        return self.apply(node.start_byte, node.end_byte)


@dataclass(frozen=True)
class Dialect:
    """How one language spells checks and markers, for classifying and instrumenting tests."""

    grammar: str
    is_site: Callable[[Any, bytes, bool], bool]  # (node, source, in_main): a check by itself
    condition: Callable[[Any], Any | None]  # an if statement's condition expression
    is_declaration: Callable[[Any], bool]  # a statement that declares: setup, never a test
    callee: Callable[[Any, bytes], str | None]  # the simple name a call node calls
    count_open: str  # wraps a condition so that it counts its evaluation
    count_close: str
    count_statement: str  # counts one evaluation (an expected exception was caught)
    rewrite: Callable[[Any, bytes, Edits], None]  # make an assert node count (and throw)
    begin: str  # "{k}": the test index; marks where test k starts
    guard_close: str  # after a check statement: a failed check ends only its test
    end: str  # marks where the open test ends
    guard_open: str = "try { "
    opaque: tuple[str, ...] = ()  # node types whose insides are not this code's checks


def checking(node: Any, source: bytes, dialect: Dialect, helpers: set[str], in_main: bool) -> bool:
    """Does this node hold a check: an assert, a throw, a call of a checking helper?"""
    for current in walk(node, dialect.opaque):
        if dialect.is_site(current, source, in_main):
            return True
        if helpers and dialect.callee(current, source) in helpers:
            return True
    return False


def checking_helpers(functions: dict[str, Any], source: bytes, dialect: Dialect) -> set[str]:
    """Names of the test's own functions that check, directly or through each other."""
    helpers: set[str] = set()
    while True:
        found = {
            name
            for name, body in functions.items()
            if name not in helpers and checking(body, source, dialect, helpers, False)
        }
        if not found:
            return helpers
        helpers |= found


def instrument(
    node: Any, source: bytes, dialect: Dialect, edits: Edits, helpers: set[str], in_main: bool
) -> None:
    """Make every check under `node` count its evaluation: the condition of an `if`
    whose branches check, each catch of a `try` whose body checks (the expected-exception
    idiom); asserts count through the language's own rewrite."""
    for current in walk(node, dialect.opaque):
        dialect.rewrite(current, source, edits)
        if current.type == "if_statement":
            cond = dialect.condition(current)
            branches = [current.child_by_field_name(f) for f in ("consequence", "alternative")]
            if cond is not None and any(
                b is not None and checking(b, source, dialect, helpers, in_main) for b in branches
            ):
                edits.wrap(cond, dialect.count_open, dialect.count_close)
        elif current.type == "try_statement":
            body = current.child_by_field_name("body")
            if body is not None and checking(body, source, dialect, helpers, in_main):
                for clause in current.children:
                    block = (
                        clause.child_by_field_name("body")
                        if clause.type == "catch_clause"
                        else None
                    )
                    if block is not None:
                        edits.insert(block.start_byte + 1, dialect.count_statement)


def mark_tests(
    statements: list[Any], source: bytes, dialect: Dialect, edits: Edits, helpers: set[str]
) -> list[str]:
    """Mark the tests among a body's statements (each check with the setup before it)
    and return their names; none when no statement checks (the body is then one test)."""
    checks = [
        s
        for s in statements
        if not dialect.is_declaration(s) and checking(s, source, dialect, helpers, True)
    ]
    names, first = [], 0
    for k, stmt in enumerate(checks):
        index = statements.index(stmt)
        edits.insert(statements[first].start_byte, dialect.begin.format(k=k) + " ", -2)
        edits.insert(stmt.start_byte, dialect.guard_open, 2)
        edits.insert(stmt.end_byte, dialect.guard_close + " " + dialect.end, 3, closing=True)
        names.append(clip(text(stmt, source), 300))
        first = index + 1
    return names


def judge(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    """The fd-3 verdict, then: a test that evaluated no assertion is an error, and the
    tests after the one where the program stopped are skipped. Only records that carry
    the run's nonce count; any other line on the channel makes the run an error."""
    last, problem = authentic(program, steps[-1])
    steps = [*steps[:-1], last]
    result = verdict(program, steps)
    if problem and result.status not in ("unparsable", "timeout"):
        result.status, result.reason = "error", problem
        return result
    counts: dict[int, int] = {}
    stopped = None
    for rec in pyplan.parse_records(last.get("records", "")):
        if not isinstance(rec, dict):
            continue
        if rec.get("e") == "end" and isinstance(rec.get("t"), int):
            evaluated = rec.get("n")  # assertions the test evaluated
            counts[rec["t"]] = evaluated if isinstance(evaluated, int) else 0
        elif rec.get("e") == "done":
            stopped = rec.get("stopped") if isinstance(rec.get("stopped"), int) else None
    incomplete = result.reason == "the program did not report every test"
    if result.status not in ("pass", "fail") and not (incomplete and stopped is not None):
        return result
    tests: list[TestResult] = []
    for i, test in enumerate(result.tests):
        if test.status == "pass" and not counts.get(i):
            test = TestResult(test.name, "error", NO_ASSERTION, test.duration)
        elif stopped is not None and i > stopped and i not in counts:
            test = TestResult(test.name, "skipped", STOPPED)
        tests.append(test)
    result.tests = tests
    broken = [t for t in tests if t.status not in ("pass", "skipped")]
    if any(t.message != NO_ASSERTION for t in broken):
        result.status, result.reason = "fail", None
    elif broken:
        result.status = "error"
        result.reason = f"{NO_ASSERTION} in the test {clip(broken[0].name, 120)!r}"
    elif any(t.status == "skipped" for t in tests):
        result.status = "error"
        result.reason = "the test program ended before its remaining tests"
    else:
        result.status, result.reason = "pass", None
    return result


def parse(grammar: str, code: str) -> tuple[Any, bytes]:
    """The root node of `code` and its bytes."""
    source = code.encode("utf-8")
    return syntax.parse(grammar, code).root_node, source


def text(node: Any, source: bytes) -> str:
    return syntax.text(node, source)


@functools.cache
def fast_linker() -> list[str]:
    """The gcc driver flag for mold, else gold, when installed (C++ and Rust link with
    it). On HumanEval-X C++ a compile and link takes 67 ms of CPU with mold, 82 ms with
    gold and 116 ms with ld.bfd; Rust's 76 ms become 69 ms. `make system-deps` installs mold."""
    if shutil.which("ld.mold"):
        return ["-fuse-ld=mold"]
    return ["-fuse-ld=gold"] if shutil.which("ld.gold") else []


def cache_dir(language: str) -> Path:
    """Where the parent keeps what it builds once for a language's runs (the precompiled
    C++ prelude, the Java class-data archive): runs may read it, never write it."""
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "assay"
    )
    path = Path(base) / language
    path.mkdir(parents=True, exist_ok=True)
    return path


def sandbox_roots() -> list[str]:
    """Directories Java and C++ runs read besides their toolchains."""
    return [str(cache_dir("cpp")), str(cache_dir("java"))]


def cache_is_safe() -> bool:
    """Can runs be kept from writing the cache? Yes under bubblewrap (a read-only /) or
    as root (runs drop to another uid); a run of the owner's uid could replace it."""
    from sandbox import isolation

    return isolation.launcher()[0] == "bwrap" or os.geteuid() == 0


def trusted_run(argv: list[str], cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a trusted tool (the parent's, outside any run, on code we wrote or only read)
    with no input and fd 3, the result channel of a run, going nowhere. Raises OSError
    or subprocess.TimeoutExpired (after BUILD_TIMEOUT)."""
    return subprocess.run(
        ["/bin/sh", "-c", 'exec "$@" 3>/dev/null', "sh", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def build_once(folder: Path, inputs: dict[str, str], argv: list[str], outputs: list[str]) -> bool:
    """Run a trusted build (the parent's, outside any run) in a staging dir under `folder`
    and move its `outputs` there, world-readable, the last one last (its presence means
    ready). Fd 3, the result channel of a run, goes nowhere. True when it succeeded."""
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    # left by a build killed before its cleanup (`tmp*`: named so before 2026-12-03)
    for stale in [*folder.glob(f"{STAGING}*"), *folder.glob("tmp*")]:
        try:
            if stale.is_dir() and time.time() - stale.stat().st_mtime > 2 * BUILD_TIMEOUT:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            continue
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=folder))
    try:
        for name, content in inputs.items():
            (staging / name).write_text(content)
        trusted_run(argv, staging)
        if not all((staging / name).is_file() for name in outputs):
            return False
        for name in outputs:
            os.chmod(staging / name, 0o644)
            os.replace(staging / name, folder / name)
        return True
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class Prebuilt:
    """What the parent builds once per key, in a background thread: until a key's build
    is ready, `get` says None and the run does without (a cold cache must not stall
    every run behind one build). `find` looks for a key's build already on disk (a stat,
    no build): found, it serves the first run too (each first item of a header set
    used to compile without its precompiled prelude, in every new process)."""

    def __init__(
        self,
        build: Callable[[Any], str | None],
        find: Callable[[Any], str | None] = lambda key: None,
    ) -> None:
        self._build = build
        self._find = find
        self._lock = threading.Lock()
        self._done: dict[Any, str | None] = {}
        self._started: dict[Any, threading.Thread] = {}

    def get(self, key: Any = None, wait: bool = False) -> str | None:
        """The built path for `key`, or None while it builds (or when it cannot be built)."""
        with self._lock:
            if key in self._done:
                return self._done[key]
            thread = self._started.get(key)
            if thread is None:
                try:
                    found = self._find(key)
                except OSError:
                    found = None
                if found is not None:
                    self._done[key] = found
                    return found
                thread = threading.Thread(target=self._run, args=(key,), daemon=True)
                self._started[key] = thread
                thread.start()
        if wait:
            thread.join()
            return self._done.get(key)
        return None

    def forget(self, key: Any = None) -> None:
        """Build `key` again on the next `get` (what was built is gone)."""
        with self._lock:
            self._done.pop(key, None)
            self._started.pop(key, None)

    def _run(self, key: Any) -> None:
        try:
            path = self._build(key)
        except OSError:
            path = None
        with self._lock:
            self._done[key] = path
