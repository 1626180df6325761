"""Items compiled a batch at a time, outside their runs, each run given the batch's binary.

A compiler's cost is mostly per unit: rustc loads std's metadata and links (~65 ms of
CPU for one item, ~13 ms each as modules of one crate); g++ loads its precompiled
header and links (~66 ms for one HumanEval-X item, ~15-25 ms each as namespaces of one
translation unit). When `run_many` is given a list of requests, `prepare` plans the
items of a language that batches (Rust, C++), in the parent's background thread, and
compiles those that may share a binary, a batch per group (the same runtime, the same
precompiled headers), under bubblewrap; each item's run then gets the batch's binary
and the name of its part, and runs that part only. Why a batch keeps each verdict the
item's own is the language's to show (rust.py, cpp.py: what makes an item batchable);
what is common:

- The part's name starts with `assay_`, a prefix no item may write (refused), and goes
  on with random digits: no item can name another's code.
- A batch that does not compile is compiled again without the items the compiler's
  errors point into, and anything still failing compiles alone inside its own run, as
  without batching. So what an item's run reports is what it would report alone.
- The compiler runs no code of the items (no build scripts, procedural macros or
  includes of their own); it runs under bubblewrap with the runs' read-only view, no
  capabilities and one writable directory of its own, removed after. Without
  bubblewrap nothing is batched.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from sandbox.result import RunRequest

BATCH = 24  # items per binary: beyond, the unit's own cost is already spread thin
# Batches compile side by side with the runs of the ones before: one compiler per core.
COMPILERS = max(1, os.cpu_count() or 1)
BATCH_TIMEOUT = 20.0  # seconds for one batch's compile; past it, each item alone


class Plan(Protocol):
    """What this module needs of a language's plan of one item."""

    @property
    def batchable(self) -> bool: ...

    @property
    def group(self) -> Hashable: ...  # items of one group may share a binary


Planner = Callable[[RunRequest], Plan]


@dataclass
class Built:
    """An item planned (and, when `binary` is set, compiled) with its batch."""

    plan: Plan
    module: str  # the name of its part of the binary
    binary: bytes | None


# A batch's items -> (the binary, or None; the parts the compiler's errors point into).
Compiler = Callable[[list[Built]], tuple[bytes | None, set[str]]]


class _Progress:
    """How far the runs of one `prepare` have come: planning and compiling stay at most
    AHEAD items in front of them, so a list of 100,000 items holds a few binaries, not
    all of them."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.asked = 0  # items whose build asked for them (waiting or done)
        self.waiting: set[Future[Built]] = set()  # the builds asked for, not yet handed
        self.cancelled = False

    def ask(self, future: Future[Built]) -> None:
        with self.cond:
            self.asked += 1
            self.waiting.add(future)
            self.cond.notify_all()

    def handed(self, future: Future[Built]) -> None:
        with self.cond:
            self.waiting.discard(future)

    def cancel(self) -> None:
        with self.cond:
            self.cancelled = True
            self.cond.notify_all()

    def wait_until_needed(self, index: int, held: list[Future[Built]]) -> bool | None:
        """Block until item `index` is within AHEAD of the runs (True), or a run waits for
        one of `held` (the items of batches still open: None, send them), or the runs
        are cancelled (False). A batch is sent when it is full or a run needs it, not
        when the window moves by one item: the last items of a list would otherwise go
        one per batch (compiled alone, each in its run)."""
        with self.cond:

            def ready() -> bool:
                return (
                    self.cancelled
                    or index < self.asked + AHEAD
                    or not self.waiting.isdisjoint(held)
                )

            self.cond.wait_for(ready)
            if self.cancelled:
                return False
            return True if index < self.asked + AHEAD else None


AHEAD = 3 * BATCH  # at least a batch (a waiting build's batch must be planned)
_LOCK = threading.Lock()
_PENDING: dict[tuple[str, str, str, str | None], list[tuple[Future[Built], _Progress]]] = {}


def _key(request: RunRequest) -> tuple[str, str, str, str | None]:
    return (request.language, request.solution, request.tests, request.function_name)


def take(request: RunRequest) -> Built | None:
    """The item's batch build when `prepare` took it in (waiting for its compile), else
    None: the caller builds the item alone."""
    with _LOCK:
        waiting = _PENDING.get(_key(request))
        if not waiting:
            return None
        future, progress = waiting.pop(0)
        if not waiting:
            del _PENDING[_key(request)]
    progress.ask(future)
    try:
        return future.result()
    except Exception:  # planning it failed (refused, no tests): build() says why, alone
        return None
    finally:
        progress.handed(future)


def release(requests: Sequence[RunRequest]) -> None:
    """Forget what `prepare` did for requests that were never built (a cancelled batch)."""
    with _LOCK:
        for request in requests:
            for _, progress in _PENDING.pop(_key(request), []):
                progress.cancel()


def prepare(requests: Sequence[RunRequest], plan: Planner, compiler: Compiler) -> None:
    """Plan and compile, in the background, the items of `requests` (one language's) in
    batches: `plan` makes an item's plan, `compiler` builds a batch of them."""
    from sandbox import isolation
    from sandbox.languages import cpp_java

    if len(requests) < 2 or isolation.tool_wrapper() is None or not cpp_java.cache_is_safe():
        return
    progress = _Progress()
    futures: list[tuple[RunRequest, Future[Built]]] = []
    with _LOCK:
        for request in requests:
            future: Future[Built] = Future()
            _PENDING.setdefault(_key(request), []).append((future, progress))
            futures.append((request, future))
    work = threading.Thread(
        target=_work, args=(futures, progress, plan, compiler), name="batches", daemon=True
    )
    work.start()


def _work(
    futures: list[tuple[RunRequest, Future[Built]]],
    progress: _Progress,
    plan: Planner,
    compiler: Compiler,
) -> None:
    """Plan the items in order, and hand each full batch of a group to a compiling thread."""
    batches: queue.SimpleQueue[list[tuple[Future[Built], Built]] | None] = queue.SimpleQueue()

    def compile_batches() -> None:
        while (batch := batches.get()) is not None:
            _finish(batch, compiler)

    compilers = [
        threading.Thread(target=compile_batches, name=f"batch-{k}", daemon=True)
        for k in range(COMPILERS)
    ]
    for thread in compilers:
        thread.start()
    open_: dict[Hashable, list[tuple[Future[Built], Built]]] = {}
    for index, (request, future) in enumerate(futures):
        while (go := progress.wait_until_needed(index, _held(open_))) is None:
            for batch in open_.values():  # a run waits for one of these: send them
                batches.put(batch)
            open_ = {}
        if not go:
            break  # the runs were cancelled: nobody waits for the rest
        try:
            item = plan(request)
        except BaseException as exc:
            future.set_exception(exc)
            continue
        built = Built(item, "assay_b" + secrets.token_hex(8), None)
        if not item.batchable:
            future.set_result(built)
            continue
        batch = open_.setdefault(item.group, [])
        batch.append((future, built))
        if len(batch) == BATCH:
            batches.put(open_.pop(item.group))
    for batch in open_.values():
        batches.put(batch)
    for _ in compilers:
        batches.put(None)


def _held(open_: dict[Hashable, list[tuple[Future[Built], Built]]]) -> list[Future[Built]]:
    return [future for batch in open_.values() for future, _ in batch]


def _finish(batch: list[tuple[Future[Built], Built]], compiler: Compiler) -> None:
    try:
        binary, failed = compiler([b for _, b in batch]) if len(batch) > 1 else (None, set())
        if binary is None and failed:
            kept = [b for b in batch if b[1].module not in failed]
            for future, built in batch:
                if built.module in failed:
                    future.set_result(built)
            batch = kept
            binary, failed = compiler([b for _, b in batch]) if len(batch) > 1 else (None, set())
            if failed:
                binary = None
        for future, built in batch:
            built.binary = binary
            future.set_result(built)
    except BaseException:
        for future, built in batch:
            if not future.done():
                future.set_result(built)


def compile_in_tool_dir(
    files: dict[str, str], argv: list[str], output: str
) -> tuple[bytes | None, str]:
    """Run `argv` (a compiler, without the wrapper) in a fresh directory holding `files`,
    under the tool wrapper: (the bytes of `output` when it succeeded, else None; stderr)."""
    from sandbox import isolation

    work = tempfile.mkdtemp(prefix="assay-batch-")
    try:
        for name, text in files.items():
            with open(f"{work}/{name}", "w", encoding="utf-8") as handle:
                handle.write(text)
        wrapper = isolation.tool_wrapper(work)
        if wrapper is None:
            return None, ""
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": isolation.TOOL_DIR}
        try:
            done = subprocess.run(
                [*wrapper, *argv],
                capture_output=True,
                text=True,
                timeout=BATCH_TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return None, ""
        if done.returncode != 0:
            return None, done.stderr
        with open(f"{work}/{output}", "rb") as handle:
            return handle.read(), ""
    except OSError:
        return None, ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def owners(stderr: str, line: re.Pattern[str], spans: list[tuple[int, int, str]]) -> set[str]:
    """The parts whose lines (`spans`: first, last, part) the errors `line` finds in
    `stderr` (its group 1 is a line number) point into."""
    failed = set()
    for found in line.finditer(stderr):
        at = int(found.group(1))
        failed |= {part for start, end, part in spans if start <= at <= end}
    return failed
