"""JS/TS agreement with the authors' plain rule on HumanEval-X JS and MBXP JS/TS.

    ASSAY_NODE_MODULES=/path/to/node_modules .venv/bin/python benchmarks/_js_agreement.py [mbtsp ...]

Plain rule: node runs prompt + canonical_solution + test; pass iff exit 0 (and, for
HumanEval-X, no "Assertion failed" printed). Wrong solutions: the body is `return null;`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sandbox  # noqa: E402
from sandbox.languages.javascript import node_binary  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FILES = [
    "humaneval-x/humaneval_js.jsonl",
    "mbxp/mbjsp_release_v1.2.jsonl",
    "mbxp/mbtsp_release_v1.2.jsonl",
]


def plain(language: str, program: str, humaneval_x: bool) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        modules = os.environ.get("ASSAY_NODE_MODULES")
        if modules:
            os.symlink(modules, Path(tmp) / "node_modules")
        name = Path(tmp) / ("main.ts" if language == "typescript" else "main.js")
        name.write_text(program)
        argv = [node_binary(), "--disable-warning=ExperimentalWarning"]
        argv += ["--experimental-transform-types"] if language == "typescript" else []
        try:
            proc = subprocess.run(
                [*argv, str(name)], capture_output=True, text=True, timeout=20, cwd=tmp
            )
        except subprocess.TimeoutExpired:
            return False
    return proc.returncode == 0 and not (
        humaneval_x and "Assertion failed" in proc.stdout + proc.stderr
    )


def main() -> None:
    for file in [f for f in FILES if any(a in f for a in sys.argv[1:])] or FILES:
        rows = [json.loads(line) for line in open(CORPORA / file)]
        rows = [r for r in rows if r.get("canonical_solution") is not None]
        hx = file.startswith("humaneval-x")
        lang = "javascript" if hx or "mbjsp" in file else "typescript"
        right = [r["prompt"] + r["canonical_solution"] for r in rows]
        wrong = [r["prompt"] + "\n  return null;\n}\n" for r in rows]
        reqs = [
            sandbox.RunRequest(lang, s, r["test"], timeout=20)
            for s, r in zip(right + wrong, rows + rows, strict=True)
        ]
        ours = dict(sandbox.run_many(reqs))
        with ThreadPoolExecutor(2) as pool:
            plains = list(
                pool.map(
                    lambda p, lang=lang, hx=hx: plain(lang, p[0] + "\n" + p[1]["test"], hx),
                    zip(right, rows, strict=True),
                )
            )
        n = len(rows)
        statuses = Counter(ours[i].status for i in range(n))
        counted = [i for i in range(n) if ours[i].status != "unsupported"]
        agree = sum((ours[i].status == "pass") == plains[i] for i in counted)
        false_pass = sum(ours[n + i].status == "pass" for i in range(n))
        print(
            f"{file}: {n} items {dict(statuses)}; agreement {agree}/{len(counted)} "
            f"(unsupported apart); false passes with wrong solutions {false_pass}/{n}"
        )
        for i in counted:
            if (ours[i].status == "pass") != plains[i]:
                r = ours[i]
                print(
                    "  disagree",
                    rows[i]["task_id"],
                    r.status,
                    r.reason,
                    [(t.status, t.message[:80]) for t in r.tests if t.status != "pass"][:2],
                )


if __name__ == "__main__":
    main()
