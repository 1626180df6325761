"""Isolation layers: what wraps a worker, what limits a run, what the machine allows.

A worker (see `sandbox.zygote`) starts inside bubblewrap when it is installed
(read-only view of /, private /tmp, no network, own pid namespace), else inside
`unshare` (no network, own mount and pid namespace), else bare. Each run is a
forked child in its own session with rlimits, a clean environment, no stdin, a
private tmpfs work dir and, when the worker is root, a fresh unprivileged uid.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
WORKER_TMP_BYTES = 1 << 30

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, arg: int) -> None:
    if _libc.prctl(option, arg, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def mount_tmpfs(target: str, size: int) -> None:
    """Mount a size-capped tmpfs; needs CAP_SYS_ADMIN in the worker's mount namespace."""
    opts = f"size={size},mode=0700".encode()
    if _libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, opts) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def unmount(target: str) -> None:
    _libc.umount2(target.encode(), MNT_DETACH)


def clean_env(home: str) -> dict[str, str]:
    """The whole environment a run sees: nothing inherited from the parent."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }


# Per-run resource limits by profile; CPU seconds are added per run from the timeout.
MB = 1 << 20
_BASE = {
    resource.RLIMIT_CORE: 0,
    resource.RLIMIT_FSIZE: 64 * MB,
    resource.RLIMIT_NOFILE: 256,
    resource.RLIMIT_DATA: 1536 * MB,
    resource.RLIMIT_NPROC: 64,
}
PROFILES: dict[str, dict[int, int]] = {
    # Python, C++ and Rust binaries: address space caps memory bombs outright.
    "native": {**_BASE, resource.RLIMIT_AS: 2048 * MB},
    # V8, the JVM and Go reserve large virtual ranges: cap written data instead.
    "managed": {**_BASE, resource.RLIMIT_NPROC: 256, resource.RLIMIT_NOFILE: 1024},
    # Compilers spawn helpers and touch many files.
    "compiler": {
        **_BASE,
        resource.RLIMIT_DATA: 3072 * MB,
        resource.RLIMIT_NPROC: 256,
        resource.RLIMIT_NOFILE: 4096,
        resource.RLIMIT_FSIZE: 256 * MB,
    },
}


def apply_limits(profile: str, cpu_seconds: float) -> None:
    """Lower this process's rlimits (called in the child after fork)."""
    cpu = max(1, int(cpu_seconds) + 1)
    for res, value in {**PROFILES[profile], resource.RLIMIT_CPU: cpu}.items():
        hard = value + 1 if res == resource.RLIMIT_CPU else value
        try:
            resource.setrlimit(res, (value, hard))
        except (ValueError, OSError):
            soft_now, hard_now = resource.getrlimit(res)
            capped = value if hard_now == resource.RLIM_INFINITY else min(value, hard_now)
            resource.setrlimit(res, (capped, capped))


# ------------------------------------------------------------------ launchers


def _bwrap_argv(as_root: bool) -> list[str]:
    argv = [
        "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--size",
        str(WORKER_TMP_BYTES),
        "--tmpfs",
        "/tmp",
        "--chdir",
        "/tmp",
    ]
    if as_root:
        argv += ["--cap-drop", "ALL"]
        for cap in ("SETUID", "SETGID", "CHOWN", "KILL", "DAC_OVERRIDE", "FOWNER", "SYS_ADMIN"):
            argv += ["--cap-add", f"CAP_{cap}"]
    else:
        argv += ["--unshare-user"]
    return argv


def _unshare_argv(as_root: bool) -> list[str]:
    argv = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if not as_root:
        argv.insert(1, "--map-root-user")
        argv.insert(1, "--user")
    return argv


def _works(argv: list[str]) -> tuple[bool, str]:
    try:
        proc = subprocess.run(
            [*argv, "true"], capture_output=True, text=True, timeout=20, env=clean_env("/")
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    if proc.returncode != 0:
        return False, (proc.stderr.strip().splitlines() or ["failed"])[-1]
    return True, ""


@functools.cache
def launcher() -> tuple[str, list[str], str]:
    """(name, argv prefix, detail) of the strongest wrapper that works here."""
    as_root = os.geteuid() == 0
    notes = []
    if shutil.which("bwrap"):
        argv = _bwrap_argv(as_root)
        ok, why = _works(argv)
        if ok:
            return "bwrap", argv, "bubblewrap: read-only /, private /tmp, no network, pid namespace"
        notes.append(f"bwrap is installed but cannot start: {why}")
    else:
        notes.append("bwrap not installed")
    if shutil.which("unshare"):
        argv = _unshare_argv(as_root)
        ok, why = _works(argv)
        if ok:
            return "unshare", argv, "; ".join([*notes, "unshare: no network, pid namespace"])
        notes.append(f"unshare cannot create namespaces: {why}")
    return "none", [], "; ".join(notes)


def worker_command() -> list[str]:
    """The argv that starts one warm worker inside the strongest wrapper."""
    boot = f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); import sandbox.zygote as z; z.main()"
    return [*launcher()[1], sys.executable, "-s", "-c", boot]
