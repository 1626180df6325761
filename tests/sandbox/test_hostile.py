"""The hostile corpus (tests/sandbox/hostile/): programs that try to forge a pass or
harm the host, run once per session through the public sandbox API.

Every program must end as non-pass within its timeout + 2 s (compiled languages get
their compile budget on top) and leave no trace on the host: no file where the cases
aimed (each path carries a marker fresh per session) or owned by a run's throwaway uid
in the project tree, no secret in any output, no process left, no connection to the
servers the corpus' session starts, and escape sequences shown inert by the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sandbox
from sandbox import isolation
from sandbox.languages import toolchains
from sandbox.languages.base import COMPILE_TIMEOUT
from tests.sandbox.hostile import collect, host, native_record

# One xdist worker runs the whole corpus once (the module-scoped fixture is expensive).
pytestmark = pytest.mark.xdist_group("hostile")

TIMEOUT = 2.0
CASES, ORIGIN, DESTRUCTIVE = collect()
TARGETS = host.TARGETS
COMPILED = {"go", "rust", "java", "cpp"}
THROWAWAY_UIDS = 1_000_000  # as root, runs get a fresh uid at or above this
# Attacks that still work, each with the issue it belongs to ({case: reason}): the helper
# who fixes one deletes its line (an xfail that then passes is XPASS, not hidden).
# Empty: every case of the corpus must hold now.
KNOWN_OPEN: dict[str, str] = {}
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def budget(language: str) -> float:
    return TIMEOUT + 2 + (COMPILE_TIMEOUT if language in COMPILED else 0)


def _unavailable(language: str) -> str | None:
    status = toolchains()[language]
    return None if status["available"] else f"{language} toolchain missing: {status['reason']}"


def _stat(pid: str) -> tuple[int, int, int] | None:
    """(uid, ppid, start time in clock ticks) of a host process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return uid, int(fields[1]), int(fields[19])


def _orphaned_run_processes(since: int) -> set[str]:
    """Processes of the throwaway uids runs use, started since `since` (clock ticks after
    boot), that no trusted process holds any more: every ancestor up to init is another
    throwaway-uid process. A run's own processes hang under its wrapper (bubblewrap, the
    worker), which the sandbox kills; what escaped it was reparented to init. Other
    sessions' runs in progress (pytest -n, other checks on the machine) are still held."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or (info := _stat(entry.name)) is None:
            continue
        uid, ppid, started = info
        if uid < THROWAWAY_UIDS or started < since:
            continue
        parent, held = ppid, False
        while parent > 1 and (up := _stat(str(parent))) is not None:
            if up[0] < THROWAWAY_UIDS:
                held = True
                break
            parent = up[1]
        if not held:
            comm = (entry / "comm").read_text().strip() if (entry / "comm").exists() else "?"
            found.add(f"uid {uid} pid {entry.name} {comm}")
    return found


def _ticks_now() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))


def _foreign_files() -> set[str]:
    """Files owned by a throwaway uid in the project tree and at the top of
    the shared host dirs: a run as such a uid made them."""
    roots = [host.REPO]
    shallow = ["/tmp", "/var/tmp", "/dev/shm", str(TARGETS.home), str(TARGETS.purelib)]
    found: set[str] = set()

    def foreign(path: str) -> bool:
        try:
            uid = os.lstat(path).st_uid
        except OSError:
            return False
        return uid >= THROWAWAY_UIDS

    for root in roots:
        for base, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            found |= {os.path.join(base, n) for n in dirs + files if foreign(os.path.join(base, n))}
    for d in shallow:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        found |= {os.path.join(d, n) for n in names if foreign(os.path.join(d, n))}
    return found


def _wait_for_marker_processes(deadline: float) -> list[str]:
    left = TARGETS.processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = TARGETS.processes()
    return left


def _end_marker_processes() -> None:
    """Kill, by pid, what the corpus left behind (after it was recorded as a failure)."""
    for line in TARGETS.processes():
        try:
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
        except (OSError, ValueError):
            pass


class Corpus:
    def __init__(self) -> None:
        self.results: dict[str, sandbox.RunResult] = {}
        self.skipped: dict[str, str] = {}
        self.wall = 0.0
        self.leftovers: list[str] = []
        self.new_foreign_files: list[str] = []
        self.processes: list[str] = []
        self.connections: list[str] = []
        self.started_ticks = 0


@pytest.fixture(scope="module")
def corpus() -> Iterator[Corpus]:
    out = Corpus()
    unisolated = isolation.launcher()[0] == "none"
    names = []
    for name, (language, _, _) in CASES.items():
        reason = _unavailable(language)
        if reason is None and unisolated and name in DESTRUCTIVE:
            reason = "the sandbox has no namespaces here: a case signalling or forking without end would reach the host"
        if reason:
            out.skipped[name] = reason
        else:
            names.append(name)
    requests = [sandbox.RunRequest(*CASES[n], timeout=TIMEOUT) for n in names]
    before = _foreign_files()
    out.started_ticks = _ticks_now()
    started = time.monotonic()
    try:
        with TARGETS.plant(), TARGETS.listen():
            for index, result in sandbox.run_many(requests, workers=2):
                out.results[names[index]] = result
            out.wall = time.monotonic() - started
            out.processes = _wait_for_marker_processes(time.monotonic() + 10)
        out.connections = list(TARGETS.connections)
        out.leftovers = TARGETS.leftovers()
        out.new_foreign_files = sorted(_foreign_files() - before)
        yield out
    finally:
        _end_marker_processes()
        TARGETS.remove_leftovers()


def test_corpus_covers_every_language_and_is_large_enough() -> None:
    assert len(CASES) >= 80
    assert {language for language, _, _ in CASES.values()} >= {
        "python",
        "javascript",
        "typescript",
        "go",
        "rust",
        "java",
        "cpp",
    }


def test_case_names_are_unique_across_modules() -> None:
    # collect() refuses a name two modules use; here: every case kept its module's prefix
    # or the legacy one, so a clash between two helpers' files cannot reappear silently.
    assert len(ORIGIN) == len(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_program_never_passes(name: str, corpus: Corpus) -> None:
    if name in corpus.skipped:
        pytest.skip(corpus.skipped[name])
    language = CASES[name][0]
    result = corpus.results[name]
    if result.status == "pass" and name in KNOWN_OPEN:
        pytest.xfail(KNOWN_OPEN[name])
    assert result.status != "pass", result.to_dict()
    # A run that is an error as a whole (it exited early, left a timer) may have seen
    # every test it reached pass; a plain failure must name a failing test.
    assert result.status != "fail" or result.passed < result.total
    assert result.duration < budget(language), f"{name} took {result.duration:.1f}s"


def test_no_file_left_where_the_corpus_aimed(corpus: Corpus) -> None:
    assert corpus.leftovers == []
    assert corpus.new_foreign_files == []


def test_no_secret_in_any_output(corpus: Corpus) -> None:
    leaks = []
    for name, result in corpus.results.items():
        text = json.dumps(result.to_dict(), ensure_ascii=False)
        leaks += [f"{name}: {s[:20]}..." for s in TARGETS.secrets() if s in text]
    assert leaks == []


def test_no_process_left_behind(corpus: Corpus) -> None:
    assert corpus.processes == []
    # A run's processes end with the run; an escaped one would live on, held by no one.
    # A run still ending (a compile's children being killed) gets a few seconds.
    lingering = _orphaned_run_processes(corpus.started_ticks)
    deadline = time.monotonic() + 10
    while lingering and time.monotonic() < deadline:
        time.sleep(0.2)
        lingering &= _orphaned_run_processes(corpus.started_ticks)
    assert sorted(lingering) == []


def test_no_run_reached_the_host_servers(corpus: Corpus) -> None:
    assert corpus.connections == []


def test_sandbox_still_works_after_the_corpus(corpus: Corpus) -> None:
    result = sandbox.run(
        "python", "def add(a, b):\n    return a + b\n", host.PY_TESTS, timeout=TIMEOUT
    )
    assert result.status == "pass", result.to_dict()
    assert result.passed == 2


def test_terminal_sequences_are_inert_in_the_cli(corpus: Corpus, tmp_path: Path) -> None:
    """The escape cases through the real CLI: the human output shows no raw control
    character, whatever the item's id, code, tests or its run's output carry."""
    names = [n for n in CASES if "terminal" in n and CASES[n][0] == "python"]
    records = [native_record(n, CASES[n]) for n in names]
    records.append(
        {**native_record(names[0], CASES[names[0]]), "query_id": "esc" + host.ESC_PAYLOAD}
    )
    items = tmp_path / "escapes.jsonl"
    items.write_text("".join(json.dumps(r) + "\n" for r in records))
    db = str(tmp_path / "assay.db")
    assay = [sys.executable, "-c", "from core.cli import main; main()"]
    env = {**os.environ, "ASSAY_DB": db, "NO_COLOR": "1"}
    shown = ""
    for argv in (
        ["import", str(items)],
        ["check", "--timeout", str(TIMEOUT)],
        ["history", "esc" + host.ESC_PAYLOAD],
    ):
        done = subprocess.run(
            [*assay, *argv], capture_output=True, text=True, env=env, cwd=host.REPO, timeout=120
        )
        shown += done.stdout + done.stderr
    raw = sorted({f"U+{ord(c):04X}" for c in shown if c in host.CONTROL_CHARS})
    assert raw == [], shown[-2000:]
