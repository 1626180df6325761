"""The store: migrations, revisions for every change, restore, check results, search."""

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.checking import run_checks
from core.errors import AssayError
from core.store import MIGRATIONS, ItemFilter, NewItem, Store, migrations
from tests.conftest import make_record


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        yield s


def add(store, *records):
    store.add_items(
        [NewItem(r, "assay", "/data/x.jsonl", i + 1) for i, r in enumerate(records)],
        author="importer",
    )


def test_open_applies_migrations_once_and_uses_wal(tmp_path):
    path = tmp_path / "m.db"
    Store(path).close()
    with Store(path) as store:  # second open: nothing pending, nothing re-applied
        assert migrations.pending(store.db) == []
        applied = [r["name"] for r in store.db["_sqlite_migrations"].rows]
        assert applied.count("m001_items_and_revisions") == 1
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert {"items", "revisions", "check_results"} <= set(store.db.table_names())


def test_new_item_has_first_revision_with_provenance(store):
    add(store, make_record("a"))
    item = store.get("a")
    assert (item.status, item.revision, item.source_line) == ("pending", 1, 1)
    assert item.source_file == "/data/x.jsonl"
    [rev] = store.history("a")
    assert (rev.action, rev.author, rev.record) == ("import", "importer", make_record("a"))


def test_every_change_writes_a_revision_and_any_can_be_restored(store):
    add(store, make_record("a"))
    store.decide("a", "accepted", author="ann", reason="looks right")
    edited = make_record("a", query_text="Sum two ints.")
    store.edit("a", edited, author="bob", reason="tighter wording")
    store.decide("a", "rejected", author="ann", reason="too easy")
    history = store.history("a")
    assert [(r.revision, r.action, r.author, r.status) for r in history] == [
        (1, "import", "importer", "pending"),
        (2, "decision", "ann", "accepted"),
        (3, "edit", "bob", "pending"),  # an edit sends an accepted item back to review
        (4, "decision", "ann", "rejected"),
    ]
    assert history[3].reason == "too easy"
    restored = store.restore("a", 2, author="carl")
    assert restored.revision == 5
    assert restored.status == "accepted"
    assert restored.record == make_record("a")  # the edit is undone too
    assert store.history("a")[-1].action == "revert"


def test_undo_restores_previous_revision(store):
    add(store, make_record("a"))
    store.decide("a", "rejected", author="ann", reason="dup")
    item = store.undo("a", author="ann")
    assert item.status == "pending"
    assert item.decided_by is None
    assert [r.action for r in store.history("a")] == ["import", "decision", "revert"]


def test_undo_of_first_revision_is_refused(store):
    add(store, make_record("a"))
    with pytest.raises(AssayError, match="no change to undo"):
        store.undo("a", author="ann")


def test_noop_edit_writes_nothing(store):
    add(store, make_record("a"))
    store.edit("a", make_record("a"), author="bob")
    assert len(store.history("a")) == 1


def test_edit_cannot_change_query_id(store):
    add(store, make_record("a"))
    with pytest.raises(AssayError, match="query_id"):
        store.edit("a", make_record("b"), author="bob")
    assert store.get("a").revision == 1


def test_unknown_item_and_status_are_clear_errors(store):
    with pytest.raises(AssayError, match="no item with query_id 'nope'"):
        store.get("nope")
    add(store, make_record("a"))
    with pytest.raises(AssayError, match="Unknown status"):
        store.decide("a", "maybe", author="x")


def test_check_results_follow_content_not_decisions(store):
    add(store, make_record("a"))
    item = store.get("a")
    assert [i.query_id for i in store.unchecked()] == ["a"]
    [result] = run_checks(store)  # the real sandbox and quality checks
    assert result.query_id == item.query_id and result.status == "pass"
    assert store.check_result(item) == result
    assert store.unchecked() == []
    store.decide("a", "accepted", author="ann")  # a decision does not invalidate the check
    assert store.unchecked() == []
    assert store.get("a").check_status == "pass"
    store.edit("a", make_record("a", assertions="assert add_numbers(2, 2) == 4"), author="bob")
    edited = store.get("a")
    assert edited.check_status is None and [i.query_id for i in store.unchecked()] == ["a"]
    store.restore("a", 1, author="bob")  # back to checked content: its result comes back
    restored = store.get("a")
    assert (restored.check_status, restored.flag_codes) == ("pass", result.flag_codes)
    assert store.check_result(restored) == result


def test_filters_sorting_and_full_text_search(store):
    add(
        store,
        make_record("py-1", function_name="reverse_words"),
        make_record("ts-1", metadata={"language": "TypeScript", "difficulty": "advanced"}),
        make_record("py-2", function_name="count_vowels"),
    )
    store.decide("py-2", "accepted", author="ann")
    assert store.count(ItemFilter(language="typescript")) == 1
    assert store.count(ItemFilter(language="TS")) == 1
    assert store.count(ItemFilter(status="accepted")) == 1
    assert store.count(ItemFilter(undecided_only=True)) == 2
    assert [i.query_id for i in store.items(ItemFilter(search="vowel"))] == ["py-2"]
    assert [i.query_id for i in store.items(ItemFilter(search="reverse words"))] == ["py-1"]
    assert store.count(ItemFilter(search='"; DROP TABLE items')) == 0
    rows = store.queue_rows(ItemFilter(), limit=2, offset=1)
    assert [r["query_id"] for r in rows] == ["ts-1", "py-2"]


def test_stats_contract(store):
    add(store, make_record("a"), make_record("b", metadata={"language": "Go"}))
    store.decide("a", "rejected", author="ann")
    stats = store.stats()
    assert stats["total"] == 2
    assert stats["by_status"] == {"pending": 1, "accepted": 0, "rejected": 1}
    assert stats["by_language"] == {"go": 1, "python": 1}
    assert stats["by_check_status"] == {"unchecked": 2}


def test_two_connections_see_each_others_decisions(tmp_path):
    path = tmp_path / "shared.db"
    with Store(path) as one, Store(path) as two:
        add(one, make_record("a"))
        two.decide("a", "accepted", author="bob")
        assert one.get("a").status == "accepted"


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(AssayError, match="not an Assay database"):
        Store(bad)


def test_unique_query_id_enforced(store):
    add(store, make_record("a"))
    with pytest.raises(sqlite3.IntegrityError):
        add(store, make_record("a"))
    assert store.count() == 1


def test_a_search_of_only_quotes_selects_everything(store):
    add(store, make_record("a"))
    assert store.count(ItemFilter(search='"')) == 1
    assert store.count(ItemFilter(search=' " "" ')) == 1


def test_two_writers_at_once_wait_for_each_other_instead_of_failing(tmp_path):
    import threading

    path = tmp_path / "busy.db"
    with Store(path) as store:
        add(store, *[make_record(f"i{n}") for n in range(40)])
    errors: list[BaseException] = []

    def curate(who: str, ids: list[str]) -> None:
        try:
            with Store(path) as mine:
                for _ in range(5):
                    for qid in ids:  # each decision reads the item, then writes
                        mine.decide(qid, "accepted", author=who)
                        mine.decide(qid, "pending", author=who)
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [
        threading.Thread(target=curate, args=(who, [f"i{n}" for n in range(k, 40, 2)]))
        for k, who in enumerate(("ann", "bob"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store(path) as store:
        assert store.get("i0").revision == 11 and store.get("i1").revision == 11


def test_no_module_outside_the_store_runs_sql():
    root = Path(__file__).resolve().parents[2]
    statement = re.compile(r"\.execute(?:many)?\(|\b(?:SELECT|INSERT|UPDATE|DELETE) \w")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for package in ("core", "tui")
        for path in sorted((root / package).rglob("*.py"))
        if "store" not in path.relative_to(root).parts[:2]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if statement.search(line)
    ]
    assert offenders == []


def test_the_store_imports_nothing_from_generation_or_the_app():
    code = (
        "import sys, core.store; "
        "print([m for m in sys.modules if m.startswith(('core.generation', 'tui'))])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_generation_tables_are_migrated_with_the_items(store):
    assert {"generation_jobs", "generation_slots", "llm_calls", "llm_cache"} <= set(
        store.db.table_names()
    )
    assert [m.name for m in MIGRATIONS] == ["assay.store", "assay.generation"]


def test_an_items_queue_position_is_its_row_in_every_sort_and_filter(store):
    # Positions are counted from the rows a sort puts first (no numbering of the whole
    # queue): ties, NULLs (unchecked items sort last) and filters must all agree with the
    # order the queue pages come in.
    bodies = [
        "    return a + b\n",  # passes
        "    if a > 0:\n        return a + b\n    return b + a\n",  # passes, more branches
        "    return a - b\n",  # fails some tests: a lower pass rate
        "    if a:\n        if b:\n            return a + b\n    return a + b\n",
        "    return a + b\n",  # a tie with the first
    ]
    records = [
        make_record(
            f"q-{n}",
            reference_answer=f"def add_numbers(a: int, b: int) -> int:\n{body}",
            metadata={"language": "Python" if n % 3 else "TypeScript"},
        )
        for n, body in enumerate(bodies * 2)
    ]
    add(store, *records)
    run_checks(store, [store.get(f"q-{n}") for n in range(6)], isolation="weak")  # 6-9 unchecked
    store.decide("q-4", "accepted", author="ann")
    filters = [ItemFilter(), ItemFilter(language="python"), ItemFilter(search="integers")]
    for where in filters:
        total = store.count(where)
        assert store.count(where, at_most=3) == min(3, total)
        for sort in ("created", "complexity", "pass_rate", "solver_pass_rate", "query_id"):
            order = [r["query_id"] for r in store.queue_rows(where, sort=sort, limit=50, offset=0)]
            assert len(order) == total
            for index, query_id in enumerate(order):
                assert store.position(where, sort, query_id) == index, (where, sort, query_id)
    assert store.position(ItemFilter(language="python"), "created", "q-0") is None
