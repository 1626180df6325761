"""Faster decisions (issue 13, point 4): skip, marks for bulk actions, resume where the
curator left, the checks' state in the header, in-app words; checked in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Select

from core.config import Settings
from core.errors import AssayError
from core.store import Store
from tests.tui.conftest import CURATOR, SIZE, settle, text_of
from tests.tui.test_app import status_of, wait_until
from tui.messages import in_app_words
from tui.screens.bulk_screen import BulkScreen
from tui.screens.confirm_screen import ConfirmScreen
from tui.widgets.history_view import HistoryView

pytestmark = pytest.mark.asyncio


async def test_skip_is_a_decision_in_history_and_a_filter(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        assert app.inspector.item.query_id == "item-001"  # moved on
        await pilot.press("home", "n")  # next undecided passes over the skipped item
        assert app.inspector.item.query_id == "item-001"
        await pilot.press("home", "6")
        await pilot.pause()
        history = app.query_one(HistoryView)
        assert history.revisions[0].action == "skip"
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#filter-skipped", Select).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.queue.count == 1 and app.queue.current["query_id"] == "item-000"
        assert "skipped" in text_of(app, "#queue-status")
    assert status_of(db_path, "item-000")[0] == "pending"
    with Store(db_path) as store:
        last = store.history("item-000")[-1]
    assert (last.action, last.author, last.status) == ("skip", CURATOR, "pending")


async def test_marked_items_feed_the_bulk_actions(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "j", "space")  # marks item-000 and item-002
        assert app.queue.marked == {"item-000", "item-002"}
        assert "2 marked" in text_of(app, "#queue-status")
        await pilot.press("b")
        assert isinstance(app.screen, BulkScreen)
        await pilot.press("down", "down", "down", "enter")  # accept everything marked
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.queue.marked == set()
    with Store(db_path) as store:
        accepted = sorted(i.query_id for i in store.items() if i.status == "accepted")
    assert accepted == ["item-000", "item-002"]


async def test_reopening_resumes_filter_sort_and_item(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#filter-language", Select).value = "python"
        app.screen.query_one("#filter-sort", Select).value = "complexity"
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.queue.move_to(3)
        await pilot.pause()
        left_at = app.inspector.item.query_id
        await pilot.press("q")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert (again.where.language, again.sort) == ("python", "complexity")
        assert again.inspector.item.query_id == left_at
        assert "sorted by complexity" in text_of(again, "#queue-status")
    # another curator opens at the top of the whole queue
    other = type(again)(db_path, curator="someone-else")
    async with other.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert other.queue.count == 10 and other.inspector.item.query_id == "item-000"


async def test_the_header_says_checks_run_instead_of_press_x(make_app, db_path):
    with Store(db_path) as store:
        store.edit(
            "item-000",
            {**store.get("item-000").record, "assertions": "assert True\n"},
            author="someone",
        )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "press x" in text_of(app, "#item-view")
        hold = sqlite3.connect(db_path)  # the check's result waits for this write lock
        hold.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("x")
            shown = text_of(app, "#item-view")
            assert "checks running" in shown and "press x" not in shown
        finally:
            hold.rollback()
            hold.close()
        await settle(pilot)
        await wait_until(pilot, lambda: not app.checking)  # ChecksFinished handled
        await pilot.pause()
        shown = text_of(app, "#item-view")
        assert "checks running" not in shown and "tests_weakened" in shown


async def test_messages_name_the_apps_controls_not_cli_flags():  # (the module is asyncio)
    settings = Settings(Path("assay.toml"), Path("x.db"), CURATOR, "m", base_url=None)
    with pytest.raises(AssayError) as error:
        settings.require_api_key()
    text = in_app_words(str(error.value))
    assert "--" not in text and "generate dialog (g)" in text
