"""Navigation that cannot misfire (issue 13, point 1), at the 80x24 a curator's laptop has:
every decision lands on the item the inspector shows, checked in the database afterwards."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, TabbedContent

from core.store import Store
from tests.tui.conftest import CURATOR, text_of
from tests.tui.test_app import status_of
from tui.screens.reject_screen import REASONS, RejectScreen

pytestmark = pytest.mark.asyncio

SMALL = (80, 24)


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_escape_from_the_search_box_then_reject_acts_on_the_item_shown(make_app, db_path):
    # The issue's reproduction: Tab into the search box, Escape, then r opened "Reject
    # item-000 because..." for an item already accepted.
    with Store(db_path) as store:
        store.decide("item-000", "accepted", author="someone")
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("j")  # item-002 (it opened on item-001, the first undecided)
        await pilot.pause()
        shown = app.inspector.item.query_id
        assert shown == "item-002" and app.queue.current["query_id"] == shown
        await pilot.press("shift+tab")  # the search box is before the queue
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        assert app.focused is app.queue
        assert app.queue.current["query_id"] == shown and app.inspector.item.query_id == shown
        await pilot.press("r")
        assert isinstance(app.screen, RejectScreen)
        assert app.screen.query_id == shown
        assert f"Reject {shown} because" in text_of(app, ".dialog-title")
        await pilot.press("escape")
        assert app.focused is app.queue
    assert status_of(db_path, "item-000") == ("accepted", "someone", None)
    assert status_of(db_path, shown)[0] == "pending"


async def test_what_textual_focuses_by_itself_at_start_up_is_the_queue(make_app):
    # In a terminal the first key can arrive before on_mount has focused the queue; until
    # then the key goes where Textual's auto-focus put it. That was the search box (first
    # on screen), and a `d` pressed at start-up became a search (tmux, 80x24).
    app = make_app()
    async with app.run_test(size=SMALL):
        screen = app.screen
        chosen = screen.AUTO_FOCUS or app.AUTO_FOCUS
        assert chosen is not None
        assert next(w for w in screen.query(chosen) if w.focusable) is app.queue


async def test_escape_on_the_queue_never_moves_the_cursor(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("j", "j", "j", "j")
        await pilot.press("escape", "escape")
        assert app.queue.cursor == 4 and app.inspector.item.query_id == "item-004"
        await pilot.press("a")
    assert status_of(db_path, "item-004")[0] == "accepted"
    assert status_of(db_path, "item-000")[0] == "pending"


@pytest.mark.parametrize("key", ["r", "question_mark", "b", "f", "E", "ctrl+p"])
async def test_focus_returns_to_the_queue_after_any_dialog(make_app, db_path, key):
    # After a dialog closed, focus could land in the search box and `2` became a search.
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("6")  # focus in the history list, where a dialog may return it
        assert isinstance(app.focused, OptionList)
        await pilot.press(key)
        assert app.screen is not app.screen_stack[0]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert app.focused is app.queue
        await pilot.press("2", "a")
        assert app.query_one("#search", Input).value == ""
        assert app.query_one("#inspector-tabs", TabbedContent).active == "tab-run"
    assert status_of(db_path, "item-000")[0] == "accepted"


async def test_the_focused_pane_is_marked(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        pane, inspector = app.query_one("#queue-pane"), app.query_one("#inspector")
        queue_lit = pane.styles.border_right[1]
        inspector_dim = inspector.styles.border_left[1]
        await pilot.press("tab")  # into the inspector
        assert app.focused is not app.queue and inspector.has_focus_within
        assert pane.styles.border_right[1] != queue_lit
        assert inspector.styles.border_left[1] != inspector_dim
        assert inspector.styles.border_left[1] == queue_lit  # the same accent moved over


async def test_a_decision_names_and_changes_the_item_shown(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("j", "a")
        assert "Accepted item-001." in toasts(app)
        assert app.inspector.item.query_id == "item-002"  # moved on to the next undecided
    assert status_of(db_path, "item-001") == ("accepted", CURATOR, None)
    assert status_of(db_path, "item-000")[0] == "pending"


async def test_a_failing_item_takes_a_second_press_to_accept(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        app.queue.move_to(2)  # reverse_words fails half its tests
        await pilot.pause()
        await pilot.press("a")
        assert any("item-002 fails its checks" in t and "again" in t for t in toasts(app))
        assert status_of(db_path, "item-002")[0] == "pending"
        assert app.inspector.item.query_id == "item-002"
        await pilot.press("a")
    assert status_of(db_path, "item-002") == ("accepted", CURATOR, None)


async def test_the_warning_does_not_carry_over_to_another_item(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        app.queue.move_to(2)
        await pilot.pause()
        await pilot.press("a", "down", "down", "down", "a")  # item-005 fails too
    assert status_of(db_path, "item-002")[0] == "pending"
    assert status_of(db_path, "item-005")[0] == "pending"


async def test_reject_reasons_by_number(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("r")
        reasons = app.screen.query_one("#reasons", OptionList)
        assert str(reasons.get_option_at_index(2).prompt) == f"3 {REASONS[2]}"
        await pilot.press("3")
        assert app.screen is app.screen_stack[0]
    assert status_of(db_path, "item-000") == ("rejected", CURATOR, REASONS[2])
