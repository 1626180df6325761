"""Generation throughput: 500 `spec` items against a local server answering in 200 ms.

Bar (README.md, Benchmarks): with concurrency 32, at least 80% of the ideal rate, where the ideal is what
the server's latency alone allows: concurrency / latency calls per second. The sandbox is
replaced by an instant runner so the figure is the pipeline's own overhead (pass --sandbox to
include the real one). Token totals are checked against what the server reported.

    .venv/bin/python benchmarks/generation.py [--n 500] [--concurrency 32] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.generation import JobConfig, run_job  # noqa: E402
from core.store import Store  # noqa: E402
from sandbox.result import RunResult, TestResult  # noqa: E402


def instant_runner(language, solution, tests, *, function_name=None, timeout=10.0):
    return RunResult("pass", tests=[TestResult("assert", "pass")])


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    """The test server in its own process, so it does not share the engine's GIL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.generation.openai_server", "--latency", str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--sandbox", action="store_true", help="run solutions in the real sandbox")
    args = parser.parse_args()

    server, url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = JobConfig(
                n=args.n,
                model="bench-model",
                base_url=url,
                concurrency=args.concurrency,
                languages={"python": 1.0},
            )
            cpu = time.process_time()
            started = time.perf_counter()
            summary = run_job(
                Path(folder) / "bench.db",
                config,
                runner=None if args.sandbox else instant_runner,
            )
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            with Store(Path(folder) / "bench.db") as store:
                latency = store.jobs.call_totals(summary.job_id).mean_latency_ms
    finally:
        server.terminate()
        server.wait()

    calls = summary.calls - summary.cached_calls
    ideal_seconds = calls * args.latency / args.concurrency
    ideal_rate = summary.items / ideal_seconds
    achieved_rate = summary.items / elapsed
    ratio = achieved_rate / ideal_rate
    rows = [
        ("items", f"{summary.items} ({summary.passed} pass)"),
        ("calls (paid)", f"{calls} ({calls / summary.items:.2f} per item)"),
        ("tokens", f"{summary.prompt_tokens} prompt + {summary.completion_tokens} completion"),
        ("measured latency", f"{latency:.0f} ms per call, as the client saw it"),
        ("wall time", f"{elapsed:.2f} s (ideal {ideal_seconds:.2f} s)"),
        ("ideal rate", f"{ideal_rate:.1f} items/s"),
        ("achieved rate", f"{achieved_rate:.1f} items/s"),
        ("achieved / ideal", f"{ratio:.1%} (bar >= 80%) {'PASS' if ratio >= 0.8 else 'FAIL'}"),
        ("overhead per item", f"{(elapsed - ideal_seconds) / summary.items * 1000:.2f} ms wall"),
        ("engine CPU per item", f"{cpu / summary.items * 1000:.2f} ms"),
    ]
    print(
        f"generation: {args.n} spec items, concurrency {args.concurrency}, latency "
        f"{args.latency * 1000:.0f} ms, {'real sandbox' if args.sandbox else 'instant runner'}"
    )
    for name, value in rows:
        print(f"  {name:<20} {value}")
    sys.exit(0 if ratio >= 0.8 else 1)


if __name__ == "__main__":
    main()
