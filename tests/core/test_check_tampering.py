"""A revision that weakens an item's tests is flagged by `assay check`, with the diff: a
curator's edit, a re-import of the item's own file, a restore."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.checking import run_checks
from core.cli import app
from core.store import Store
from tests.conftest import make_record, write_jsonl

runner = CliRunner()

TESTS = (
    "assert add_numbers(1, 2) == 3\nassert add_numbers(-1, 1) == 0\n"
    "assert add_numbers(0, 0) == 0\nassert add_numbers(2, 2) == 4\nassert add_numbers(5, 5) == 10"
)
ITEM = make_record("sum", assertions=TESTS)


def checked(tmp_path, records=(ITEM,)) -> str:
    db = str(tmp_path / "t.db")
    source = write_jsonl(tmp_path / "items.jsonl", list(records))
    assert runner.invoke(app, ["import", str(source), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 0
    return db


def check_line(db: str, query_id: str) -> dict:
    result = runner.invoke(app, ["check", "--json", "--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = {line["query_id"]: line for line in map(json.loads, result.stdout.splitlines())}
    return lines[query_id]


def weakened(line: dict) -> list[dict]:
    return [f for f in line["flags"] if f["code"] == "tests_weakened"]


def test_an_edit_that_deletes_tests_is_flagged_with_the_diff(tmp_path):
    db = checked(tmp_path)
    kept = "\n".join(TESTS.splitlines()[:3])
    with Store(db) as store:
        store.edit("sum", dict(ITEM, assertions=kept), author="curator")
    line = check_line(db, "sum")
    assert line["status"] == "pass"  # the weaker tests still pass: that is the point
    [flag] = weakened(line)
    assert flag["severity"] == "warn" and line["recommendation"] == "review"
    assert flag["message"] == "the edit (revision 2) deleted 2 of 5 tests"
    assert list(flag) == ["code", "severity", "message"]  # the contract line is unchanged
    with Store(db) as store:
        [stored] = [f for f in store.check_result(store.get("sum")).flags if f.detail]
    assert "-assert add_numbers(2, 2) == 4" in stored.detail
    assert "-assert add_numbers(5, 5) == 10" in stored.detail


def test_a_reimport_that_rewrites_an_expected_value_is_flagged(tmp_path):
    db = checked(tmp_path)
    rewritten = TESTS.replace("== 10", "== 11")
    source = write_jsonl(tmp_path / "items.jsonl", [dict(ITEM, assertions=rewritten)])
    assert runner.invoke(app, ["import", str(source), "--db", db]).exit_code == 0
    line = check_line(db, "sum")
    [flag] = weakened(line)
    assert flag["message"] == "the re-import (revision 2) changed the expected value of 1 test"
    assert line["recommendation"] == "reject"  # and it fails: the run decides first


def test_an_edit_that_adds_tests_or_reformats_them_is_not_flagged(tmp_path):
    db = checked(tmp_path)
    more = TESTS.replace(" == ", "==") + "\nassert add_numbers(7, 1) == 8"
    with Store(db) as store:
        store.edit("sum", dict(ITEM, assertions=more), author="curator")
        [result] = run_checks(store, store.unchecked())
    assert [f.code for f in result.flags] == [] and result.recommendation == "accept"


def test_restoring_the_stronger_tests_brings_back_their_clean_result(tmp_path):
    db = checked(tmp_path)
    with Store(db) as store:
        store.edit("sum", dict(ITEM, assertions=TESTS.splitlines()[0]), author="curator")
        [weak] = run_checks(store, store.unchecked())
        assert "tests_weakened" in [f.code for f in weak.flags]
        store.restore("sum", 1, author="curator")
        assert store.unchecked() == []  # the first content's result is the current one again
        restored = store.check_result(store.get("sum"))
        assert restored is not None and restored.flags == []
        assert store.get("sum").recommendation == "accept"
