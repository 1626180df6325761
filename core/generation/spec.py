"""The `spec` pipeline: each slot asks for a language, a difficulty and a category.

Slots are assigned by `core.quotas.slot_plans`: languages by largest deficit, difficulty and
category even within each language and across the set, so any prefix of a job already meets
the quotas: growing `--n` later extends a job without upsetting its distribution. A statement
that nearly duplicates one of the job's items (core/quality/dedup.py's MinHash LSH) is asked
for again (see `ItemMaker.problem`).
"""

from __future__ import annotations

from core.errors import AssayError
from core.generation.pipelines import JobRun, Pipeline
from core.models import normalize_language
from core.quality.dedup import DuplicateIndex, lsh_index
from core.quality.sketch import LeanMinHash
from core.quotas import CATEGORIES, DIFFICULTIES, slot_plans


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


def spec_plans(
    n: int,
    languages: dict[str, float],
    difficulties: tuple[str, ...] = DIFFICULTIES,
    categories: tuple[str, ...] = CATEGORIES,
) -> list[dict[str, str]]:
    """The plan of slots 0..n-1: [{'language', 'difficulty', 'category'}, ...] (see
    `core.quotas.slot_plans`, the one statement of how quotas are met)."""
    return slot_plans(n, languages, difficulties, categories)


class JobDuplicates:
    """Near-duplicate statements within one job: statement signatures from the quality
    checks' MinHash (`DuplicateIndex.signature`: frame and function name left out) in an LSH
    of the job's settings (250 permutations, threshold 0.75 by default)."""

    def __init__(self, job: JobRun):
        config = job.config
        self.signatures = DuplicateIndex(num_perm=config.dedup_perms)
        self.threshold = config.dedup_threshold
        self.lsh = lsh_index(config.dedup_threshold, config.dedup_perms)
        self.kept: dict[str, LeanMinHash] = {}
        prefix = f"gen-{job.job_id}-"
        for query_id, text in job.store.statements():
            if query_id.startswith(prefix):  # this job's items, committed before a resume
                self._remember(query_id, text, job.store.get(query_id).function_name)

    def _remember(self, query_id: str, text: str, name: str | None = None) -> str | None:
        minhash = self.signatures.signature(text, "", name).text_minhash
        if minhash is None:
            return None
        # LSH candidates are only likely twins: the estimated Jaccard decides.
        twins = [
            key
            for key in self.lsh.query(minhash)
            if minhash.jaccard(self.kept[key]) >= self.threshold
        ]
        if twins:
            return str(min(twins))
        self.lsh.insert(query_id, minhash)
        self.kept[query_id] = minhash
        return None

    def __call__(self, query_id: str, problem: dict) -> str | None:
        """The job's item that `problem` nearly duplicates, else None (and it is kept)."""
        return self._remember(query_id, problem["query_text"], problem.get("function_name"))


async def run(job: JobRun) -> None:
    """Every slot's plan is known up front: run them all, each statement new to the job."""
    config = job.config
    job.maker.duplicate_of = JobDuplicates(job)
    plans = spec_plans(
        config.n, config.languages, tuple(config.difficulties), tuple(config.categories)
    )
    await job.run_slots(enumerate(plans))


PIPELINE = Pipeline("spec", run)
