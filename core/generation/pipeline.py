"""One problem from plan to item: statement, solution + tests, sandbox, feedback, optional steps.

The solve loop keeps the whole conversation: each retry sees every earlier attempt and what
the sandbox said about it, up to `iterations` attempts. Every attempt is kept for curators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.generation.client import LLMClient, Reply
from core.generation.config import JobConfig
from core.generation.parsing import code_blocks
from core.generation.prompts import PromptSet
from core.models import normalize_language
from core.store import AttemptRecord
from sandbox import languages
from sandbox.result import RunResult

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

# Sandbox statuses that another attempt cannot fix.
HOPELESS = {"unsupported"}


@dataclass
class SlotResult:
    outcome: str  # pass | fail | error | unparsable
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
    ) -> Reply:
        messages = (
            self.messages(prompt_or_messages)
            if isinstance(prompt_or_messages, str)
            else prompt_or_messages
        )
        return await self.client.complete(
            messages,
            model=model or self.config.model,
            purpose=purpose,
            slot=slot,
            schema=schema,
            temperature=self.config.temperature,
            max_tokens=self.config.max_tokens,
            seed=seed,
        )

    # -- the problem statement ------------------------------------------------------------

    async def problem(self, slot: int, plan: dict) -> tuple[dict | None, AttemptRecord | None]:
        """The plan's problem (evolve plans carry one), or a new one from the `problem` prompt."""
        if "problem" in plan:
            return plan["problem"], None
        prompt = self.prompts.render(
            "problem",
            language=language_label(plan["language"]),
            difficulty=plan["difficulty"],
            category=plan["category"].replace("_", " "),
            number=slot + 1 + self.config.seed * 1_000_000,
        )
        reply = await self.ask(prompt, purpose="problem", slot=slot, schema=PROBLEM_SCHEMA)
        fields = text_fields(
            reply.data("function_name", "query_text"), "function_name", "query_text"
        )
        if fields is None:
            why = "cut off" if reply.truncated else "no usable JSON"
            return None, AttemptRecord(
                0, "problem statement", reply.content, "unparsable", feedback=why
            )
        return {**plan, **fields}, None

    # -- the whole item -------------------------------------------------------------------

    async def make(self, slot: int, plan: dict, query_id: str) -> SlotResult:
        problem, failed = await self.problem(slot, plan)
        if problem is None:
            return SlotResult("unparsable", None, [failed] if failed else [])
        if self.config.edge_cases:
            problem = await self.add_edge_cases(slot, problem)
        attempts, best = await self.solve(slot, problem)
        outcome = self.outcome(attempts)
        record = self.record(query_id, slot, problem, best, outcome, len(attempts))
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
        style = self.prompts.keyed("assertion_styles")
        prompt = self.prompts.render(
            "solution",
            language=language_label(language),
            query_text=problem["query_text"],
            function_name=problem["function_name"],
            assertion_style=style.get(language, style.get("default", "")),
        )
        messages = self.messages(prompt)
        attempts: list[AttemptRecord] = []
        best: dict | None = None
        for iteration in range(1, self.config.iterations + 1):
            summary = "solution + tests" if iteration == 1 else f"repair {iteration - 1}"
            reply = await self.ask(messages, purpose="solution", slot=slot, schema=SOLUTION_SCHEMA)
            code = self.solution_fields(reply)
            if code is None:
                reason = (
                    "it was cut off at the token limit."
                    if reply.truncated
                    else "it was not a JSON object with non-empty reference_answer and assertions."
                )
                feedback: str | None = self.prompts.render("feedback_unparsable", reason=reason)
                attempts.append(
                    AttemptRecord(iteration, summary, reply.content, "unparsable", None, feedback)
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
                attempts.append(
                    AttemptRecord(iteration, summary, reply.content, status, result, feedback)
                )
                if status == "pass" or status in HOPELESS:
                    break
            if iteration < self.config.iterations:
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply.content},
                    {"role": "user", "content": feedback or ""},
                ]
        return attempts, best

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
        statuses = [a.status for a in attempts]
        if not statuses or all(s == "unparsable" for s in statuses):
            return "unparsable"
        last = next(s for s in reversed(statuses) if s != "unparsable")
        if last in ("pass", "fail"):
            return last
        return "error"

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
        model = self.config.verifier_model or self.config.model
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
        model = self.config.solver_model or self.config.model
        meta = record["metadata"]
        prompt = self.prompts.render(
            "solve",
            language=meta["language"],
            query_text=record["query_text"],
            function_name=meta["function_name"],
        )

        async def one(index: int) -> bool:
            reply = await self.ask(
                prompt, purpose="solver", slot=slot, schema=ATTEMPT_SCHEMA, model=model, seed=index
            )
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

        passes = await asyncio.gather(*(one(i) for i in range(self.config.solver_k)))
        rate = sum(passes) / len(passes)
        return {"model": model, "k": len(passes), "pass_rate": rate, "too_easy": rate == 1.0}
