"""The `evolve` pipeline (InfoSynth): colonies of seed items grow by mutation and crossover.

Each round, every colony mutates one member into an easier, an equally hard and a harder
variant and crosses over its last B_c members. Candidates that MinHash-LSH finds near
duplicates of anything known (250 permutations, Jaccard threshold 0.75) are dropped; of the
rest, the k least similar (cosine) to what exists are kept, one slot each. A round's choice is
stored before its slots run, so a resumed job continues with exactly the same plan.

Seeds come from the database, or from a file in any format `assay import` reads
(`--seeds FILE`: HumanEval, HumanEval-X, MBXP, MBPP, native), read once into the job's record.
Every mutation and crossover call carries a sampling seed made of the job's `--seed`, the
round, the colony and the operation: a job with another `--seed` really resamples, and a
crossover prompt repeated in a later round is a new call, not the cached answer.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from core import formats
from core.errors import AssayError
from core.generation.client import BudgetExhausted, CallFailed
from core.generation.config import JobConfig
from core.generation.pipeline import PROBLEM_SCHEMA, language_label, text_fields
from core.generation.pipelines import JobRun, Pipeline
from core.models import Item, normalize_language
from core.quality.dedup import lsh_index
from core.quality.sketch import MinHash
from core.store import Store

DIRECTIONS = {"easier": -1, "equally hard": 0, "harder": 1}
OPERATIONS = (*(f"mutate:{d}" for d in DIRECTIONS), "crossover")
STALE_ROUNDS = 3  # rounds in a row with no new candidate before the job gives up


def seeds_from_file(path: str, limit: int) -> list[dict[str, Any]]:
    """The first `limit` problems of an item file in any import format; one sentence for a
    file that cannot be read or holds a bad line (the job is not created then)."""
    parsed = formats.parse_file(path, "auto")
    if parsed.errors:
        raise AssayError(f"The seeds file {path} cannot be used: {parsed.errors[0].message}.")
    problems = [
        as_problem(Item(0, line.record["query_id"], line.record)) for line in parsed.records
    ]
    problems = [p for p in problems if p["query_text"].strip()][:limit]
    if not problems:
        raise AssayError(f"The seeds file {path} holds no problem statements.")
    return problems


def sampling_seed(job_seed: int, round_no: int, colony: int, operation: str) -> int:
    """The `seed` of one mutation or crossover call (distinct per job seed, round, colony and
    operation, so no two of them share a cache key)."""
    return ((job_seed * 10_007 + round_no) * 1_009 + colony) * 8 + OPERATIONS.index(operation)


def choose_seeds(store: Store, config: JobConfig) -> list[str]:
    """Seed items for the colonies: accepted items first, then pending; never rejected ones."""
    seeds = store.seed_candidates(max(1, config.colonies * config.colony_size))
    if not seeds:
        raise AssayError(
            "The evolve pipeline needs seed items: import some (assay import FILE) first."
        )
    return seeds


def shingles(text: str, size: int = 3) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


class Evolution:
    def __init__(self, engine: JobRun):
        self.engine = engine
        self.config = engine.config
        self.store = engine.store
        self.vectorizer = HashingVectorizer(
            n_features=2**18, ngram_range=(1, 2), alternate_sign=False, norm="l2"
        )
        self.lsh = lsh_index(self.config.dedup_threshold, self.config.dedup_perms)
        self.known_ids: set[str] = set()
        self.known_texts: list[str] = []

    # -- the rounds -----------------------------------------------------------------------

    async def run(self) -> None:
        engine, config = self.engine, self.config
        colonies = self.colonies()
        planned = self.store.jobs.plans(engine.job_id)
        next_slot, round_no, stale = 0, 0, 0
        while next_slot < config.n and not engine.stop_reason:
            plans = [(s, p) for s, p in sorted(planned.items()) if p["round"] == round_no]
            if not plans:
                self.learn_store()
                try:
                    candidates = await self.candidates(round_no, colonies)
                except BudgetExhausted as exc:
                    engine.stop(str(exc))
                    break
                chosen = self.select(candidates, min(config.colonies, config.n - next_slot))
                if not chosen:
                    stale += 1
                    if stale >= STALE_ROUNDS:
                        engine.stop("no new candidates: every variant duplicated a known item")
                        break
                    round_no += 1
                    continue
                stale = 0
                plans = [
                    (next_slot + i, {"round": round_no, "problem": c}) for i, c in enumerate(chosen)
                ]
                self.store.jobs.plan(engine.job_id, plans)
            await engine.run_slots(plans)
            next_slot = max(slot for slot, _ in plans) + 1
            self.grow(colonies, plans)
            round_no += 1

    def colonies(self) -> list[list[dict[str, Any]]]:
        """N_c pools of problems, seeded round-robin from the job's seed items."""
        seeds = list(self.config.seed_problems)
        for query_id in self.config.seeds:
            if self.store.exists(query_id):
                seeds.append(as_problem(self.store.get(query_id)))
        if not seeds:
            raise AssayError("The seed items of this evolve job are no longer in the database.")
        count = max(1, self.config.colonies)
        return [
            [seeds[(c + i * count) % len(seeds)] for i in range(max(1, len(seeds) // count))]
            for c in range(count)
        ]

    def grow(self, colonies: list[list[dict]], plans: list[tuple[int, dict]]) -> None:
        """Children that passed join their parent's colony."""
        for slot, plan in plans:
            outcome, query_id = self.store.jobs.slot(self.engine.job_id, slot) or (None, None)
            if outcome == "pass" and query_id:
                problem = plan["problem"]
                colonies[problem["colony"]].append({**problem, "query_id": query_id})

    # -- making candidates ----------------------------------------------------------------

    async def candidates(self, round_no: int, colonies: list[list[dict]]) -> list[dict]:
        jobs = []
        for index, pool in enumerate(colonies):
            parent = pool[round_no % len(pool)]
            for direction in DIRECTIONS:
                jobs.append(self.mutate(round_no, index, parent, direction))
            members = pool[-self.config.colony_size :]
            if len(members) >= 2:
                jobs.append(self.crossover(round_no, index, members))
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for result in results:
            if isinstance(result, BudgetExhausted | AssayError):
                raise result
        return [r for r in results if isinstance(r, dict)]

    async def mutate(self, round_no: int, colony: int, parent: dict, direction: str) -> dict | None:
        language = language_label(parent["language"])
        prompt = self.engine.prompts.render(
            "mutate", seed=parent["query_text"], direction=direction, language=language
        )
        difficulty = shift(
            self.config.difficulties, parent.get("difficulty"), DIRECTIONS[direction]
        )
        operation = f"mutate:{direction}"
        seed = sampling_seed(self.config.seed, round_no, colony, operation)
        return await self.ask(prompt, "mutate", colony, [parent], difficulty, operation, seed)

    async def crossover(self, round_no: int, colony: int, members: list[dict]) -> dict | None:
        language = language_label(members[0]["language"])
        seeds = "\n\n".join(f"Problem {i + 1}:\n{m['query_text']}" for i, m in enumerate(members))
        prompt = self.engine.prompts.render("crossover", seeds=seeds, language=language)
        hardest = max(
            (m.get("difficulty") for m in members),
            key=lambda d: (
                self.config.difficulties.index(d) if d in self.config.difficulties else -1
            ),
        )
        seed = sampling_seed(self.config.seed, round_no, colony, "crossover")
        return await self.ask(prompt, "crossover", colony, members, hardest, "crossover", seed)

    async def ask(
        self,
        prompt: str,
        purpose: str,
        colony: int,
        parents: list[dict],
        difficulty: str | None,
        operation: str,
        seed: int,
    ) -> dict | None:
        try:
            reply = await self.engine.ask(prompt, purpose=purpose, schema=PROBLEM_SCHEMA, seed=seed)
        except CallFailed:
            return None
        fields = text_fields(
            reply.data("function_name", "query_text"), "function_name", "query_text"
        )
        if fields is None:
            return None
        return {
            **fields,
            "language": normalize_language(parents[0]["language"]),
            "difficulty": difficulty,
            "category": parents[0].get("category"),
            "operation": operation,
            "parents": [p["query_id"] for p in parents],
            "colony": colony,
        }

    # -- dedup and selection --------------------------------------------------------------

    def minhash(self, text: str) -> MinHash:
        signature = MinHash(num_perm=self.config.dedup_perms, seed=1)
        signature.update_batch([s.encode("utf-8") for s in shingles(text)])
        return signature

    def learn_store(self) -> None:
        """Index every item the dedup has not seen yet (the store grows between rounds), and
        the seeds read from a file."""
        from_file = ((p["query_id"], p["query_text"]) for p in self.config.seed_problems)
        for query_id, text in itertools.chain(from_file, self.store.statements()):
            if query_id not in self.known_ids:
                self.known_ids.add(query_id)
                self.known_texts.append(text)
                self.lsh.insert(f"item:{query_id}", self.minhash(text))

    def select(self, candidates: list[dict], k: int) -> list[dict]:
        """Drop near duplicates, then keep the k candidates farthest (cosine) from what exists."""
        fresh: list[dict] = []
        this_round = lsh_index(self.config.dedup_threshold, self.config.dedup_perms)
        for index, candidate in enumerate(candidates):
            signature = self.minhash(candidate["query_text"])
            if self.lsh.query(signature) or this_round.query(signature):
                continue
            this_round.insert(f"candidate:{index}", signature)
            fresh.append(candidate)
        if not fresh or k <= 0:
            return []
        existing = self.vectorizer.transform(self.known_texts) if self.known_texts else None
        vectors = self.vectorizer.transform([c["query_text"] for c in fresh])
        nearest = (
            np.asarray((vectors @ existing.T).max(axis=1).todense()).ravel()
            if existing is not None
            else np.zeros(len(fresh))
        )
        chosen: list[int] = []
        for _ in range(min(k, len(fresh))):
            order = [i for i in np.argsort(nearest, kind="stable") if i not in chosen]
            pick = int(order[0])
            chosen.append(pick)
            # Later picks must also be far from this one.
            similarity = np.asarray((vectors @ vectors[pick].T).todense()).ravel()
            nearest = np.maximum(nearest, similarity)
        return [fresh[i] for i in chosen]


def shift(levels: list[str], level: str | None, step: int) -> str | None:
    if level not in levels:
        return level
    return levels[max(0, min(len(levels) - 1, levels.index(level) + step))]


def as_problem(item: Item) -> dict[str, Any]:
    return {
        "query_id": item.query_id,
        "query_text": item.query_text,
        "function_name": item.function_name,
        "language": item.language or "python",
        "difficulty": item.metadata.get("difficulty"),
        "category": item.metadata.get("category"),
    }


def prepare(store: Store, config: JobConfig) -> None:
    """A new job's seeds are chosen once and stored with it, so a resume grows the same colonies."""
    limit = max(1, config.colonies * config.colony_size)
    if config.seeds_file and not config.seed_problems:
        config.seed_problems = seeds_from_file(config.seeds_file, limit)
    elif not config.seeds and not config.seed_problems:
        config.seeds = choose_seeds(store, config)


async def run(job: JobRun) -> None:
    await Evolution(job).run()


PIPELINE = Pipeline("evolve", run, prepare)
