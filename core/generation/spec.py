"""The `spec` pipeline: each slot asks for a language, a difficulty and a category.

Slots are assigned by largest deficit, level by level (language, then difficulty within the
language, then category within the language), so any prefix of a job already meets the quotas
to within one item: growing `--n` later extends a job without upsetting its distribution.
"""

from __future__ import annotations

from collections import Counter

from core.errors import AssayError
from core.generation.pipelines import JobRun, Pipeline
from core.models import normalize_language
from core.quotas import CATEGORIES, DIFFICULTIES


def parse_quotas(text: str) -> dict[str, float]:
    """'python=40,typescript=40,go=20' -> {'python': 40.0, ...}; weights need not sum to 100."""
    quotas: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, _, weight = part.partition("=")
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise AssayError(f"The quota {part.strip()!r} must look like python=40.") from None
        if value < 0 or not name.strip():
            raise AssayError(f"The quota {part.strip()!r} must look like python=40.")
        quotas[normalize_language(name)] = value
    if not quotas or sum(quotas.values()) <= 0:
        raise AssayError("The language quotas must give at least one language a positive share.")
    return quotas


def _largest_deficit(weights: dict[str, float], counts: Counter, done: int) -> str:
    total = sum(weights.values())
    return max(
        weights,
        key=lambda key: (
            (done + 1) * weights[key] / total - counts[key],
            -list(weights).index(key),
        ),
    )


def spec_plans(
    n: int,
    languages: dict[str, float],
    difficulties: tuple[str, ...] = DIFFICULTIES,
    categories: tuple[str, ...] = CATEGORIES,
) -> list[dict[str, str]]:
    """The plan of slots 0..n-1: [{'language', 'difficulty', 'category'}, ...]."""
    plans = []
    by_language: Counter = Counter()
    difficulty_in: dict[str, Counter] = {}
    category_in: dict[str, Counter] = {}
    even_difficulty = dict.fromkeys(difficulties, 1.0)
    even_category = dict.fromkeys(categories, 1.0)
    for index in range(n):
        language = _largest_deficit(languages, by_language, index)
        seen = by_language[language]
        d_counts = difficulty_in.setdefault(language, Counter())
        c_counts = category_in.setdefault(language, Counter())
        difficulty = _largest_deficit(even_difficulty, d_counts, seen)
        category = _largest_deficit(even_category, c_counts, seen)
        by_language[language] += 1
        d_counts[difficulty] += 1
        c_counts[category] += 1
        plans.append({"language": language, "difficulty": difficulty, "category": category})
    return plans


async def run(job: JobRun) -> None:
    """Every slot's plan is known up front: run them all."""
    config = job.config
    plans = spec_plans(
        config.n, config.languages, tuple(config.difficulties), tuple(config.categories)
    )
    await job.run_slots(enumerate(plans))


PIPELINE = Pipeline("spec", run)
