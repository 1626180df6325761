"""Exact and near-duplicate clusters, serialised signatures, incremental rebuilds."""

from __future__ import annotations

from core.quality import DuplicateIndex, ItemSignature, check_dataset

from .samples import GOOD_GO, GOOD_ITEMS, GOOD_PY, GOOD_TS, placeholder_items, with_

LONG = (
    "Write a Python function named `merge_intervals` that takes a list of closed intervals "
    "given as pairs of integers, merges every pair of intervals that overlap or touch, and "
    "returns the merged intervals sorted by their start point. Language: Python."
)
CODE = (
    "def merge_intervals(xs):\n    out = []\n    for a, b in sorted(xs):\n"
    "        if out and a <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], b)\n"
    "        else:\n            out.append([a, b])\n    return out\n"
)


def test_exact_duplicate_after_normalisation_and_renaming():
    index = DuplicateIndex()
    assert index.add("a", LONG, CODE, "merge_intervals", "python") == []
    copy = LONG.upper().replace("merge_intervals", "join_ranges").replace(",", " ,  ")
    flags = index.add(
        "b", copy, CODE.replace("merge_intervals", "join_ranges"), "join_ranges", "python"
    )
    assert [f.code for f in flags] == ["exact_duplicate"] and flags[0].severity == "reject"
    assert "a" in flags[0].message
    assert index.clusters() == [{"representative": "a", "members": ["a", "b"], "kind": "exact"}]


# HumanEval-X's Rust/45 carries Rust/71's statement over a function of two parameters.
_TRIANGLE = "Given the lengths of the three sides of a triangle, return its area rounded to 2 "
_TRIANGLE += "decimal points if the sides form a valid triangle, otherwise return -1."


def test_the_same_statement_over_functions_of_other_arity_is_near_not_exact():
    """Neither item is the copy: one of them is mis-stated, so both go to review naming each
    other, whichever came first; with the same parameters the later one is a copy."""
    for language, first, second in (
        (
            "rust",
            "fn area(a: i32, h: i32) -> f64 { 0.0 }",
            "fn area3(a: f64, b: f64, c: f64) -> f64 { a }",
        ),
        (
            "python",
            "def area(a, h):\n    return a * h / 2\n",
            "def area3(a, b, c):\n    return a\n",
        ),
    ):
        index = DuplicateIndex()
        index.add("early", _TRIANGLE, first, first.split("(")[0].split()[-1], language)
        flags = index.add("late", _TRIANGLE, second, second.split("(")[0].split()[-1], language)
        assert [(f.code, f.severity) for f in flags] == [("near_duplicate", "warn")], language
        assert [(f.code, f.severity) for f in index.flags("early")] == [("near_duplicate", "warn")]
        same = index.add("again", _TRIANGLE, second.replace("area3", "tri"), "tri", language)
        assert [(f.code, f.severity) for f in same] == [("exact_duplicate", "reject")], language
        assert "late" in same[0].message


def test_same_statement_in_another_language_is_near_not_exact():
    index = DuplicateIndex()
    index.add("py", LONG, CODE, "merge_intervals", "python")
    flags = index.add(
        "ts", LONG.replace("Python", "TypeScript"), "", "merge_intervals", "typescript"
    )
    assert [(f.code, f.severity) for f in flags] == [("near_duplicate", "warn")]


def test_near_duplicates_cluster_and_distinct_items_stay_apart():
    index = DuplicateIndex()
    index.add("orig", LONG, CODE)
    edited = LONG.replace("sorted by their start point", "sorted by start")
    flags = index.add("edit", edited, CODE.replace("out", "res"))
    assert {f.code for f in flags} == {"near_duplicate"}
    for it in GOOD_ITEMS:
        assert index.add(it["query_id"], it["query_text"], it["reference_answer"]) == []
    (cluster,) = index.clusters()
    assert cluster["representative"] == "orig" and cluster["members"] == ["orig", "edit"]
    assert cluster["kind"] == "near"


def test_signatures_serialise_and_rebuild_without_rehashing(monkeypatch):
    index = DuplicateIndex()
    items = [*GOOD_ITEMS, with_(GOOD_PY, query_id="copy")]
    for it in items:
        index.add_item(it["query_id"], it)
    stored = {it["query_id"]: index.export(it["query_id"]) for it in items}
    assert all(isinstance(b, bytes) for b in stored.values())
    assert ItemSignature.from_bytes(stored["copy"]).to_bytes() == stored["copy"]

    rebuilt = DuplicateIndex()
    # rebuilding must not hash any text: make hashing fail loudly
    monkeypatch.setattr(
        rebuilt, "signature", lambda *a, **k: (_ for _ in ()).throw(AssertionError("rehashed"))
    )
    for key, blob in stored.items():
        rebuilt.add_signature(key, blob)
    assert rebuilt.clusters() == index.clusters()
    assert rebuilt.clusters()[0]["members"] == ["good-py", "copy"]


def test_incremental_add_flags_the_whole_set_both_ways():
    index = DuplicateIndex()
    check_dataset([GOOD_PY, GOOD_TS], references=[], index=index)
    flags = check_dataset(
        [GOOD_PY, GOOD_TS, with_(GOOD_TS, query_id="ts-again")], references=[], index=index
    )
    assert flags["good-py"] == []
    assert [(f.code, f.severity) for f in flags["good-ts"]] == [("exact_copies", "info")]
    assert "ts-again flagged exact_duplicate" in flags["good-ts"][0].message
    assert [f.code for f in flags["ts-again"]] == ["exact_duplicate"]
    assert len(index) == 3


def test_repeated_template_across_items():
    fillers = placeholder_items(20)  # ph-0, ph-5, ph-15: same TypeScript template and code
    flags = check_dataset(fillers + [GOOD_PY, GOOD_GO], references=[])
    assert all(any(f.code == "repeated_template" for f in flags[it["query_id"]]) for it in fillers)
    assert any(f.severity == "reject" for f in flags["ph-0"] if f.code == "repeated_template")
    assert flags["good-py"] == [] and flags["good-go"] == []


def test_check_dataset_keys_items_without_ids():
    flags = check_dataset([{"query_text": "x"}, "not an item"], references=[])
    assert set(flags) == {"#0", "#1"}


def test_renamed_variables_do_not_hide_a_copied_solution():
    index = DuplicateIndex()
    index.add(
        "a",
        "Return the running maximum sum.",
        "def f(xs):\n    best = cur = xs[0]\n"
        "    for x in xs[1:]:\n        cur = max(x, cur + x)\n        best = max(best, cur)\n"
        "    return best",
    )
    flags = index.add(
        "b",
        "Kadane's algorithm over a list.",
        "def g(nums):\n    hi = now = nums[0]\n"
        "    for n in nums[1:]:\n        now = max(n, now + n)\n        hi = max(hi, now)\n"
        "    return hi",
    )
    assert [f.code for f in flags] == ["near_duplicate"]
    assert "solution is a near-duplicate of a" in flags[0].message


def test_different_calls_keep_short_solutions_apart():
    index = DuplicateIndex()
    index.add("a", "Sort the list.", "def f(xs):\n    return sorted(xs)")
    assert index.add("b", "Count the list.", "def g(xs):\n    return len(xs)") == []


def test_statements_differing_in_the_symbols_they_quote_are_not_exact_duplicates():
    angle = 'brackets is a string of "<" and ">". return True if every opening bracket has a corresponding closing bracket.'
    round_ = angle.replace('"<"', '"("').replace('">"', '")"')
    index = DuplicateIndex()
    index.add("angle", angle, "", "correct_bracketing", "python")
    flags = index.add("round", round_, "", "correct_bracketing", "python")
    assert "exact_duplicate" not in [f.code for f in flags]
    assert [f.code for f in index.add("again", angle, "", "correct_bracketing", "python")] == [
        "exact_duplicate"
    ]


def test_known_lsh_bands_are_datasketchs_own_optimum():
    """The (bands, rows) table that spares each index datasketch's integration must give
    the LSH datasketch itself would build: otherwise near-duplicates it would find are missed."""
    from datasketch import MinHashLSH

    from core.quality import dedup

    for (threshold, num_perm), params in dedup._LSH_PARAMS.items():
        optimised = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert params == (optimised.b, optimised.r)
    index = dedup.lsh_index(0.5, 64)  # not in the table: optimised, then remembered
    assert dedup._LSH_PARAMS[(0.5, 64)] == (index.b, index.r)
