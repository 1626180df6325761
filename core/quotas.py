"""What a benchmark should hold: language quotas, difficulty levels and categories.

The one statement of these facts: `spec` generation draws its slots from them, and the
dataset report (`assay stats --report`, the TUI dashboard) measures a set against them.
"""

from __future__ import annotations

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
