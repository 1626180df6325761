"""The dataset at a glance: distributions against quotas, pass rates, complexity,
duplicate clusters, decisions progress, what each curator decided and how far curators agree,
and novelty and diversity in words.

Plot legends are lines of their own under each plot (plotext draws its legend over the
bars), and every category gets its tick (plotext leaves out labels it finds crowded)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from core.curators import curator_report, kappa_words
from core.quotas import language_targets
from core.store import Store
from core.text import inert
from sandbox import languages
from tui.render import inert_rows, plain
from tui.widgets.queue_view import _SHORT as SHORT_VALUES  # the queue's own short names

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
            "curators": curator_report(store),
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
    add_curators(table, data)
    report = data.get("report")
    if isinstance(report, dict):
        from core.quality.report import novelty_diversity_lines

        for title, figure, meaning in novelty_diversity_lines(report.get("novelty_diversity")):
            add_row(title, figure)
            table.add_row("", plain(meaning, "dim"))
    return table


def add_curators(table: Table, data: dict[str, Any]) -> None:
    """Each curator's standing verdicts (and pace), then the agreement of every pair."""
    add_row = inert_rows(table)
    curators = data["curators"]
    pace = data["throughput"]
    for row in curators.counts:
        rate = pace_per_hour(pace.get(row.curator))
        add_row(
            "curator",
            f"{row.curator}: {row.decided} decided, {row.accepted} accepted, "
            f"{row.rejected} rejected{rate}",
        )
    for pair in curators.agreement:
        kappa = "κ n/a" if pair.kappa is None else f"κ {pair.kappa:.2f}"
        add_row(
            "agreement",
            f"{pair.first} & {pair.second}: {kappa} ({kappa_words(pair.kappa)}), "
            f"same verdict on {pair.agreed} of {pair.items} items both decided",
        )
    if curators.agreement:
        table.add_row("", plain("κ: agreement beyond chance; 1 always agree, 0 chance", "dim"))


def pace_per_hour(info: dict[str, Any] | None) -> str:
    """ " · ~N/hour" over the span a curator has worked, once it is long enough (ten minutes)
    to say anything; a burst of decisions has no hourly rate."""
    if not info:
        return ""
    span = datetime.fromisoformat(info["last"]) - datetime.fromisoformat(info["first"])
    if span < timedelta(minutes=10):
        return ""
    return f" · ~{info['decisions'] / (span / timedelta(hours=1)):.0f}/hour"


def axis_name(language: str) -> str:
    """A language as a short axis tick ("py", "ts"): every tick fits at 80 columns."""
    known = languages.get(language)
    return known.tag if known else language[:5]


# The two series of the quota plots, and the colours their legend lines name.
SERIES_COLOURS = ("blue", "green")


def legend(*names: str) -> Text:
    """A legend line under a plot, each name after a block in its series' colour."""
    text = Text()
    for name, colour in zip(names, SERIES_COLOURS, strict=False):
        text.append("█ ", style=colour)
        text.append(name + "   ")
    return text


def pass_rate_bars(data: dict[str, Any]) -> tuple[list[str], list[float], Text]:
    """Every language of the set (checked or not): its tick, pass rate, and a caption
    with the counts behind each bar."""
    rates = data["pass_rates"]
    names = list(dict.fromkeys([*rates, *data["stats"]["by_language"]])) or ["none"]
    caption = Text()
    values = []
    for name in names:
        passed, checked = rates.get(name, (0, 0))
        values.append(passed / checked * 100 if checked else 0.0)
        caption.append(f"{axis_name(name)} ", style="bold")
        caption.append(f"{passed}/{checked}  " if checked else "unchecked  ")
    return [axis_name(n) for n in names], values, caption


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
                for name in ("languages", "difficulty", "pass", "complexity"):
                    with Vertical(classes="dash-cell"):
                        yield PlotextPlot(id=f"plot-{name}")
                        yield Static(id=f"legend-{name}", classes="dash-legend")
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
        self._bars(
            "languages",
            "Languages against quota (%)",
            [axis_name(n) for n in names],
            [
                [data["languages"][n] * 100 for n in names],
                [LANGUAGE_TARGETS[n] * 100 for n in names],
            ],
        )
        self._legend("languages", legend("share of items", "quota"))
        by_difficulty = data["stats"]["by_difficulty"]
        total = sum(by_difficulty.values()) or 1
        even = 100 / max(1, len(by_difficulty))
        keys = list(by_difficulty) or ["none"]
        self._bars(
            "difficulty",
            "Difficulty against an even split (%)",
            [inert(SHORT_VALUES.get(k, k[:6])) for k in keys],
            [[by_difficulty.get(k, 0) / total * 100 for k in keys], [even for _ in keys]],
        )
        self._legend("difficulty", legend("share of items", "even split"))
        ticks, values, caption = pass_rate_bars(data)
        self._bars("pass", "Pass rate by language (%)", ticks, [values], top=100)
        self._legend("pass", caption)
        plot = self.query_one("#plot-complexity", PlotextPlot).plt
        plot.clear_figure()
        plot.hist(data["complexity"] or [0], bins=20)
        plot.title("Cyclomatic complexity (max per item)")
        self._legend("complexity", plain(f"{len(data['complexity'])} checked items"))
        for widget in self.query(PlotextPlot):
            widget.refresh()

    def _bars(
        self, name: str, title: str, ticks: list[str], series: list[list[float]], top: float = 0
    ) -> None:
        """Bars per category, one series each, every category's tick shown, no legend
        drawn over them."""
        plot = self.query_one(f"#plot-{name}", PlotextPlot).plt
        plot.clear_figure()
        positions = [float(n) for n in range(1, len(ticks) + 1)]
        if len(series) == 1:
            plot.bar(positions, series[0], color=SERIES_COLOURS[0], width=0.6)
        else:
            colours = list(SERIES_COLOURS[: len(series)])
            plot.multiple_bar(positions, series, color=colours)  # type: ignore[arg-type]  # plotext takes a colour per series; the wrapper's stub says one
        plot.xticks(positions, ticks)
        plot.xlim(0.5, len(ticks) + 0.5)  # the outer bars inside the frame
        plot.ylim(0, max([top, *(v for values in series for v in values)]) or 1)
        plot.title(title)

    def _legend(self, name: str, text: Text) -> None:
        self.query_one(f"#legend-{name}", Static).update(text)

    def action_close(self) -> None:
        self.dismiss()
