"""Curators do not overwrite each other: edits check the revision they started from, an
edit sends an accepted item back to review, and who decided what (and how far curators
agree) comes from the revision history."""

import json

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.curators import cohen_kappa, curator_report
from core.store import EditConflict, ItemFilter, Store
from tests.conftest import make_record, write_jsonl

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "c.db"
    items = [make_record(f"q{n}") for n in range(6)]
    assert invoke("import", write_jsonl(tmp_path / "in.jsonl", items), "--db", path).exit_code == 0
    return path


def test_an_edit_from_a_revision_someone_else_changed_is_refused_and_writes_nothing(db):
    with Store(db) as store:
        opened = store.get("q0").revision  # ann opens the editor on q0
    assert invoke("accept", "q0", "--db", db, "--curator", "bob").exit_code == 0
    with Store(db) as store:
        with pytest.raises(EditConflict) as refused:
            store.edit(
                "q0",
                make_record("q0", query_text="Ann's wording."),
                author="ann",
                base_revision=opened,
            )
        message = str(refused.value)
        stamp = store.history("q0")[-1].created_at[:19].replace("T", " ")
        assert f"q0 was changed by bob at {stamp} UTC since you opened it" in message
        item = store.get("q0")
        assert (item.revision, item.status, item.decided_by) == (2, "accepted", "bob")
        assert item.query_text != "Ann's wording."
        # From the revision she now sees, her edit goes through.
        store.edit(
            "q0", make_record("q0", query_text="Ann's wording."), author="ann", base_revision=2
        )
        assert store.get("q0").query_text == "Ann's wording."


def test_an_edit_sends_an_accepted_item_back_to_review_and_out_of_the_export(db, tmp_path):
    invoke("accept", "q1", "--db", db, "--curator", "bob")
    with Store(db) as store:
        store.edit(
            "q1", make_record("q1", assertions="assert add_numbers(1, 1) == 2"), author="ann"
        )
        item = store.get("q1")
        assert (item.status, item.decided_by) == ("pending", None)
        last = store.history("q1")[-1]
        assert (last.action, last.author, last.status) == ("edit", "ann", "pending")
        assert "edited after acceptance" in last.reason
        assert store.count(ItemFilter(status="accepted")) == 0
    out = tmp_path / "out.jsonl"
    assert invoke("export", out, "--db", db).exit_code == 0
    assert out.read_text() == ""  # nobody accepted the new content


def test_cohen_kappa_matches_the_textbook_example():
    # 50 items: both yes 20, yes/no 5, no/yes 10, both no 15: po 0.7, pe 0.5, kappa 0.4.
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("y", "y"), ("n", "n")]) == pytest.approx(1.0)
    assert cohen_kappa([("y", "n"), ("n", "y")]) == pytest.approx(-1.0)
    assert cohen_kappa([("y", "y")] * 3) is None  # one label on both sides: undefined
    assert cohen_kappa([]) is None


def test_per_curator_counts_and_agreement_come_from_the_history(db):
    def decide(curator, verb, *ids):
        for query_id in ids:
            args = [verb, query_id, "--db", db, "--curator", curator]
            assert (
                invoke(*args, *(["--reason", "vague"] if verb == "reject" else [])).exit_code == 0
            )

    decide("ann", "accept", "q0", "q1", "q2")
    decide("ann", "reject", "q3")
    decide("bob", "accept", "q0", "q1")
    decide("bob", "reject", "q2", "q3", "q4")
    decide("carl", "accept", "q5")
    with Store(db) as store:
        store.undo("q4", author="bob")  # bob takes back his reject of q4
        report = curator_report(store)
    assert [(c.curator, c.accepted, c.rejected) for c in report.counts] == [
        ("ann", 3, 1),
        ("bob", 2, 2),
        ("carl", 1, 0),
    ]
    [pair] = report.agreement  # carl decided nothing the others did
    assert (pair.first, pair.second, pair.items, pair.agreed) == ("ann", "bob", 4, 3)
    # ann: A A A R, bob: A A R R -> po 3/4, pe (3*2 + 1*2)/16 = 1/2, kappa 0.5
    assert pair.kappa == pytest.approx(0.5)
    stats = json.loads(invoke("stats", "--json", "--db", db).stdout)
    assert stats["by_status"] == {"pending": 1, "accepted": 3, "rejected": 2}  # the last word
