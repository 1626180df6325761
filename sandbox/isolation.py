"""Isolation layers: what wraps a worker, what limits a run, what the machine allows.

A worker (see `sandbox.zygote`) starts inside bubblewrap when it is installed
(read-only view of /, private /tmp, no network, own pid namespace), else inside
`unshare` (no network, own mount and pid namespace), else bare. Each run is a
forked child in its own session with rlimits, a clean environment, no stdin, a
private tmpfs work dir and, when the worker is root, a fresh unprivileged uid.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sandbox.limits import clean_env

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
WORKER_TMP_BYTES = 1 << 30


_LAUNCHER_LAYERS = {
    "bwrap": ["network-namespace", "readonly-fs", "bubblewrap"],
    "unshare": ["network-namespace"],
    "none": [],
}


def layers_in_force(worker_layers: list[str]) -> list[str]:
    """The layers a run had: those the worker applied plus those of its launcher."""
    return [*worker_layers, *_LAUNCHER_LAYERS[launcher()[0]]]


# ------------------------------------------------------------------ launchers


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


_ROOT_PROVIDERS: list[Callable[[], list[str]]] = []


def add_roots(provider: Callable[[], list[str]]) -> None:
    """Register directories runs must read; the language registry registers its own.
    (Registration, not an import: the registry builds on this module.)"""
    _ROOT_PROVIDERS.append(provider)


def _tool_roots() -> list[str]:
    """Directories runs must read: Python, this package, site-packages, toolchains."""
    roots = [sys.base_prefix, sys.prefix, PACKAGE_ROOT, *site.getsitepackages()]
    rustc = shutil.which("rustc")
    if rustc:
        try:
            sysroot = subprocess.run(
                [rustc, "--print", "sysroot"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            sysroot = ""
        if sysroot:
            roots.append(sysroot)
    node_modules = os.environ.get("ASSAY_NODE_MODULES", "").strip()  # see languages/javascript
    if node_modules and Path(node_modules).is_dir():
        roots.append(node_modules)
    for tool in ("go", "java", "javac", "g++"):
        path = shutil.which(tool)
        if path:
            roots.append(str(Path(path).resolve().parent.parent))
    for provider in _ROOT_PROVIDERS:  # the language registry's (toolchains, trusted caches)
        roots += provider()
    return [str(Path(r).resolve()) for r in roots]


def _unmask_argv() -> list[str]:
    """Hide private home dirs (their secrets too) but keep the tools inside readable
    for the unprivileged uids that runs use."""
    masked: dict[str, list[str]] = {}
    for root in _tool_roots():
        ancestor = _private_ancestor(root)
        if ancestor:
            masked.setdefault(ancestor, []).append(root)
    argv: list[str] = []
    for ancestor, roots in sorted(masked.items()):
        argv += ["--perms", "0755", "--tmpfs", ancestor]
        argv += _rebind_argv(ancestor, roots)
    return argv


def _rebind_argv(ancestor: str, roots: list[str]) -> list[str]:
    """Bind `roots` read-only again below `ancestor`, which a tmpfs has just hidden."""
    argv: list[str] = []
    made: set[str] = set()
    for root in sorted(set(roots)):
        # bwrap would create the dirs between as 0700: make them enterable.
        for parent in reversed(Path(root).relative_to(ancestor).parents[:-1]):
            path = str(Path(ancestor) / parent)
            if path not in made:
                made.add(path)
                argv += ["--perms", "0755", "--dir", path]
        argv += ["--ro-bind", root, root]
    return argv


def _under_tmp() -> list[str]:
    """Tool roots below /tmp (a checkout or venv there), hidden by the private /tmp."""
    return [r for r in _tool_roots() if r.startswith("/tmp/")]


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
    argv += _rebind_argv("/tmp", _under_tmp())
    if as_root:
        argv += _unmask_argv()
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
    # -S: no site machinery in the worker (a lighter heap forks faster); the
    # package and site-packages go on sys.path by hand so items can import them.
    paths = [PACKAGE_ROOT, *site.getsitepackages()]
    boot = f"import sys; sys.path[1:1] = {paths!r}; import sandbox.zygote as z; z.main()"
    return [*launcher()[1], sys.executable, "-S", "-c", boot]
