"""Metric values agree with radon's and lizard's own APIs; missing metrics are said plainly."""

from __future__ import annotations

import lizard
import pytest
from radon.complexity import cc_visit
from radon.metrics import h_visit, mi_visit
from radon.raw import analyze

from core.quality import compute_metrics

PY = '''def classify(n):
    """Sign of n."""
    # negative first
    if n < 0:
        return "neg"
    elif n == 0:
        return "zero"
    for _ in range(2):
        if n > 100 and n % 2:
            return "big odd"
    return "pos"


class Box:
    def get(self, k):
        return k if k else None
'''
TS = "function f(x: number): number {\n  if (x > 1 && x < 5) { return x; }\n  return 0;\n}\n"


def test_python_metrics_equal_radon():
    m = compute_metrics("Python", PY)
    blocks = {b.fullname: b.complexity for b in cc_visit(PY) if not hasattr(b, "methods")}
    assert {f["name"]: f["complexity"] for f in m["per_function"]} == blocks
    assert m["cyclomatic_max"] == max(blocks.values()) == 6
    total = h_visit(PY).total
    assert m["halstead_difficulty"] == pytest.approx(total.difficulty, abs=1e-3)
    assert m["halstead_effort"] == pytest.approx(total.effort, abs=1e-3)
    assert m["halstead_volume"] == pytest.approx(total.volume, abs=1e-3)
    assert m["maintainability_index"] == pytest.approx(mi_visit(PY, multi=True), abs=1e-3)
    raw = analyze(PY)
    assert (m["loc"], m["sloc"], m["comments"]) == (raw.loc, raw.sloc, raw.comments)
    assert m["analyser"] == "radon" and m["unavailable"] == []


def test_python_tests_get_their_own_metrics():
    m = compute_metrics(
        "python", PY, tests="assert classify(-1) == 'neg'\nassert classify(0) == 'zero'\n"
    )
    assert m["tests"]["sloc"] == 2 and m["tests"]["analyser"] == "radon"


def test_other_languages_use_lizard_and_say_what_is_missing():
    m = compute_metrics("TypeScript", TS)
    info = lizard.analyze_file.analyze_source_code("s.ts", TS)
    assert m["analyser"] == "lizard"
    assert m["cyclomatic_max"] == info.function_list[0].cyclomatic_complexity == 3
    assert m["sloc"] == info.nloc
    assert m["halstead_difficulty"] is None and m["maintainability_index"] is None
    assert "halstead_difficulty" in m["unavailable"] and "maintainability_index" in m["unavailable"]
    assert "Python-only" in m["unavailable_reason"]


def test_generic_typescript_functions_are_measured():
    code = "function uniq<T>(arr: T[]): T[] {\n  if (!arr) { return []; }\n  return [...new Set(arr)];\n}\n"
    m = compute_metrics("TypeScript", code)
    assert m["cyclomatic_max"] == 2 and m["per_function"][0]["name"] == "uniq"


@pytest.mark.parametrize(
    "language,code,reason",
    [
        ("Python", "def f(:\n", "does not parse"),
        ("COBOL", "DISPLAY 'HI'.", "no analyser"),
        (None, "x", "no language"),
        ("Python", None, "no solution"),
    ],
)
def test_unavailable_metrics_are_none_with_a_reason(language, code, reason):
    m = compute_metrics(language, code)
    for key in ("cyclomatic_max", "halstead_difficulty", "maintainability_index", "sloc"):
        assert key in m and m[key] is None
    assert reason in m["unavailable_reason"]
