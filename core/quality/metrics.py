"""Code metrics: radon for Python, lizard for the other languages it knows.

`compute_metrics` always returns the four headline keys that `assay check --json`
prints (`cyclomatic_max`, `halstead_difficulty`, `maintainability_index`, `sloc`),
with None where a metric cannot be computed, and names those metrics in `unavailable`
with a plain reason in `unavailable_reason`.
"""

from __future__ import annotations

import re
from typing import Any

import lizard
from lizard_languages import get_reader_for
from radon.complexity import cc_visit_ast
from radon.metrics import h_visit_ast, mi_compute
from radon.raw import analyze
from radon.visitors import ComplexityVisitor, Function

from core.models import normalize_language
from sandbox import languages

HEADLINE = ("cyclomatic_max", "halstead_difficulty", "maintainability_index", "sloc")
_ALL_KEYS = HEADLINE + (
    "halstead_effort",
    "halstead_volume",
    "loc",
    "lloc",
    "comments",
    "blank",
)


def _empty() -> dict[str, Any]:
    metrics: dict[str, Any] = dict.fromkeys(_ALL_KEYS)
    metrics.update(per_function=[], analyser=None, unavailable=[], unavailable_reason=None)
    return metrics


def _mark_unavailable(metrics: dict[str, Any], reason: str) -> dict[str, Any]:
    metrics["unavailable"] = [k for k in _ALL_KEYS if metrics[k] is None]
    metrics["unavailable_reason"] = reason if metrics["unavailable"] else None
    return metrics


def no_metrics(reason: str) -> dict[str, Any]:
    """The metrics of an item nothing could be measured on, saying why."""
    return _mark_unavailable(_empty(), reason)


def _maintainability(tree, raw, volume: float) -> float:
    """radon's `mi_visit(code, multi=True)`, from the parse and counts already made."""
    comment_lines = raw.comments + raw.multi
    comments = comment_lines / float(raw.sloc) * 100 if raw.sloc else 0
    complexity = ComplexityVisitor.from_ast(tree).total_complexity
    return mi_compute(volume, complexity, raw.lloc, comments)


def _python_metrics(code: str) -> dict[str, Any]:
    import ast

    metrics = _empty()
    metrics["analyser"] = "radon"
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        return _mark_unavailable(metrics, f"the Python code does not parse: {exc}")
    raw = analyze(code)
    metrics.update(
        loc=raw.loc, lloc=raw.lloc, sloc=raw.sloc, comments=raw.comments, blank=raw.blank
    )
    blocks = cc_visit_ast(tree)
    per_function = [
        {"name": b.fullname, "complexity": b.complexity, "line": b.lineno}
        for b in blocks
        if isinstance(b, Function)
    ]
    metrics["per_function"] = per_function
    if per_function:
        metrics["cyclomatic_max"] = max(f["complexity"] for f in per_function)
    else:  # module-level code only (a test block): the module's own complexity
        metrics["cyclomatic_max"] = ComplexityVisitor.from_ast(tree).complexity
    total = h_visit_ast(tree).total
    metrics.update(
        halstead_difficulty=round(float(total.difficulty), 3),
        halstead_effort=round(float(total.effort), 3),
        halstead_volume=round(float(total.volume), 3),
        maintainability_index=round(float(_maintainability(tree, raw, total.volume)), 3),
    )
    return _mark_unavailable(metrics, "")


def _lizard_metrics(cid: str, code: str) -> dict[str, Any]:
    metrics = _empty()
    name = languages.label(cid)
    known = languages.get(cid)
    # lizard picks its reader from the file name
    filename = f"solution{known.suffix}" if known else ""
    if not filename or get_reader_for(filename) is None:
        return _mark_unavailable(metrics, f"no analyser for {name}: no metrics computed")
    metrics["analyser"] = "lizard"
    info = lizard.analyze_file.analyze_source_code(filename, code)
    if (
        filename.endswith(".ts")
        and not info.function_list
        and re.search(r"\bfunction\s*\*?\s*[\w$]*\s*<", code)
    ):
        # lizard's TypeScript reader misses generic functions (`function f<T>(...)`); its
        # TSX reader does not
        info = lizard.analyze_file.analyze_source_code("solution.tsx", code)
    functions = info.function_list
    metrics["per_function"] = [
        {"name": f.name, "complexity": f.cyclomatic_complexity, "line": f.start_line}
        for f in functions
    ]
    metrics["sloc"] = info.nloc  # lizard's NLOC: lines of code without comments or blanks
    metrics["loc"] = len(code.splitlines())
    if functions:
        metrics["cyclomatic_max"] = max(f.cyclomatic_complexity for f in functions)
    return _mark_unavailable(
        metrics,
        f"lizard measures only cyclomatic complexity and NLOC for {name}; "
        "Halstead, maintainability index and comment counts are Python-only (radon)"
        + ("" if functions else "; no function found, so no cyclomatic complexity"),
    )


def _metrics_for(cid: str, code: str) -> dict[str, Any]:
    if not cid:
        return _mark_unavailable(_empty(), "the item names no language: no metrics computed")
    try:
        return _python_metrics(code) if cid == "python" else _lizard_metrics(cid, code)
    except RecursionError:  # radon's visitors recurse once per AST level: 2,000 terms do it
        return _mark_unavailable(_empty(), "the code nests too deeply to analyse")
    except Exception as exc:  # an analyser's bug on odd code costs that item its metrics only
        return _mark_unavailable(
            _empty(), f"the analyser failed: {type(exc).__name__}: {exc}"[:300]
        )


def compute_metrics(language: object, solution: object, tests: object = None) -> dict[str, Any]:
    """Metrics of a solution (and, under `tests`, of its tests).

    Python goes through radon (cyclomatic complexity per function, Halstead, MI, raw
    counts); other languages through lizard (cyclomatic complexity and NLOC; `sloc`
    is lizard's NLOC). Never raises on bad input: missing metrics are None and listed.
    """
    cid = normalize_language(language)
    if not isinstance(solution, str) or not solution.strip():
        metrics = _mark_unavailable(_empty(), "the item has no solution code")
    else:
        metrics = _metrics_for(cid, solution)
    if isinstance(tests, str) and tests.strip():
        metrics["tests"] = _metrics_for(cid, tests)
    return metrics
