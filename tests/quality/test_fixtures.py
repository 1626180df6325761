"""The checks on the real generated items in ../shared/fixtures (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.quality import check_dataset, check_item, dataset_report, recommend

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
pytestmark = [
    pytest.mark.shared_fixtures,
    pytest.mark.skipif(
        not (FIXTURES / "synthetic_claude-sonnet-4-5.jsonl").exists(),
        reason="no ../shared/fixtures",
    ),
]


@pytest.fixture(scope="module")
def items():
    lines = (FIXTURES / "synthetic_claude-sonnet-4-5.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_strong_generator_items_are_not_rejected_by_static_checks(items):
    rejected = {
        it["query_id"]: [f for f in check_item(it) if f.severity == "reject"] for it in items
    }
    assert {k: v for k, v in rejected.items() if v} == {}


def test_statement_and_metadata_disagreements_go_to_review(items):
    by_id = {it["query_id"]: it for it in items}
    for query_id in (
        "synthetic-030",
        "synthetic-064",
    ):  # lru_cache_impl vs LRUCache, segment_tree vs SegmentTree
        flags = check_item(by_id[query_id])
        assert "function_name_mismatch" in {f.code for f in flags}
        assert recommend("pass", flags) == "review"


def test_the_one_real_duplicate_is_found_and_nothing_else(items):
    # max_subarray_sum and kadane_algorithm: the same Kadane loop with renamed variables
    cross = check_dataset(items)
    flagged = {k: [f.code for f in v] for k, v in cross.items() if v}
    # both sides of the pair, each naming the other
    assert flagged == {"synthetic-042": ["near_duplicate"], "synthetic-082": ["near_duplicate"]}
    assert "synthetic-042" in cross["synthetic-082"][0].message
    assert "synthetic-082" in cross["synthetic-042"][0].message


def test_report_matches_the_documented_composition(items):
    report = dataset_report(items)
    assert (
        report["language"]["counts"]["Python"] == 44
        and report["language"]["counts"]["TypeScript"] == 42
    )
    counts = report["language"]["counts"]
    assert counts["JavaScript"] + counts["other"] == 4  # JavaScript has a quota of its own
    assert report["novelty_diversity"]["available"]
