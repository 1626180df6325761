"""What a benchmark should hold: language quotas, difficulty levels and categories.

The one statement of these facts: `spec` generation draws its slots from them, and the
dataset report (`assay stats --report`, the TUI dashboard) measures a set against them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

# Weights by registry language id (the common target mix: 40/40/7/3, the last 10% to JavaScript).
LANGUAGE_QUOTAS: dict[str, float] = {
    "python": 40.0,
    "typescript": 40.0,
    "go": 7.0,
    "rust": 3.0,
    "javascript": 10.0,
}
# The levels generation asks for, split evenly.
DIFFICULTIES: tuple[str, ...] = ("medium", "advanced", "very_advanced")
# Every level an item may declare (imported sets also say easy and hard).
KNOWN_DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard", "advanced", "very_advanced")
CATEGORIES: tuple[str, ...] = (
    "algorithms",
    "data_structures",
    "string_processing",
    "math",
    "dynamic_programming",
    "graphs",
    "parsing",
    "simulation",
)
# The bucket of languages without a quota of their own.
OTHER = "other"


def language_targets(quotas: Mapping[str, float] = LANGUAGE_QUOTAS) -> dict[str, float]:
    """Each quota's share of the whole (ids -> 0..1), with `other` at what is left (0 here)."""
    total = sum(quotas.values()) or 1.0
    shares = {language: round(weight / total, 4) for language, weight in quotas.items()}
    shares[OTHER] = round(max(0.0, 1.0 - sum(shares.values())), 4)
    return shares


def even_split(levels: tuple[str, ...] | list[str]) -> dict[str, float]:
    """An even share for each level (the difficulty target)."""
    return {level: round(1 / len(levels), 4) for level in levels} if levels else {}


def _largest_deficit(weights: Mapping[str, float], counts: Mapping[str, int], done: int) -> str:
    """The key furthest below its share of `done + 1` slots (the first listed on ties)."""
    total = sum(weights.values())
    order = list(weights)
    return max(
        weights,
        key=lambda key: ((done + 1) * weights[key] / total - counts.get(key, 0), -order.index(key)),
    )


def _balanced(levels: tuple[str, ...], within: Counter[str], overall: Counter[str]) -> str:
    """The level for one language's next slot: the one furthest behind, counting equally how
    far it is behind within that language and across the whole set, so small sets are even
    overall too (at n=40 difficulty 14/13/13, not 16/12/12; 5 of each category)."""
    low_within = min(within[level] for level in levels)
    low_overall = min(overall[level] for level in levels)
    return min(
        levels,
        key=lambda level: (
            within[level] - low_within + overall[level] - low_overall,
            overall[level],
            within[level],
            levels.index(level),
        ),
    )


def slot_plans(
    n: int,
    languages: Mapping[str, float] = LANGUAGE_QUOTAS,
    difficulties: tuple[str, ...] = DIFFICULTIES,
    categories: tuple[str, ...] = CATEGORIES,
) -> list[dict[str, str]]:
    """The plan of slots 0..n-1 ([{'language', 'difficulty', 'category'}, ...]): languages
    by largest deficit against their quotas, difficulty and category even within each
    language and across the whole set (no level more than two ahead of another, in any
    prefix), so growing a job's n later keeps its distribution."""
    plans = []
    by_language: Counter[str] = Counter()
    difficulty_in: dict[str, Counter[str]] = {}
    category_in: dict[str, Counter[str]] = {}
    difficulty_all: Counter[str] = Counter()
    category_all: Counter[str] = Counter()
    for index in range(n):
        language = _largest_deficit(languages, by_language, index)
        d_counts = difficulty_in.setdefault(language, Counter())
        c_counts = category_in.setdefault(language, Counter())
        difficulty = _balanced(difficulties, d_counts, difficulty_all)
        category = _balanced(categories, c_counts, category_all)
        by_language[language] += 1
        d_counts[difficulty] += 1
        c_counts[category] += 1
        difficulty_all[difficulty] += 1
        category_all[category] += 1
        plans.append({"language": language, "difficulty": difficulty, "category": category})
    return plans
