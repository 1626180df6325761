"""False rejects of the static quality checks on human-written corpora (bar: <= 0.5% per file).

    .venv/bin/python benchmarks/quality_corpora.py [--show] [name ...]

For every file of ../shared/corpora (HumanEval-X, MBXP): items, canonical items (those with
a reference solution), and the canonical items `recommend` sends to reject for a reason
other than a failing run: `check_item`'s flags with the sandbox status taken as `pass`. The
sandbox is NOT run: an item whose reference fails its tests is rejected by the run in
`assay check`, and is counted here only if a static flag rejects it too. `--show` lists each
rejected item with its reasons (the flags are the figure's evidence: read them).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core import formats  # noqa: E402
from core.quality import check_item, recommend  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
BAR = 0.005


def main(argv: list[str]) -> int:
    show = "--show" in argv
    only = [a for a in argv if not a.startswith("--")]
    files = sorted(CORPORA.glob("*/*.jsonl"))
    if only:
        files = [f for f in files if any(o in f.name for o in only)]
    print(f"{'file':34} {'items':>6} {'canon':>6} {'reject':>6} {'share':>7}  bar 0.5%  reasons")
    worst = 0.0
    for path in files:
        parsed = formats.parse_file(path)
        items = canonical = rejected = 0
        reasons: Counter[str] = Counter()
        shown = []
        for line in parsed.records:
            record = line.record
            items += 1
            if not (record.get("reference_answer") or "").strip():
                continue
            canonical += 1
            flags = check_item(record)
            if recommend("pass", flags) != "reject":
                continue
            rejected += 1
            codes = sorted({f.code for f in flags if f.severity == "reject"})
            reasons.update(codes)
            shown.append((record.get("query_id"), [f for f in flags if f.severity == "reject"]))
        share = rejected / canonical if canonical else 0.0
        worst = max(worst, share)
        verdict = "ok" if share <= BAR else "OVER"
        print(
            f"{path.name:34} {items:6} {canonical:6} {rejected:6} {share:7.2%}  {verdict:8}  "
            + ", ".join(f"{c} {n}" for c, n in reasons.most_common())
        )
        if show:
            for query_id, flags in shown:
                for flag in flags:
                    print(f"    {query_id}: {flag.code}: {flag.message[:150]}")
    print(f"worst file: {worst:.2%} (bar {BAR:.1%}); the sandbox was not run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
