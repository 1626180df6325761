"""The solver's pass rate, the item's measured difficulty, in the queue and the inspector,
and as a sort order: items made by the real pipeline against the 127.0.0.1 server."""

from __future__ import annotations

import pytest

from core.checking import run_checks
from core.generation import run_job
from core.store import Store
from tests.core.test_check_signals import Reviewers
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI
from tests.tui.conftest import CURATOR, SIZE, settle, text_of
from tui.app import AssayApp
from tui.widgets.queue_view import header_line, row_cells

pytestmark = pytest.mark.asyncio


@pytest.fixture
def generated(tmp_path):
    db = tmp_path / "gen.db"
    with FakeOpenAI(responder=Reviewers(wrong_first_every=100)) as server:
        run_job(db, quick_config(server, n=3, concurrency=1, verify=True, solver=True, solver_k=4))
    with Store(db) as store:
        run_checks(store)
    return db


async def test_the_queue_and_inspector_show_it_and_s_sorts_by_it(generated):
    app = AssayApp(generated, curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "solved" in header_line()
        shown = {
            app.queue.row(i)["query_id"][-4:]: [c.strip() for c in row_cells(app.queue.row(i))]
            for i in range(3)
        }
        assert "100%" in shown["0001"] and "0%" in shown["0002"] and "25%" in shown["0003"]
        # the job commits its slots in the order they finish: find 0003, not its index
        app.queue.move_to(next(i for i in range(3) if app.queue.row(i)["query_id"][-4:] == "0003"))
        await settle(pilot)
        details = text_of(app, "#item-view")
        assert "difficulty " in details and "measured: solver passes 25%" in details
        for _ in range(3):  # created -> complexity -> pass rate -> measured difficulty
            await pilot.press("s")
        await settle(pilot)
        assert app.sort == "solver_pass_rate"
        order = [app.queue.row(i)["query_id"][-4:] for i in range(3)]
        assert order == ["0002", "0003", "0001"]  # hardest first
        assert "measured difficulty" in header_line(app.sort, width=200)


async def test_the_filter_screen_selects_by_measured_difficulty(generated):
    from textual.widgets import Select

    from tui.screens.filter_screen import FilterScreen

    app = AssayApp(generated, curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        assert isinstance(app.screen, FilterScreen)
        app.screen.query_one("#filter-measured", Select).value = "hard (solver passes at most half)"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.queue.count == 2
        assert {app.queue.row(i)["query_id"][-4:] for i in range(2)} == {"0002", "0003"}
        assert "solver passes 0%-50%" in text_of(app, "#queue-status")
        await pilot.press("f")  # the screen shows the filter it applied
        assert app.screen.query_one("#filter-measured", Select).value.startswith("hard")
