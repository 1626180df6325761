"""Reading a whole item by keyboard (issue 13, point 2): scroll keys, wrapped long lines,
whole test names, zoom, each item at its top, the cursor on screen after a resize."""

from __future__ import annotations

import pytest
from rich.console import Console
from textual.widgets import OptionList, TabbedContent

from core.checking import run_checks
from core.store import ItemFilter, NewItem, Store
from tests.tui.conftest import SIZE, python_item, settle, text_of
from tui.render import run_details
from tui.widgets import queue_view
from tui.widgets.item_view import ItemView

pytestmark = pytest.mark.asyncio

SMALL = (80, 24)
LONG_NAME = "a_function_whose_name_alone_is_longer_than_forty_characters"
LONG_LINE = "    return " + " + ".join(f"value_{n}" for n in range(40))  # ~450 columns


def rows_on_screen(view: ItemView) -> list[str]:
    """The text of every row the item view draws from its top, at its current width."""
    top = int(view.scroll_offset.y)
    return [view.render_line(y - top).text for y in range(view.virtual_size.height)]


@pytest.fixture
def long_db(db_path):
    """The fixture items plus one with a very long line, checked by the real checks."""
    body = "\n".join(
        [
            f"def {LONG_NAME}(value_0: int = 1) -> int:",
            LONG_LINE.replace(
                " + ".join(f"value_{n}" for n in range(40)), " + ".join(["value_0"] * 40)
            ),
        ]
    )
    record = python_item(
        10,
        LONG_NAME,
        "adds its argument to itself forty times.",
        body + "\n",
        f"assert {LONG_NAME}(1) == 40\nassert {LONG_NAME}(value_0=2) == 80\n",
        "medium",
    )
    with Store(db_path) as store:
        store.add_items([NewItem(record)], author="importer")
        run_checks(store, [store.get("item-010")])
    return db_path


async def test_long_lines_wrap_and_nothing_is_cut(make_app, long_db):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("end")
        await pilot.pause()
        view = app.query_one(ItemView)
        assert view.size.width < 60
        rows = rows_on_screen(view)
        assert all(len(row) <= view.size.width for row in rows)
        joined = "".join(row.strip() for row in rows).replace(" ", "")
        assert "+".join(["value_0"] * 40) in joined  # every part of the long line is shown


async def test_run_tab_shows_whole_test_names(long_db):
    with Store(long_db) as store:
        result = store.check_result(store.get("item-010"))
    assert result is not None and result.run.tests
    console = Console(width=60, record=True, color_system=None)
    console.print(run_details(result))
    shown = console.export_text().replace("\n", "").replace(" ", "")
    for test in result.run.tests:
        assert test.name.replace(" ", "") in shown


async def test_scroll_keys_zoom_and_each_item_opens_at_its_top(make_app, long_db):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        view = app.query_one(ItemView)
        assert view.virtual_size.height > view.size.height  # there is something to scroll
        await pilot.press("J", "J")
        assert view.scroll_offset.y == 6 and app.focused is app.queue
        await pilot.press("ctrl+d")
        assert view.scroll_offset.y > 6
        await pilot.press("K")
        before = view.scroll_offset.y
        assert before > 0
        await pilot.press("j")
        await pilot.pause()
        assert app.inspector.item.query_id == "item-001"
        assert view.scroll_offset.y == 0  # no offset carried over from item-000
        narrow = view.size.width
        await pilot.press("z")
        await pilot.pause()
        assert not app.query_one("#queue-pane").display
        assert view.size.width >= 70 > narrow
        await pilot.press("j", "k")  # the queue still moves with the queue hidden
        assert app.inspector.item.query_id == "item-001"
        await pilot.press("a")  # decisions still work zoomed in
        await pilot.press("z")
        await pilot.pause()
        assert app.query_one("#queue-pane").display and app.focused is app.queue
    with Store(long_db) as store:
        assert store.get("item-001").status == "accepted"


async def test_keys_are_in_the_help_and_the_footer(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        shown = " ".join(
            b.binding.description for b in app.screen.active_bindings.values() if b.binding.show
        )
        assert "Scroll" in shown and "Zoom" in shown and "Skip" in shown
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = text_of(app, "#help-keys")
        for words in ("Scroll the item down", "Scroll the item a page down", "Hide or show"):
            assert words in help_text


async def test_the_cursor_stays_on_screen_after_a_resize(make_app, db_path):
    with Store(db_path) as store:
        store.add_items(
            [
                NewItem({**python_item(n, f"f{n}", "x.", "def f():\n    pass\n", "", "medium")})
                for n in range(10, 70)
            ],
            author="importer",
        )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(60)
        await pilot.pause()
        await pilot.resize_terminal(*SMALL)
        await pilot.pause()
        await pilot.pause()
        top = int(app.queue.scroll_offset.y)
        assert top <= app.queue.cursor < top + app.queue.scrollable_content_region.height
        assert app.queue.current["query_id"] == "item-060"


async def test_metrics_tab_fills_rank_and_line(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        metrics = text_of(app, "#metrics-details")
        line = next(line for line in metrics.splitlines() if "clamp_value" in line)
        assert line.split()[1:] == ["1", "A", "1"]  # complexity, rank, first line


async def test_tab_keys_work_from_the_history_list(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        assert isinstance(app.focused, OptionList)
        await pilot.press("2")
        assert app.query_one("#inspector-tabs", TabbedContent).active == "tab-run"
        await pilot.press("6", "1")
        assert app.query_one("#inspector-tabs", TabbedContent).active == "tab-item"


async def test_moving_past_the_bottom_of_the_queue_brings_the_cursor_to_the_middle(
    make_app, db_path
):
    # One scroll per half screen, not one per key: the rows below the cursor are in view.
    with Store(db_path) as store:
        store.add_items(
            [
                NewItem(python_item(n, f"f{n}", "x.", "def f():\n    pass\n", "", "medium"))
                for n in range(10, 70)
            ],
            author="importer",
        )
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        queue = app.queue
        height = queue.scrollable_content_region.height
        await pilot.press(*["j"] * (height - 1))
        assert int(queue.scroll_offset.y) == 0 and queue.cursor == height - 1
        await pilot.press("j")
        await pilot.pause()
        top = int(queue.scroll_offset.y)
        assert top > 0 and queue.cursor - top == height // 2
        assert app.inspector.item.query_id == queue.current["query_id"]
        await pilot.press("j")
        assert int(queue.scroll_offset.y) == top  # the next key moves the cursor only


async def test_a_large_queue_is_counted_after_its_first_screen_and_reaches_its_end(
    make_app, db_path, monkeypatch
):
    # Past COUNT_AT_ONCE rows (5,000; 3 here) the first screen shows "3+ items" and a
    # thread counts the rest: the status line then says the exact figure and End reaches
    # the last item, also after a filter change.
    monkeypatch.setattr(queue_view, "COUNT_AT_ONCE", 3)
    with Store(db_path) as store:
        total = store.count()
        python = store.count(ItemFilter(language="python"))
    assert total > python > 3
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.queue.exact and app.queue.count == total
        assert text_of(app, "#queue-status").startswith(f"{total} items")
        await pilot.press("end")
        with Store(db_path) as store:
            last = store.queue_rows(ItemFilter(), limit=1, offset=total - 1)[0]["query_id"]
        assert app.inspector.item.query_id == last
        app.set_query(ItemFilter(language="python"), "created")
        await settle(pilot)
        assert app.queue.count == python
        assert text_of(app, "#queue-status").startswith(f"{python} items")
