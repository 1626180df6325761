"""Real LLM-generated items from ../shared/fixtures: verdicts match manual runs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import sandbox

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
SET = FIXTURES / "synthetic_claude-sonnet-4-5.jsonl"

# Checked by hand (python3 / node on the concatenated item): the reference
# solutions really fail their own assertions.
KNOWN_FAILURES = {
    "synthetic-067": "Floyd-Warshall: A->B->D->C costs 6, the assertion expects 7",
    "synthetic-096": "TaskScheduler runs the first task at once, so results are not [2, 3, 1]",
}

pytestmark = [
    pytest.mark.shared_fixtures,
    pytest.mark.skipif(not SET.exists(), reason="../shared/fixtures is absent"),
]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, sandbox.RunResult]:
    items = [json.loads(line) for line in SET.read_text().splitlines() if line.strip()]
    requests = [
        sandbox.RunRequest(
            i["metadata"]["language"],
            i["reference_answer"],
            i["assertions"],
            i["metadata"].get("function_name"),
            timeout=10,
        )
        for i in items
    ]
    return {items[k]["query_id"]: r for k, r in sandbox.run_many(requests)}


def test_every_item_gets_the_verdict_a_manual_run_gives(verdicts) -> None:
    available = {k for k, v in sandbox.doctor()["toolchains"].items() if v["available"]}
    for query_id, result in verdicts.items():
        if result.language not in available:
            assert result.status == "unsupported", query_id
        elif query_id in KNOWN_FAILURES:
            assert result.status == "fail", (query_id, result.to_dict())
        else:
            assert result.status == "pass", (query_id, result.reason, result.stderr_tail)


def test_counts_by_status(verdicts) -> None:
    counts = Counter(r.status for r in verdicts.values())
    assert counts["fail"] == 2
    ruby = sandbox.doctor()["toolchains"]["ruby"]["available"]
    assert counts["unsupported"] == (0 if ruby else 1)  # the Ruby item
    assert sum(counts.values()) == 100
