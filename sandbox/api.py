"""The public entry points: run one item, run many in parallel, report the layers."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sandbox import isolation, languages
from sandbox.languages.base import run_program
from sandbox.pool import POOL, WorkerCrashed
from sandbox.result import RunRequest, RunResult, StrictModeError, clip


def network_isolated() -> bool:
    return isolation.launcher().name != "none"


def isolation_problem() -> str | None:
    """What keeps runs here from full isolation, as one clause; None when they have it."""
    found = isolation.launcher()
    if found.name != "bwrap":
        return isolation.problem([], {})
    try:
        layers, missing, refusal = POOL.layers()
    except WorkerCrashed as exc:
        return f"the sandbox worker does not start ({exc})"
    return refusal or isolation.problem(layers, missing)


def require_isolation(level: str | None = None) -> str:
    """The isolation level runs will have (`level`, else ASSAY_ISOLATION, else full).
    Raises StrictModeError, whose message names what is missing, when full isolation is
    asked for and this machine cannot give it."""
    try:
        chosen = isolation.level(level)
    except isolation.IsolationError as exc:
        raise StrictModeError(str(exc), missing=str(exc)) from None
    if chosen == "full" and (why := isolation_problem()):
        raise StrictModeError(
            f"Refusing to run untrusted code without full isolation: {why} (see assay "
            "doctor; start with --isolation weak to run anyway, with less).",
            missing=why,
        )
    return chosen


def hide_paths(paths: Iterable[str]) -> None:
    """Keep these directories (the database's) invisible to runs, even inside a
    toolchain root; workers started before are replaced when that changes their view."""
    if any([isolation.hide(path) for path in paths]):
        POOL.close()


def _level(isolation_level: str | None, strict: bool) -> str | None:
    """`strict=True` (the old flag) means full isolation, as the default does."""
    return "full" if strict and isolation_level is None else isolation_level


def run(
    language: str,
    solution: str,
    tests: str,
    *,
    function_name: str | None = None,
    timeout: float = 10.0,
    isolation: str | None = None,
    strict: bool = False,
) -> RunResult:
    """Run one item's tests against its solution in the sandbox and judge the result.
    `isolation` is "full" (the default; raises StrictModeError where it is not
    available) or "weak" (run with whatever layers this machine has)."""
    require_isolation(_level(isolation, strict))
    return execute(RunRequest(language, solution, tests, function_name, timeout))


def default_workers() -> int:
    """One worker more than cores: a run hands off between processes several times
    (parent, worker, child), and with one worker per core the cores idle at those
    hand-offs. On 2 cores, 1,000 small items: 727-745/s with 2 workers, 778-793/s
    with 3, same CPU per item; a single run's latency does not change."""
    return (os.cpu_count() or 1) + 1


def run_many(
    requests: Iterable[RunRequest],
    *,
    workers: int | None = None,
    isolation: str | None = None,
    strict: bool = False,
    on_result: Callable[[int, RunResult], Any] | None = None,
) -> Iterator[tuple[int, RunResult]]:
    """Run requests on `workers` warm workers (default: `default_workers()`),
    yielding `(index, result)` pairs as runs complete, in completion order.
    `isolation` as for `run`: the check happens before any request is read."""
    require_isolation(_level(isolation, strict))
    workers = workers or default_workers()
    listed = requests if isinstance(requests, Sequence) else None
    if listed:  # a list is known whole: Rust and C++ items compile in batches (see batches)
        languages.prepare(listed)
    source = iter(enumerate(requests))  # read in this thread only (it may hold a DB cursor)
    # Plain queues and threads, not an executor's futures: the hand-offs cost the
    # parent ~0.1 ms of CPU per run, and the parent shares the cores with the runs.
    todo: queue.SimpleQueue[tuple[int, RunRequest] | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[int, Any, BaseException | None]] = queue.SimpleQueue()

    def serve() -> None:
        while (job := todo.get()) is not None:
            try:
                done.put((job[0], execute(job[1]), None))
            except BaseException as exc:  # re-raised in the caller's thread
                done.put((job[0], None, exc))

    threads = [
        threading.Thread(target=serve, name=f"sandbox-{k}", daemon=True) for k in range(workers)
    ]
    for thread in threads:
        thread.start()
    in_flight = 0
    try:
        while True:
            while in_flight < 2 * workers and (nxt := next(source, None)) is not None:
                todo.put(nxt)
                in_flight += 1
            if not in_flight:
                return
            index, result, error = done.get()
            in_flight -= 1
            if error is not None:
                raise error
            if on_result is not None:
                on_result(index, result)
            yield index, result
    finally:
        for _ in threads:
            todo.put(None)  # after the runs already queued, like an executor's shutdown
        for thread in threads:
            thread.join()
        if listed:
            languages.release(listed)


def execute(request: RunRequest) -> RunResult:
    """Run one request (no strict check): dispatch by language, never raise for user code."""
    started = time.monotonic()
    language = languages.get(request.language)
    try:
        if language is None:
            reason = f"language {request.language!r} is not supported"
            result = RunResult("unsupported", reason=reason)
        elif language.run is not None:
            result = language.run(language, request)
        elif language.build is not None:
            result = run_program(language, request)
        else:
            reason = f"the sandbox has no runner for {language.label}"
            result = RunResult("unsupported", reason=reason)
    except Exception as exc:  # planning or reading one run failed: that item, not the batch
        result = RunResult("error", reason=judge_failure(exc))
    result.make_storable()
    result.language = language.id if language else request.language
    result.duration = round(time.monotonic() - started, 4)
    return result


def judge_failure(exc: BaseException) -> str:
    """Why the sandbox could not judge a run, in one line (a 2,000-term expression
    exhausts the parser's recursion; an absurd record exhausts memory)."""
    if isinstance(exc, RecursionError):
        return "the sandbox could not judge this item: its code nests too deeply to parse"
    if isinstance(exc, MemoryError):
        return "the sandbox could not judge this item: its run's result is too large"
    return clip(f"the sandbox could not judge this item: {type(exc).__name__}: {exc}", 500)


def doctor() -> dict[str, Any]:
    """Which isolation layers hold on this machine, why the others do not, and which
    language toolchains are available."""
    found = isolation.launcher()
    as_root = os.geteuid() == 0
    layers: dict[str, dict[str, Any]] = {}

    def layer(key: str, available: bool, text: str) -> None:
        layers[key] = {"available": available, "detail": text}

    bwrap = found.name == "bwrap"
    if bwrap:
        layer("bubblewrap", True, f"{found.bwrap} ({found.bwrap_source})")
    else:
        layer("bubblewrap", False, found.bwrap_problem or "not available")
    layer(
        "network-namespace",
        found.name != "none",
        "no network but loopback" if found.name != "none" else "needs bubblewrap or unshare",
    )
    layer(
        "minimal-fs",
        bwrap,
        "runs see /usr, a few /etc files and the toolchain roots only (not $HOME, the "
        "working directory or the database)"
        if bwrap
        else "needs bubblewrap: runs see the host's files their uid may read",
    )
    layer("readonly-fs", bwrap, "all but the work dir and the run's /tmp is read-only")
    try:  # what a real worker put in force, not what should work in theory
        worker_layers, missing, refusal = POOL.layers()
    except WorkerCrashed as exc:
        worker_layers, missing, refusal = [], {}, f"the sandbox worker does not start: {exc}"
    explained = {
        "worker-not-dumpable": "runs of the worker's uid cannot ptrace it or read its memory",
        "run-pid-namespace": "each run is in a pid namespace of its own: it sees only its "
        "processes, and every one of them is killed when it ends",
        "run-private-tmp": "each run has its own /tmp, /var/tmp, /dev/shm and /proc",
        "run-ipc-namespace": "each run has its own System V IPC and message queues",
        "no-ptrace": "runs cannot ptrace or read other processes' memory (seccomp)",
        "tmpfs-workdir": "the work dir is a size-capped tmpfs per item",
    }
    for key, text in explained.items():
        ok = key in worker_layers
        layer(key, ok, text if ok else f"no: {missing.get(key, 'not supported here')}")
    if found.name == "none":  # no network namespace: what stands in for it
        ok = "no-sockets" in worker_layers
        text = "no network namespace, so runs may not make sockets (seccomp)"
        layer("no-sockets", ok, text if ok else f"no: {missing.get('no-sockets', 'not here')}")
    if not bwrap:  # no minimal root: what stands in for it (see sandbox/README.md)
        for key, text in (
            (
                "confined-fs",
                "runs read only the toolchains and write only their work dir (Landlock)",
            ),
            ("confined-signals", "runs cannot signal a process outside them (Landlock)"),
        ):
            ok = key in worker_layers
            layer(key, ok, text if ok else f"no: {missing.get(key, 'not supported here')}")
    if "reap-leftovers" in worker_layers or "reap-leftovers" in missing:
        ok = "reap-leftovers" in worker_layers
        text = "what a run leaves running is killed when it ends (the worker is a subreaper)"
        layer("reap-leftovers", ok, text if ok else f"no: {missing['reap-leftovers']}")
    if "unprivileged-uid" in worker_layers:
        layer("run-uid", True, "as root, each run drops to a fresh unprivileged uid")
    elif "run-user-namespace" in worker_layers:
        layer("run-uid", True, "each run maps itself to a uid of a user namespace of its own")
    else:
        layer("run-uid", False, f"no: {missing.get('run-uid', 'runs share the worker uid')}")
    if as_root:
        layer(
            "fork-bomb",
            "unprivileged-uid" in worker_layers,
            "RLIMIT_NPROC binds for the dropped uid",
        )
    else:
        layer("fork-bomb", True, "RLIMIT_NPROC binds for a non-root user")
    for key, text in (
        ("process-group", "each run has its own session; it is killed at the deadline"),
        ("rlimits", "CPU, address space or data, file size, open files, processes; no core"),
        ("stdin-closed", "stdin is /dev/null"),
        ("output-cap", "stdout/stderr tails kept; a run printing over 16 MB is stopped"),
        ("clean-env", "runs see a fixed minimal environment, no parent variables"),
    ):
        layer(key, key in worker_layers, text)
    landlock = "landlock" in worker_layers
    layer(
        "landlock",
        landlock,
        "Go and Rust runs deny themselves every file under /proc (no /proc/self/mem)"
        if landlock
        else f"no: {missing.get('landlock', 'not supported here')}; Go and Rust runs "
        "could read their channel key from /proc/self/mem and forge their verdicts",
    )
    if bwrap:  # else every item compiles inside its own run, as it always may
        layer(
            "compilers-outside-runs",
            True,
            "Java compiles in a warm javac and Rust items in batches, outside their runs, "
            "under bubblewrap with the runs' read-only view and no capabilities",
        )
    weaker = [] if landlock else ["Go and Rust runs go without Landlock (see the landlock row)"]
    if refusal:
        layer("worker", False, refusal)
    problem = refusal or (
        isolation.problem(worker_layers, missing) if bwrap else found.bwrap_problem
    )
    return {
        "launcher": found.name,
        "isolation": "full" if problem is None else "weak",
        "problem": problem,
        "strict_ok": problem is None,
        "weaker": weaker,  # layers missing that full isolation does not require
        "layers": layers,
        "toolchains": languages.toolchains(),
    }
