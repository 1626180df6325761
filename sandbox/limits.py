"""Per-run limits applied inside a worker's forked child (kept import-light: the
worker forks once per run, and every imported module makes a fork slower)."""

from __future__ import annotations

import ctypes
import os
import resource
import stat

OUTPUT_TAIL_BYTES = 8192  # stdout/stderr kept per run (the tail)
# Mounted afresh for each run (a tmpfs each), so no run sees another's files there.
RUN_PRIVATE = ("/tmp", "/var/tmp", "/dev/shm")
RUN_PRIVATE_BYTES = 256 << 20
RUN_UID = 1000  # a run's uid inside its own user namespace (normal users)

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
# Resolved once in the worker: looking a symbol up in each forked child cost ~0.15 ms.
_prctl = _libc.prctl


def prctl(option: int, arg: int) -> None:
    if _prctl(option, arg, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def _check(ret: int, what: str) -> None:
    if ret != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount_tmpfs(target: str, size: int, mode: str = "0700") -> None:
    """Mount a size-capped tmpfs; needs CAP_SYS_ADMIN in the worker's mount namespace."""
    opts = f"size={size},mode={mode}".encode()
    flags = MS_NOSUID | MS_NODEV
    _check(_libc.mount(b"tmpfs", target.encode(), b"tmpfs", flags, opts), f"tmpfs on {target}")


# ------------------------------------------------- namespaces of one run (see zygote)

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(fd, nstype), "setns")


def make_mounts_private() -> None:
    """Nothing this mount namespace mounts propagates back to the worker's."""
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")


def bind(source: str, target: str, readonly: bool) -> None:
    _check(_libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None), "bind")
    if readonly:
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        _check(_libc.mount(None, target.encode(), None, flags, None), "read-only bind")


def mount_proc() -> None:
    """A /proc of the caller's pid namespace (it shows this run's processes only)."""
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    _check(_libc.mount(b"proc", b"/proc", b"proc", flags, None), "proc")


def enter_user_namespace(inside_uid: int) -> None:
    """Become `inside_uid` of a user namespace of our own, mapped to our current uid: the
    run keeps no capability over the worker's namespace (so it cannot ptrace or signal
    it, nor mount anything the worker sees)."""
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWUSER)
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{inside_uid} {uid} 1"),
        ("gid_map", f"{inside_uid} {gid} 1"),
    ):
        fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    os.setresgid(inside_uid, inside_uid, inside_uid)
    os.setresuid(inside_uid, inside_uid, inside_uid)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """No capability left in any set (a forked Python run never execs, which would)."""
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


# seccomp: runs may not ptrace, read or write another process's memory, or take its
# file descriptors. (Arch, syscall numbers) per machine; other ABIs are refused whole.
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_PTRACE_CALLS: dict[str, tuple[int, ...]] = {
    # ptrace, process_vm_readv, process_vm_writev, kcmp, pidfd_getfd
    "x86_64": (101, 310, 311, 312, 438),
    "aarch64": (117, 270, 271, 272, 438),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _deny_program(
    calls: dict[str, tuple[int, ...]], errno: int
) -> tuple[_SockFprog, object] | None:
    """A seccomp program failing `calls` (per machine) with `errno`, and every
    non-native syscall ABI with EPERM; None on a machine we have no numbers for."""
    machine = os.uname().machine
    if machine not in _AUDIT_ARCH:
        return None
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, wrong = 0x7FFF0000, 0x00050000 | errno, 0x00050000 | 1  # RET_ERRNO | EPERM
    code: list[tuple[int, int, int]] = [(ld, 0, 4), (jeq, 0, _AUDIT_ARCH[machine]), (ld, 0, 0)]
    if machine == "x86_64":
        code.append((jge, 1, 0x40000000))  # the x32 ABI
    code += [(jeq, 1, nr) for nr in calls[machine]]
    code += [(ret, 0, allow), (ret, 0, deny), (ret, 0, wrong)]
    deny_at = len(code) - 2
    program = (_SockFilter * len(code))()
    for i, (op, jumps_on_match, k) in enumerate(code):
        to_deny = deny_at - i - 1
        if op == jeq and i == 1:  # wrong arch: refused whole
            program[i] = _SockFilter(op, 0, to_deny + 1, k)
        elif op == jge:  # x32: refused whole
            program[i] = _SockFilter(op, to_deny + 1, 0, k)
        elif op == jeq:
            program[i] = _SockFilter(op, to_deny if jumps_on_match else 0, 0, k)
        else:
            program[i] = _SockFilter(op, 0, 0, k)
    return _SockFprog(len(code), program), program


_NO_PTRACE = _deny_program(_PTRACE_CALLS, 1)  # built once in the worker (EPERM)
# Where the worker has no network namespace (weak isolation, no bubblewrap or unshare):
# runs may not make a socket (the network, a host server, a tmux or X socket), nor reach
# one through io_uring. A Python run's link to its solution is a socketpair the worker
# made before; socketpair itself stays allowed.
_SOCKET_CALLS: dict[str, tuple[int, ...]] = {
    # socket, io_uring_setup
    "x86_64": (41, 425),
    "aarch64": (198, 425),
}
_NO_SOCKETS = _deny_program(_SOCKET_CALLS, 13)  # EACCES


def _install(built: tuple[_SockFprog, object] | None) -> bool:
    if built is None:
        return False
    fprog = built[0]
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")
    return True


def forbid_ptrace() -> bool:
    """Install the seccomp filter (needs no_new_privs first); False where unsupported."""
    return _install(_NO_PTRACE)


def forbid_sockets() -> bool:
    """Refuse `socket()` and io_uring to this process and all it starts (after
    no_new_privs); False where unsupported."""
    return _install(_NO_SOCKETS)


def refuse_syscalls(calls: dict[str, tuple[int, ...]], errno: int) -> bool:
    """Make `calls` fail with `errno` in this process and all it starts, as a container's
    seccomp profile does (needs no_new_privs, or root); False where unsupported."""
    return _install(_deny_program(calls, errno))


# Landlock (uapi/linux/landlock.h): the same numbers on every architecture. Go and Rust
# runs use it to deny themselves /proc (see sandbox/languages/go_harness.py, rust.py).
LANDLOCK_CALLS = (444, 445, 446)  # create_ruleset, add_rule, restrict_self
_LANDLOCK_CREATE_RULESET_VERSION = 1


def landlock_abi() -> tuple[int, str]:
    """(Landlock's ABI version, "") where this process may use it, else (0, why not)."""
    version = _libc.syscall(LANDLOCK_CALLS[0], None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    if version >= 1:
        return version, ""
    errno = ctypes.get_errno()
    if errno == 38:  # ENOSYS
        return 0, "the kernel has no Landlock (Linux before 5.13, or a seccomp profile refuses it)"
    if errno == 95:  # EOPNOTSUPP
        return 0, "Landlock is built into the kernel but not enabled (the lsm= boot parameter)"
    return 0, f"Landlock is refused here: {os.strerror(errno)}"


# Landlock rights (uapi/linux/landlock.h), and the ABI that brought each.
_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_LL_TRUNCATE, _LL_IOCTL_DEV = 1 << 14, 1 << 15
_LL_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_LL_READ = _LL_EXECUTE | _LL_READ_FILE | _LL_READ_DIR
_LL_FILE = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | _LL_TRUNCATE | _LL_IOCTL_DEV
_LL_SCOPE_ABSTRACT_UNIX_SOCKET, _LL_SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
_LL_RULE_PATH_BENEATH = 1


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # the kernel's struct landlock_path_beneath_attr is packed (12 bytes)
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_fs_rights(abi: int) -> int:
    """Every filesystem right this ABI version knows."""
    return _LL_FS_BY_ABI[max(v for v in _LL_FS_BY_ABI if v <= abi)]


def confine(read: list[str], write: list[str], abi: int) -> None:
    """Landlock this process and all it starts: it may read and execute only beneath
    `read`, write only beneath `write` (files there: read and write), and, from ABI 6,
    neither signal nor reach through an abstract unix socket a process outside. Needs
    no_new_privs first. Raises OSError when the kernel refuses a step."""
    handled = landlock_fs_rights(abi)
    scoped = _LL_SCOPE_ABSTRACT_UNIX_SOCKET | _LL_SCOPE_SIGNAL if abi >= 6 else 0
    attr = (ctypes.c_uint64 * 3)(handled, 0, scoped)
    size = 24 if abi >= 6 else 8
    ruleset = _libc.syscall(LANDLOCK_CALLS[0], ctypes.byref(attr), size, 0)
    if ruleset < 0:
        _check(-1, "landlock_create_ruleset")
    try:
        for paths, access in ((read, _LL_READ), (write, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # a root that is gone grants nothing
                try:
                    is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                    rule = _PathBeneath(access if is_dir else access & _LL_FILE, fd)
                    ret = _libc.syscall(
                        LANDLOCK_CALLS[1], ruleset, _LL_RULE_PATH_BENEATH, ctypes.byref(rule), 0
                    )
                    _check(0 if ret == 0 else -1, f"landlock_add_rule {path}")
                finally:
                    os.close(fd)
        _check(_libc.syscall(LANDLOCK_CALLS[2], ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


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
