"""Curation app at scale: first paint, next-item latency, filter and search latency.

Builds (once, cached under the temp folder, with the store's bulk insert) a database of
100,000 items with check columns filled in, then drives the real app headless through
Textual's pilot and measures from the key press (or filter call) until the screen has
refreshed. The figures that carry a bar are CPU time of this process (time.process_time),
so they hold on a loaded machine; wall times are printed beside them for reference.

    .venv/bin/python benchmarks/tui.py [--items 100000] [--moves 300]
    .venv/bin/python benchmarks/tui.py --items 1000000 --moves 50   # the 1,000,000 bars

Bars (issue 13, point 8): at 100,000 items next item (j) and next undecided (n) p95 <= 16 ms
of CPU per key; at 1,000,000 items first paint <= 1 s, filter and search <= 200 ms; an item
with a 10,000-line solution shows in <= 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events  # noqa: E402

from core.quality.flags import Flag  # noqa: E402
from core.results import CheckResult, TestCounts  # noqa: E402
from core.store import ItemFilter, NewItem, Store  # noqa: E402
from sandbox.result import RunResult  # noqa: E402
from tui.app import AssayApp  # noqa: E402

WORDS = (
    "array string graph tree palindrome matrix interval heap stack queue prefix suffix "
    "window binary search sort merge partition cache route path cycle subset permutation "
    "window bracket token parse number prime digit sum product range count frequency"
).split()
LANGUAGES = ["Python"] * 4 + ["TypeScript"] * 4 + ["Go", "Rust"]
DIFFICULTIES = ["medium", "advanced", "very_advanced"]
SIZE = (160, 45)


def make_record(n: int, rng: random.Random) -> dict:
    words = rng.sample(WORDS, 6)
    name = f"{words[0]}_{words[1]}_{n}"
    language = rng.choice(LANGUAGES)
    body = "\n".join(
        f"    if x > {rng.randint(0, 99)}:\n        total += x * {rng.randint(1, 9)}"
        for _ in range(rng.randint(2, 8))
    )
    return {
        "query_id": f"bench-{n:06d}",
        "query_text": f"Write a {language} function named `{name}` that finds the "
        f"{words[2]} of a {words[3]} using a {words[4]} {words[5]}.",
        "reference_answer": f"def {name}(xs):\n    total = 0\n    for x in xs:\n{body}\n"
        "    return total\n",
        "assertions": f"assert {name}([1, 2, 3]) >= 0\nassert {name}([]) == 0\n",
        "metadata": {
            "language": language,
            "function_name": name,
            "difficulty": rng.choice(DIFFICULTIES),
            "category": words[0],
        },
    }


def build(path: Path, count: int) -> None:
    rng = random.Random(7)
    started = time.perf_counter()
    with Store(path) as store:
        store.add_items((NewItem(make_record(n, rng)) for n in range(count)), author="bench")
        # Check results as `core.checking` stores them, without running 100k sandboxes.
        results = []
        for item in store.iter_items():
            status = rng.choices(["pass", "fail", "error", None], [70, 15, 5, 10])[0]
            code = rng.choice([None, None, None, "placeholder_solution", "weak_tests"])
            if status is None:
                continue
            passed = 4 if status == "pass" else 2
            results.append(
                (
                    item,
                    CheckResult(
                        item.query_id,
                        item.revision,
                        status,
                        TestCounts(passed, 4 - passed, 4),
                        "accept" if status == "pass" else "reject",
                        [Flag(code, "warn", "synthetic")] if code else [],
                        {"cyclomatic_max": rng.randint(1, 15)},
                        RunResult(status),
                    ),
                )
            )
        store.save_checks(results)
    print(f"built {count:,} items in {time.perf_counter() - started:.1f}s -> {path}")


async def after_refresh(app: AssayApp) -> float:
    """Wait until the screen has been refreshed; the time it happened."""
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.set_result(time.perf_counter()))
    return await done


async def counted(app: AssayApp) -> float:
    """Wait until the queue's count is exact and on screen; the time it was."""
    while not app.queue.exact:
        await asyncio.sleep(0.005)
    return await after_refresh(app)


async def key_latency(app: AssayApp, key: str, expected: str, cpu_times: list[float]) -> float:
    """Post a key as the terminal driver does; seconds until the inspector shows `expected`
    and the screen has refreshed (the pilot's own idle waits are left out)."""
    shown = asyncio.get_running_loop().create_future()
    inspector = app.inspector
    original = inspector.show

    def show(item, *args, **kwargs):
        original(item, *args, **kwargs)
        if item is not None and item.query_id == expected and not shown.done():
            shown.set_result(None)

    inspector.show = show
    pressed, cpu = time.perf_counter(), time.process_time()
    app.post_message(events.Key(key, key))
    await shown
    done = await after_refresh(app)
    inspector.show = original
    cpu_times.append(time.process_time() - cpu)
    return done - pressed


async def prefetched(app: AssayApp) -> None:
    """Wait until the app has prefetched the neighbours of the item it shows."""
    done = asyncio.get_running_loop().create_future()
    original = app.prefetch_neighbours

    def prefetch() -> None:
        original()
        if not done.done():
            done.set_result(None)

    app.prefetch_neighbours = prefetch  # type: ignore[method-assign]
    app.schedule_prefetch()
    await done
    app.prefetch_neighbours = original  # type: ignore[method-assign]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def measure(path: Path, moves: int) -> dict[str, float | list[float]]:
    figures: dict[str, float | list[float]] = {}
    started, cpu = time.perf_counter(), time.process_time()
    app = AssayApp(path, curator="bench", tune_gc=True)  # as `run_app` makes it
    async with app.run_test(size=SIZE) as pilot:
        painted = await after_refresh(app)
        assert app.queue.current is not None
        figures["first_paint"] = painted - started
        figures["first_paint_cpu"] = time.process_time() - cpu

        # Next item: j through the queue from deep inside it (crossing page boundaries).
        app.queue.move_to(50_000)
        await pilot.pause()
        latencies: list[float] = []
        cpu_times: list[float] = []
        for _ in range(moves):
            expected = app.queue.row(app.queue.cursor + 1)["query_id"]
            latencies.append(await key_latency(app, "j", expected, cpu_times))
        assert app.inspector.item is not None
        figures["next_item"] = latencies
        figures["next_item_cpu"] = cpu_times

        # The same, as a curator reading each item: the app prefetches the neighbours while
        # the item is read (the prefetch's own CPU is not in the next key's figure).
        read: list[float] = []
        read_cpu: list[float] = []
        for _ in range(min(moves, 100)):
            await prefetched(app)
            expected = app.queue.row(app.queue.cursor + 1)["query_id"]
            read.append(await key_latency(app, "j", expected, read_cpu))
        figures["next_item_read"] = read
        figures["next_item_read_cpu"] = read_cpu

        # n: next undecided (every fifth item decided so n skips some).
        ids = [
            app.queue.row(i)["query_id"] for i in range(app.queue.cursor, app.queue.cursor + 400)
        ]
        app.store.decide_many(ids[::5], "accepted", author="bench")
        app.queue.reload()
        await counted(app)
        undecided: list[float] = []
        undecided_cpu: list[float] = []
        for _ in range(min(moves, 100)):
            target = app.queue.find_undecided(1)
            expected = app.queue.row(target)["query_id"]
            undecided.append(await key_latency(app, "n", expected, undecided_cpu))
        figures["next_undecided"] = undecided
        figures["next_undecided_cpu"] = undecided_cpu

        queries = {
            "filter language": (ItemFilter(language="python"), "created"),
            "filter check fail + flag": (
                ItemFilter(check_status="fail", flag="placeholder_solution"),
                "created",
            ),
            "search one word": (ItemFilter(search="palindrome"), "created"),
            "search two words": (ItemFilter(search="matrix heap"), "created"),
            "search + filter": (ItemFilter(search="graph", language="go"), "created"),
            "search + sort complexity": (ItemFilter(search="prime"), "complexity"),
            "sort complexity": (ItemFilter(), "complexity"),
            "sort pass rate": (ItemFilter(), "pass_rate"),
        }
        for name, (where, sort) in queries.items():
            times, cpus, exact = [], [], []
            for _ in range(5):
                app.set_query(ItemFilter(), "created")
                await counted(app)
                began, cpu = time.perf_counter(), time.process_time()
                app.set_query(where, sort)
                times.append(await after_refresh(app) - began)
                cpus.append(time.process_time() - cpu)
                # Past 5,000 rows the exact count comes from a thread after the first
                # screen: when it is on screen too (wall), before the next query starts.
                exact.append(await counted(app) - began)
            figures[name] = times
            figures[f"{name} cpu"] = cpus
            figures[f"{name} exact"] = exact
        await pilot.press("q")
    return figures


def terminal_first_paint(path: Path, runs: int = 3) -> list[float] | None:
    """Seconds from launching `assay tui` in a real terminal (tmux) until the first queue
    rows are on screen: interpreter start, imports and first paint. None without tmux."""
    assay = Path(sys.executable).parent / "assay"
    if not shutil.which("tmux") or not assay.exists():
        return None
    first_row = "bench-000001"
    times = []
    # A session that outlives the measured ones: killing the last session stops the tmux
    # server, and a new-session racing that shutdown fails ("server exited unexpectedly").
    holder = f"assay-bench-{os.getpid()}-holder"
    subprocess.run(["tmux", "new-session", "-d", "-s", holder, "sleep 600"], check=True)
    try:
        return _terminal_runs(assay, path, first_row, times, runs)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", holder], check=False)


def _terminal_runs(assay: Path, path: Path, first_row: str, times: list[float], runs: int):
    for run in range(runs):
        session = f"assay-bench-{os.getpid()}-{run}"
        started = time.perf_counter()
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "160",
                "-y",
                "45",
                f"{assay} tui --db {path}; sleep 30",
            ],
            check=True,
        )
        try:
            while (
                first_row
                not in subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
                ).stdout
            ):
                if time.perf_counter() - started > 30:
                    raise TimeoutError("the app did not paint within 30 s")
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    return times


async def large_item(folder: Path, lines: int = 10_000, runs: int = 5) -> list[float]:
    """CPU seconds from the key that reaches an item with a `lines`-line solution until
    the screen shows it (the item view highlights what is on screen, not every line)."""
    path = folder / "large.db"
    rng = random.Random(3)
    small = make_record(0, rng)
    big = make_record(1, rng)
    big["reference_answer"] = "\n".join(
        f"def helper_{n}(x):  # {rng.choice(WORDS)} " + "x" * rng.randint(0, 120)
        if n % 3 == 0
        else f"    return x * {n} + {rng.randint(0, 99)}  # {' '.join(rng.sample(WORDS, 4))}"
        for n in range(lines)
    )
    with Store(path) as store:
        store.add_items([NewItem(small), NewItem(big)], author="bench")
    cpu_times: list[float] = []
    app = AssayApp(path, curator="bench", tune_gc=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(runs):
            app.render_cache_clear()  # each run renders the item afresh, as the first time
            await key_latency(app, "j", big["query_id"], cpu_times)
            await pilot.press("k")
            await pilot.pause()
        await pilot.press("q")
    return cpu_times


def report(figures: dict, count: int) -> bool:
    ok = True
    load = os.getloadavg()[0]
    print(f"\nAssay TUI at {count:,} items (headless, {SIZE[0]}x{SIZE[1]}), ", end="")
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print("CPU: time.process_time of this process per key press or query (the bar's figure)\n")
    print(f"{'measure':<36}{'CPU':>10}{'wall':>10}{'bar (CPU)':>12}  verdict")

    def row(name: str, cpu: float | None, wall: float | None, bar: float | None) -> None:
        nonlocal ok
        verdict = "" if bar is None or cpu is None else ("PASS" if cpu <= bar else "FAIL")
        ok = ok and verdict != "FAIL"
        bar_text = "" if bar is None else f"<= {bar * 1000:.0f} ms"
        cpu_text = "" if cpu is None else f"{cpu * 1000:.1f} ms"
        wall_text = "" if wall is None else f"{wall * 1000:.1f} ms"
        print(f"{name:<36}{cpu_text:>10}{wall_text:>10}{bar_text:>12}  {verdict}")

    big = count >= 1_000_000
    row("first paint", figures["first_paint_cpu"], figures["first_paint"], 1.0 if big else None)
    if figures.get("terminal_first_paint"):
        row(
            "  in tmux, from launch (worst, wall)", None, max(figures["terminal_first_paint"]), None
        )
    small = count <= 100_000
    moves, cpu = figures["next_item"], figures["next_item_cpu"]
    row("next item (j), p50", statistics.median(cpu), statistics.median(moves), None)
    row("next item (j), p95", p95(cpu), p95(moves), 0.016 if small else None)
    row("next item (j), max", max(cpu), max(moves), None)
    read, read_cpu = figures["next_item_read"], figures["next_item_read_cpu"]
    row("next item after reading it, p95", p95(read_cpu), p95(read), 0.016 if small else None)
    row(
        "next undecided (n), p95",
        p95(figures["next_undecided_cpu"]),
        p95(figures["next_undecided"]),
        0.016 if small else None,
    )
    for name, times in figures.items():
        if name.startswith(("filter", "search", "sort")) and not name.endswith((" cpu", " exact")):
            bar = 0.200 if name.startswith(("filter", "search")) and big else None
            row(f"{name} (worst of 5)", max(figures[f"{name} cpu"]), max(times), bar)
            if max(figures[f"{name} exact"]) > max(times) + 0.001:
                row("  exact count shown (worst, wall)", None, max(figures[f"{name} exact"]), None)
    if figures.get("large_item"):
        row("10,000-line solution shows (worst)", max(figures["large_item"]), None, 0.200)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--db", type=Path, default=None, help="reuse or create this database")
    args = parser.parse_args()
    path = args.db or Path(tempfile.gettempdir()) / f"assay-tui-bench-{args.items}.db"
    if not path.exists():
        build(path, args.items)
    # Decisions the run makes are undone by using a copy.
    work = Path(tempfile.mkdtemp(prefix="assay-tui-bench-")) / "bench.db"
    with Store(path) as source:
        source.copy_to(work)
    figures = asyncio.run(measure(work, args.moves))
    figures["large_item"] = asyncio.run(large_item(work.parent))
    figures["terminal_first_paint"] = terminal_first_paint(work)
    ok = report(figures, args.items)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
