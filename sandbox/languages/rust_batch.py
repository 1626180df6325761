"""Rust items compiled a dozen at a time, outside their runs, each run given the binary.

rustc's cost is mostly per crate (loading std's metadata, linking): one item alone takes
~65 ms of CPU, twelve items as twelve modules of one crate ~160 ms (13 ms each). When
`run_many` is given a list of requests, `prepare` plans its Rust items and compiles them
in batches, in the parent's background thread, under bubblewrap; each item's run then
gets the batch's binary and the name of its module, and runs that module's `main` only.

Why one binary holding several items keeps each verdict the item's own:

- Every item is refused what could reach beyond its own code before it is batched
  (`rust._refuse`: `unsafe`, `no_mangle`/`export_name`/`link_section`, a global
  allocator, `global_asm!`, linker attributes): with none of those, code of one module
  runs only when called, and safe Rust has no life before `main` (no static
  constructors).
- Each module's name starts with `assay_`, a prefix no item may write (refused), and
  goes on with random digits: an item cannot name another's module, functions or
  types (no macro lists a crate's modules), so it can call, implement or shadow
  nothing of another item. The dispatching `main` calls only the module it is named on
  the command line.
- Items with crate-level attributes (`#![...]`), extern crates or a macro that reads a
  file at compile time (`include_str!`: the batch's source is a file), or without the
  prebuilt runtime, are not batched; a batch that does not compile is compiled again
  without the items rustc names in its errors, and anything still failing compiles
  alone inside its own run, as without batching. So what an item's run reports is what
  it would report alone.
- rustc runs no code of the items (no build scripts, no procedural macros); it runs
  under bubblewrap with the runs' read-only view, no capabilities and one writable
  directory of its own, removed after. Without bubblewrap nothing is batched.
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
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from sandbox.result import RunRequest

BATCH = 24  # items per crate: beyond, the crate's own cost is already spread thin
# Batches compile side by side with the runs of the ones before: one rustc per core.
COMPILERS = max(1, os.cpu_count() or 1)
BATCH_TIMEOUT = 20.0  # seconds for one batch's compile; past it, each item alone
_ERROR_LINE = re.compile(r"^batch\.rs:(\d+):\d+: error", re.MULTILINE)


class Plan(Protocol):
    """What this module needs of `rust._Plan` (rust imports this module, not the reverse)."""

    rlib: str | None

    @property
    def batchable(self) -> bool: ...

    def source(self, main: str = ...) -> str: ...


Planner = Callable[[RunRequest], Plan]
Compiler = Callable[[str | None], list[str]]  # the runtime rlib -> rustc and its flags


@dataclass
class Built:
    """An item planned (and, when `binary` is set, compiled) with its batch."""

    plan: Plan
    module: str
    binary: bytes | None


class _Progress:
    """How far the runs of one `prepare` have come: planning and compiling stay at most
    AHEAD items in front of them, so a list of 100,000 items holds a few binaries, not
    all of them."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.asked = 0  # items whose build asked for them (waiting or done)
        self.cancelled = False

    def ask(self) -> None:
        with self.cond:
            self.asked += 1
            self.cond.notify_all()

    def cancel(self) -> None:
        with self.cond:
            self.cancelled = True
            self.cond.notify_all()

    def needed(self, index: int) -> bool:
        with self.cond:
            return index < self.asked + AHEAD

    def wait_until_needed(self, index: int) -> bool:
        """Block until item `index` is within AHEAD of the runs; False when cancelled."""
        with self.cond:
            self.cond.wait_for(lambda: self.cancelled or index < self.asked + AHEAD)
            return not self.cancelled


AHEAD = 3 * BATCH  # at least a batch (a waiting build's batch must be planned)
_LOCK = threading.Lock()
_PENDING: dict[tuple[str, str, str | None], list[tuple[Future[Built], _Progress]]] = {}


def _key(request: RunRequest) -> tuple[str, str, str | None]:
    return (request.solution, request.tests, request.function_name)


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
    progress.ask()
    try:
        return future.result()
    except Exception:  # planning it failed (refused, no tests): build() says why, alone
        return None


def release(requests: Sequence[RunRequest]) -> None:
    """Forget what `prepare` did for requests that were never built (a cancelled batch)."""
    with _LOCK:
        for request in requests:
            for _, progress in _PENDING.pop(_key(request), []):
                progress.cancel()


def prepare(requests: Sequence[RunRequest], plan: Planner, compiler: Compiler) -> None:
    """Plan and compile, in the background, the Rust items of `requests` in batches."""
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
        target=_work, args=(futures, progress, plan, compiler), name="rust-batches", daemon=True
    )
    work.start()


def _work(
    futures: list[tuple[RunRequest, Future[Built]]],
    progress: _Progress,
    plan: Planner,
    compiler: Compiler,
) -> None:
    """Plan the items in order, and hand each full batch to a compiling thread."""
    batches: queue.SimpleQueue[list[tuple[Future[Built], Built]] | None] = queue.SimpleQueue()

    def compile_batches() -> None:
        while (batch := batches.get()) is not None:
            _finish(batch, compiler)

    compilers = [
        threading.Thread(target=compile_batches, name=f"rust-batch-{k}", daemon=True)
        for k in range(COMPILERS)
    ]
    for thread in compilers:
        thread.start()
    batch: list[tuple[Future[Built], Built]] = []
    for index, (request, future) in enumerate(futures):
        if batch and not progress.needed(index):  # a build may wait for this batch: send it
            batches.put(batch)
            batch = []
        if not progress.wait_until_needed(index):
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
        batch.append((future, built))
        if len(batch) == BATCH:
            batches.put(batch)
            batch = []
    if batch:
        batches.put(batch)
    for _ in compilers:
        batches.put(None)


def _finish(batch: list[tuple[Future[Built], Built]], compiler: Compiler) -> None:
    try:
        binary, failed = _compile([b for _, b in batch], compiler)
        if binary is None and failed:
            kept = [b for b in batch if b[1].module not in failed]
            for future, built in batch:
                if built.module in failed:
                    future.set_result(built)
            batch = kept
            binary, failed = _compile([b for _, b in batch], compiler) if batch else (None, set())
            if failed:
                binary = None
        for future, built in batch:
            built.binary = binary
            future.set_result(built)
    except BaseException:
        for future, built in batch:
            if not future.done():
                future.set_result(built)


def _compile(items: list[Built], compiler: Compiler) -> tuple[bytes | None, set[str]]:
    """(the binary, or None; the modules rustc's errors point into, when it failed)."""
    from sandbox import isolation

    lines, owners, at = ["#![allow(unused)]"], [], 1  # `at`: the last line's number
    for built in items:
        main = "pub(super) fn assay_item_main() {"
        module = [f"mod {built.module} {{", built.plan.source(main), "}"]
        size = "\n".join(module).count("\n") + 1
        owners.append((at + 1, at + size, built.module))
        lines += module
        at += size
    arms = "".join(f'Some("{b.module}") => {b.module}::assay_item_main(),\n' for b in items)
    lines.append(
        "fn main() {\n    match ::std::env::args().nth(1).as_deref() {\n"
        f"{arms}        _ => ::std::process::exit(2),\n    }}\n}}\n"
    )
    work = tempfile.mkdtemp(prefix="assay-rust-batch-")
    try:
        with open(f"{work}/batch.rs", "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        wrapper = isolation.tool_wrapper(work)
        if wrapper is None:
            return None, set()
        argv = [*wrapper, *compiler(items[0].plan.rlib), "--error-format=short"]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": isolation.TOOL_DIR}
        try:
            done = subprocess.run(
                [*argv, "-o", "prog", "batch.rs"],
                capture_output=True,
                text=True,
                timeout=BATCH_TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return None, set()
        if done.returncode == 0:
            with open(f"{work}/prog", "rb") as handle:
                return handle.read(), set()
        failed = set()
        for found in _ERROR_LINE.finditer(done.stderr):
            line = int(found.group(1))
            failed |= {module for start, end, module in owners if start <= line <= end}
        return None, failed
    except OSError:
        return None, set()
    finally:
        shutil.rmtree(work, ignore_errors=True)
