"""Per-run limits applied inside a worker's forked child (kept import-light: the
worker forks once per run, and every imported module makes a fork slower)."""

from __future__ import annotations

import ctypes
import os
import resource

OUTPUT_TAIL_BYTES = 8192  # stdout/stderr kept per run (the tail)

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
# Resolved once in the worker: looking a symbol up in each forked child cost ~0.15 ms.
_prctl = _libc.prctl


def prctl(option: int, arg: int) -> None:
    if _prctl(option, arg, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def mount_tmpfs(target: str, size: int) -> None:
    """Mount a size-capped tmpfs; needs CAP_SYS_ADMIN in the worker's mount namespace."""
    opts = f"size={size},mode=0700".encode()
    if _libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, opts) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def unmount(target: str) -> None:
    _libc.umount2(target.encode(), MNT_DETACH)


def trim_heap() -> None:
    """Give free malloc memory back to the system (glibc only; elsewhere a no-op)."""
    try:
        _libc.malloc_trim(0)
    except AttributeError:
        pass


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
