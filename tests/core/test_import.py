"""`assay import`: formats, idempotency, collisions, and every kind of bad input."""

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import AssayError
from core.importing import import_file
from core.store import Store
from tests.conftest import make_record, write_jsonl


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "a.db") as s:
        yield s


def load(store, path, **kw):
    return import_file(store, path, author="tester", **kw)


def test_native_import_keeps_every_field_and_order(store, tmp_path):
    record = make_record("a", source_notes="hand-checked")
    record["metadata"]["rubric"] = {"points": 3}
    load(store, write_jsonl(tmp_path / "x.jsonl", [record]))
    item = store.get("a")
    assert item.record == record
    assert list(item.record) == list(record)
    assert item.source_format == "assay" and item.source_line == 1


def test_reimport_is_idempotent_and_a_change_is_a_new_revision(store, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [make_record("a"), make_record("b")])
    first = load(store, path)
    assert (first.imported, first.unchanged) == (2, 0)
    again = load(store, path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)
    assert store.get("a").revision == 1
    store.decide("a", "accepted", author="ann")
    write_jsonl(path, [make_record("a", query_text="Changed text."), make_record("b")])
    third = load(store, path)
    assert (third.imported, third.updated, third.unchanged) == (0, 1, 1)
    item = store.get("a")
    assert item.query_text == "Changed text."
    assert item.status == "pending"  # changed content needs review again
    assert store.history("a")[-1].action == "update"


def test_reimport_does_not_undo_a_curators_edit(store, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [make_record("a")])
    load(store, path)
    store.edit("a", make_record("a", query_text="Curated wording."), author="ann")
    report = load(store, path)
    assert report.unchanged == 1
    assert store.get("a").query_text == "Curated wording."


def test_colliding_ids_from_another_file_are_refused_or_namespaced(store, tmp_path):
    load(store, write_jsonl(tmp_path / "one.jsonl", [make_record("a")]))
    other = write_jsonl(tmp_path / "two.jsonl", [make_record("a", query_text="Different.")])
    report = load(store, other)
    assert report.aborted
    assert "already exists (from one.jsonl)" in report.errors[0].message
    assert store.get("a").query_text != "Different."
    prefixed = load(store, other, id_prefix="two/")
    assert prefixed.imported == 1
    assert store.get("two/a").query_text == "Different."
    assert store.get("a").revision == 1
    replaced = load(store, other, update=True)
    assert replaced.updated == 1 and store.get("a").query_text == "Different."


def test_same_content_from_another_file_is_unchanged(store, tmp_path):
    load(store, write_jsonl(tmp_path / "one.jsonl", [make_record("a")]))
    report = load(store, write_jsonl(tmp_path / "copy.jsonl", [make_record("a")]))
    assert (report.imported, report.unchanged, report.errors) == (0, 1, [])


BAD_LINES = {
    "broken JSON": ('{"query_id": "x", ', "is not valid JSON"),
    "non-object": ("[1, 2, 3]", "is a JSON array, not an object"),
    "missing field": (
        json.dumps({"query_id": "x", "query_text": "q", "reference_answer": "r"}),
        "missing the required field 'assertions'",
    ),
    "mistyped field": (
        json.dumps(make_record("x", assertions=["assert f(1) == 1"])),
        "has 'assertions' as a array; it must be a string",
    ),
    "mistyped metadata": (
        json.dumps(make_record("x", metadata="Python")),
        "'metadata' as a string; it must be an object",
    ),
    "mistyped complexity": (
        json.dumps(make_record("x", metadata={"complexity": "high"})),
        "'metadata.complexity' as a string",
    ),
    "empty id": (json.dumps(make_record("")), "empty 'query_id'"),
    "huge field": (
        json.dumps(make_record("x", reference_answer="x" * (10 * 1024 * 1024))),
        "10.0 MB, over the 1 MB limit",
    ),
    "unknown format": (json.dumps({"foo": 1}), "matches no known format"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_bad_line_aborts_everything_and_names_the_line(store, tmp_path, case):
    line, expected = BAD_LINES[case]
    path = write_jsonl(tmp_path / "bad.jsonl", [make_record("good-1"), line, make_record("good-2")])
    if case == "unknown format":  # detection happens on the first line
        path = write_jsonl(tmp_path / "bad.jsonl", [line, make_record("good-1")])
    report = load(store, path)
    assert report.aborted
    assert report.errors[0].line == (1 if case == "unknown format" else 2)
    assert expected in report.errors[0].message
    assert store.count() == 0


def test_invalid_utf8_is_named_by_line(store, tmp_path):
    path = tmp_path / "bytes.jsonl"
    good = json.dumps(make_record("a")).encode()
    path.write_bytes(good + b"\n" + b'{"query_id": "\xff\xfe"}\n')
    report = load(store, path)
    assert report.errors[0].line == 2
    assert "not valid UTF-8" in report.errors[0].message
    assert store.count() == 0


def test_a_lone_surrogate_is_a_bad_line_not_a_traceback(store, tmp_path):
    path = tmp_path / "surrogate.jsonl"
    emoji = make_record(
        "pair", query_text="a pair is text: \U0001f600"
    )  # \ud83d\ude00 in ASCII JSON
    lone = json.dumps(make_record("lone")).replace('"lone"', '"lone \\ud800"', 1)
    path.write_text(json.dumps(emoji) + "\n" + lone + "\n", encoding="utf-8")
    report = load(store, path)
    assert [(e.line, "lone UTF-16 surrogate" in e.message) for e in report.errors] == [(2, True)]
    assert store.count() == 0


def test_skip_imports_good_lines_and_lists_every_bad_one(store, tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [make_record("a"), "{oops", make_record("b"), "42", make_record("a")],
    )
    report = load(store, path, on_error="skip")
    assert report.imported == 2 and report.skipped == 3
    assert [e.line for e in report.errors] == [2, 4, 5]
    assert "repeats query_id 'a' from line 1" in report.errors[2].message
    assert store.count() == 2


def test_blank_lines_and_crlf_are_fine(store, tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(
        json.dumps(make_record("a")).encode() + b"\r\n\r\n" + json.dumps(make_record("b")).encode()
    )
    assert load(store, path).imported == 2


def test_missing_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(AssayError, match="does not exist"):
        load(store, tmp_path / "nope.jsonl")


HUMANEVAL = {
    "task_id": "HumanEval/0",
    "prompt": 'def inc(x: int) -> int:\n    """Add one."""\n',
    "canonical_solution": "    return x + 1\n",
    "test": "def check(candidate):\n    assert candidate(1) == 2\n",
    "entry_point": "inc",
}
MBPP = {
    "task_id": 7,
    "text": "Write a function to double a number.",
    "code": "def double(n):\n    return 2 * n",
    "test_list": ["assert double(2) == 4", "assert double(0) == 0"],
    "test_setup_code": "",
    "challenge_test_list": [],
}


def test_humaneval_is_detected_and_becomes_runnable_native(store, tmp_path):
    report = load(store, write_jsonl(tmp_path / "he.jsonl", [HUMANEVAL]))
    assert report.format == "humaneval"
    item = store.get("HumanEval/0")
    assert item.function_name == "inc" and item.language == "python"
    namespace: dict = {}
    exec(item.reference_answer + "\n" + item.assertions, namespace)  # our own data, not hostile


def test_mbpp_is_detected_and_keeps_extra_fields(store, tmp_path):
    report = load(store, write_jsonl(tmp_path / "mbpp.jsonl", [MBPP]))
    assert report.format == "mbpp"
    item = store.get("mbpp-7")
    assert item.function_name == "double"
    assert item.assertions == "assert double(2) == 4\nassert double(0) == 0"
    assert item.record["challenge_test_list"] == [] and item.record["task_id"] == 7


def test_explicit_format_mismatch_names_the_line(store, tmp_path):
    report = load(store, write_jsonl(tmp_path / "he.jsonl", [HUMANEVAL]), fmt="mbpp")
    assert report.aborted and "line 1" in report.errors[0].message


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_any_malformed_line_is_an_error_or_an_item_never_a_crash(tmp_path, garbage):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(json.dumps(make_record("ok")).encode() + b"\n" + garbage.replace(b"\n", b" "))
    with Store(tmp_path / "fuzz.db") as store:
        report = import_file(store, path, author="fuzz", on_error="skip")
        for error in report.errors:
            assert error.message.startswith(f"line {error.line} ")
        assert report.imported + report.unchanged + report.skipped >= 1


@pytest.mark.shared_fixtures
def test_real_third_party_items_import_whole(store, shared_fixtures):
    for name in ("synthetic_claude-sonnet-4-5.jsonl", "synthetic_composer_example.jsonl"):
        report = load(store, shared_fixtures / name)
        assert report.errors == [], report.errors[:3]
    assert store.count() == 101
    lines = (shared_fixtures / "synthetic_claude-sonnet-4-5.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert store.get(first["query_id"]).record == first


def test_question_solution_test_triplets_are_read(store, tmp_path):
    triplet = {
        "question": "Return the square of n.",
        "solution": "def square(n):\n    return n * n",
        "tests": ["assert square(3) == 9", "assert square(-2) == 4"],
        "source": "forum",
    }
    path = write_jsonl(tmp_path / "t.jsonl", [triplet])
    report = load(store, path)
    assert report.format == "triplet" and report.imported == 1
    [item] = store.items()
    assert item.query_id.startswith("q-") and item.function_name == "square"
    assert item.assertions == "assert square(3) == 9\nassert square(-2) == 4"
    assert item.record["source"] == "forum"
    assert load(store, path).unchanged == 1  # the id is stable across re-imports


def test_every_format_is_detected_from_its_first_line(store, tmp_path):
    rows = {
        "humaneval-x": {
            "task_id": "Go/1",
            "prompt": "func F() int {\n",
            "test": "",
            "canonical_solution": "return 1\n}\n",
        },
        "mbxp": {
            "task_id": "MBKP/1",
            "prompt": "fun f(): Int {\n",
            "test": "",
            "language": "kotlin",
            "entry_point": "f",
            "canonical_solution": None,
        },
        "humaneval": HUMANEVAL,
        "mbpp": MBPP,
        "assay": make_record("n"),
    }
    for fmt, row in rows.items():
        with Store(tmp_path / f"{fmt}.db") as fresh:
            report = load(fresh, write_jsonl(tmp_path / f"{fmt}.jsonl", [row]))
            assert (report.format, report.errors) == (fmt, [])


FORMAT_PROBLEMS = {
    "humaneval-x": (
        {"task_id": "Cobol/1", "prompt": "", "test": "", "canonical_solution": ""},
        "line 1 has task_id 'Cobol/1', whose prefix names no HumanEval-X language",
    ),
    "mbxp": (
        {
            "task_id": "MBJP/1",
            "prompt": "",
            "test": "",
            "language": "java",
            "entry_point": "f",
            "canonical_solution": 7,
        },
        "line 1 has 'canonical_solution' as a number; it must be a string",
    ),
    "humaneval": (
        {**HUMANEVAL, "entry_point": None},
        "line 1 has 'entry_point' as a null; it must be a string",
    ),
}


@pytest.mark.parametrize("fmt", list(FORMAT_PROBLEMS))
def test_a_bad_field_of_each_format_is_one_sentence_naming_the_line(store, tmp_path, fmt):
    row, expected = FORMAT_PROBLEMS[fmt]
    report = load(store, write_jsonl(tmp_path / "bad.jsonl", [row]), fmt=fmt)
    assert report.aborted and report.errors[0].message.startswith(expected)
    assert store.count() == 0


def test_an_unknown_format_or_a_broken_gzip_is_a_clear_error(store, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [make_record("a")])
    with pytest.raises(AssayError, match="Unknown format 'csv'; use auto, assay, humaneval-x"):
        load(store, path, fmt="csv")
    broken = tmp_path / "cut.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"query_id": "a"}\n' * 50)[:30])
    with pytest.raises(AssayError, match="is not a readable gzip file"):
        load(store, broken)
    assert store.count() == 0
