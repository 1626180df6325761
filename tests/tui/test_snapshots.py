"""Snapshots of the main screens (Textual is pinned in pyproject: minor releases change them).

Update after a deliberate visual change with `pytest tests/tui --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets import Input, TextArea

from tests.tui.conftest import SIZE


def no_blink(pilot) -> None:
    for widget in pilot.app.screen.query("TextArea, Input"):
        if isinstance(widget, TextArea | Input):
            widget.cursor_blink = False


def test_main_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["j", "j", "j"])


def test_run_results_tab(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["j", "j", "2"])


def test_reject_dialog(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["j", "j", "j", "r"])


async def settled(pilot) -> None:
    """Wait until no worker runs and every queued refresh and scroll animation is drawn."""
    await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()


def test_edit_screen(snap_compare, make_app):
    async def opened(pilot) -> None:
        await settled(pilot)
        await pilot.press("e")
        await settled(pilot)
        no_blink(pilot)
        await pilot.press("tab")
        await settled(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=opened)


def test_help_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["question_mark"])


# The dashboard's snapshots (80x24 and wide) are in test_dashboard.py.


SMALL = (80, 24)


def test_main_screen_80x24(snap_compare, make_app):
    """A laptop terminal: the queue, the item beside it, the focused pane lit."""
    assert snap_compare(make_app(), terminal_size=SMALL, press=["j", "j"])


def test_zoomed_item_80x24(snap_compare, make_app):
    """z: the item takes the whole width, scrolled with J."""
    assert snap_compare(make_app(), terminal_size=SMALL, press=["j", "z", "J"])


def test_reject_dialog_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SMALL, press=["j", "j", "j", "r"])


def test_marked_and_skipped_rows(snap_compare, make_app):
    """space marks (+), l skips (») and moves on; the status line counts the marks."""

    async def marked(pilot) -> None:
        await pilot.press("l", "space", "space")
        pilot.app.clear_notifications()  # the skip's toast times out after 2 s: not drawn

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=marked)


def test_empty_database_says_how_to_import(snap_compare, tmp_path):
    from tests.tui.conftest import CURATOR
    from tui.app import AssayApp

    app = AssayApp(tmp_path / "empty.db", curator=CURATOR)
    assert snap_compare(app, terminal_size=SMALL)
