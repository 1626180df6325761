"""Pilot tests: every key and action of the curation app, checked against the database."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static, TextArea

from core.checking import run_checks
from core.results import TestCounts
from core.store import NewItem, Store
from tests.tui.conftest import CURATOR, SIZE, native_item, plain, settle, text_of, until
from tui.app import AssayApp
from tui.screens.bulk_screen import BulkScreen
from tui.screens.confirm_screen import ConfirmScreen
from tui.screens.edit_screen import EditScreen
from tui.screens.error_screen import ErrorScreen
from tui.screens.help_screen import HelpScreen
from tui.screens.reject_screen import REASONS, RejectScreen

pytestmark = pytest.mark.asyncio


def status_of(db_path, query_id):
    with Store(db_path) as store:
        item = store.get(query_id)
        return item.status, item.decided_by, item.decision_reason


async def wait_until(pilot, condition, rounds: int = 400) -> None:
    """Let the app run until `condition()` holds (a state, not a fixed delay)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)


async def test_first_paint_shows_queue_and_inspector(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.queue.count == 10
        assert app.queue.current["query_id"] == "item-000"
        assert "item-000" in text_of(app, "#item-view")
        assert "10 items" in text_of(app, "#queue-status")


async def test_queue_navigation_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "down")
        assert app.queue.cursor == 3
        await pilot.press("k")
        assert app.queue.cursor == 2
        await pilot.press("end")
        assert app.queue.current["query_id"] == "item-009"
        await pilot.press("home")
        assert app.queue.cursor == 0
        await pilot.press("pagedown")
        assert app.queue.cursor == 9
        await pilot.press("pageup")
        assert app.queue.cursor == 0
        await pilot.pause()
        await pilot.click("#queue", offset=(5, 4))
        assert app.queue.cursor == 4


async def test_accept_records_curator_and_moves_on(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert app.queue.current["query_id"] == "item-001"
    assert status_of(db_path, "item-000") == ("accepted", CURATOR, None)
    with Store(db_path) as store:
        last = store.history("item-000")[-1]
    assert (last.action, last.author, last.status) == ("decision", CURATOR, "accepted")


async def test_reject_with_a_listed_reason(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, RejectScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, RejectScreen)
    assert status_of(db_path, "item-000") == ("rejected", CURATOR, REASONS[1])


async def test_reject_offers_the_items_flags_first(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(3)
        await pilot.press("r", "enter")
    status, _, reason = status_of(db_path, "item-003")
    with Store(db_path) as store:
        first = store.check_result(store.get("item-003")).flags[0]
    assert status == "rejected"
    assert reason == f"{first.code}: {first.message}"


async def test_reject_with_a_typed_reason(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "tab")
        await pilot.press(*"off topic")
        await pilot.press("enter")
    assert status_of(db_path, "item-000") == ("rejected", CURATOR, "off topic")


async def test_reject_cancelled_changes_nothing(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "escape")
        assert not isinstance(app.screen, RejectScreen)
    assert status_of(db_path, "item-000")[0] == "pending"


async def test_undo_reverts_the_last_decision_even_after_moving_on(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert app.queue.cursor == 1
        await pilot.press("u")
        assert app.queue.current["query_id"] == "item-000"
    assert status_of(db_path, "item-000")[0] == "pending"
    with Store(db_path) as store:
        history = store.history("item-000")
    assert [r.action for r in history] == ["import", "decision", "revert"]
    assert history[-1].author == CURATOR


async def test_undo_with_empty_stack_undoes_the_current_item(make_app, db_path):
    with Store(db_path) as store:
        store.decide("item-000", "accepted", author="someone")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("home", "u")  # it opens at the first undecided item
    assert status_of(db_path, "item-000")[0] == "pending"


async def test_next_and_previous_undecided(make_app, db_path):
    with Store(db_path) as store:
        store.decide_many(["item-001", "item-002"], "accepted", author="someone")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert app.queue.current["query_id"] == "item-003"
        await pilot.press("p")
        assert app.queue.current["query_id"] == "item-000"
        await pilot.press("p")  # nothing before: stays
        assert app.queue.cursor == 0


async def test_edit_saves_a_revision_and_reruns_checks(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, EditScreen)
        await until(pilot, lambda: app.screen.query("#edit-reference_answer"))
        solution = app.screen.query_one("#edit-reference_answer", TextArea)
        solution.text = "def clamp_value(x: int, low: int, high: int) -> int:\n    return min(max(x, low), high)\n"
        app.screen.query_one("#edit-reason", Input).value = "simpler"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        assert app.queue.current["check_status"] == "pass"
    with Store(db_path) as store:
        item = store.get("item-000")
        assert item.revision == 2
        assert "min(max(x, low), high)" in item.reference_answer
        assert store.history("item-000")[-1].reason == "simpler"
        assert store.history("item-000")[-1].author == CURATOR
        result = store.check_result(item)  # the sandbox ran the new revision's tests
        assert result.revision == 2 and result.status == "pass"
        assert result.tests == TestCounts(passed=3, failed=0, total=3)


async def test_edit_metadata_must_be_json(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await until(pilot, lambda: app.screen.query("#edit-metadata"))
        app.screen.query_one("#edit-metadata", TextArea).text = "{not json"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, EditScreen)
        app.screen.query_one("#edit-metadata", TextArea).text = json.dumps(
            {"language": "Python", "difficulty": "advanced"}
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
    with Store(db_path) as store:
        assert store.get("item-000").metadata["difficulty"] == "advanced"


async def test_edit_cancel_and_no_op_save_write_nothing(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "escape")
        assert not isinstance(app.screen, EditScreen)
        await pilot.press("e")
        app.screen.query_one("#edit-assertions", TextArea).text = "changed"
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)  # unsaved changes: ask first
        await pilot.press("y")
        assert not isinstance(app.screen, EditScreen)
        await pilot.press("e", "ctrl+s")
        await pilot.pause()
    with Store(db_path) as store:
        assert store.get("item-000").revision == 1


async def test_edit_in_external_editor(make_app, db_path, monkeypatch):
    seen = {}

    def fake_editor(app, text, language):
        seen["text"], seen["language"] = text, language
        return text.replace("limits a number", "limits any number")

    monkeypatch.setattr("tui.editor.run_editor", fake_editor)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "ctrl+o", "ctrl+s")
        await settle(pilot)
    assert seen["language"] == "markdown"
    with Store(db_path) as store:
        assert "limits any number" in store.get("item-000").query_text


async def test_check_key_reruns_checks_in_the_background(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(8)  # a TypeScript item with no result yet
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorScreen)
        assert app.queue.current["check_status"] == "pass"
        assert app.queue.row(9)["check_status"] is None  # only the item under the cursor
    with Store(db_path) as store:
        result = store.check_result(store.get("item-008"))
    assert result.tests.failed == 0 and result.run.status == "pass"


async def test_check_every_unchecked_item_from_the_palette(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.action_check_unchecked()
        await settle(pilot)
        assert app.queue.row(9)["check_status"] == "pass"
    with Store(db_path) as store:
        assert store.unchecked() == []


async def test_a_failing_worker_shows_an_error_modal(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.run_checks(["item-gone"])  # e.g. another process removed the item meanwhile
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert "item-gone" in plain(app.screen.query_one("#error-message", Static).content)
        await pilot.press("escape")
        assert not isinstance(app.screen, ErrorScreen)


async def test_help_lists_every_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one("#help-keys", Static).content)
        for binding in app.BINDINGS:
            assert (binding.tooltip or binding.description) in text
        for key in ("accept", "reject", "undo", "edit", "next", "quit"):
            assert key in text.lower()
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_quit(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_search_uses_full_text(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"longestCommonPrefix", "enter")
        assert app.queue.count == 1
        assert app.queue.current["query_id"] == "item-007"
        assert app.focused is app.queue
        app.query_one("#search", Input).value = "throw"
        await wait_until(pilot, lambda: app.queue.count == 4)  # the search is debounced
        assert app.queue.count == 4  # only the TypeScript tests throw


async def test_filter_dialog(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query("#filter-language"))
        app.screen.query_one("#filter-language", Select).value = "typescript"
        app.screen.query_one("#filter-check_status", Select).value = "pass"
        app.screen.query_one("#filter-sort", Select).value = "complexity"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.queue.count == 2
        assert app.queue.current["query_id"] == "item-007"
        assert "typescript, check pass" in text_of(app, "#queue-status")
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query("#filter-flag"))
        app.screen.query_one("#filter-flag", Select).value = "placeholder_name"
        app.screen.query_one("#filter-language", Select).value = Select.NULL
        app.screen.query_one("#filter-check_status", Select).value = Select.NULL
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.queue.count == 1
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query("#clear"))
        app.screen.query_one("#clear", Button).press()
        await pilot.pause()
        assert app.queue.count == 10


async def test_filter_by_unchecked_and_recommendation(make_app):
    from core.store import ItemFilter

    app = make_app()
    async with app.run_test(size=SIZE):
        app.set_query(ItemFilter(check_status="unchecked"), "created")
        assert app.queue.count == 2
        app.set_query(ItemFilter(recommendation="reject"), "pass_rate")
        assert app.queue.count == 3
        assert app.queue.current["pass_rate"] == 0.5


async def test_sort_key_cycles_orders(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert app.sort == "complexity"
        assert app.queue.row(0)["query_id"] == "item-007"
        assert app.queue.current["query_id"] == "item-000"  # the cursor stays on its item
        assert "sorted by complexity" in text_of(app, "#queue-status")
        await pilot.press("s")
        assert app.sort == "pass_rate"
        assert app.queue.row(0)["check_status"] == "fail"
        for _ in range(5):  # the other orders, back to the first
            await pilot.press("s")
            if app.sort == "created":
                break
        assert app.sort == "created"
        assert "sorted by import order" in text_of(app, "#queue-status")


async def test_same_cluster_key_and_escape_clears(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")  # item-000 is in no cluster
        assert app.queue.count == 10
        app.queue.move_to(8)
        await pilot.press("c")
        assert app.queue.count == 3
        await pilot.press("escape")
        assert app.queue.count == 10
        assert app.queue.current["query_id"] == "item-008"  # escape kept the cursor's item
        # escape in the search box leaves it, keeping the search; a second one clears it
        await pilot.press("slash", *"python_func_3", "escape")
        assert app.queue.count == 1 and app.focused is app.queue
        await pilot.press("escape")
        assert app.queue.count == 10 and app.queue.current["query_id"] == "item-003"


async def test_background_refresh_keeps_the_inspectors_place(make_app, db_path):
    with Store(db_path) as store:
        store.decide("item-000", "accepted", author="someone")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("home", "6", "down")
        history = app.screen.query_one("#history-list", OptionList)
        with Store(db_path) as store:
            store.decide("item-005", "accepted", author="someone")  # another item changes
        app.poll_database()
        await pilot.pause()
        assert history.highlighted == 1


async def test_bulk_accept_clean_items_after_confirmation(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert isinstance(app.screen, BulkScreen)
        await until(pilot, lambda: app.screen.query(OptionList))
        # item-007 passes but is near-duplicated by 008 and 009: not clean
        assert "(4 items)" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: app.screen.query("#confirm-question"))
        assert "4 item(s)" in plain(app.screen.query_one("#confirm-question", Static).content)
        await pilot.press("y")
        await pilot.pause()
    with Store(db_path) as store:
        accepted = [i.query_id for i in store.items() if i.status == "accepted"]
        assert accepted == ["item-000", "item-001", "item-004", "item-006"]
        assert {store.get(q).decided_by for q in accepted} == {CURATOR}


async def test_bulk_reject_duplicates_keeps_the_representative(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "down", "enter", "y")
        await pilot.pause()
        await pilot.press("u")  # and bulk undo restores all of them
        await pilot.pause()
        assert status_of(db_path, "item-008")[0] == "pending"
        await pilot.press("b", "down", "enter", "y")
    assert status_of(db_path, "item-007")[0] == "pending"
    assert status_of(db_path, "item-008")[0] == "rejected"
    assert status_of(db_path, "item-009")[0] == "rejected"


async def test_bulk_respects_the_current_filter_and_can_be_declined(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"count_vowels", "enter")
        await pilot.press("b", "down", "down", "down", "enter", "n")
        await pilot.press("b", "down", "down", "down", "enter", "y")
    with Store(db_path) as store:
        assert [i.query_id for i in store.items() if i.status == "accepted"] == ["item-001"]


async def test_inspector_tabs(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(2)
        await pilot.press("2")
        assert app.inspector.active_tab == "tab-run"
        run = text_of(app, "#run-details")
        assert "(got 'a b', expected 'b a')" in run and "reversing 'a b'" in run
        await pilot.press("3")
        assert "per function" in text_of(app, "#metrics-details")
        await pilot.press("5")
        assert app.inspector.active_tab == "tab-gen"
        await pilot.press("1")
        assert "def reverse_words" in text_of(app, "#item-view")


async def test_duplicates_tab_diffs_against_the_neighbour(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(7)
        await pilot.press("4")
        assert "representative item-007" in text_of(app, "#dup-summary")
        options = app.screen.query_one("#dup-list", OptionList)
        assert str(options.get_option_at_index(0).prompt) == "1.00  solution   item-008"
        diff = text_of(app, "#dup-diff")
        assert "item-008" in diff and "function sharedPrefix" in diff


async def test_duplicates_tab_shows_what_the_checks_found(tmp_path):
    # The tab once read a key core never wrote: here the real checks run on two copies.
    original = native_item(
        0,
        "Python",
        "word_lengths",
        "returns the length of every word of a sentence, in order, ignoring extra spaces.",
        "def word_lengths(sentence: str) -> list[int]:\n"
        "    return [len(word) for word in sentence.split()]\n",
        'assert word_lengths("a bb ccc") == [1, 2, 3]\nassert word_lengths("") == []\n'
        'assert word_lengths("  hi  there ") == [2, 5]\n',
        "medium",
    )
    copy = dict(
        original,
        query_id="item-001",
        query_text=original["query_text"].replace("every word", "each word"),
        reference_answer=original["reference_answer"].replace("word", "token"),
    )
    path = tmp_path / "copies.db"
    with Store(path) as store:
        store.add_items([NewItem(original), NewItem(copy)], author="importer")
        run_checks(store)
    app = AssayApp(path, curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(1)
        await pilot.press("4")
        await pilot.pause()
        assert "representative item-000" in text_of(app, "#dup-summary")
        options = app.screen.query_one("#dup-list", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels and all(label.endswith("item-000") for label in labels)
        assert {label.split()[1] for label in labels} <= {"statement", "solution"}
        diff = text_of(app, "#dup-diff")
        assert "item-000" in diff and "token" in diff and "for word in" in diff
        app.queue.move_to(0)  # the representative lists the copy too
        await pilot.pause()
        assert str(options.get_option_at_index(0).prompt).endswith("item-001")


async def test_restore_from_history(make_app, db_path):
    with Store(db_path) as store:
        store.decide("item-000", "rejected", author="someone", reason="nope")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("home", "6")
        assert isinstance(app.focused, OptionList)
        await pilot.press("down", "enter")  # newest first: r1 is second
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
    with Store(db_path) as store:
        item = store.get("item-000")
        assert (item.status, item.revision) == ("pending", 3)
        last = store.history("item-000")[-1]
        assert (last.action, last.author) == ("revert", CURATOR)


async def test_a_second_app_sees_the_first_ones_decisions(make_app, db_path):
    first, second = make_app(), make_app()
    async with first.run_test(size=SIZE) as pilot_one, second.run_test(size=SIZE) as pilot_two:
        await pilot_one.press("a")
        await pilot_two.press("ctrl+r")
        assert second.queue.current["status"] == "accepted"
        await pilot_one.press("a")  # item-001
        second.poll_database()  # what the once-a-second timer does
        assert second.queue.row(1)["status"] == "accepted"


async def test_export_dialog_writes_the_accepted_set(make_app, db_path, tmp_path):
    with Store(db_path) as store:
        store.decide_many(["item-001", "item-006"], "accepted", author="someone")
    out = tmp_path / "accepted.jsonl"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        app.screen.query_one("#export-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = text_of(app, "#export-result")
        assert "2 items" in summary and "manifest" in summary
        assert "2 items will be exported" in text_of(app, "#export-count")
        await pilot.press("escape")
    lines = out.read_text().splitlines()
    assert [json.loads(line)["query_id"] for line in lines] == ["item-001", "item-006"]
    assert (tmp_path / "accepted.jsonl.manifest.json").exists()


async def test_export_dialog_warns_of_failing_accepted_items_and_can_refuse_them(
    make_app, db_path, tmp_path
):
    # item-002 fails half its tests (its real check result): accepted, it is exported
    # with a warning that names it, or, with the refuse box ticked, nothing is written.
    with Store(db_path) as store:
        store.decide_many(["item-001", "item-002"], "accepted", author="someone")
        assert store.get("item-002").check_status == "fail"
    out, refused = tmp_path / "with-warning.jsonl", tmp_path / "refused.jsonl"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await until(pilot, lambda: app.screen.query("#export-strict"), "the export dialog")
        hint = text_of(app, "#export-count")
        assert "2 items will be exported (1 accepted fail their checks)" in hint
        app.screen.query_one("#export-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = text_of(app, "#export-result")
        assert "2 items" in result
        assert "1 accepted item(s) fail their checks: item-002 (fail)" in " ".join(result.split())
        app.screen.query_one("#export-strict", Checkbox).value = True
        app.screen.query_one("#export-path", Input).value = str(refused)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Nothing exported: 1 accepted item(s)" in " ".join(
            text_of(app, "#export-result").split()
        )
    assert len(out.read_text().splitlines()) == 2
    assert not refused.exists() and not (tmp_path / "refused.jsonl.manifest.json").exists()


async def test_export_dialog_fits_80x24_and_scrolls_to_its_warning(make_app, db_path, tmp_path):
    with Store(db_path) as store:
        store.decide_many(["item-001", "item-002"], "accepted", author="someone")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("E")
        await until(pilot, lambda: app.screen.query("#export-strict"), "the export dialog")
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "out.jsonl")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen.query_one("#export-dialog")
        assert dialog.region.right <= 80 and dialog.region.bottom <= 24  # nothing cut off
        dialog.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        warning = app.screen.query_one("#export-result")
        assert "fail their checks" in text_of(app, "#export-result")
        assert dialog.region.contains_region(warning.region.intersection(dialog.region))
        assert warning.region.bottom > dialog.region.y  # scrolled into view, not off screen


async def test_export_dialog_reports_a_bad_path(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.pause()  # the dialog composed
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "missing" / "x.jsonl")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "does not exist" in text_of(app, "#export-result")


async def test_dashboard(make_app, db_path):
    with Store(db_path) as store:
        store.decide("item-001", "accepted", author="ann")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await until(pilot, lambda: app.screen.query("#dash-summary"))
        await settle(pilot)
        await until(pilot, lambda: "loading" not in text_of(app, "#dash-summary"), "the dashboard")
        summary = text_of(app, "#dash-summary")
        assert "10" in summary and "ann: 1 decided" in summary
        assert "3 items in 1 clusters" in summary
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]


async def test_command_palette_offers_every_action(make_app):
    app = make_app()
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
    for binding in app.BINDINGS:
        if binding.action not in ("quit", "help"):
            assert (binding.tooltip or binding.description) in titles
    assert any(t.startswith("Bulk: Reject duplicates") for t in titles)
    assert "Check every unchecked item" in titles


async def test_command_palette_runs_an_action(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Accept")
        await wait_until(pilot, lambda: bool(app.screen.query("CommandList Option")))
        await pilot.press("enter")
        await pilot.pause()
    assert status_of(db_path, "item-000")[0] == "accepted"


async def test_curation_keys_do_nothing_over_other_screens(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark", "a", "r", "b")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "d")
        await app.workers.wait_for_complete()
        await pilot.press("a", "x", "q")
        assert app.is_running
    assert status_of(db_path, "item-000")[0] == "pending"


async def test_edit_screen_field_keys_and_reason(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "ctrl+n")
        assert app.focused.id == "edit-reference_answer"
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        assert app.focused.id == "edit-query_text"
        await pilot.press("ctrl+b")
        assert app.focused.id == "edit-metadata"
        await pilot.press("ctrl+b")
        await pilot.press("end", *" # checked", "ctrl+r")
        assert app.focused.id == "edit-reason"
        await pilot.press(*"note the check", "enter")
        await settle(pilot)
    with Store(db_path) as store:
        item = store.get("item-000")
        assert item.assertions.splitlines()[0].endswith("# checked")
        assert store.history("item-000")[-1].reason == "note the check"


async def test_a_search_of_only_quotes_is_harmless(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"longestCommonPrefix", "enter")
        await settle(pilot)
        assert app.queue.count == 1
        app.query_one("#search", Input).value = '"'
        await pilot.press("slash", "enter")
        await settle(pilot)
        assert app.is_running
        assert app.queue.count == app.store.count()  # nothing left to search: everything


async def test_database_errors_become_a_modal(make_app, monkeypatch):
    import sqlite3

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app.store, "decide", locked)
        await pilot.press("a")
        assert isinstance(app.screen, ErrorScreen)
        assert "locked by another process" in plain(
            app.screen.query_one("#error-message", Static).content
        )


async def test_empty_database(tmp_path):
    from tui.app import AssayApp

    app = AssayApp(tmp_path / "empty.db", curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "r", "e", "x", "n", "j", "u")
        assert app.queue.count == 0
        assert isinstance(app.screen, type(app.screen_stack[0]))
        assert "assay import FILE" in text_of(app, "#item-view")
