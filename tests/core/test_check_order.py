"""Duplicate flags are a function of the stored set, not of the order items are checked in:
the real `assay check` and `run_checks` on a real SQLite store, in every order."""

from __future__ import annotations

import itertools
import json

from typer.testing import CliRunner

from core.checking import run_checks
from core.cli import app
from core.store import Store
from tests.conftest import make_record, write_jsonl

runner = CliRunner()

GOOD = make_record("good")
# the same statement once the function name is abstracted: an exact duplicate of good
TWIN = make_record("twin", function_name="sum_two")
# a lightly reworded statement with the same solution: a near duplicate of good
COPY = make_record(
    "copy",
    query_text="Write a Python function named `add_numbers` that returns the sum of two "
    "integers given to it. Language: Python. Function name: add_numbers",
)
OTHER = make_record(
    "other",
    function_name="count_vowels",
    query_text="Write a Python function named `count_vowels` that counts the vowels a, e, i, o "
    "and u in a lower-case string. Language: Python. Function name: count_vowels",
    reference_answer="def count_vowels(s: str) -> int:\n    return sum(c in 'aeiou' for c in s)\n",
    assertions="assert count_vowels('banana') == 3\nassert count_vowels('') == 0\n"
    "assert count_vowels('sky') == 0",
)
RECORDS = [GOOD, TWIN, COPY, OTHER]


def imported(tmp_path, name: str) -> str:
    db = str(tmp_path / f"{name}.db")
    source = write_jsonl(tmp_path / "items.jsonl", RECORDS)
    result = runner.invoke(app, ["import", str(source), "--db", db])
    assert result.exit_code == 0, result.output
    return db


def stored_view(db: str) -> dict[str, tuple]:
    """What a curator sees of each item's duplicates: flags, neighbours, recommendation."""
    with Store(db) as store:
        results = store.current_check_results()
        clusters = store.clusters()
    return {
        query_id: (
            sorted((f.code, f.severity, f.message) for f in result.flags),
            [(n.query_id, n.field, n.exact) for n in result.neighbours],
            result.recommendation,
            clusters[query_id],
        )
        for query_id, result in results.items()
    }


def check_one_by_one(db: str, order: tuple[str, ...]) -> None:
    with Store(db) as store:
        for query_id in order:
            run_checks(store, [store.get(query_id)])


def test_the_batch_flags_both_members_of_each_pair(tmp_path):
    db = imported(tmp_path, "batch")
    result = runner.invoke(app, ["check", "--json", "--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = {line["query_id"]: line for line in map(json.loads, result.stdout.splitlines())}
    codes = {q: [(f["code"], f["severity"]) for f in line["flags"]] for q, line in lines.items()}
    assert codes["twin"] == [("exact_duplicate", "reject")]
    assert sorted(codes["good"]) == [("exact_copies", "info"), ("near_duplicate", "warn")]
    assert codes["copy"] == [("near_duplicate", "warn")]
    assert codes["other"] == []
    assert "near-duplicate of good" in lines["copy"]["flags"][0]["message"]
    good_near = next(f for f in lines["good"]["flags"] if f["code"] == "near_duplicate")
    assert "near-duplicate of copy" in good_near["message"]
    assert [lines[q]["recommendation"] for q in ("good", "twin", "copy", "other")] == [
        "review",
        "reject",
        "review",
        "accept",
    ]
    view = stored_view(db)
    # copy shares good's solution; twin its statement, exactly
    assert sorted(view["good"][1]) == [("copy", "solution", False), ("twin", "statement", True)]
    assert view["copy"][1] == [("good", "solution", False)]
    assert view["twin"][1] == [("good", "statement", True)]


def test_every_check_order_gives_the_batch_flags(tmp_path):
    batch = imported(tmp_path, "batch")
    assert runner.invoke(app, ["check", "--db", batch]).exit_code == 0
    expected = stored_view(batch)
    assert set(expected) == {"good", "twin", "copy", "other"}
    for n, order in enumerate(itertools.permutations(["good", "twin", "copy"])):
        db = imported(tmp_path, f"order-{n}")
        check_one_by_one(db, (*order, "other"))
        assert stored_view(db) == expected, order


def test_a_recheck_after_an_edit_updates_the_neighbours_it_left_and_joined(tmp_path):
    db = imported(tmp_path, "edit")
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 0
    with Store(db) as store:
        store.edit("copy", dict(OTHER, query_id="copy"), author="curator")
        [edited] = run_checks(store, store.unchecked())
        assert edited.query_id == "copy"
        # good is no longer anyone's near duplicate: only its exact twin is left
        good = store.check_result(store.get("good"))
        assert [f.code for f in good.flags] == ["exact_copies"]
        assert [n.query_id for n in good.neighbours] == ["twin"]
        assert good.recommendation == "accept"
        assert store.get("good").recommendation == "accept"  # the queue's column too
    view = stored_view(db)
    # copy now states other's problem and is older: other, checked before and not
    # re-checked, is rejected against it in its stored result
    # (its edit replaced every test, so it is tests_weakened too: not a duplicate flag)
    assert [(c, s) for c, s, _ in view["copy"][0] if c != "tests_weakened"] == [
        ("exact_copies", "info")
    ]
    assert [(c, s) for c, s, _ in view["other"][0]] == [("exact_duplicate", "reject")]
    assert view["other"][1] == [("copy", "statement", True)] and view["other"][2] == "reject"
    assert view["copy"][3] == view["other"][3] == "copy"


def test_a_third_copy_of_a_template_flags_the_two_checked_before(tmp_path):
    fillers = [
        make_record(
            f"filler-{n}",
            function_name=f"python_func_{n}",
            query_text=f"Write a Python function named `python_func_{n}` that implements a "
            f"medium level algorithm. Language: Python. Function name: python_func_{n}",
            reference_answer=f"def python_func_{n}(x):\n    return x\n",
            assertions=f"assert python_func_{n}(1) == 1",
        )
        for n in (1, 2, 3)
    ]
    db = str(tmp_path / "t.db")
    runner.invoke(app, ["import", str(write_jsonl(tmp_path / "a.jsonl", fillers[:2])), "--db", db])
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 0
    runner.invoke(app, ["import", str(write_jsonl(tmp_path / "b.jsonl", fillers[2:])), "--db", db])
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 0
    view = stored_view(db)
    for query_id in ("filler-1", "filler-2", "filler-3"):
        template = [(c, s) for c, s, _ in view[query_id][0] if c == "repeated_template"]
        assert template == [("repeated_template", "reject")], query_id


def test_each_flag_code_appears_once_per_item(tmp_path):
    db = imported(tmp_path, "once")
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 0
    for query_id, (flags, _, _, _) in stored_view(db).items():
        codes = [code for code, _, _ in flags]
        assert len(codes) == len(set(codes)), (query_id, codes)
