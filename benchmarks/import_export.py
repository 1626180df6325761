"""Import and export of 100,000 items, and the import of 1,000,000 against sqlite-utils:
prints each figure next to its bar (README.md, Benchmarks; issue 13 point 8).

The 1,000,000-item bar is a same-run ratio of CPU time (this process: Python and SQLite's
work, which a loaded machine does not inflate the way it does wall time): `assay import` of
the file, every validation included, against sqlite-utils' `insert_all` of the same rows
(each JSON line as a row) into a fresh database. `--ratio-items N` runs it at another size.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.exporting import ExportFilters, export_items  # noqa: E402
from core.importing import import_file  # noqa: E402
from core.store import Store  # noqa: E402

N = 100_000
IMPORT_BAR, EXPORT_BAR = 15.0, 5.0
RATIO_ITEMS, RATIO_BAR = 1_000_000, 10.0
LANGUAGES = ["Python", "TypeScript", "Go", "Rust", "JavaScript"]


def write_items(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            name = f"solve_case_{i}"
            record = {
                "query_id": f"bench-{i:06d}",
                "query_text": f"Write a Python function named `{name}` that returns the {i % 97}th "
                "power of two minus its input, handling negative numbers. Language: Python. "
                f"Function name: {name}",
                "reference_answer": f"def {name}(x: int) -> int:\n"
                + "".join(f"    y{j} = x * {j}\n" for j in range(8))
                + f"    return 2 ** {i % 97} - x\n",
                "assertions": "\n".join(
                    f"assert {name}({k}) == {2 ** (i % 97) - k}" for k in range(8)
                ),
                "metadata": {
                    "language": LANGUAGES[i % len(LANGUAGES)],
                    "function_name": name,
                    "difficulty": ["medium", "advanced", "very_advanced"][i % 3],
                    "category": "math",
                    "complexity": round((i % 10) / 10, 1),
                },
            }
            handle.write(json.dumps(record) + "\n")


def import_ratio(tmp_path: Path, n: int) -> tuple[float, float, float, float]:
    """(our CPU s, sqlite-utils CPU s, our wall s, sqlite-utils wall s) for n items."""
    source = tmp_path / "ratio.jsonl"
    write_items(source, n)
    cpu, wall = time.process_time(), time.perf_counter()
    baseline = sqlite_utils.Database(tmp_path / "sqlite-utils.db")
    with open(source, encoding="utf-8") as handle:
        baseline["items"].insert_all((json.loads(line) for line in handle), batch_size=1000)
    baseline.close()
    theirs_cpu, theirs_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    with Store(tmp_path / "ratio.db") as store:
        report = import_file(store, source, author="bench")
    ours_cpu, ours_wall = time.process_time() - cpu, time.perf_counter() - wall
    assert report.imported == n, report.to_dict()
    return ours_cpu, theirs_cpu, ours_wall, theirs_wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratio-items", type=int, default=RATIO_ITEMS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        source = tmp_path / "items.jsonl"
        write_items(source, N)
        size_mb = source.stat().st_size / 1e6
        with Store(tmp_path / "bench.db") as store:
            start = time.perf_counter()
            report = import_file(store, source, author="bench")
            import_s = time.perf_counter() - start
            assert report.imported == N, report.to_dict()
            start = time.perf_counter()
            manifest = export_items(store, tmp_path / "out.jsonl", filters=ExportFilters("all"))
            export_s = time.perf_counter() - start
            assert manifest["count"] == N
            start = time.perf_counter()
            again = import_file(store, source, author="bench")
            reimport_s = time.perf_counter() - start
            assert again.unchanged == N
        source.unlink()
        ours_cpu, theirs_cpu, ours_wall, theirs_wall = import_ratio(tmp_path, args.ratio_items)
    rows = [
        ("import 100,000 items", import_s, IMPORT_BAR),
        ("export 100,000 items", export_s, EXPORT_BAR),
        ("re-import (all unchanged)", reimport_s, IMPORT_BAR),
    ]
    print(f"input file: {size_mb:.0f} MB")
    print(f"{'measure':<28}{'seconds':>10}{'bar':>8}  verdict")
    ok = True
    for name, seconds, bar in rows:
        verdict = "ok" if seconds <= bar else "OVER BAR"
        ok &= seconds <= bar
        print(f"{name:<28}{seconds:>10.2f}{bar:>8.1f}  {verdict}")
    ratio = ours_cpu / theirs_cpu
    verdict = "ok" if ratio <= RATIO_BAR else "OVER BAR"
    ok &= ratio <= RATIO_BAR
    print(
        f"\nimport of {args.ratio_items:,} items against sqlite-utils insert_all, same rows, same run"
    )
    print(f"{'measure':<28}{'assay':>10}{'s-utils':>10}{'ratio':>8}{'bar':>6}  verdict")
    print(
        f"{'CPU seconds':<28}{ours_cpu:>10.1f}{theirs_cpu:>10.1f}{ratio:>8.2f}{RATIO_BAR:>6.0f}  "
        f"{verdict}"
    )
    print(
        f"{'wall seconds (load-bound)':<28}{ours_wall:>10.1f}{theirs_wall:>10.1f}"
        f"{ours_wall / theirs_wall:>8.2f}{'':>6}  (for reference)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
