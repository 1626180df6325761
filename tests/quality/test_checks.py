"""Every per-item flag, both sides: it fires on the bad item and stays quiet on the good one."""

from __future__ import annotations

import pytest

from core.quality import Flag, check_item

from .samples import (
    GOOD_GO,
    GOOD_ITEMS,
    GOOD_PY,
    GOOD_RUST,
    GOOD_TS,
    item,
    placeholder_items,
    with_,
)


def codes(it, severity=None) -> set[str]:
    return {f.code for f in check_item(it) if severity is None or f.severity == severity}


@pytest.mark.parametrize("good", GOOD_ITEMS, ids=lambda i: i["query_id"])
def test_well_specified_items_get_no_warning_or_rejection(good):
    assert [f for f in check_item(good) if f.severity != "info"] == []


def case(code: str, severity: str, good: dict, **changes) -> tuple:
    """(flag code, severity, bad item, the good item it is derived from)."""
    return code, severity, with_(good, **changes), good


_TS_LANG_GO = GOOD_TS["query_text"].replace("Language: TypeScript", "Language: Go")
_PY_IN_TS = (
    "def chunkArray(arr, size):\n    return [arr[i:i + size] for i in range(0, len(arr), size)]\n"
)
_RENAMED = GOOD_PY["query_text"].replace("named `running_max`", "named `prefix_max`")
_GO_LOWER = GOOD_GO["reference_answer"].replace("func CountVowels", "func countVowels")
_NO_CALL = "xs = [1, 2]\nassert max(xs) == 2\nassert len(xs) == 2\nassert xs[0] == 1"
_REDEFINE = "def running_max(xs):\n    return [1]\n" + GOOD_PY["assertions"]
_TS_IDENTITY = (
    "if (chunkArray([1]) !== [1]) throw new Error('x');\n"
    "if (chunkArray(7) !== 7) throw new Error('Failed');\n"
    "if (chunkArray('a') !== 'a') throw new Error('Failed');"
)
_PY_IDENTITY = "assert running_max(3) == 3\nassert running_max('a') == 'a', 'msg'"
_VAGUE = "Write a Python function named `running_max` that implements a medium level algorithm."
_SORT_WORDS = item(
    name="typescriptFunc47",
    text="Write a function named `typescriptFunc47` that sorts words by length, longest first.",
    code="def typescriptFunc47(ws):\n    return sorted(ws, key=len, reverse=True)\n",
    tests="assert typescriptFunc47(['a', 'bbb']) == ['bbb', 'a']\n"
    "assert typescriptFunc47([]) == []\nassert typescriptFunc47(['aa']) == ['aa']",
)
_FOO = item(
    name="foo",
    text="Write a function named `foo` that doubles every number in a list.",
    code="def foo(xs):\n    return [2 * x for x in xs]\n",
    tests="assert foo([1]) == [2]\nassert foo([]) == []\nassert foo([0, 3]) == [0, 6]",
)
_RUST_89 = {
    key: GOOD_RUST[key].replace("dedup_sorted", "rust_func_89")
    for key in ("query_text", "reference_answer", "assertions")
}
_TS_TODO = (
    "function chunkArray(arr: any, size: number): any {\n  // TODO: implement\n  return arr;\n}"
)

_MISSING_FIELD_0 = {"language": "Python", "function_name": "running_max"}
_FEW_TEST_CASES_1 = "assert running_max([1]) == [1]\nassert running_max([]) == []"
_TRIVIAL_TESTS_2 = "running_max([1])\nassert True\nassert 1 == 1"
_TRIVIAL_TESTS_3 = "let _ = dedup_sorted(vec![1]);\nassert!(true);\nassert_eq!(1, 1);"
_UNFILLED_TEMPLATE_4 = GOOD_PY["query_text"] + " Handle {edge_cases}."
_VAGUE_STATEMENT_5 = "Write a function named `running_max` that solves an algorithms problem."
_TERSE_STATEMENT_6 = "Write a function named `running_max` that implements quicksort."
_IDENTITY_SOLUTION_7 = 'def running_max(xs):\n    """Max."""\n    return xs\n'
_IDENTITY_SOLUTION_8 = "const chunkArray = (arr: number[], n: number) => arr;"
_IDENTITY_SOLUTION_9 = "pub fn dedup_sorted(v: Vec<i32>) -> Vec<i32> {\n    v\n}"
_CONSTANT_SOLUTION_10 = "package main\n\nfunc CountVowels(s string) int {\n\treturn 0\n}"
_CONSTANT_SOLUTION_11 = "def running_max(xs):\n    return []\n"
_STUB_SOLUTION_12 = "pub fn dedup_sorted(v: Vec<i32>) -> Vec<i32> {\n    todo!()\n}"
_COMMENT_ONLY_SOLUTION_13 = "// chunk the array here\n/* later */"

CASES = [
    case("missing_field", "reject", GOOD_PY, reference_answer=""),
    ("missing_field", "reject", {k: v for k, v in GOOD_PY.items() if k != "assertions"}, GOOD_PY),
    case("missing_field", "warn", GOOD_PY, meta_language=None),
    case("missing_field", "info", GOOD_PY, metadata=_MISSING_FIELD_0),
    case("invalid_field_type", "reject", GOOD_PY, query_text=["not", "text"]),
    case("syntax_error", "reject", GOOD_PY, reference_answer="def running_max(xs:\n    return xs"),
    case("syntax_error", "reject", GOOD_PY, assertions="assert running_max([1]) == [1"),
    case("language_mismatch", "warn", GOOD_TS, query_text=_TS_LANG_GO),
    case("language_mismatch", "warn", GOOD_TS, reference_answer=_PY_IN_TS),
    case("function_name_mismatch", "warn", GOOD_PY, meta_function_name="running_maximum"),
    case("function_name_mismatch", "warn", GOOD_PY, query_text=_RENAMED),
    case("function_name_mismatch", "warn", GOOD_GO, reference_answer=_GO_LOWER),
    case("tests_never_call_function", "reject", GOOD_PY, assertions=_NO_CALL),
    case("tests_redefine_function", "reject", GOOD_PY, assertions=_REDEFINE),
    case("no_tests", "reject", GOOD_PY, assertions="running_max([1, 2])\nprint('ok')"),
    case("single_test_case", "warn", GOOD_PY, assertions="assert running_max([1, 3]) == [1, 3]"),
    case("few_test_cases", "info", GOOD_PY, assertions=_FEW_TEST_CASES_1),
    case("trivial_tests", "reject", GOOD_PY, assertions=_TRIVIAL_TESTS_2),
    case("trivial_tests", "reject", GOOD_RUST, assertions=_TRIVIAL_TESTS_3),
    case("identity_tests", "reject", GOOD_TS, assertions=_TS_IDENTITY),
    case("identity_tests", "reject", GOOD_PY, assertions=_PY_IDENTITY),
    case("invalid_difficulty", "warn", GOOD_PY, meta_difficulty="super hard"),
    case("invalid_difficulty", "warn", GOOD_PY, meta_difficulty=3),
    case("invalid_complexity", "warn", GOOD_PY, meta_complexity=7),
    case("invalid_complexity", "warn", GOOD_PY, meta_complexity="0.5"),
    case("unfilled_template", "reject", GOOD_PY, query_text=_UNFILLED_TEMPLATE_4),
    # placeholders
    ("placeholder_name", "reject", _SORT_WORDS, GOOD_PY),
    case("placeholder_name", "reject", GOOD_RUST, meta_function_name="rust_func_89", **_RUST_89),
    ("generic_name", "warn", _FOO, GOOD_PY),
    case("vague_statement", "reject", GOOD_PY, query_text=_VAGUE + " Language: Python."),
    case("vague_statement", "reject", GOOD_PY, query_text=_VAGUE_STATEMENT_5),
    case("terse_statement", "info", GOOD_PY, query_text=_TERSE_STATEMENT_6),
    case("identity_solution", "reject", GOOD_PY, reference_answer=_IDENTITY_SOLUTION_7),
    case("identity_solution", "reject", GOOD_TS, reference_answer=_TS_TODO),
    case("identity_solution", "reject", GOOD_TS, reference_answer=_IDENTITY_SOLUTION_8),
    case("identity_solution", "reject", GOOD_RUST, reference_answer=_IDENTITY_SOLUTION_9),
    case("constant_solution", "reject", GOOD_GO, reference_answer=_CONSTANT_SOLUTION_10),
    case("constant_solution", "reject", GOOD_PY, reference_answer=_CONSTANT_SOLUTION_11),
    case("stub_solution", "reject", GOOD_PY, reference_answer="def running_max(xs):\n    pass\n"),
    case("stub_solution", "reject", GOOD_RUST, reference_answer=_STUB_SOLUTION_12),
    case("comment_only_solution", "reject", GOOD_TS, reference_answer=_COMMENT_ONLY_SOLUTION_13),
    case(
        "comment_only_solution", "reject", GOOD_PY, reference_answer="# TODO: write the solution\n"
    ),
]


@pytest.mark.parametrize(
    "code,severity,bad,good", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_flag_fires_on_bad_item_and_not_on_good_one(code, severity, bad, good):
    flags = [f for f in check_item(bad) if f.code == code]
    assert flags, f"{code} did not fire: {check_item(bad)}"
    assert {f.severity for f in flags} == {severity}
    assert all(f.message for f in flags)
    assert code not in codes(good)


def test_real_multi_name_statement_is_flagged():
    # shape of a real generated item: the statement and the metadata name differ
    bad = item(
        text="Write a Python function named `lru_cache_impl` that implements an LRU cache. "
        "Language: Python. Function name: LRUCache",
        code="class LRUCache:\n    def __init__(self, capacity):\n        self.capacity = capacity\n"
        "        self.data = {}\n    def get(self, key):\n        return self.data.get(key, -1)\n",
        tests="c = LRUCache(1)\nassert c.get(1) == -1\nassert c.get(2) == -1\nassert c.get(3) == -1",
        name="LRUCache",
    )
    flag = next(f for f in check_item(bad) if f.code == "function_name_mismatch")
    assert "lru_cache_impl" in flag.message and "LRUCache" in flag.message


def test_identity_tests_quiet_when_one_case_is_real():
    tests = "assert running_max([5]) == [5]\nassert running_max([1, 2]) == [1, 2]\nassert running_max([2, 1]) == [2, 2]"
    assert "identity_tests" not in codes(with_(GOOD_PY, assertions=tests))


def test_constant_branch_is_not_a_constant_solution():
    code = "def running_max(xs):\n    if not xs:\n        return []\n    return xs\n"
    assert not codes(with_(GOOD_PY, reference_answer=code), "reject")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        42,
        "text",
        [],
        {},
        {"query_text": 5, "metadata": "Python"},
        {"metadata": {"complexity": True}},
        {
            "query_text": "x",
            "reference_answer": "def f(:",
            "assertions": "\x00",
            "metadata": {"language": "python"},
        },
    ],
)
def test_malformed_items_are_flagged_never_crash(bad):
    flags = check_item(bad)
    assert flags and all(isinstance(f, Flag) for f in flags)
    assert any(f.severity == "reject" for f in flags)


def test_placeholder_recall_at_least_95_percent():
    fillers = placeholder_items(100)
    rejected = [it for it in fillers if codes(it, "reject")]
    assert len(rejected) >= 95


def test_flag_round_trips_through_dict():
    flag = Flag("vague_statement", "reject", "why")
    assert Flag.from_dict(flag.to_dict()) == flag
    with pytest.raises(ValueError):
        Flag("x", "fatal", "no such severity")
