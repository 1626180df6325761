"""Two curators on one database: an edit never lands over someone else's change, an edit
sends an accepted item back to review, and a read-only database is read, never written."""

from __future__ import annotations

import pytest
from textual.widgets import Static, TextArea
from typer.testing import CliRunner

from core.cli import app as cli
from core.store import Store
from tests.tui.conftest import CURATOR, SIZE, plain, settle
from tui.screens.edit_screen import ConflictScreen, DiffScreen, EditScreen
from tui.screens.error_screen import ErrorScreen

pytestmark = pytest.mark.asyncio

FIXED = "def clamp_value(x: int, low: int, high: int) -> int:\n    return min(max(x, low), high)\n"


def other_curator(*args) -> None:
    """Bob, at the command line, on the same database."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def screen_text(app, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static).content)


async def test_an_edit_over_another_curators_change_is_refused_then_reloaded_and_saved(
    make_app, db_path
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, EditScreen)
        app.screen.query_one("#edit-reference_answer", TextArea).text = FIXED
        other_curator("accept", "item-000", "--curator", "bob", "--db", db_path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        with Store(db_path) as store:
            item = store.get("item-000")
            stamp = store.history("item-000")[-1].created_at[:19].replace("T", " ")
        assert (item.revision, item.status, item.decided_by) == (2, "accepted", "bob")
        assert "min(max(x, low), high)" not in item.reference_answer  # nothing saved
        assert f"item-000 was changed by bob at {stamp} UTC since you opened it" in screen_text(
            app, "#conflict-message"
        )

        await pilot.press("d")  # what would be lost: the edit against the item as it is
        assert isinstance(app.screen, DiffScreen)
        diff = screen_text(app, "#diff-text")
        assert "+    return min(max(x, low), high)" in diff
        assert "-    return max(low, min(x, high))" in diff
        await pilot.press("escape")
        assert isinstance(app.screen, EditScreen)
        assert app.screen.query_one("#edit-reference_answer", TextArea).text == FIXED

        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("r")  # reload: the fields show revision 2, the edit starts over
        assert isinstance(app.screen, EditScreen)
        assert "revision 2" in screen_text(app, "#edit-title")
        area = app.screen.query_one("#edit-reference_answer", TextArea)
        assert area.text == item.reference_answer
        area.text = FIXED
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
    with Store(db_path) as store:
        item = store.get("item-000")
        assert item.revision == 3 and "min(max(x, low), high)" in item.reference_answer
        last = store.history("item-000")[-1]
        # Bob accepted revision 2; nobody accepted the edit, so it is back in review.
        assert (last.action, last.author, item.status, item.decided_by) == (
            "edit",
            CURATOR,
            "pending",
            None,
        )
        assert "edited after acceptance" in last.reason


async def test_two_apps_on_one_database_the_second_save_is_refused(make_app, db_path):
    ann, bob = make_app(), make_app()
    bob.curator = "bob"
    async with ann.run_test(size=SIZE) as ann_pilot, bob.run_test(size=SIZE) as bob_pilot:
        await ann_pilot.press("e")
        await bob_pilot.press("e")
        ann.screen.query_one("#edit-reference_answer", TextArea).text = FIXED
        bob.screen.query_one(
            "#edit-assertions", TextArea
        ).text = "assert clamp_value(1, 0, 2) == 1\n"
        await bob_pilot.press("ctrl+s")
        await settle(bob_pilot)
        assert not isinstance(bob.screen, EditScreen)
        await ann_pilot.press("ctrl+s")
        await ann_pilot.pause()
        assert isinstance(ann.screen, ConflictScreen)
        assert "changed by bob" in screen_text(ann, "#conflict-message")
        await ann_pilot.press("escape")  # keep editing: her text is still there
        assert ann.screen.query_one("#edit-reference_answer", TextArea).text == FIXED
    with Store(db_path) as store:
        item = store.get("item-000")
        assert item.revision == 2 and item.assertions == "assert clamp_value(1, 0, 2) == 1\n"
        assert "min(max(x, low), high)" not in item.reference_answer


async def test_a_read_only_database_opens_and_a_decision_says_read_only(make_app, db_path):
    with Store(db_path) as store:
        before = store.get("item-000")
    db_path.chmod(0o444)
    try:
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.queue.count == 10
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, ErrorScreen)
            assert f"The database {db_path} is read-only (the file is read-only)" in " ".join(
                plain(w.content) for w in app.screen.query(Static)
            )
    finally:
        db_path.chmod(0o644)
    with Store(db_path) as store:
        after = store.get("item-000")
        assert (after.revision, after.status) == (before.revision, before.status)
