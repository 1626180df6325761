"""The dataset report: distributions against quotas, pass rates, duplicates, novelty."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from core.quality import dataset_report
from core.quality.embeddings import openai_embedder

from .samples import GOOD_ITEMS, GOOD_PY, item, placeholder_items, with_

TOPICS = [
    "sorts a list of integers in ascending order using merge sort",
    "returns the number of vowels in a string ignoring case",
    "computes the greatest common divisor of two positive integers",
    "parses an ISO date string and returns the day of the week",
    "finds the shortest path between two nodes of a weighted graph",
    "checks whether a string of brackets is balanced",
    "rotates a square matrix by ninety degrees clockwise",
    "merges overlapping intervals and returns them sorted",
    "counts the islands of ones in a binary grid",
    "serialises a binary tree to a string and back",
    "computes the edit distance between two words",
    "returns the k most frequent elements of an array",
]


def varied_items() -> list[dict]:
    out = []
    for i, topic in enumerate(TOPICS):
        lang = ["Python", "TypeScript", "Go", "Rust", "Java"][i % 5]
        out.append(
            item(
                f"v-{i}",
                f"Write a {lang} function named `f{i}x` that {topic}.",
                "x",
                "y",
                lang,
                f"f{i}x",
                ["medium", "advanced", "very_advanced"][i % 3],
                "algorithms",
                0.5,
            )
        )
    return out


def test_distributions_against_default_quotas():
    report = dataset_report(
        [with_(GOOD_PY, query_id=f"p{i}") for i in range(8)]
        + [with_(GOOD_ITEMS[1], query_id="t1"), with_(GOOD_ITEMS[4], query_id="r1")],
        reference=[],
    )
    lang = report["language"]
    # the quotas `spec` generation draws to: 40/40/7/3 and JavaScript 10; the rest is "other"
    assert lang["counts"] == {
        "Python": 8,
        "TypeScript": 1,
        "other": 1,
        "Go": 0,
        "JavaScript": 0,
        "Rust": 0,
    }
    assert lang["target"]["Python"] == 0.4 and lang["gap"]["Python"] == pytest.approx(0.4)
    assert lang["missing_items"]["TypeScript"] == 3
    assert report["difficulty"]["target"] == {"medium": 1.0}
    json.dumps(report)


def test_custom_targets_pass_rates_and_recommendations():
    items = varied_items()
    results = {
        it["query_id"]: {
            "status": "pass" if i % 4 else "fail",
            "tests": {"passed": 3, "failed": 0, "total": 3},
            "recommendation": "accept" if i % 4 else "reject",
            "metrics": {"cyclomatic_max": i + 1, "sloc": 10},
        }
        for i, it in enumerate(items)
    }
    report = dataset_report(
        items,
        results=results,
        targets={"category": {"algorithms": 0.5, "strings": 0.5}},
        reference=[],
    )
    assert report["pass_rates"]["pass_rate"] == 0.75
    assert report["pass_rates"]["by_status"] == {"fail": 3, "pass": 9}
    assert report["pass_rates"]["by_language"]["Python"] == pytest.approx(
        2 / 3, abs=1e-4
    )  # v-0 fails, v-5 and v-10 pass
    assert report["recommendations"] == {"reject": 3, "accept": 9}
    assert report["category"]["gap"] == {"algorithms": 0.5, "strings": -0.5}
    assert report["complexity"]["cyclomatic_max"]["max"] == 12
    assert report["complexity"]["cyclomatic_rank"] == {"A (1-5)": 5, "B (6-10)": 5, "C (11-20)": 2}


def test_duplicate_clusters_in_report():
    report = dataset_report(
        [GOOD_PY, with_(GOOD_PY, query_id="again"), *GOOD_ITEMS[1:]], reference=[]
    )
    assert report["duplicates"]["clusters"] == [
        {"representative": "good-py", "members": ["good-py", "again"], "kind": "exact"}
    ]
    assert report["duplicates"]["redundant_items"] == 1


def hashed_words(texts):
    """A fixed (not fitted) embedding, so that entropies of two sets are comparable."""
    out = np.zeros((len(texts), 8))
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, sum(map(ord, word)) % 8] += 1
    return out


def test_templated_fillers_are_less_diverse_than_varied_statements():
    varied = dataset_report(varied_items(), embed=hashed_words)["novelty_diversity"]
    assert varied["available"] and varied["reference"] == "humaneval" and varied["dims"] == 8
    fillers = dataset_report(placeholder_items(12), embed=hashed_words)["novelty_diversity"]
    # the fillers differ only by level and category words, the topics spread out
    assert varied["diversity_entropy"] > fillers["diversity_entropy"] + 1


def test_offline_default_projects_to_ten_dimensions():
    out = dataset_report(varied_items())["novelty_diversity"]
    assert out["embedding"] == "tfidf+svd(10)" and out["dims"] == 10


def test_novelty_is_low_against_itself_and_high_against_another_topic():
    items = varied_items()
    same = dataset_report(items, reference=items)["novelty_diversity"]["novelty_kl"]
    other = dataset_report(
        items,
        reference=[f"Poem number {i} about the sea, waves and gulls at dawn" for i in range(12)],
    )["novelty_diversity"]["novelty_kl"]
    assert other > same


def test_too_small_set_says_why():
    out = dataset_report([GOOD_PY])["novelty_diversity"]
    assert out["available"] is False and "needs more than" in out["reason"]


class _Embeddings(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [float(len(t)), float(t.count("a")), 1.0]
                + [float(ord(c)) for c in t[:13].ljust(13)],
            }
            for i, t in enumerate(body["input"])
        ]
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_openai_compatible_embed_hook_on_a_local_server():
    server = HTTPServer(("127.0.0.1", 0), _Embeddings)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        embed = openai_embedder(
            f"http://127.0.0.1:{server.server_port}/v1", "test-embed", batch_size=5
        )
        vectors = embed(["abc", "aaaa", "x"])
        assert vectors.shape == (3, 16) and vectors[1, 1] == 4
        out = dataset_report(varied_items(), reference=TOPICS, embed=embed)["novelty_diversity"]
        assert out["embedding"].startswith("custom+pca") and out["dims"] == 10
        assert np.isfinite(out["diversity_entropy"]) and np.isfinite(out["novelty_kl"])
    finally:
        server.shutdown()
