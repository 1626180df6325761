"""`assay export`: selection, manifest, atomic write, and byte-identical round trips."""

import hashlib
import json
import os

import pytest

from core.errors import AssayError
from core.exporting import ExportFilters, export_items
from core.importing import import_file
from core.store import Store
from tests.conftest import make_record, write_jsonl

RECORDS = [
    make_record("a", unicode_note="naïve café ✓"),
    make_record("b", metadata={"language": "TypeScript", "difficulty": "advanced"}),
    make_record("c"),
]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        import_file(s, write_jsonl(tmp_path / "in.jsonl", RECORDS), author="t")
        yield s


def test_default_exports_only_accepted_with_manifest(store, tmp_path):
    store.decide("c", "accepted", author="ann")
    store.decide("a", "accepted", author="ann")
    out = tmp_path / "out.jsonl"
    manifest = export_items(store, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["query_id"] for line in lines] == ["a", "c"]  # creation order
    saved = json.loads((tmp_path / "out.jsonl.manifest.json").read_text())
    assert saved["count"] == 2 == manifest["count"]
    assert saved["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert saved["filters"]["status"] == "accepted"
    assert saved["by_language"] == {"Python": 2}
    assert saved["tool_version"]


def test_filters_by_language_and_difficulty(store, tmp_path):
    out = tmp_path / "ts.jsonl"
    manifest = export_items(store, out, filters=ExportFilters(status="all", language="typescript"))
    assert manifest["count"] == 1 and json.loads(out.read_text())["query_id"] == "b"
    manifest = export_items(store, out, filters=ExportFilters(status="all", difficulty="advanced"))
    assert manifest["count"] == 1


def test_export_import_export_is_byte_identical(store, tmp_path):
    first = tmp_path / "first.jsonl"
    export_items(store, first, filters=ExportFilters(status="all"))
    with Store(tmp_path / "fresh.db") as fresh:
        import_file(fresh, first, author="t")
        second = tmp_path / "second.jsonl"
        export_items(fresh, second, filters=ExportFilters(status="all"))
        assert first.read_bytes() == second.read_bytes()
        for record in RECORDS:
            assert fresh.get(record["query_id"]).record == record


def test_humaneval_round_trip_is_exact(tmp_path):
    he = {
        "task_id": "HumanEval/1",
        "prompt": "def neg(x):\n",
        "canonical_solution": "    return -x\n",
        "test": "def check(candidate):\n    assert candidate(1) == -1\n",
        "entry_point": "neg",
    }
    source = write_jsonl(tmp_path / "he.jsonl", [he])
    with Store(tmp_path / "he.db") as s:
        import_file(s, source, author="t")
        out = tmp_path / "he-out.jsonl"
        export_items(s, out, filters=ExportFilters(status="all"), fmt="humaneval")
        assert out.read_bytes() == source.read_bytes()


def test_native_items_export_to_each_format_that_holds_their_language(store, tmp_path):
    for fmt, language, count in (("humaneval-x", "python", 2), ("mbxp", None, 3)):
        out = tmp_path / f"{fmt}.jsonl"
        chosen = ExportFilters(status="all", language=language)  # HumanEval-X: no TypeScript
        manifest = export_items(store, out, filters=chosen, fmt=fmt)
        tasks = [json.loads(line) for line in out.read_text().splitlines()]
        assert manifest["count"] == count and manifest["format"] == fmt
        by_id = {t["task_id"]: t for t in tasks}
        python = by_id["a"] if fmt == "mbxp" else by_id["Python/a"]
        namespace: dict = {}  # prompt + solution + test is the program both harnesses run
        exec(python["prompt"] + python["canonical_solution"] + "\n" + python["test"], namespace)
        typescript = by_id["b"] if fmt == "mbxp" else None
        if typescript is not None:
            assert typescript["language"] == "typescript"


def test_a_format_that_cannot_hold_a_language_refuses_in_one_sentence(store, tmp_path):
    out = tmp_path / "he.jsonl"
    with pytest.raises(AssayError, match="'b' is TypeScript; the HumanEval format holds only"):
        export_items(store, out, filters=ExportFilters(status="all"), fmt="humaneval")
    assert not out.exists()


def test_native_item_exports_to_runnable_humaneval(store, tmp_path):
    out = tmp_path / "he.jsonl"
    export_items(
        store, out, filters=ExportFilters(status="all", language="python"), fmt="humaneval"
    )
    task = json.loads(out.read_text().splitlines()[0])
    namespace: dict = {}
    exec(task["prompt"] + task["canonical_solution"] + "\n" + task["test"], namespace)
    namespace["check"](namespace[task["entry_point"]])


def test_a_failed_write_leaves_the_old_file_untouched(store, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_text("previous export\n")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        export_items(store, out, filters=ExportFilters(status="all"))
    assert out.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_bad_export_arguments_are_clear(store, tmp_path):
    with pytest.raises(AssayError, match="Unknown export format"):
        export_items(store, tmp_path / "x.jsonl", fmt="csv")
    with pytest.raises(AssayError, match="Unknown status"):
        export_items(store, tmp_path / "x.jsonl", filters=ExportFilters(status="maybe"))
    with pytest.raises(AssayError, match="does not exist"):
        export_items(store, tmp_path / "no" / "x.jsonl")


def test_export_gets_ordinary_file_permissions(store, tmp_path):
    old = os.umask(0o022)
    try:
        export_items(store, tmp_path / "perm.jsonl", filters=ExportFilters(status="all"))
    finally:
        os.umask(old)
    assert (tmp_path / "perm.jsonl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "perm.jsonl.manifest.json").stat().st_mode & 0o777 == 0o644


# -- guardrails: accepted items that fail their checks ---------------------------------------


def _checked_items(path):
    """Three accepted items checked by the real sandbox: one passes, one fails, one does not
    parse; and one pending item that fails."""
    from core.checking import run_checks

    sub = "def add_numbers(a: int, b: int) -> int:\n    return a - b\n"
    records = [
        make_record("good"),
        make_record("wrong", reference_answer=sub),
        make_record("broken", reference_answer="def add_numbers(a, b) return a + b\n"),
        make_record("later", reference_answer=sub),
    ]
    with Store(path) as store:
        import_file(store, write_jsonl(path.with_suffix(".jsonl"), records), author="t")
        run_checks(store, timeout=10.0, isolation="weak")
        store.decide("good", "accepted", author="ann")
        store.decide("wrong", "accepted", author="bob")
        store.decide("broken", "accepted", author="ann")


@pytest.fixture
def checked_db(tmp_path, built_once):
    source = built_once("export-checked.db", _checked_items)
    copy = tmp_path / "checked.db"
    with Store(source) as store:
        store.copy_to(copy)
    return copy


def _cli(*args):
    from typer.testing import CliRunner

    from core.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_export_warns_about_accepted_items_failing_checks_and_counts_them(checked_db, tmp_path):
    out = tmp_path / "out.jsonl"
    result = _cli("export", out, "--db", checked_db)
    assert result.exit_code == 0
    assert result.stderr.strip().splitlines() == [
        "Warning: 2 accepted item(s) fail their checks: wrong (fail), broken (unparsable); "
        "they are exported anyway (--strict refuses)."
    ]
    assert [json.loads(x)["query_id"] for x in out.read_text().splitlines()] == [
        "good",
        "wrong",
        "broken",
    ]
    manifest = json.loads((tmp_path / "out.jsonl.manifest.json").read_text())
    assert manifest["by_check_status"] == {"pass": 1, "fail": 1, "unparsable": 1}
    assert manifest["by_decided_by"] == {"ann": 2, "bob": 1}
    assert sum(manifest["by_recommendation"].values()) == 3
    assert manifest["by_recommendation"]["reject"] >= 2  # the failing two
    assert manifest["failing_accepted"] == [
        {"query_id": "wrong", "check_status": "fail"},
        {"query_id": "broken", "check_status": "unparsable"},
    ]
    # The pending failure is no accepted item: exporting pending items warns of nothing.
    pending = _cli("export", tmp_path / "p.jsonl", "--status", "pending", "--db", checked_db)
    assert pending.exit_code == 0 and pending.stderr == ""
    assert json.loads((tmp_path / "p.jsonl.manifest.json").read_text())["by_decided_by"] == {
        "undecided": 1
    }


def test_strict_export_refuses_in_one_sentence_and_writes_nothing(checked_db, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("an earlier export\n")
    result = _cli("export", out, "--strict", "--db", checked_db)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: Nothing exported: 2 accepted item(s) fail their checks: wrong (fail), "
        "broken (unparsable) (fix or reject them, or export without --strict)."
    ]
    assert out.read_text() == "an earlier export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checked.db", "out.jsonl"]
    # Once the failing items are rejected, the strict export goes through.
    for query_id in ("wrong", "broken"):
        assert _cli("reject", query_id, "--reason", "fails", "--db", checked_db).exit_code == 0
    result = _cli("export", out, "--strict", "--json", "--db", checked_db)
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout)["failing_accepted"] == []
    assert [json.loads(x)["query_id"] for x in out.read_text().splitlines()] == ["good"]
