"""One problem from plan to item: statement, solution + tests, sandbox, feedback, optional steps.

The solve loop keeps the whole conversation: each retry sees every earlier attempt and what
the sandbox said about it, up to `iterations` attempts. Every attempt is kept for curators.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.generation.client import CallFailed, LLMClient, Reply
from core.generation.config import JobConfig
from core.generation.parsing import code_blocks
from core.generation.prompts import PromptSet
from core.models import normalize_language
from core.quality.metrics import compute_metrics
from core.quality.tampering import compare_tests
from core.store import AttemptRecord, now
from sandbox import languages
from sandbox.result import RUN_STATUSES, RunResult

# The sandbox, called as run(language, solution, tests, function_name) -> RunResult.
AsyncRunner = Callable[[str, str, str, str | None], Awaitable[RunResult]]


def _schema(title: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


TEXT = {"type": "string"}
PROBLEM_SCHEMA = _schema("problem", {"function_name": TEXT, "query_text": TEXT})
SOLUTION_SCHEMA = _schema("solution", {"reference_answer": TEXT, "assertions": TEXT})
EDGE_CASES_SCHEMA = _schema("statement", {"query_text": TEXT})
TOPICS_SCHEMA = _schema("topics", {"topics": {"type": "array", "items": TEXT}})
VERDICT_SCHEMA = _schema("verdict", {"specified": {"type": "boolean"}, "reason": TEXT})
ATTEMPT_SCHEMA = _schema("attempt", {"solution": TEXT})
TESTS_SCHEMA = _schema("tests", {"assertions": TEXT})

# Sandbox statuses that another attempt cannot fix.
HOPELESS = {"unsupported"}
# Attempt statuses that say nothing about the code: the reply could not be read
# (`unreadable`), or the server refused the call for good (`rejected`: a 400 such as a
# context-length error). `unparsable` is the sandbox's: the code did not compile or parse.
NOT_RUN = {"unreadable", "rejected"}
# Every status an attempt is stored with: a sandbox status, one of NOT_RUN, or `duplicate`
# (the problem was a near duplicate of one kept earlier).
ATTEMPT_STATUSES = (*RUN_STATUSES, *sorted(NOT_RUN), "duplicate")
# The purposes whose step has another name in STEPS.
STEP_OF = {"verify": "verifier"}


@dataclass
class SlotResult:
    # pass | fail | error | unparsable (the code) | unreadable (the replies) | rejected (the
    # server refused a call for good) | duplicate (every statement repeated one of the job's)
    outcome: str
    record: dict | None
    attempts: list[AttemptRecord] = field(default_factory=list)
    iterations: int = 0


def language_label(language: str) -> str:
    """The registry's name for a language spelling ('ts' -> 'TypeScript'); unknown ones as given."""
    known = languages.get(language)
    return known.label if known else language


def text_fields(data: dict | None, *names: str) -> dict[str, str] | None:
    """The named fields if all are non-empty strings, else None."""
    if not isinstance(data, dict):
        return None
    texts = {name: value.strip() for name in names if isinstance(value := data.get(name), str)}
    return texts if len(texts) == len(names) and all(texts.values()) else None


def complexity(metrics: dict[str, Any], difficulty: str | None, levels: list[str]) -> float:
    """`metadata.complexity` (0..1): the mean of the declared level's place among the job's
    levels (first 0, last 1) and the solution's measured cyclomatic complexity on radon's
    scale (1 -> 0, 21 and above, rank D, -> 1), whichever of the two is known."""
    parts = []
    if difficulty in levels and len(levels) > 1:
        parts.append(levels.index(difficulty) / (len(levels) - 1))
    cyclomatic = metrics.get("cyclomatic_max")
    if isinstance(cyclomatic, int | float):
        parts.append(min(1.0, max(0.0, (cyclomatic - 1) / 20)))
    return round(sum(parts) / len(parts), 2) if parts else 0.5


def attempt(
    iteration: int,
    summary: str,
    reply: str | None,
    status: str,
    result: RunResult | None = None,
    feedback: str | None = None,
) -> AttemptRecord:
    """An attempt stamped with the time it ran (not the time its slot was committed)."""
    return AttemptRecord(iteration, summary, reply, status, result, feedback, created_at=now())


class ItemMaker:
    """Turns one slot's plan into a SlotResult using the model and the sandbox."""

    def __init__(
        self,
        client: LLMClient,
        prompts: PromptSet,
        config: JobConfig,
        run: AsyncRunner,
        *,
        job_id: int,
    ):
        self.client = client
        self.prompts = prompts
        self.config = config
        self.run = run
        self.job_id = job_id
        self.replay = bool(config.offline)
        # A pipeline's check of a new statement: the id of an earlier item of the job it
        # nearly duplicates, or None (spec sets one; see spec.JobDuplicates).
        self.duplicate_of: Callable[[str, dict], str | None] | None = None

    def messages(self, prompt: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.prompts.render("system")},
            {"role": "user", "content": prompt},
        ]

    async def ask(
        self,
        prompt_or_messages: str | list[dict],
        *,
        purpose: str,
        slot: int | None,
        schema: dict,
        model: str | None = None,
        seed: int | None = None,
        samples: int = 1,
    ) -> Reply:
        """One call for `purpose`, on that step's model (`JobConfig.model_for`) unless
        `model` is given, with the job's sampling settings."""
        messages = (
            self.messages(prompt_or_messages)
            if isinstance(prompt_or_messages, str)
            else prompt_or_messages
        )
        return await self.client.complete(
            messages,
            model=model or self.config.model_for(STEP_OF.get(purpose, purpose)),
            purpose=purpose,
            slot=slot,
            schema=schema,
            temperature=self.config.temperature,
            max_tokens=self.config.max_tokens,
            seed=seed,
            top_p=self.config.top_p,
            stop=self.config.stop,
            samples=samples,
        )

    # -- the problem statement ------------------------------------------------------------

    async def problem(
        self, slot: int, plan: dict, query_id: str
    ) -> tuple[dict | None, list[AttemptRecord], str]:
        """The plan's problem (evolve plans carry one), or a new one from the `problem` prompt:
        (problem or None, the statements refused on the way, the slot's outcome if None).
        A statement that cannot be read, or that nearly duplicates one of the job's items, is
        asked for again with another sampling seed, up to `iterations` times in all."""
        if "problem" in plan:
            return plan["problem"], [], ""
        prompt = self.prompts.render(
            "problem",
            language=language_label(plan["language"]),
            difficulty=plan["difficulty"],
            category=plan["category"].replace("_", " "),
            number=slot + 1 + self.config.seed * 1_000_000,
        )
        refused: list[AttemptRecord] = []
        outcome = "unreadable"
        for tries in range(self.config.iterations):
            summary = "problem statement" + (f", retry {tries}" if tries else "")
            try:
                # The first call as it always was (its cache key unchanged); retries resample.
                reply = await self.ask(
                    prompt,
                    purpose="problem",
                    slot=slot,
                    schema=PROBLEM_SCHEMA,
                    seed=tries or None,
                )
            except CallFailed as exc:
                if exc.outcome != "rejected":
                    raise
                refused.append(attempt(0, summary, None, "rejected", None, str(exc)))
                return None, refused, "rejected"
            fields = text_fields(
                reply.data("function_name", "query_text"), "function_name", "query_text"
            )
            if fields is None:
                why = "cut off at the token limit" if reply.truncated else "no usable JSON"
                refused.append(attempt(0, summary, reply.content, "unreadable", None, why))
                continue
            problem = {**plan, **fields}
            twin = self.duplicate_of(query_id, problem) if self.duplicate_of else None
            if twin is None:
                return problem, refused, ""
            outcome = "duplicate"
            refused.append(
                attempt(0, summary, reply.content, "duplicate", None, f"a near duplicate of {twin}")
            )
        return None, refused, outcome

    # -- the whole item -------------------------------------------------------------------

    async def make(self, slot: int, plan: dict, query_id: str) -> SlotResult:
        problem, refused, why = await self.problem(slot, plan, query_id)
        if problem is None:
            return SlotResult(why, None, refused, len(refused))
        if self.config.edge_cases:
            problem = await self.add_edge_cases(slot, problem)
        attempts, best = await self.solve(slot, problem)
        outcome = self.outcome(attempts)
        record = self.record(query_id, slot, problem, best, outcome, len(attempts))
        attempts = refused + attempts
        generation = record["metadata"]["generation"]
        if self.config.topics:
            record["metadata"]["topics"] = await self.label_topics(slot, problem)
        if outcome == "pass" and self.config.verify:
            generation["verifier"] = await self.verify(slot, record)
        if outcome == "pass" and self.config.solver:
            generation["solver"] = await self.estimate_difficulty(slot, record)
        return SlotResult(outcome, record, attempts, len(attempts))

    async def solve(self, slot: int, problem: dict) -> tuple[list[AttemptRecord], dict | None]:
        """Solution + tests, run, feedback with the full history, up to `iterations` times."""
        language = normalize_language(problem["language"])
        messages = self.messages(self.coding_prompt("solution", problem))
        attempts: list[AttemptRecord] = []
        best: dict | None = None
        for iteration in range(1, self.config.iterations + 1):
            summary = "solution + tests" if iteration == 1 else f"repair {iteration - 1}"
            try:
                reply = await self.ask(
                    messages, purpose="solution", slot=slot, schema=SOLUTION_SCHEMA
                )
            except CallFailed as exc:
                if exc.outcome != "rejected":
                    raise
                # Refused for good (a context-length 400 on a long repair): the slot ends on
                # what it has, instead of being lost and paid for again on every rerun.
                attempts.append(attempt(iteration, summary, None, "rejected", None, str(exc)))
                break
            code = self.solution_fields(reply)
            said = reply.content  # the attempt as the model will see it in the history
            if code is not None and iteration == 1 and "tests" in self.config.step_models:
                code, said = await self.independent_tests(slot, problem, code)
            if code is None:
                reason = (
                    "it was cut off at the token limit."
                    if reply.truncated
                    else "it was not a JSON object with non-empty reference_answer and assertions."
                )
                feedback: str | None = self.prompts.render("feedback_unparsable", reason=reason)
                attempts.append(
                    attempt(iteration, summary, reply.content, "unreadable", None, feedback)
                )
            elif (refusal := self.weakened_tests(language, best, code)) is not None:
                # A repair that deletes tests or rewrites expected values passes by cheating:
                # it is a failed attempt, the model is told why, and it never becomes the item.
                why, feedback = refusal
                attempts.append(
                    attempt(iteration, f"{summary}: {why}", reply.content, "fail", None, feedback)
                )
            else:
                best = code
                result = await self.run(
                    language,
                    code["reference_answer"],
                    code["assertions"],
                    problem["function_name"],
                )
                status = result.status
                feedback = None if status == "pass" else self.run_feedback(result)
                attempts.append(attempt(iteration, summary, said, status, result, feedback))
                if status == "pass" or status in HOPELESS:
                    break
            if iteration < self.config.iterations:
                messages = [
                    *messages,
                    {"role": "assistant", "content": said},
                    {"role": "user", "content": feedback or ""},
                ]
        return attempts, best

    async def independent_tests(
        self, slot: int, problem: dict, code: dict[str, str]
    ) -> tuple[dict[str, str], str]:
        """The first attempt with its tests written by the `tests` step's model from the
        statement alone (`prompts/tests.md`), and that attempt as JSON for the history; the
        solution model's own tests when the reply cannot be read."""
        prompt = self.coding_prompt("tests", problem)
        reply = await self.ask(prompt, purpose="tests", slot=slot, schema=TESTS_SCHEMA)
        fields = text_fields(reply.data("assertions"), "assertions")
        combined = {**code, **(fields or {})}
        return combined, json.dumps(combined, ensure_ascii=False)

    def coding_prompt(self, template: str, problem: dict) -> str:
        """`template` (solution, tests) for `problem`, with its language's way of writing tests
        (`prompts/assertion_styles.txt`)."""
        language = normalize_language(problem["language"])
        style = self.prompts.keyed("assertion_styles")
        return self.prompts.render(
            template,
            language=language_label(language),
            query_text=problem["query_text"],
            function_name=problem["function_name"],
            assertion_style=style.get(language, style.get("default", "")),
        )

    @staticmethod
    def solution_fields(reply: Reply) -> dict[str, str] | None:
        fields = text_fields(
            reply.data("reference_answer", "assertions"), "reference_answer", "assertions"
        )
        if fields is None and not reply.truncated:
            # A plain reply with two fenced blocks: solution, then tests.
            blocks = code_blocks(reply.content)
            if len(blocks) >= 2:
                fields = {"reference_answer": blocks[0], "assertions": blocks[1]}
        return fields

    def weakened_tests(
        self, language: str, previous: dict | None, code: dict[str, str]
    ) -> tuple[str, str] | None:
        """(summary, feedback) when `code`'s tests delete checks of the previous attempt's
        tests or change their expected values (`core.quality.tampering`), else None."""
        if previous is None:
            return None
        change = compare_tests(language, previous["assertions"], code["assertions"])
        if change is None or not change.weakened:
            return None
        why = "repair deleted tests" if change.removed else "repair changed expected values"
        if change.removed and change.changed:
            why = "repair deleted tests and changed expected values"
        feedback = self.prompts.render(
            "feedback_weakened", change=change.summary("it"), diff=change.diff[-3000:]
        )
        return f"{why} ({change.summary()})", feedback

    def run_feedback(self, result: RunResult) -> str:
        tests = result.tests
        failing = [t for t in tests if t.status != "pass"]
        lines = [f"{len(tests) - len(failing)} of {len(tests)} tests passed."] if tests else []
        for test in failing[:20]:
            message = " ".join(test.message.split())[:300]
            lines.append(f"- {test.name or 'test'}: {test.status} {message}".rstrip())
        return self.prompts.render(
            "feedback_run",
            status=result.status,
            tests="\n".join(lines) or "No per-test results.",
            stdout=(result.stdout_tail or "(empty)")[-2000:],
            stderr=(result.stderr_tail or "(empty)")[-2000:],
        )

    @staticmethod
    def outcome(attempts: list[AttemptRecord]) -> str:
        """The slot's outcome from its last attempt that ran: pass, fail, unparsable (the code
        did not compile or parse) or error; `unreadable` when no reply could be read,
        `rejected` when the server refused the first call for good."""
        ran = [a.status for a in attempts if a.status not in NOT_RUN]
        if not ran:
            return "rejected" if attempts and attempts[-1].status == "rejected" else "unreadable"
        last = ran[-1]
        return last if last in ("pass", "fail", "unparsable") else "error"

    def record(
        self,
        query_id: str,
        slot: int,
        problem: dict,
        code: dict | None,
        outcome: str,
        iterations: int,
    ) -> dict[str, Any]:
        code = code or {"reference_answer": "", "assertions": ""}
        metrics = compute_metrics(problem["language"], code["reference_answer"] or None)
        generation: dict[str, Any] = {
            "job_id": self.job_id,
            "slot": slot,
            "pipeline": self.config.pipeline,
            "model": self.config.model,
            "outcome": outcome,
            "iterations": iterations,
            "replay": self.replay,
        }
        for key in ("operation", "parents", "colony"):
            if key in problem:
                generation[key] = problem[key]
        if self.replay:
            generation["label"] = self.config.label or "offline replay of recorded replies"
        return {
            "query_id": query_id,
            "query_text": problem["query_text"],
            "reference_answer": code["reference_answer"],
            "assertions": code["assertions"],
            "metadata": {
                "language": language_label(problem["language"]),
                "function_name": problem["function_name"],
                "difficulty": problem.get("difficulty"),
                "category": problem.get("category"),
                "complexity": complexity(
                    metrics, problem.get("difficulty"), list(self.config.difficulties)
                ),
                "generation": generation,
            },
        }

    # -- optional steps -------------------------------------------------------------------

    async def add_edge_cases(self, slot: int, problem: dict) -> dict:
        prompt = self.prompts.render("edge_cases", query_text=problem["query_text"])
        reply = await self.ask(prompt, purpose="edge_cases", slot=slot, schema=EDGE_CASES_SCHEMA)
        fields = text_fields(reply.data("query_text"), "query_text")
        return {**problem, **fields} if fields else problem

    async def label_topics(self, slot: int, problem: dict) -> list[str]:
        bank = self.prompts.lines("topic_bank")
        prompt = self.prompts.render(
            "topics", topic_bank="\n".join(bank), query_text=problem["query_text"]
        )
        reply = await self.ask(prompt, purpose="topics", slot=slot, schema=TOPICS_SCHEMA)
        data = reply.data("topics") or {}
        topics = data.get("topics")
        chosen = topics if isinstance(topics, list) else []
        known = {topic.lower(): topic for topic in bank}
        labels = [
            known[t.lower().strip()]
            for t in chosen
            if isinstance(t, str) and t.lower().strip() in known
        ]
        return list(dict.fromkeys(labels))[:3]

    async def verify(self, slot: int, record: dict) -> dict[str, Any]:
        """CHASE-style check by an independent model: does the statement specify the solution?"""
        model = self.config.model_for("verifier")
        prompt = self.prompts.render(
            "verify",
            query_text=record["query_text"],
            language=record["metadata"]["language"],
            reference_answer=record["reference_answer"],
            assertions=record["assertions"],
        )
        reply = await self.ask(
            prompt, purpose="verify", slot=slot, schema=VERDICT_SCHEMA, model=model
        )
        data = reply.data("specified") or {}
        specified = data.get("specified")
        return {
            "model": model,
            "specified": specified if isinstance(specified, bool) else None,
            "reason": data.get("reason") if isinstance(data.get("reason"), str) else None,
        }

    async def estimate_difficulty(self, slot: int, record: dict) -> dict[str, Any]:
        """k independent solutions from the statement alone; all passing means "too easy"."""
        model = self.config.model_for("solver")
        meta = record["metadata"]
        prompt = self.prompts.render(
            "solve",
            language=meta["language"],
            query_text=record["query_text"],
            function_name=meta["function_name"],
        )

        k = self.config.solver_k
        # The k attempts in one call (`n`); a server that ignores `n` answers once, and the
        # rest are asked for one by one, each with its own seed.
        first = await self.ask(
            prompt, purpose="solver", slot=slot, schema=ATTEMPT_SCHEMA, model=model, samples=k
        )
        replies = first.samples()[:k]
        more = await asyncio.gather(
            *(
                self.ask(
                    prompt, purpose="solver", slot=slot, schema=ATTEMPT_SCHEMA, model=model, seed=i
                )
                for i in range(len(replies), k)
            )
        )
        replies += more

        async def one(reply: Reply) -> bool:
            fields = text_fields(reply.data("solution"), "solution")
            if fields is None:
                return False
            result = await self.run(
                meta["language"],
                fields["solution"],
                record["assertions"],
                meta["function_name"],
            )
            return result.status == "pass"

        passes = await asyncio.gather(*(one(reply) for reply in replies))
        rate = sum(passes) / len(passes)
        return {"model": model, "k": len(passes), "pass_rate": rate, "too_easy": rate == 1.0}
