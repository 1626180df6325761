"""The dashboard: labelled novelty and diversity with what they mean, every language on the
pass-rate chart, legends beside the plots (never over them), what each curator decided and
how far curators agree; snapshots at 80x24 and wide.

Update the snapshots after a deliberate visual change with
`pytest tests/tui/test_dashboard.py --snapshot-update`, and look at them first.
"""

from __future__ import annotations

import pytest
from textual_plotext import PlotextPlot

from core.store import NewItem, Store
from tests.tui.conftest import SIZE, native_item, settle, text_of
from tui.screens.dashboard_screen import DashboardScreen

WIDE = (160, 48)
SMALL = (80, 24)


def curate(db_path) -> None:
    """Two curators decide overlapping items (the store's own decisions), and one Rust item
    arrives that nobody has checked yet."""
    with Store(db_path) as store:
        for query_id in ("item-000", "item-001", "item-002", "item-003"):
            store.decide(query_id, "accepted", author="ann")
        store.decide("item-004", "rejected", author="ann", reason="vague")
        for query_id in ("item-000", "item-001"):
            store.decide(query_id, "accepted", author="bob")
        for query_id in ("item-002", "item-004", "item-005"):
            store.decide(query_id, "rejected", author="bob", reason="vague")
        rust = native_item(
            99,
            "Rust",
            "add",
            "adds two numbers.",
            "fn add(a: i32, b: i32) -> i32 { a + b }",
            "assert_eq!(add(1, 2), 3);",
            "medium",
        )
        store.insert_item(NewItem(rust), author="gen", action="generate")


async def open_dashboard(pilot) -> DashboardScreen:
    await settle(pilot)
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


def canvas(screen: DashboardScreen, name: str) -> str:
    """What a plot draws, as text (plotext's own canvas, colours stripped)."""
    import plotext

    return plotext.uncolorize(screen.query_one(f"#plot-{name}", PlotextPlot).plt.build())


@pytest.mark.asyncio
async def test_the_dashboard_says_what_its_figures_mean(make_app, db_path):
    curate(db_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        summary = text_of(app, "#dash-summary")
        # Novelty and diversity: a name, a figure in nats, one line of what it means.
        assert "novelty vs HumanEval" in summary and "(KL divergence): 0 is the same" in summary
        assert "diversity" in summary and "above HumanEval is more varied" in summary
        for raw in ("novelty_kl", "n_reference", "diversity_entropy", "available", "{"):
            assert raw not in summary
        # Each curator's standing verdicts, and the pair's agreement.
        assert "ann: 5 decided, 4 accepted, 1 rejected" in summary
        assert "bob: 5 decided, 2 accepted, 3 rejected" in summary
        # ann A A A R on items bob decided A A R R: po 3/4, pe 1/2, kappa 0.5.
        assert "ann & bob: κ 0.50 (moderate), same verdict on 3 of 4 items both decided" in summary
        # Every language on the pass-rate axis, the unchecked Rust item too; counts beneath.
        ticks = canvas(screen, "pass").splitlines()[-1].split()
        assert ticks == ["py", "ts", "rs"]
        caption = text_of(app, "#legend-pass")
        with Store(db_path) as store:
            rates = store.pass_rates("language")
        assert set(rates) == {"python", "typescript"}
        for language, tag in (("python", "py"), ("typescript", "ts")):
            assert f"{tag} {rates[language][0]}/{rates[language][1]}" in caption
        assert "rs unchecked" in caption
        languages = canvas(screen, "languages").splitlines()[-1].split()
        assert languages == ["py", "ts", "go", "rs", "js", "other"]
        # Legends are lines of their own, not drawn over the bars.
        for name, second in (("languages", "quota"), ("difficulty", "even split")):
            assert "share of items" not in canvas(screen, name)
            assert f"█ share of items   █ {second}" in text_of(app, f"#legend-{name}")


async def _drawn(pilot) -> None:
    """Curated data on the dashboard, drawn at the terminal's final size."""
    await open_dashboard(pilot)
    # plotext places ticks for the plot's size when the data is drawn: draw again once the
    # grid has its final layout.
    pilot.app.screen.load()
    await settle(pilot)
    for _ in range(3):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()


def test_dashboard_snapshot_80x24(snap_compare, make_app, db_path):
    curate(db_path)
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=_drawn)


def test_dashboard_snapshot_wide(snap_compare, make_app, db_path):
    curate(db_path)
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=_drawn)


@pytest.mark.asyncio
async def test_at_80x24_the_plots_below_the_figures_are_reached_by_keyboard(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_dashboard(pilot)
        scroll = screen.query_one("#dashboard")
        last = screen.query_one("#legend-complexity")
        assert last.region.y >= SMALL[1]  # below the first screen
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y > 0
        assert last.region.bottom <= SMALL[1]  # now on screen
