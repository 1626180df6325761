"""The dataset at a glance: distributions against quotas, pass rates, complexity,
duplicate clusters, decisions progress and curator throughput."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from core.quotas import language_targets
from core.store import Store
from core.text import inert
from tui.render import inert_rows

# The quotas `spec` generation draws to, as shares ("other": languages without a quota).
LANGUAGE_TARGETS = language_targets()


def language_shares(by_language: dict[str, int]) -> dict[str, float]:
    total = sum(by_language.values()) or 1
    shares = {key: 0.0 for key in LANGUAGE_TARGETS}
    for language, count in by_language.items():
        key = language if language in LANGUAGE_TARGETS else "other"
        shares[key] += count / total
    return shares


def dashboard_data(db_path: Path) -> dict[str, Any]:
    """Everything the dashboard draws, read on a worker thread with its own connection."""
    with Store(db_path) as store:
        stats = store.stats()
        data = {
            "stats": stats,
            "languages": language_shares(stats["by_language"]),
            "pass_rates": store.pass_rates("language"),
            "complexity": store.complexity_values(),
            "clusters": store.cluster_sizes(),
            "clustered": store.clustered(),
            "throughput": store.throughput(),
            "report": None,
        }
        try:
            from core.quality import dataset_report
        except ImportError:
            return data
        if stats["total"] <= 5_000:  # the report reads every item; skip it on huge sets
            items = list(store.iter_items())
            results = {q: r.to_dict() for q, r in store.current_check_results().items()}
            data["report"] = dataset_report([i.record for i in items], results)
    return data


def summary_table(data: dict[str, Any]) -> Table:
    stats = data["stats"]
    total = stats["total"] or 1
    decided = stats["by_status"]["accepted"] + stats["by_status"]["rejected"]
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    add_row = inert_rows(table)
    add_row("items", f"{stats['total']:,}")
    add_row(
        "decided",
        f"{decided:,} ({decided / total:.0%}) · accepted {stats['by_status']['accepted']:,}"
        f" · rejected {stats['by_status']['rejected']:,}"
        f" · pending {stats['by_status']['pending']:,}",
    )
    add_row("checks", ", ".join(f"{k} {v}" for k, v in stats["by_check_status"].items()) or "none")
    clustered, clusters = data["clustered"]
    add_row("duplicates", f"{clustered} items in {clusters} clusters")
    for name, (n, members) in enumerate(data["clusters"][:5]):
        add_row("" if name else "largest", f"{n}: {members} items")
    for author, info in data["throughput"].items():
        rate = info["decisions"] / max(1, info["hours"])
        add_row("curator", f"{author}: {info['decisions']} decisions, ~{rate:.0f}/hour")
    report = data.get("report")
    if isinstance(report, dict):
        for section in ("novelty_diversity",):
            values = report.get(section)
            if isinstance(values, dict):
                numbers = {k: v for k, v in values.items() if isinstance(v, int | float)}
                add_row(
                    section.replace("_", " "),
                    ", ".join(
                        f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                        for k, v in numbers.items()
                    ),
                )
    return table


class DashboardScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,d", "close", "Back", id="dashboard.close"),
        Binding("ctrl+r", "reload", "Reload", id="dashboard.reload"),
    ]

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dashboard"):
            yield Static(Text("Dashboard (loading…)", style="bold"), id="dash-summary")
            with Grid(id="dash-grid"):
                yield PlotextPlot(id="plot-languages")
                yield PlotextPlot(id="plot-difficulty")
                yield PlotextPlot(id="plot-pass")
                yield PlotextPlot(id="plot-complexity")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def load(self) -> None:
        data = dashboard_data(self.db_path)
        self.app.call_from_thread(self.draw, data)

    def draw(self, data: dict[str, Any]) -> None:
        self.query_one("#dash-summary", Static).update(summary_table(data))
        names = list(LANGUAGE_TARGETS)
        plot = self.query_one("#plot-languages", PlotextPlot).plt
        plot.clear_figure()
        plot.multiple_bar(
            names,
            [
                [data["languages"][n] * 100 for n in names],
                [LANGUAGE_TARGETS[n] * 100 for n in names],
            ],
            labels=["actual %", "target %"],  # type: ignore[call-arg]  # plotext takes labels; the wrapper's stub says label
        )
        plot.title("Languages against quota")
        by_difficulty = data["stats"]["by_difficulty"]
        total = sum(by_difficulty.values()) or 1
        even = 100 / max(1, len(by_difficulty))
        plot = self.query_one("#plot-difficulty", PlotextPlot).plt
        plot.clear_figure()
        keys = list(by_difficulty) or ["none"]
        plot.multiple_bar(
            [inert(k) for k in keys],
            [[by_difficulty.get(k, 0) / total * 100 for k in keys], [even for _ in keys]],
            labels=["actual %", "even %"],  # type: ignore[call-arg]  # plotext takes labels; the wrapper's stub says label
        )
        plot.title("Difficulty against an even split")
        plot = self.query_one("#plot-pass", PlotextPlot).plt
        plot.clear_figure()
        rates = data["pass_rates"] or {"none": (0, 1)}
        plot.bar([inert(k) for k in rates], [p / max(1, n) * 100 for p, n in rates.values()])
        plot.title("Pass rate by language (%)")
        plot = self.query_one("#plot-complexity", PlotextPlot).plt
        plot.clear_figure()
        plot.hist(data["complexity"] or [0], bins=20)
        plot.title("Cyclomatic complexity (max per item)")
        for widget in self.query(PlotextPlot):
            widget.refresh()

    def action_close(self) -> None:
        self.dismiss()
