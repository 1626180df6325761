"""Import and export of 100,000 items: prints each time next to its bar (README.md, Benchmarks)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.exporting import ExportFilters, export_items  # noqa: E402
from core.importing import import_file  # noqa: E402
from core.store import Store  # noqa: E402

N = 100_000
IMPORT_BAR, EXPORT_BAR = 15.0, 5.0
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


def main() -> int:
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
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
