"""Quality-check bars: check 1,000 items in <= 5 s; near-duplicates in 100,000 problems in <= 60 s.

Usage: .venv/bin/python benchmarks/quality.py [--problems 100000] [--items 1000] [--workers 2]

Items are generated here (random words and small solutions, with planted near-duplicates),
so the figures do not depend on any data set. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.quality import (  # noqa: E402
    DuplicateIndex,
    check_dataset,
    check_item,
    compute_metrics,
    recommend,
)

WORDS = (
    "array string graph tree node edge path sum product prefix suffix window interval merge "
    "sort search count distinct unique pair triple matrix row column rotate reverse balance "
    "bracket digit prime factor divisor gcd lcm token parse date time queue stack heap cache "
    "key value map filter reduce group partition chunk flatten depth breadth cycle island grid "
    "cost minimum maximum longest shortest subsequence substring palindrome anagram vowel word"
).split()
VERBS = "returns computes finds counts checks builds splits merges removes sorts".split()


def statement(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(14, 30))]
    return f"{rng.choice(VERBS)} the " + " ".join(words)


LINES = (
    "    {v} = [x * {n} for x in xs if x % {m}]",
    "    {v} = sum(x for x in xs if x > {n})",
    "    {v} = {{}}\n    for x in xs:\n        {v}[x % {m}] = {v}.get(x % {m}, 0) + {n}",
    "    {v} = max(xs, default={n}) - min(xs, default={m})",
    "    {v} = sorted(set(xs), reverse={flag})[:{n}]",
    "    {v} = [a + b for a, b in zip(xs, xs[{n}:])]",
    "    while len(xs) > {n} and xs[-1] % {m} == 0:\n        xs = xs[:-1]",
    "    {v} = any(x == {n} for x in xs) or all(x < {m} for x in xs)",
    "    {v} = len([x for x in xs if str(x).startswith('{n}')])",
    "    for i in range({n}):\n        if i % {m} == 0:\n            xs = xs[1:] + xs[:1]",
)


def python_body(rng: random.Random) -> str:
    """A small solution made of random steps, so generated solutions differ as real ones do."""
    lines = ["    out = []"]
    for _ in range(rng.randint(3, 7)):
        var = rng.choice(WORDS) + "_" + rng.choice(WORDS)
        lines.append(
            rng.choice(LINES).format(
                v=var, n=rng.randint(1, 99), m=rng.randint(2, 9), flag=rng.random() < 0.5
            )
        )
        lines.append(f"    out.append({var})")
    return "\n".join(lines) + "\n"


def python_item(i: int, rng: random.Random) -> dict:
    name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}"
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    code = f"def {name}(xs, k={a}):\n" + python_body(rng) + f"    return sorted(out)[:k + {b}]\n"
    tests = "\n".join(f"assert isinstance({name}([{j}, {a}, {b}]), list)" for j in range(4))
    return {
        "query_id": f"bench-{i}",
        "query_text": f"Write a Python function named `{name}` that {statement(rng)}. "
        f"Language: Python. Function name: {name}",
        "reference_answer": code,
        "assertions": tests,
        "metadata": {
            "language": "Python",
            "function_name": name,
            "difficulty": rng.choice(["medium", "advanced", "very_advanced"]),
            "category": "algorithms",
            "complexity": round(rng.random(), 2),
        },
    }


def typescript_item(i: int, rng: random.Random) -> dict:
    item = python_item(i, rng)
    name = item["metadata"]["function_name"].replace("_", "")
    item["query_text"] = (
        item["query_text"]
        .replace("Python", "TypeScript")
        .replace(item["metadata"]["function_name"], name)
    )
    item["reference_answer"] = (
        f"function {name}(xs: number[], k: number = 3): number[] {{\n  const out: number[] = [];\n"
        "  xs.forEach((x, i) => {\n    if (x % 2 === 0 && i < k) out.push(x * 3);\n"
        "    else if (x > 5) out.push(x - k);\n  });\n  return out.sort((a, b) => a - b);\n}\n"
    )
    item["assertions"] = "\n".join(
        f"if ({name}([{j}, 4, 8]).length > 3) throw new Error('Failed');" for j in range(4)
    )
    item["metadata"].update(language="TypeScript", function_name=name)
    return item


def bench_check(n: int) -> tuple[float, dict]:
    rng = random.Random(1)
    items = [(python_item if i % 2 else typescript_item)(i, rng) for i in range(n)]
    start = time.perf_counter()
    cross = check_dataset(items)  # templates, duplicates, HumanEval contamination
    verdicts = {}
    for item in items:
        flags = check_item(item) + cross[item["query_id"]]
        meta = item["metadata"]
        compute_metrics(meta["language"], item["reference_answer"], item["assertions"])
        verdicts[item["query_id"]] = recommend("pass", flags)
    return time.perf_counter() - start, verdicts


def _signatures(chunk: list[tuple[str, str, str]]) -> list[tuple[str, bytes]]:
    index = DuplicateIndex()
    return [(key, index.signature(text, code).to_bytes()) for key, text, code in chunk]


def bench_near_duplicates(n: int, workers: int) -> tuple[float, int, int, int]:
    rng = random.Random(2)
    problems, planted = [], set()
    for i in range(n):
        if i > 10 and rng.random() < 0.01:  # a lightly edited copy of an earlier problem
            j = rng.randrange(i)
            words = problems[j][1].split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            problems.append((f"p{i}", " ".join(words), problems[j][2]))
            planted.add(f"p{i}")
        else:
            item = python_item(i, rng)
            problems.append((f"p{i}", item["query_text"], item["reference_answer"]))
    start = time.perf_counter()
    chunks = [problems[k : k + 2000] for k in range(0, n, 2000)]
    index = DuplicateIndex()
    flagged = set()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for batch in pool.map(_signatures, chunks):
            for key, blob in batch:
                if index.add_signature(key, blob):
                    flagged.add(key)
    clusters = index.clusters()
    elapsed = time.perf_counter() - start
    return elapsed, len(clusters), len(planted & flagged), len(planted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    check_seconds, verdicts = bench_check(args.items)
    dedup_seconds, n_clusters, found, planted = bench_near_duplicates(args.problems, args.workers)
    rows = [
        (f"check {args.items:,} items (flags, metrics, dedup, HumanEval)", check_seconds, 5.0),
        (
            f"near-duplicates in {args.problems:,} problems ({args.workers} workers)",
            dedup_seconds,
            60.0,
        ),
    ]
    print(f"{'measure':<62} {'figure':>9} {'bar':>7}  ok")
    for label, seconds, bar in rows:
        print(f"{label:<62} {seconds:>8.2f}s {bar:>6.0f}s  {'yes' if seconds <= bar else 'NO'}")
    print(
        f"\nnear-duplicates: {n_clusters:,} clusters; planted copies found {found:,} of {planted:,}"
    )
    counts = {v: list(verdicts.values()).count(v) for v in ("accept", "review", "reject")}
    print(f"check verdicts on generated items (status taken as pass): {counts}")


if __name__ == "__main__":
    main()
