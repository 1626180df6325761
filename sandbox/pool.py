"""Warm workers in the parent: one process per slot, reused across runs."""

from __future__ import annotations

import atexit
import os
import select
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox import isolation
from sandbox.zygote import receive, send

_REPLY_GRACE = 10.0  # seconds a worker may take beyond a run's own deadline


class WorkerCrashed(RuntimeError):
    """The worker process died or stopped answering; it is replaced."""


class WorkerProcess:
    """A zygote: started once inside the isolation launcher, then fed requests."""

    def __init__(self) -> None:
        self.key = isolation.environment_key()  # the settings its view was made from
        self.proc = subprocess.Popen(
            isolation.worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=isolation.clean_env("/tmp"),
            close_fds=True,
            start_new_session=True,
        )
        hello = self._receive(60.0)
        if not hello or not hello.get("hello"):
            self.close()
            raise WorkerCrashed("the sandbox worker did not start")
        self.layers: list[str] = list(hello["layers"])
        self.missing: dict[str, str] = dict(hello.get("missing") or {})
        self.refusal: str | None = hello.get("refusal")

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None  # a pipe: stdout=PIPE
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        return receive(fd)

    def call(self, request: dict[str, Any], budget: float) -> dict[str, Any]:
        """Send one request and wait for its reply, at most `budget` + grace seconds."""
        try:
            assert self.proc.stdin is not None  # a pipe: stdin=PIPE
            send(self.proc.stdin.fileno(), request)
            reply = self._receive(budget + _REPLY_GRACE)
        except (OSError, ValueError) as exc:
            raise WorkerCrashed(f"sandbox worker failed: {exc}") from exc
        if reply is None:
            raise WorkerCrashed("sandbox worker stopped answering")
        return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                stream.close()


class WorkerPool:
    """A fixed number of warm workers handed out one caller at a time."""

    def __init__(self) -> None:
        self._idle: list[WorkerProcess] = []
        self._lock = threading.Lock()

    def acquire(self) -> WorkerProcess:
        with self._lock:
            key = isolation.environment_key()
            while self._idle:
                worker = self._idle.pop()
                if worker.alive() and worker.key == key:
                    return worker
                worker.close()  # dead, or started before an ASSAY_* setting changed
        # bwrap --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that
        # started it exits: start workers from one long-lived thread, never from
        # the short-lived threads of a run_many call.
        return _SPAWNER.submit(WorkerProcess).result()

    def release(self, worker: WorkerProcess, healthy: bool = True) -> None:
        if not healthy or not worker.alive():
            worker.close()
            return
        with self._lock:
            self._idle.append(worker)

    def layers(self) -> tuple[list[str], dict[str, str], str | None]:
        """(layers, missing layer -> why, refusal) of a worker as it started here."""
        worker = self.acquire()
        self.release(worker)
        return worker.layers, worker.missing, worker.refusal

    def call(self, request: dict[str, Any], budget: float) -> tuple[dict[str, Any], list[str]]:
        """Run one request on some idle worker; a worker that fails is replaced."""
        worker = self.acquire()
        try:
            reply = worker.call(request, budget)
        except WorkerCrashed:
            self.release(worker, healthy=False)
            raise
        self.release(worker)
        return reply, worker.layers

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-spawner")
POOL = WorkerPool()
atexit.register(POOL.close)
