"""The Duplicates tab on data from the real checks: neighbours both ways, the diff, and the
key that moves the queue to the highlighted neighbour."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from core.checking import run_checks
from core.store import ItemFilter, NewItem, Store
from tests.tui.conftest import CURATOR, ITEMS, SIZE, plain, settle, text_of
from tui.app import AssayApp
from tui.screens.help_screen import HelpScreen

pytestmark = pytest.mark.asyncio


def listed(app) -> list[str]:
    options = app.screen.query_one("#dup-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_o_goes_to_the_highlighted_neighbour(make_app):
    # item-007 is the first of three TypeScript near-duplicates (007, 008, 009)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(7)
        await pilot.press("4")
        await settle(pilot)
        labels = listed(app)
        assert [label.split()[-1] for label in labels][:2] == ["item-008", "item-009"]
        assert app.screen.query_one("#dup-list", OptionList).has_focus
        assert "o" in app.screen.active_bindings  # shown in the footer while the list is focused
        await pilot.press("down")  # highlight item-009: the diff follows
        await settle(pilot)
        assert "item-009" in text_of(app, "#dup-diff")
        await pilot.press("o")
        await settle(pilot)
        assert app.queue.current["query_id"] == "item-009"
        assert app.inspector.item is not None and app.inspector.item.query_id == "item-009"
        assert "cluster item-007" in text_of(app, "#dup-summary")


async def test_a_neighbour_the_filter_hides_clears_the_filter(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.set_query(ItemFilter(check_status="pass"), "created")  # 008, 009 are unchecked
        await settle(pilot)
        index = app.queue.index_of("item-007")
        assert index is not None and app.queue.index_of("item-008") is None
        app.queue.move_to(index)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("enter")  # enter on the list does what `o` does
        await settle(pilot)
        assert app.queue.current["query_id"] == "item-008"
        assert app.where == ItemFilter()
        assert "10 items" in text_of(app, "#queue-status")


async def test_both_members_of_a_checked_pair_list_each_other_and_the_jump_comes_back(tmp_path):
    path = tmp_path / "pair.db"
    with Store(path) as store:
        store.add_items([NewItem(ITEMS[7]), NewItem(ITEMS[8])], author="importer")
        for query_id in ("item-008", "item-007"):  # checked one at a time, the copy first
            run_checks(store, [store.get(query_id)])
    app = AssayApp(path, curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert app.queue.current["query_id"] == "item-007"
        assert [label.split()[-1] for label in listed(app)][0] == "item-008"
        assert "item-008" in text_of(app, "#dup-diff")
        await pilot.press("o")
        await settle(pilot)
        assert app.queue.current["query_id"] == "item-008"
        assert [label.split()[-1] for label in listed(app)][0] == "item-007"
        await pilot.press("o")
        await settle(pilot)
        assert app.queue.current["query_id"] == "item-007"


async def test_help_lists_the_duplicates_tab_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one("#help-keys", Static).content)
        assert "Duplicates tab" in text and "Go to neighbour" in text
