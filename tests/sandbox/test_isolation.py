"""Isolation that never silently degrades: what a run can see, write, keep and leave.

Every check starts Assay afresh in a subprocess, as the user it names: the user running
the tests, and (when that is root) an unprivileged account made with setpriv or runuser.
"Without bubblewrap" is a real failure: ASSAY_BWRAP names a program that cannot start it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534

# Solutions that report what they could reach; the tests say what they must not.
PROBE = """
import ctypes, os, subprocess

def seen(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(64).decode("latin-1")
    except OSError:
        return None

def listed(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None

def wrote(path):
    try:
        with open(path, "w") as fh:
            fh.write("planted")
        return True
    except OSError:
        return False

def uids():
    return [*os.getresuid(), *os.getresgid()]

def ptrace_me():
    return ctypes.CDLL(None, use_errno=True).ptrace(0, 0, 0, 0)  # PTRACE_TRACEME

def ancestors():
    pid, found = os.getppid(), []
    while pid > 1:  # 0 above a pid namespace's init: what is outside is not there
        found.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:  # another process's /proc may be out of sight: its parent too
            break
    return found

def signalled(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def can_socket(family):
    import socket
    try:
        socket.socket(getattr(socket, family), socket.SOCK_STREAM).close()
        return True
    except OSError:
        return False

def leave_daemon(tag):
    subprocess.Popen(["sleep", tag], start_new_session=True)
    return True
"""

RUNNER = """
import json, sys
import sandbox
spec = json.load(sys.stdin)
out = []
for language, solution, tests in spec["runs"]:
    try:
        r = sandbox.run(language, solution, tests, isolation=spec["isolation"], timeout=20)
        out.append({"status": r.status, "reason": r.reason, "tests": [t.to_dict() for t in r.tests], "isolation": r.isolation})
    except sandbox.StrictModeError as exc:
        out.append({"refused": str(exc)})
print(json.dumps(out))
"""


def _python_for(uid: int) -> str | None:
    """A Python of our version that `uid` can run with our packages, else None."""
    if uid == os.geteuid():
        return sys.executable
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if not Path(candidate).exists():
            continue
        # the interpreter's real file too: bubblewrap binds it, as the user
        code = "import os, sys, sandbox, core.cli; os.stat(os.path.realpath(sys.executable))"
        probe = _as(uid, [candidate, "-c", code], env=_env(None), cwd="/")
        if probe.returncode == 0:
            return candidate
    return None


def _prefix(uid: int) -> list[str]:
    if uid == os.geteuid():
        return []
    if setpriv := shutil.which("setpriv"):  # absolute: a test's PATH may leave it out
        return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", "nobody", "--"]
    pytest.skip("neither setpriv nor runuser is installed: no unprivileged account to test as")


def _env(home: Path | None, **extra: str) -> dict[str, str]:
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home or "/nonexistent"),
        "PYTHONPATH": os.pathsep.join([str(REPO), *site]),
        "ASSAY_CONFIG": str((home or Path("/nonexistent")) / "config.toml"),
        "ASSAY_CURATOR": "tester",
    }
    return {**env, **extra}


def _as(uid: int, argv: list[str], *, env: dict[str, str], cwd: Path | str, stdin: str = ""):
    return subprocess.run(
        [*_prefix(uid), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


USERS = ["self", "nobody"]


@pytest.fixture(params=USERS)
def user(request) -> int:
    """The uid Assay runs as: the test runner's, or (as root) an unprivileged account."""
    if request.param == "self":
        return os.geteuid()
    if os.geteuid() != 0:
        pytest.skip("only root can start Assay as another, unprivileged user")
    _prefix(NOBODY)
    return NOBODY


@pytest.fixture
def place(user: int):
    """A project dir (the cwd, holding the database), a home with ~/.ssh, all owned by
    the user Assay runs as; a world-readable secret outside every toolchain root."""
    base = Path(tempfile.mkdtemp(prefix="assay-isolation-"))  # pytest's tmp is 0700
    project, home = base / "project", base / "home"
    (home / ".ssh").mkdir(parents=True)
    project.mkdir()
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY of the curator")
    (home / ".ssh" / "id_rsa").chmod(0o644)  # readable by anyone on the host
    (project / "notes.txt").write_text("the project's own files")
    for path in (base, project, home, home / ".ssh"):
        if os.geteuid() == 0:
            os.chown(path, user, user)
        path.chmod(0o755)
    places = {"project": project, "home": home, "db": project / "assay.db", "base": base}
    secret_dir = Path("/etc") if os.access("/etc", os.W_OK) else None
    if secret_dir is not None:
        secret = secret_dir / f"assay-test-secret-{uuid.uuid4().hex}"
        secret.write_text("world-readable secret")
        secret.chmod(0o644)
        places["secret"] = secret
    yield places
    if "secret" in places:
        places["secret"].unlink()
    shutil.rmtree(base, ignore_errors=True)


def _run(user: int, place: dict[str, Path], runs: list, isolation: str, **env: str) -> list:
    python = _python_for(user)
    if python is None:
        pytest.skip(f"no Python {sys.version_info[:2]} that uid {user} may run with our packages")
    spec = json.dumps({"runs": runs, "isolation": isolation})
    proc = _as(
        user,
        [python, "-c", RUNNER],
        env=_env(place["home"], ASSAY_DB=str(place["db"]), **env),
        cwd=place["project"],
        stdin=spec,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _statuses(result: dict) -> list[str]:
    assert "refused" not in result, result
    return [t["status"] for t in result["tests"]]


def test_a_run_sees_no_secret_and_writes_nothing_of_the_host(user, place) -> None:
    place["db"].write_text("expected answers")
    venv_site = next(p for p in sys.path if p.endswith("site-packages"))
    tests = [
        f"assert seen({str(place['db'])!r}) is None",
        f"assert listed({str(place['project'])!r}) in (None, [])",
        f"assert seen({str(place['home'] / '.ssh' / 'id_rsa')!r}) is None",
        # only the trusted caches under ~/.cache/assay are there, read-only
        f"assert set(listed({str(place['home'])!r}) or []) <= {{'.cache'}}",
        # a checkout under /tmp is re-made in the run's own /tmp: what counts is the host
        f"assert wrote({str(REPO / 'planted.txt')!r}) in (True, False)",
        # A venv under /tmp or /var/tmp that this worker's Python does not use (the nobody
        # case runs the system Python) is not bound into runs: a write there lands in the
        # run's own private /tmp. What must hold is checked on the host below.
        f"assert wrote({os.path.join(venv_site, 'planted.pth')!r}) in (True, False)"
        if venv_site.startswith(("/tmp/", "/var/tmp/", "/dev/shm/"))
        else f"assert not wrote({os.path.join(venv_site, 'planted.pth')!r})",
        "assert seen('/etc/shadow') is None and seen('/etc/passwd') is None",
        "assert ptrace_me() == -1",
        "assert 0 not in uids()",
    ]
    if "secret" in place:
        tests.append(f"assert seen({str(place['secret'])!r}) is None")
    (result,) = _run(user, place, [("python", PROBE, "\n".join(tests))], "full")
    assert _statuses(result) == ["pass"] * len(tests), result
    assert not (REPO / "planted.txt").exists()
    assert not Path(venv_site, "planted.pth").exists()
    assert "bubblewrap" in result["isolation"] and "run-uid" in result["isolation"]


def test_runs_do_not_share_tmp_shm_or_processes(user, place) -> None:
    tag = str(900000 + uuid.uuid4().int % 99999)  # `sleep <tag>`: findable on the host
    plant = "\n".join(
        f"assert wrote('{d}/assay-marker-{tag}')" for d in ("/tmp", "/var/tmp", "/dev/shm")
    )
    look = "\n".join(
        f"assert seen('{d}/assay-marker-{tag}') is None" for d in ("/tmp", "/var/tmp", "/dev/shm")
    )
    runs = [
        ("python", PROBE, plant + f"\nassert leave_daemon({tag!r})"),
        ("python", PROBE, look),
    ]
    first, second = _run(user, place, runs, "full")
    assert _statuses(first) == ["pass"] * 4, first
    assert _statuses(second) == ["pass"] * 3, second
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not Path(d, f"assay-marker-{tag}").exists()
    assert not _host_processes_with(tag)


def _host_processes_with(tag: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            if tag.encode() in cmdline.split(b"\0"):
                found.append(entry)
    return found


def test_without_bubblewrap_a_run_still_never_is_root_nor_leaves_a_process(user, place) -> None:
    tag = str(800000 + uuid.uuid4().int % 99999)
    runs = [("python", PROBE, f"assert 0 not in uids()\nassert leave_daemon({tag!r})")]
    (refused,) = _run(user, place, runs, "full", ASSAY_BWRAP="/bin/false")
    assert "bubblewrap" in refused["refused"] and "cannot start" in refused["refused"]
    (result,) = _run(user, place, runs, "weak", ASSAY_BWRAP="/bin/false")
    assert "bubblewrap" not in result["isolation"]
    assert _statuses(result) == ["pass", "pass"], result  # as root: a dropped uid, always
    assert not _host_processes_with(tag)


def test_with_neither_bubblewrap_nor_unshare_a_weak_run_reaches_only_its_work_dir(
    user, place, tmp_path
) -> None:
    """No launcher at all (no bubblewrap, no unshare on PATH), runs in the host's
    namespaces: they still read only the toolchains, write only their work dir, signal
    no process outside the run, and leave none behind (Landlock, and the worker kills
    what comes back to it as a subreaper)."""
    tag = str(700000 + uuid.uuid4().int % 99999)
    no_unshare = tmp_path / "bin"  # a PATH without unshare or bwrap
    no_unshare.mkdir()
    no_unshare.chmod(0o755)
    tmp_path.chmod(0o755)
    place["db"].write_text("expected answers")
    outside = [place["home"] / f"planted-{tag}", Path(f"/tmp/assay-planted-{tag}")]
    outside.append(Path(f"/dev/shm/assay-planted-{tag}"))
    tests = [
        f"assert seen({str(place['db'])!r}) is None",
        f"assert listed({str(place['project'])!r}) is None",
        f"assert seen({str(place['home'] / '.ssh' / 'id_rsa')!r}) is None",
        *(f"assert not wrote({str(path)!r})" for path in outside),
        "assert wrote('here.txt') and seen('here.txt') == 'planted'",  # its own work dir
        "assert 0 not in uids()",
        # the worker, Assay, the curator's shell: out of the run's reach, same uid or not
        "assert not [pid for pid in ancestors() if signalled(pid)]",
        # of /proc, its own process only: no other process's command line, nor their list
        "assert seen('/proc/1/cmdline') is None and listed('/proc') is None",
        "assert seen('/proc/self/status') is not None",
        # no network namespace: no socket at all, to the network or to a host server
        "assert not can_socket('AF_INET') and not can_socket('AF_UNIX')",
        f"assert leave_daemon({tag!r})",
    ]
    if "secret" in place:
        tests.append(f"assert seen({str(place['secret'])!r}) is None")
    runs = [("python", PROBE, "\n".join(tests))]
    env = {"ASSAY_BWRAP": "/bin/false", "PATH": str(no_unshare)}
    (refused,) = _run(user, place, runs, "full", **env)
    assert "bubblewrap" in refused["refused"]
    (result,) = _run(user, place, runs, "weak", **env)
    assert "network-namespace" not in result["isolation"]  # really no launcher
    assert _statuses(result) == ["pass"] * len(tests), result
    assert {"confined-fs", "no-sockets"} <= set(result["isolation"]), result["isolation"]
    for path in outside:
        assert not path.exists(), path
    assert not _host_processes_with(tag)


def _cli(user: int, place: dict[str, Path], *args: str, **env: str):
    python = _python_for(user)
    if python is None:
        pytest.skip(f"no Python {sys.version_info[:2]} that uid {user} may run with our packages")
    argv = [python, "-c", "from core.cli import main; main()", *args]
    return _as(
        user, argv, env=_env(place["home"], ASSAY_DB=str(place["db"]), **env), cwd=place["project"]
    )


def test_check_refuses_without_full_isolation_in_one_sentence(user, place) -> None:
    items = place["base"] / "items.jsonl"
    record = {
        "query_id": "iso-1",
        "query_text": "Write a Python function `add(a, b)` that returns the sum of a and b.",
        "reference_answer": "def add(a, b):\n    return a + b\n",
        "assertions": "assert add(1, 2) == 3\nassert add(2, 2) == 4\n",
        "metadata": {"language": "Python", "function_name": "add"},
    }
    items.write_text(json.dumps(record) + "\n")
    items.chmod(0o644)
    assert _cli(user, place, "import", str(items)).returncode == 0
    for flags in ([], ["--strict"]):  # --strict: the old spelling of the default
        refused = _cli(user, place, "check", *flags, ASSAY_BWRAP="/bin/false")
        assert refused.returncode != 0
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, refused.stderr
        assert "bubblewrap" in lines[0] and "--isolation weak" in lines[0]
        assert lines[0].count(". ") == 0 and "Traceback" not in refused.stderr
    weak = _cli(user, place, "check", "--json", "--isolation", "weak", ASSAY_BWRAP="/bin/false")
    assert weak.returncode == 0, weak.stderr
    assert json.loads(weak.stdout.splitlines()[-1])["status"] in ("pass", "error")
    full = _cli(user, place, "check", "--all", "--json")
    assert full.returncode == 0, full.stderr
    assert json.loads(full.stdout.splitlines()[-1])["status"] == "pass"


def test_doctor_says_which_layers_hold_and_why_not(user, place) -> None:
    report = json.loads(_cli(user, place, "doctor", "--json").stdout)
    assert report["isolation"] == "full", report["problem"]
    assert all(report["layers"][k]["available"] for k in ("bubblewrap", "minimal-fs", "run-uid"))
    weak = json.loads(_cli(user, place, "doctor", "--json", ASSAY_BWRAP="/bin/false").stdout)
    assert weak["isolation"] == "weak" and "cannot start" in weak["problem"]
    assert not weak["layers"]["bubblewrap"]["available"]
    assert "ASSAY_BWRAP" in weak["layers"]["bubblewrap"]["detail"]
    text = _cli(user, place, "doctor", ASSAY_BWRAP="/bin/false").stdout
    assert text.startswith("Isolation: weak (") and "NO   bubblewrap" in text


@pytest.mark.asyncio
@pytest.mark.parametrize("level", ["full", "weak"])
async def test_the_app_shows_a_red_banner_while_checks_run_weak(level, tmp_path, monkeypatch):
    from core.store import Store
    from sandbox.isolation import LEVEL_ENV
    from tui.app import AssayApp

    monkeypatch.setenv(LEVEL_ENV, level)
    Store(tmp_path / "assay.db").close()
    app = AssayApp(tmp_path / "assay.db", curator="tester")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        banner = app.query_one("#isolation-banner")
        assert banner.display is (level == "weak")
        assert "WEAK ISOLATION" in str(banner.render())


# A Go solution reporting whether it can read a file under /proc (its own memory map):
# the harness denies it with Landlock where the kernel has it.
PROC_READER = """package main

import "os"

func ProcReadable() bool {
	_, err := os.ReadFile("/proc/self/maps")
	return err == nil
}
"""
PROC_DENIED = 'if ProcReadable() { panic("/proc is readable") }'
# Installed before anything of Assay starts: Landlock's calls fail as on a kernel (or in
# a container whose seccomp profile) without it; bubblewrap and every run inherit that.
WITHOUT_LANDLOCK = (
    "from sandbox import limits; limits.prctl(limits.PR_SET_NO_NEW_PRIVS, 1); "
    "assert limits.refuse_syscalls({m: limits.LANDLOCK_CALLS for m in ('x86_64', 'aarch64')}, 38)\n"
)


# The Go library the other tests build once (a fresh home would rebuild it: minutes).
SHARED_CACHE = os.environ.get("ASSAY_CACHE_DIR") or str(Path.home() / ".cache" / "assay")


def _assay_without_landlock(place: dict[str, Path], code: str, stdin: str = ""):
    return _as(
        os.geteuid(),
        [sys.executable, "-c", WITHOUT_LANDLOCK + code],
        env=_env(place["home"], ASSAY_DB=str(place["db"]), ASSAY_CACHE_DIR=SHARED_CACHE),
        cwd=place["project"],
        stdin=stdin,
    )


@pytest.mark.parametrize("user", ["self"], indirect=True)
def test_go_and_rust_runs_without_landlock_say_so_in_doctor_and_the_run(user, place) -> None:
    from sandbox import limits

    runs = [("go", PROC_READER, PROC_DENIED), ("python", "x = 1\n", "assert x == 1\n")]
    spec = json.dumps({"runs": runs, "isolation": "full"})
    if limits.landlock_abi()[0]:  # this kernel has it: the Go run is denied /proc
        go, python = _run(user, place, runs, "full", ASSAY_CACHE_DIR=SHARED_CACHE)
        assert _statuses(go) == ["pass"], go
        assert "landlock" in go["isolation"] and "landlock-unavailable" not in go["isolation"]
        assert "landlock" in _cli(user, place, "doctor").stdout
    proc = _assay_without_landlock(place, RUNNER, spec)
    assert proc.returncode == 0, proc.stderr[-3000:]
    go, python = json.loads(proc.stdout.strip().splitlines()[-1])
    assert _statuses(go) == ["fail"], go  # nothing denies it /proc now: weaker, and said so
    assert "landlock-unavailable" in go["isolation"] and "landlock" not in go["isolation"]
    assert _statuses(python) == ["pass"]  # Python runs never used it: nothing to name
    assert not {"landlock", "landlock-unavailable"} & set(python["isolation"])
    doctor = _assay_without_landlock(
        place, "import sys; sys.argv = ['assay', 'doctor']; from core.cli import main; main()"
    )
    assert doctor.returncode == 0, doctor.stderr[-3000:]
    text = doctor.stdout
    assert text.startswith("Isolation: full, but weaker: Go and Rust runs go without Landlock")
    row = next(line.split() for line in text.splitlines() if line.split()[1:2] == ["landlock"])
    assert row[0] == "NO" and "kernel has no Landlock" in " ".join(row)
    assert "forge" in row
