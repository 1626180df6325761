"""A warm worker: reads run requests, forks one isolated child per run, supervises it.

The worker itself never executes untrusted code. It runs inside the launcher
chosen by `sandbox.isolation` and talks to the parent over its stdin/stdout
with length-prefixed JSON. Python items run in the forked child directly (no
new interpreter); other languages are compiled and executed by fork + exec.
"""

from __future__ import annotations

import _signal
import binascii
import gc
import json
import os
import select
import signal
import struct
import sys
import time

from sandbox import harness_py, limits, pyrpc
from sandbox.limits import OUTPUT_TAIL_BYTES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~1.8 MB per worker fork)
if TYPE_CHECKING:
    from typing import Any

CHANNEL_FD = 3
LINK_FD = 4  # a Python harness's socket to the solution's process
CHANNEL_CAP = 64 << 20
CHANNEL_DRAIN_MS = 5
OUTPUT_KILL_BYTES = 16 << 20  # a run printing more than this is stopped
# A run is the child of an init of ours that reaps its orphans and relays its status
# (True), or its pid namespace's init itself (False: one fork less, worker-tree CPU per
# Python item 22.5-23.1 -> 16.2-16.3 ms under load, but pid 1 ignores signals it has no
# handler for, /proc/1 is the run itself, and its zombie keeps the run's uid). Programs
# of the items' languages keep the relay; a Python run's harness, our own code whose
# signals are known, is its namespace's init (machine-wide CPU per benchmark item
# 14.4 -> 12.4 ms, benchmarks/sandbox.py items 127 -> 147 per second, 2 cores).
RELAY_INIT = True
_HEADER = struct.Struct("!Q")
# What LLM-written solutions import most (HumanEval prompts begin with `from typing
# import List`): loaded once per worker, since an import in each child costs milliseconds
# (benchmark items that import typing: 190/s when it is not preloaded, 690/s when it is).
PRELOAD = ("typing", "re", "json", "functools", "math", "heapq", "bisect", "string")
_STDIN = None  # sys.stdin for runs, made by main()


class Worker:
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = config or {}
        self.is_root = os.geteuid() == 0
        # Root of the init user namespace (runs drop to a fresh uid), or root of a user
        # namespace of its own (bubblewrap or unshare as a normal user: each run maps
        # itself into a namespace of its own instead).
        self.real_root = self.is_root and _uid_map_is_identity()
        self.drop_uid = self.real_root
        self.userns_runs = False
        self.keep: list[str] = list(config.get("keep", []))  # roots to re-bind in a run
        self.masks: list[str] = list(config.get("masks", []))  # dirs hidden per run
        self.missing: dict[str, str] = {}  # layer -> why it is not in force
        self.refusal: str | None = None  # why no run may start at all
        self._status: dict[int, int] = {}  # run init's pid -> its status pipe
        try:  # a run of our uid can neither ptrace the worker nor open its memory
            limits.prctl(limits.PR_SET_DUMPABLE, 0)
            dumpable_ok = True
        except OSError as exc:
            dumpable_ok = False
            self.missing["worker-not-dumpable"] = str(exc)
        fixed = config.get("workdir")
        self.base = os.path.dirname(fixed) if fixed else _private_base()
        # With a fresh tmpfs per run, every run can use the same path: the worker's
        # own environment is then already the run's (HOME, TMPDIR), and a Python
        # child changes no variable (os.environ updates cost ~0.13 ms per child).
        self.fixed_workdir = fixed or os.path.join(self.base, "run")
        os.makedirs(self.fixed_workdir, exist_ok=True)
        self.tmpfs = _can_mount(self.fixed_workdir)
        if self.tmpfs:
            _set_environ(limits.clean_env(self.fixed_workdir))
        else:
            self.fixed_workdir = None
        self.own_pid_ns = os.getpid() <= 3  # bwrap's init is 1, we are 2 (unshare: 1)
        self.counter = 0
        self.pid_ns = -1
        self.run_ns = self._can_isolate_runs()
        self.no_ptrace = False
        # Without a network namespace around the worker, runs refuse themselves sockets.
        self.no_sockets = not config.get("network_namespace", True)
        # Without bubblewrap's root, runs confine themselves to its view (Landlock).
        self.confine: dict[str, list[str]] | None = config.get("confine")
        self.landlock_abi, landlock_why = limits.landlock_abi()
        if self.confine and not self.landlock_abi:
            self.missing["confined-fs"] = landlock_why
            self.confine = None
        # Runs sharing the worker's uid and pid namespace: what one leaves running (a
        # daemon that left its session) comes back to the worker, which kills it.
        self.reap_leftovers = not self.run_ns and not self.drop_uid
        if self.reap_leftovers:
            try:
                limits.prctl(limits.PR_SET_CHILD_SUBREAPER, 1)
            except OSError as exc:
                self.reap_leftovers = False
                self.missing["reap-leftovers"] = str(exc)
        self.solution_zygote_pid = -1
        self._probe_runs()
        layers = ["process-group", "rlimits", "stdin-closed", "output-cap", "clean-env"]
        layers += ["private-workdir", "no-new-privs", "parent-death-signal"]
        if self.tmpfs:
            layers.append("tmpfs-workdir")
        if dumpable_ok:
            layers.append("worker-not-dumpable")
        if self.run_ns:
            layers += ["run-pid-namespace", "run-private-tmp", "run-ipc-namespace"]
        if self.no_ptrace:
            layers.append("no-ptrace")
        if self.no_sockets:
            layers.append("no-sockets")
        if self.confine:
            layers.append("confined-fs")
            if self.landlock_abi >= 6:
                layers.append("confined-signals")
            else:
                self.missing["confined-signals"] = "Landlock before ABI 6 (Linux 6.12)"
        if self.reap_leftovers:
            layers.append("reap-leftovers")
        if self.drop_uid:
            layers += ["unprivileged-uid", "run-uid"]
        elif self.userns_runs:
            layers += ["run-user-namespace", "run-uid", "nproc-limit"]
        elif not self.is_root:
            layers.append("nproc-limit")
            self.missing.setdefault("run-uid", "runs share the worker's uid")
        if self.own_pid_ns or self.run_ns:
            layers.append("pid-namespace")
        if self.landlock_abi:  # Go and Rust runs deny themselves /proc with it
            layers.append("landlock")
        else:
            self.missing["landlock"] = landlock_why
        self.layers = layers

    # ----------------------------------------------------------- run namespaces

    def _can_isolate_runs(self) -> bool:
        """Can each run get pid, mount and ipc namespaces of its own (CAP_SYS_ADMIN)?"""
        try:
            self.pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
            limits.unshare(limits.CLONE_NEWPID)
            limits.setns(self.pid_ns, limits.CLONE_NEWPID)
        except OSError as exc:
            why = exc.strerror or str(exc)
            self.missing["run-pid-namespace"] = why
            self.missing["run-private-tmp"] = why
            return False
        return True

    def _probe_runs(self) -> None:
        """Start empty runs the way every run starts, and see which layers hold."""
        self.userns_runs = self.run_ns and not self.real_root and self.is_root
        self.no_ptrace = True
        why = self._probe_once()
        if why and "seccomp:" in why:
            self.no_ptrace = False
            self.missing["no-ptrace"] = why
            why = self._probe_once()
        if why and self.no_sockets and "seccomp" in why:
            self.no_sockets = False
            self.missing["no-sockets"] = why
            why = self._probe_once()
        if why and self.confine and "landlock" in why:
            self.confine = None
            self.missing["confined-fs"] = why
            why = self._probe_once()
        if why and self.userns_runs:
            self.userns_runs = False
            self.missing["run-uid"] = f"a run cannot map itself to a uid of its own: {why}"
            why = self._probe_once()
        if why and self.real_root:
            self.refusal = (
                "as root, every run must drop to an unprivileged uid, and here it "
                f"cannot ({why}): use bubblewrap (see sandbox/README.md) or keep the "
                "toolchains where other users can read them"
            )
        elif why:
            self.refusal = f"a sandbox run cannot start here: {why}"

    def _probe_once(self) -> str | None:
        """None if an empty run starts with the layers chosen so far, else why not."""
        uid = _fresh_uid() if self.drop_uid else None
        workdir = self._make_workdir(uid)
        err_r, err_w = os.pipe()
        chunks = []
        try:
            pid = self._fork_run(workdir, err_w)
            if pid == 0:
                try:
                    self._enter_child({"timeout": 10}, uid, workdir, err_w, err_w, err_w)
                    os.listdir(os.path.dirname(os.__file__))  # the dropped uid reads Python
                    os._exit(0)
                except BaseException as exc:
                    try:
                        os.write(2, f"{exc}".encode())
                    finally:
                        os._exit(1)
            os.close(err_w)
            err_w = -1
            while data := os.read(err_r, 4096):
                chunks.append(data)
            _, status = os.waitpid(pid, 0)
            status = self._run_status(pid, status)
        finally:
            os.close(err_r)
            if err_w >= 0:
                os.close(err_w)
            self._remove_workdir(workdir)
        if os.waitstatus_to_exitcode(status) == 0:
            return None
        return b"".join(chunks).decode("utf-8", "replace").strip() or f"status {status}"

    def _fork_run(
        self, workdir: str, err_w: int, share: Any = None, relay: bool = RELAY_INIT
    ) -> int:
        """os.fork() for a run: 0 in the run's process, a pid in the worker. With run
        namespaces the run is the init (pid 1) of a fresh pid namespace, so when it
        exits or is killed every process it started dies with it, in a fresh mount and
        ipc namespace (its own /tmp, /var/tmp, /dev/shm and /proc). With `relay`, a
        fork of ours is that init instead: it reaps the run's orphans and hands the run's
        wait status back through a pipe (one fork more per run). With `share` (a socket),
        the init sends its pid, mount and ipc namespaces on it once they are set up, for
        a Python run's solution to join (see _join_run)."""
        if not self.run_ns:
            return os.fork()
        status_r, status_w = os.pipe() if relay else (-1, -1)
        pid = self._fork_in_pid_ns(None)
        if pid:
            if relay:
                os.close(status_w)
            self._status[pid] = status_r
            return pid
        try:  # the run's init
            if relay:
                os.close(status_r)
            limits.prctl(limits.PR_SET_PDEATHSIG, signal.SIGKILL)
            self._enter_run_namespaces(workdir)
            if share is not None:
                _send_namespaces(share)
            if not relay:
                return 0
            run = os.fork()
            if run == 0:
                os.close(status_w)
                return 0
            os.closerange(0, status_w)
            os.closerange(status_w + 1, 65536)
            while True:  # reap the run's orphans too: they are ours now
                child, status = os.waitpid(-1, 0)
                if child == run:
                    os.write(status_w, struct.pack("!i", status))
                    os._exit(0)
        except BaseException as exc:
            try:
                os.write(err_w, f"sandbox: could not isolate the run: {exc}\n".encode())
            finally:
                os._exit(126)

    def _fork_in_pid_ns(self, pid_ns: int | None) -> int:
        """os.fork() with the child in a fresh pid namespace (None) or in `pid_ns`; the
        caller's later children are in its own again."""
        if pid_ns is None:
            limits.unshare(limits.CLONE_NEWPID)
        else:
            limits.setns(pid_ns, limits.CLONE_NEWPID)
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                limits.setns(self.pid_ns, limits.CLONE_NEWPID)  # back, for the next one
        return pid

    def _join_run(self, namespaces: list[int], err_w: int) -> int:
        """os.fork() into another run's pid, mount and ipc namespaces (its init's, sent
        by _send_namespaces): the run's init is this process's init too, so its end
        kills it. The parent ignores SIGCHLD (see start_solution_zygote): the init's end
        waits until every process of its namespace is reaped."""
        pid_ns, mnt_ns, ipc_ns = namespaces
        pid = self._fork_in_pid_ns(pid_ns)
        if pid:
            return pid
        try:
            limits.setns(mnt_ns, limits.CLONE_NEWNS)
            limits.setns(ipc_ns, limits.CLONE_NEWIPC)
            return 0
        except BaseException as exc:
            try:
                os.write(err_w, f"sandbox: could not isolate the run: {exc}\n".encode())
            finally:
                os._exit(126)

    def _enter_run_namespaces(self, workdir: str) -> None:
        limits.unshare(limits.CLONE_NEWNS | limits.CLONE_NEWIPC)
        limits.make_mounts_private()
        masks = [m for m in (*limits.RUN_PRIVATE, *self.masks) if os.path.isdir(m)]
        keep = [*self.keep]
        if any(_inside(workdir, m) for m in masks):
            keep.append(workdir)
        fds = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in keep]
        for mask in masks:
            mode = "1777" if mask in limits.RUN_PRIVATE else "0755"
            limits.mount_tmpfs(mask, limits.RUN_PRIVATE_BYTES, mode)
        for path, fd in fds:
            os.makedirs(path, 0o755, exist_ok=True)
            limits.bind(f"/proc/self/fd/{fd}", path, readonly=path != workdir)
            os.close(fd)
        limits.mount_proc()

    def _run_status(self, pid: int, status: int) -> int:
        """The run's own wait status, as its init reported it (else the init's)."""
        fd = self._status.pop(pid, None)
        if fd is None or fd < 0:
            return status
        try:
            data = os.read(fd, 4) if select.select([fd], [], [], 0)[0] else b""
        finally:
            os.close(fd)
        return struct.unpack("!i", data)[0] if len(data) == 4 else status

    def _close_status_pipes(self) -> None:
        for fd in self._status.values():
            if fd >= 0:
                os.close(fd)
        self._status.clear()

    # ------------------------------------------------------------- workdirs

    def _make_workdir(self, uid: int | None) -> str:
        if self.fixed_workdir:
            path = self.fixed_workdir  # the previous run's tmpfs is unmounted: empty
            limits.mount_tmpfs(path, 256 << 20)
            if uid is None:
                os.chmod(path, 0o700)
        else:
            self.counter += 1
            path = os.path.join(self.base, f"run{self.counter}")
            os.mkdir(path, 0o700)
        if uid is not None:
            os.chown(path, uid, uid)
        return path

    def _remove_workdir(self, path: str) -> None:
        if self.tmpfs:
            limits.unmount(path)  # the run's files go with the tmpfs
            if path == self.fixed_workdir:
                return
            try:
                os.rmdir(path)
                return
            except OSError:
                pass
        import shutil  # only without tmpfs; shutil pulls in compression modules

        shutil.rmtree(path, ignore_errors=True)

    # ---------------------------------------------------------------- runs

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.refusal:
            return {"worker_error": self.refusal}
        uid = _fresh_uid() if self.drop_uid else None  # as root: always a fresh uid
        workdir = self._make_workdir(uid)
        try:
            if request["mode"] == "python":
                return self._run_python(request, uid, workdir)
            for name, text in request.get("files", {}).items():
                target = os.path.join(workdir, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as fh:
                    fh.write(text)
                if uid is not None:
                    os.chown(target, uid, uid)
            for name, data in request.get("blobs", {}).items():  # compiled by the parent
                target = os.path.join(workdir, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as fh:
                    fh.write(binascii.a2b_base64(data))
                os.chmod(target, 0o755)  # a program (Rust's batch binary) or its classes
                if uid is not None:
                    os.chown(target, uid, uid)
            steps = []
            for step in request["steps"]:
                outcome = self._run_child(step, uid, workdir, step["argv"])
                steps.append(outcome)
                if outcome["exit"] != 0 or outcome["timed_out"]:
                    break
            return {"steps": steps}
        finally:
            self._close_status_pipes()
            if self.reap_leftovers:
                self._kill_leftovers()
            self._remove_workdir(workdir)

    def _kill_leftovers(self) -> None:
        """Kill every process a run left behind. The worker is a subreaper, so a process
        whose parent ended (a daemon that left its session) is the worker's child now;
        the worker starts none but runs and the solution zygote, and runs are over."""
        while leftovers := [p for p in _children() if p != self.solution_zygote_pid]:
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in leftovers:  # their children are ours once each has ended
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass

    def _run_child(
        self, req: dict[str, Any], uid: int | None, workdir: str, argv: list[str] | None
    ) -> dict[str, Any]:
        timeout = float(req["timeout"])
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        chan_r, chan_w = os.pipe()
        executable = argv[0] if argv is not None else None  # the parent made it absolute
        started = time.monotonic()
        pid = self._fork_run(workdir, err_w)
        if pid == 0:  # the child: never returns
            try:
                self._enter_child(req, uid, workdir, out_w, err_w, chan_w)
                env = None
                if argv is not None or req.get("env") or workdir != self.fixed_workdir:
                    env = limits.clean_env(workdir)
                    env.update(
                        {k: v.replace("{workdir}", workdir) for k, v in req.get("env", {}).items()}
                    )
                # Python items run through _run_python: two processes, not one
                assert executable is not None and env is not None and argv is not None
                os.execve(executable, argv, env)
            except BaseException as exc:
                try:
                    os.write(2, f"sandbox: could not start: {exc!r}\n".encode())
                finally:
                    os._exit(127)
        for fd in (out_w, err_w, chan_w):
            os.close(fd)
        return self._supervise(pid, uid, out_r, err_r, chan_r, started, timeout)

    def _run_python(self, req: dict[str, Any], uid: int | None, workdir: str) -> dict[str, Any]:
        """A Python item in two processes: the trusted harness that runs the tests
        and reaches the solution only through a socket, and the solution's, forked
        by the solution zygote (it never held an item's tests), each in run
        namespaces of its own. Neither can ptrace the other (not dumpable); only the
        harness holds the result channel."""
        import socket

        timeout = float(req["timeout"])
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        chan_r, chan_w = os.pipe()
        harness_end, solution_end = socket.socketpair()
        # The solution joins the namespaces its harness's init made (one set per run).
        share, theirs = socket.socketpair() if self.run_ns else (None, None)
        started = time.monotonic()
        program = harness_py.load(req["payload"])
        # The harness is our own code: it may be its namespace's init (one fork less).
        hpid = self._fork_run(workdir, err_w, theirs, relay=False)
        if hpid == 0:  # the harness: never returns
            try:
                self._enter_child(req, uid, workdir, out_w, err_w, chan_w, harness_end.fileno())
                limits.prctl(limits.PR_SET_DUMPABLE, 0)
                if workdir != self.fixed_workdir:
                    _set_environ(limits.clean_env(workdir))
                harness_py.run(req["payload"], program, CHANNEL_FD, LINK_FD)
            except BaseException as exc:
                try:
                    os.write(2, f"sandbox: could not start: {exc!r}\n".encode())
                finally:
                    os._exit(127)
        harness_end.close()
        os.close(chan_w)
        spid, joined, namespaces = -1, share is not None, None
        try:
            if theirs is not None:
                theirs.close()
            namespaces = _receive_namespaces(share) if share is not None else None
            if namespaces or not joined:  # never a solution with fewer namespaces
                fds = (out_w, err_w, solution_end.fileno())
                spid = self._start_solution(req, uid, workdir, fds, namespaces)
        except BaseException:
            self._kill(hpid, uid)
            for fd in (out_r, out_w, err_r, err_w, chan_r):
                os.close(fd)
            solution_end.close()
            raise
        finally:
            for fd in namespaces or ():
                os.close(fd)
        solution_end.close()
        for fd in (out_w, err_w):
            os.close(fd)
        try:
            return self._supervise(hpid, uid, out_r, err_r, chan_r, started, timeout)
        finally:
            if spid > 0 and not joined:
                try:
                    os.kill(spid, signal.SIGKILL)  # its pid namespace's init, if it has one
                except ProcessLookupError:
                    pass
                if not self.run_ns:  # else the init took every process of the run with it
                    self._kill(spid, uid)
                try:
                    os.waitpid(spid, 0)
                except ChildProcessError:
                    pass  # the solution zygote's child, or reaped with the harness's orphans

    def start_solution_zygote(self) -> None:
        """Fork, before the first request, the process that forks every Python
        solution's process: a fork of the worker once it holds an item would hand
        the solution that item's tests (its memory, readable by the solution)."""
        import socket

        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid:
            theirs.close()
            self.solution_zygote = ours
            self.solution_zygote_pid = pid
            return
        try:
            ours.close()
            limits.prctl(limits.PR_SET_PDEATHSIG, signal.SIGKILL)
            # Solutions are reaped as they end: one in its harness's pid namespace is
            # waited for by that namespace's init before the init itself can end.
            _signal.signal(_signal.SIGCHLD, _signal.SIG_IGN)
            keep = {theirs.fileno(), self.pid_ns}
            for fd in range(3, 256):
                if fd not in keep:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._serve_solutions(theirs)
        finally:
            os._exit(0)

    def _serve_solutions(self, channel: Any) -> None:
        import socket

        fd = channel.fileno()
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(channel, 1, 6)
            except OSError:
                return
            if len(fds) not in (3, 6):
                return
            request = receive(fd)
            if request is None:
                return
            passed = (fds[0], fds[1], fds[2])
            namespaces = fds[3:] or None
            try:
                pid = self._fork_solution(
                    request, request["uid"], request["workdir"], passed, namespaces
                )
            except OSError as exc:
                pid = -1  # the solution could not be started: the harness sees it gone
                try:
                    os.write(passed[1], f"sandbox: could not start the solution: {exc}\n".encode())
                except OSError:
                    pass
            for each in fds:
                os.close(each)
            self._close_status_pipes()
            send(fd, {"pid": pid})
            _reap_orphans()

    def _start_solution(
        self,
        req: dict[str, Any],
        uid: int | None,
        workdir: str,
        fds: tuple[int, int, int],
        namespaces: list[int] | None,
    ) -> int:
        """The solution's process, forked by the solution zygote when there is one, in
        `namespaces` (its harness's pid, mount and ipc namespaces) when given."""
        import socket

        zygote = getattr(self, "solution_zygote", None)
        if zygote is None:
            return self._fork_solution(req, uid, workdir, fds, namespaces)
        message: dict[str, Any] = {
            k: req[k] for k in ("timeout", "coverage", "profile") if k in req
        }
        message.update(uid=uid, workdir=workdir, payload={"solution": req["payload"]["solution"]})
        try:
            socket.send_fds(zygote, [b"F"], [*fds, *(namespaces or ())])
            send(zygote.fileno(), message)
            reply = receive(zygote.fileno())
        except OSError:
            reply = None
        if not reply:  # never a fork of this worker instead: it holds the item's tests
            raise RuntimeError("the solution zygote is gone")
        return int(reply["pid"])

    def _fork_solution(
        self,
        req: dict[str, Any],
        uid: int | None,
        workdir: str,
        fds: tuple[int, int, int],
        namespaces: list[int] | None = None,
    ) -> int:
        out_w, err_w, link = fds
        solution = harness_py.load_solution(req["payload"])
        coverage = bool(req.get("coverage"))
        if namespaces:  # its harness's, which its init made
            pid = self._join_run(namespaces, err_w)
        else:
            pid = self._fork_run(workdir, err_w)  # run namespaces of its own, if any
        if pid:
            return pid
        try:  # the solution's process: never returns
            req["payload"] = None  # without a zygote, the tests' code goes from reach at least
            os.dup2(err_w, 2)  # what goes wrong from here is the run's to report
            self._enter_child(req, uid, workdir, out_w, err_w, link)
            if workdir != self.fixed_workdir:
                _set_environ(limits.clean_env(workdir))
            pyrpc.solution_main(CHANNEL_FD, solution, coverage)
        except BaseException as exc:
            try:
                os.write(2, f"sandbox: could not start the solution: {exc!r}\n".encode())
            finally:
                os._exit(127)
        os._exit(127)

    def _enter_child(
        self,
        req: dict[str, Any],
        uid: int | None,
        workdir: str,
        out_w: int,
        err_w: int,
        chan_w: int,
        link: int | None = None,
    ) -> None:
        """`link`, if given, becomes fd 4 (a Python harness's socket to the solution)."""
        os.setsid()
        limits.prctl(limits.PR_SET_PDEATHSIG, signal.SIGKILL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(chan_w, CHANNEL_FD)
        if link is not None:
            os.dup2(link, LINK_FD)
        os.closerange(CHANNEL_FD + 1 + (link is not None), 65536)
        # _signal, not signal: the latter's enum wrapping cost ~0.12 ms per child.
        _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)  # the solution zygote ignores it
        os.chdir(workdir)
        limits.apply_limits(req.get("profile", "native"), float(req["timeout"]))
        if uid is not None:
            for fd in (1, 2, CHANNEL_FD):  # so /dev/fd/N can be reopened (Java does)
                os.fchown(fd, uid, uid)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        elif self.userns_runs:
            limits.enter_user_namespace(limits.RUN_UID)
        if self.is_root and 0 in (*os.getresuid(), *os.getresgid()):
            raise PermissionError("the run would keep uid 0")  # never: a run is not root
        limits.prctl(limits.PR_SET_NO_NEW_PRIVS, 1)
        if self.is_root:  # real root after setuid, or root of a user namespace
            limits.drop_capabilities()
        if self.no_ptrace and not limits.forbid_ptrace():
            raise OSError("seccomp: no filter for this machine")
        if self.no_sockets and not limits.forbid_sockets():
            raise OSError("seccomp: no socket filter for this machine")
        if self.confine:  # its own /proc/<pid> (and /proc/self), no other process's
            read = [*self.confine["read"], f"/proc/{os.getpid()}"]
            limits.confine(read, [*self.confine["write"], workdir], self.landlock_abi)
        # Not dumpable (setuid made a dropped run so already; an exec makes a program
        # dumpable again, but ptrace is refused by seccomp and no other run can see it).
        limits.prctl(limits.PR_SET_DUMPABLE, 0)
        sys.stdin = _STDIN

    def _supervise(
        self,
        pid: int,
        uid: int | None,
        out_r: int,
        err_r: int,
        chan_r: int,
        started: float,
        timeout: float,
    ) -> dict[str, Any]:
        deadline = started + timeout
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        buffers = {out_r: bytearray(), err_r: bytearray(), chan_r: bytearray()}
        printed = 0
        # The channel is not polled at first: a Python child writes to it once per
        # test, and waking for each write cost more than the reads (~0.1 ms per run).
        # It is drained whenever the loop wakes, at least every CHANNEL_DRAIN_MS, and
        # polled from the first time it holds a full pipe's worth. What a killed
        # child wrote stays in the pipe, so the last test it began is still known.
        for fd in (out_r, err_r, pidfd):
            poller.register(fd, select.POLLIN)
        os.set_blocking(chan_r, False)
        chan, chan_polled = buffers[chan_r], False
        open_fds = {out_r, err_r, chan_r}
        exited = timed_out = False
        problem = None
        while open_fds:
            now = time.monotonic()
            if now >= deadline:
                timed_out = not exited
                break
            wait = min(CHANNEL_DRAIN_MS, max(1, int((deadline - now) * 1000)))
            events = poller.poll(wait)
            while chan_r in open_fds:
                try:
                    data = os.read(chan_r, 1 << 16)
                except BlockingIOError:
                    break
                if not data:
                    open_fds.discard(chan_r)
                    if chan_polled:
                        poller.unregister(chan_r)
                elif len(data) == 1 << 16 and not chan_polled:
                    chan_polled = True  # a big writer: wake for its data from now on
                    poller.register(chan_r, select.POLLIN)
                chan += data
                if len(chan) > CHANNEL_CAP:
                    problem = "the result channel exceeded its size limit"
                    break
            for fd, _ in events:
                if fd == chan_r:
                    continue  # drained above
                if fd == pidfd:
                    exited = True
                    poller.unregister(pidfd)
                    self._kill(pid, uid)  # the run is over: stop whatever it left behind
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    poller.unregister(fd)
                    open_fds.discard(fd)
                    continue
                buf = buffers[fd]
                buf += data
                printed += len(data)
                if len(buf) > 2 * OUTPUT_TAIL_BYTES:
                    del buf[:-OUTPUT_TAIL_BYTES]
                if printed > OUTPUT_KILL_BYTES:
                    problem = f"printed more than {OUTPUT_KILL_BYTES >> 20} MB"
            if problem:
                break
        if self._status.get(pid, -1) >= 0 and not (timed_out or problem):
            # The pipes are closed, so the run is ending: its init reports the run's exit
            # status when it has reaped it (killing the init first would lose it).
            left = max(0.0, deadline - time.monotonic())
            ready = select.select([self._status[pid]], [], [], left)
            timed_out = not ready[0]
        self._kill(pid, uid)
        _, status = os.waitpid(pid, 0)
        status = self._run_status(pid, status)
        for fd in (out_r, err_r, chan_r, pidfd):
            os.close(fd)
        _reap_orphans()
        return {
            "records": buffers[chan_r].decode("utf-8", "replace"),
            "stdout": _tail(buffers[out_r]),
            "stderr": _tail(buffers[err_r]),
            "exit": os.waitstatus_to_exitcode(status),
            "timed_out": timed_out,
            "timeout": timeout,
            "problem": problem,
            "duration": time.monotonic() - started,
        }

    def _kill(self, pid: int, uid: int | None) -> None:
        if pid in self._status:  # a run's init: its pid namespace, every process, dies with it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if uid is not None:
            _kill_uid(uid, self.own_pid_ns, pid)


RUN_NAMESPACES = ("pid", "mnt", "ipc")


def _send_namespaces(sock: Any) -> None:
    """In a run's init, once they are set up: its namespaces, for the solution to join."""
    import socket

    fds = [os.open(f"/proc/self/ns/{name}", os.O_RDONLY) for name in RUN_NAMESPACES]
    socket.send_fds(sock, [b"N"], fds)
    for fd in fds:
        os.close(fd)
    sock.close()


def _receive_namespaces(sock: Any) -> list[int] | None:
    """The namespaces a run's init sent, or None when it failed before sending them."""
    import socket

    try:
        _, fds, _, _ = socket.recv_fds(sock, 1, len(RUN_NAMESPACES))
    except OSError:
        fds = []
    finally:
        sock.close()
    if len(fds) == len(RUN_NAMESPACES):
        return list(fds)
    for fd in fds:
        os.close(fd)
    return None


def _fresh_uid() -> int:
    """A random unprivileged uid: no other run, worker or host user shares it."""
    return 1_000_000 + int.from_bytes(os.urandom(4), "little") % 2_000_000_000


def _set_environ(env: dict[str, str]) -> None:
    """Make os.environ exactly `env`. The worker's own environment is already the
    clean one, so usually only HOME and TMPDIR change: os.environ.clear() and
    update() cost ~0.3 ms per child."""
    for key in [k for k in os.environ if k not in env]:
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _tail(buf: bytearray) -> str:
    return bytes(buf[-OUTPUT_TAIL_BYTES:]).decode("utf-8", "replace")


def _kill_uid(uid: int, own_pid_ns: bool, run_pid: int) -> None:
    """Kill every process of a run's uid, including ones that left its session."""
    if own_pid_ns:  # /proc lists only this worker's processes: cheap to scan
        if _last_pid() == run_pid:
            # No process was made in this namespace after the run's own (the worker
            # makes none meanwhile, and the run's pid is taken until it is reaped, so
            # the counter cannot come back to it): the run started nothing to kill.
            return
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                except (FileNotFoundError, ProcessLookupError):
                    pass
        return
    reaper = os.fork()
    if reaper == 0:  # as that uid, kill(-1) reaches exactly that uid's processes
        try:
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(reaper, 0)


def _children() -> list[int]:
    """This process's children (every thread's), from /proc."""
    found: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", "rb") as fh:
                found += [int(pid) for pid in fh.read().split()]
        return found
    except FileNotFoundError:  # a kernel without CONFIG_PROC_CHILDREN: scan every process
        pass
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def _last_pid() -> int | None:
    """The pid namespace's most recently allocated pid."""
    try:
        with open("/proc/sys/kernel/ns_last_pid", "rb") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return None


def _reap_orphans() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _uid_map_is_identity() -> bool:
    """Are we in the init user namespace (real root, not root of a namespace)?"""
    try:
        with open("/proc/self/uid_map", "rb") as fh:
            return fh.read().split() == [b"0", b"0", b"4294967295"]
    except OSError:
        return False


def _private_base() -> str:
    """A fresh 0711 directory for this worker's work dirs (outside bubblewrap): no fixed
    host path that a run could plant something in for later workers."""
    path = f"/tmp/assay-{os.getpid()}-{os.urandom(8).hex()}"
    os.mkdir(path, 0o711)
    os.chmod(path, 0o711)  # whatever the umask
    return path


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _can_mount(path: str) -> bool:
    try:
        limits.mount_tmpfs(path, 1 << 20)
    except OSError:
        return False
    limits.unmount(path)
    return True


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        data = os.read(fd, n)
        if not data:
            return None
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def send(fd: int, message: dict[str, Any]) -> None:
    """Write one length-prefixed JSON message."""
    data = json.dumps(message).encode()
    data = _HEADER.pack(len(data)) + data
    while data:
        data = data[os.write(fd, data) :]


def receive(fd: int) -> dict[str, Any] | None:
    """Read one length-prefixed JSON message; None at end of stream."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0])
    return None if body is None else json.loads(body)


def main(config: dict[str, Any] | None = None) -> None:
    """Serve requests on stdin/stdout until the parent closes the pipe; `config` comes
    from `sandbox.isolation.worker_command` (work dir, roots to keep, dirs to hide)."""
    # Keep the protocol off fds 0/1 so nothing printed by accident corrupts it.
    inp, out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    global _STDIN
    # Made once here (fd 0 is /dev/null, as in every child): building it per child cost ~0.1 ms.
    _STDIN = open(0, closefd=False)  # noqa: SIM115 - lives as long as the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    worker = Worker(config)
    for name in PRELOAD:
        __import__(name)
    gc.freeze()  # keep the warm heap out of the children's collections (fewer copied pages)
    limits.trim_heap()  # ~0.6 MB fewer pages for every fork to map
    worker.start_solution_zygote()  # before any request: it never holds an item's tests
    hello = {"hello": True, "layers": worker.layers, "missing": worker.missing}
    send(out, {**hello, "pid": os.getpid(), "refusal": worker.refusal})
    while (request := receive(inp)) is not None:
        try:
            reply = worker.handle(request)
        except Exception as exc:  # a bug here must not kill the worker silently
            reply = {"worker_error": f"{type(exc).__name__}: {exc}"}
        send(out, reply)
