"""Untrusted text is inert on screen: escape sequences an item or its run carries (an OSC 52
clipboard write, a screen clear, an 8-bit CSI, a fake green verdict) reach neither the
terminal the app draws nor the command line's human output; the curator sees them as
visible escapes (`\\x1b`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app as cli
from tests.conftest import write_jsonl
from tests.tui.conftest import CURATOR, SIZE, native_item, settle
from tui.app import AssayApp
from tui.screens.edit_screen import EditScreen

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # writes `rm -rf ~` to the curator's clipboard
CLEAR = "\x1b[2J"
CSI8 = "\x9b2J"  # the same clear, as an 8-bit C1 control
FAKE = "\x1b[1;32mALL 3 TESTS PASSED - recommend ACCEPT\x1b[0m"
HOSTILE = OSC52 + CLEAR + CSI8 + FAKE
VISIBLE = "\\x1b]52;c;cm0gLXJmIH4=\\x07"  # how the OSC 52 write reads on screen

runner = CliRunner()


def hostile_items() -> list[dict]:
    shout = native_item(
        1,
        "JavaScript",
        "shout",
        f"upper-cases a word. {HOSTILE}",
        f'function shout(word) {{\n  console.log("{HOSTILE}");\n  return word.toUpperCase();\n}}\n',
        f'if (shout("a{CLEAR}") !== "A{CLEAR}") throw new Error("a");\n'
        f'if (shout("b") !== "B") throw new Error("b");\n'
        f'if (shout("c") !== "c") throw new Error("c{OSC52}");\n',
        "medium",
    )
    shout["query_id"] = "term-001"
    copy = json.loads(json.dumps(shout))  # a near-duplicate: the Duplicates tab diffs them
    copy["query_id"] = "term-002"
    copy["reference_answer"] = copy["reference_answer"].replace("word", "text")
    odd = native_item(3, "Python", "shout_twice", "shouts twice.", "x = 1\n", "x\n", "medium")
    odd["query_id"] = "term-003"
    odd["metadata"]["language"] = f"Py{OSC52}thon"  # shown in the queue and by `assay stats`
    return [shout, copy, odd]


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """The items imported and checked by the real CLI, then rejected with a hostile reason."""
    db = tmp_path / "hostile.db"
    source = write_jsonl(tmp_path / "hostile.jsonl", hostile_items())
    for argv in (
        ["import", str(source)],
        ["check"],
        ["reject", "term-001", "--reason", f"looks fine {OSC52}", "--curator", CURATOR],
    ):
        result = runner.invoke(cli, [*argv, "--db", str(db)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return db


# What Textual itself writes: SGR styles and cursor moves. Anything else is the item's.
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_output(app: AssayApp) -> str:
    """Exactly what the app would write to the terminal to draw its screen now."""
    update = app.screen._compositor.render_update(full=True)
    assert update is not None
    return update.render_segments(app.console)  # type: ignore[union-attr]


def screen_text(output: str) -> str:
    return OWN_SEQUENCES.sub("", output)


def assert_inert(output: str) -> None:
    for raw in ("\x1b]52", "\x07", "\x9b", "\x1b[2J", "\x1b[1;32mALL"):
        assert raw not in output, repr(raw)
    assert not CONTROLS.search(screen_text(output)), repr(CONTROLS.findall(screen_text(output)))


@pytest.mark.asyncio
async def test_the_app_shows_escapes_and_sends_none(hostile_db):
    app = AssayApp(hostile_db, curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.queue.current is not None
        # term-001 is decided, so the app opens at the first undecided item; go back to it.
        assert app.queue.current["query_id"] == "term-002"
        await pilot.press("k")
        await settle(pilot)
        assert app.queue.current["query_id"] == "term-001"
        seen = {}
        for key, tab in (("1", "item"), ("2", "run"), ("4", "dups"), ("6", "history")):
            await pilot.press(key)
            await settle(pilot)
            output = terminal_output(app)
            assert_inert(output)
            seen[tab] = screen_text(output)
        assert VISIBLE in seen["item"]  # the statement and the code
        assert "\\x1b[2J" in seen["item"]
        assert "\\x9b2J" in seen["run"]  # stdout
        assert 'shout("a\\x1b[2J")' in seen["run"]  # a test's name
        assert "c\\x1b]52;c;" in seen["run"]  # a failure's message
        assert "\\x1b[1;32mALL 3 TESTS PASSED" in seen["run"]  # the fake banner, as text
        assert "term-002" in seen["dups"] and VISIBLE in seen["dups"]
        assert "looks fine" in seen["history"] and VISIBLE in seen["history"]  # its reason
        app.queue.focus()
        await pilot.press("e")  # the editor shows the same escapes, and saves none of them
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        output = terminal_output(app)
        assert_inert(output)
        assert VISIBLE in screen_text(output)
        assert app.screen.edited_record() == app.screen.item.record  # nothing typed: as is
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        await pilot.press("end", "1")  # the item whose language carries the escape
        await settle(pilot)
        output = terminal_output(app)
        assert_inert(output)
        assert "language py\\x1b]52" in screen_text(output).lower()
        await pilot.press("f")  # the filter's choices list the items' languages
        await settle(pilot)
        await pilot.click("#filter-language")
        await settle(pilot)
        output = terminal_output(app)
        assert_inert(output)
        assert "py\\x1b]52" in screen_text(output).lower()


def test_human_output_shows_escapes_and_json_escapes_them(hostile_db):
    for argv in (["stats"], ["history", "term-001"]):
        result = runner.invoke(cli, [*argv, "--db", str(hostile_db)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert VISIBLE in result.output or "\\x1b]52" in result.output
        assert not CONTROLS.search(result.output), (argv, result.output)
    result = runner.invoke(cli, ["stats", "--json", "--db", str(hostile_db)])
    assert not CONTROLS.search(result.output)
    assert f"Py{OSC52}thon".lower() in json.loads(result.output)["by_language"]
    result = runner.invoke(cli, ["check", "--all", "--json", "--db", str(hostile_db)])
    assert result.exit_code == 0, result.output
    assert not CONTROLS.search(result.output)
    assert {json.loads(line)["query_id"] for line in result.output.splitlines()} == {
        "term-001",
        "term-002",
        "term-003",
    }


def test_every_attempt_status_the_pipeline_stores_has_a_colour() -> None:
    """The attempts tab colours each attempt's status; one the pipeline writes that has no
    style (unreadable, duplicate) read as plain text among red fails and green passes."""
    from core.generation.pipeline import ATTEMPT_STATUSES
    from sandbox.result import TEST_STATUSES
    from tui.render import STATUS_STYLES, styled

    for status in (*ATTEMPT_STATUSES, *TEST_STATUSES):
        assert styled(status).style == STATUS_STYLES[status], status
