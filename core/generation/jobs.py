"""Generation jobs: create or resume, run slots concurrently, commit each item as it lands.

A job is a numbered sequence of slots. Slot k's item is `gen-<job>-<k+1>`, written in one
transaction with the slot's row and its attempts, so after `kill -9` a resume skips exactly the
slots that were committed; every reply paid for is in the cache, so redoing an unfinished slot
costs nothing for the calls it had already made.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core.config import load_settings
from core.errors import AssayError
from core.generation import pipelines
from core.generation.client import (
    Budget,
    BudgetExhausted,
    CallFailed,
    ClientOptions,
    Ledger,
    LLMClient,
    Reply,
)
from core.generation.config import JobConfig, JobProgress, JobSummary
from core.generation.pipeline import ItemMaker, SlotResult
from core.generation.prices import load_prices
from core.generation.prompts import PromptSet
from core.store import AttemptRecord, CachedReply, NewItem, Store
from core.store.jobs import holder_text
from sandbox.api import run as sandbox_run
from sandbox.result import RunResult

log = logging.getLogger("assay.generation")

TEMPLATES = [
    "system",
    "problem",
    "solution",
    "feedback_run",
    "feedback_unparsable",
    "assertion_styles",
    "mutate",
    "crossover",
    "edge_cases",
    "topics",
    "topic_bank",
    "verify",
    "solve",
]

Runner = Callable[..., Any]


def templates_for(config: JobConfig) -> list[str]:
    """The templates whose text defines a job: the tests step's only when it has a model (so
    jobs made before it existed keep their identity)."""
    return [*TEMPLATES, "tests"] if "tests" in config.step_models else TEMPLATES


def query_id_for(job_id: int, slot: int) -> str:
    return f"gen-{job_id}-{slot + 1:04d}"


# -- job rows --------------------------------------------------------------------------------


LEASE_SECONDS = 30.0  # a runner renews its lease every LEASE_SECONDS / 3 while it runs
WAIT_POLL_SECONDS = 0.5


class JobBusy(AssayError):
    """Another process runs the job."""


def lease_owner() -> str:
    """This runner's name in a lease: host, pid and a token (two runs of one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_job(store: Store, job_id: int, owner: str, *, wait: bool) -> None:
    """Hold job `job_id` for `owner`, waiting for its runner to end when `wait`; else
    JobBusy naming the runner."""
    while (holder := store.jobs.acquire(job_id, owner, LEASE_SECONDS)) is not None:
        if not wait:
            raise JobBusy(
                f"Job {job_id} is being run by {holder_text(holder)}; wait for it to end, "
                "or pass --wait to start when it does."
            )
        time.sleep(WAIT_POLL_SECONDS)  # another process, not an event we could wait on


def open_job(
    store: Store,
    config: JobConfig,
    prompts: PromptSet,
    job_id: int | None,
    owner: str | None = None,
    *,
    wait: bool = False,
    n_given: bool = True,
) -> tuple[int, JobConfig]:
    """Resume job `job_id`, else the latest job with the same definition, else a new one,
    held by `owner` (one runner per job: see `take_job`). A resume may raise the job's `n`;
    a lower `n` given on purpose (`n_given`) is refused, one left at its default keeps the
    job's."""
    identity = config.identity(prompts.fingerprint(templates_for(config)))
    if job_id is not None:
        found = store.jobs.find(job_id)
        if found is None:
            raise AssayError(f"There is no generation job {job_id}.")
    else:
        found = store.jobs.latest(identity)
    if found is not None:
        job_id, stored = found
        asked = config.n
        config = JobConfig.from_dict(stored).with_operational(config)
        if not n_given:
            config.n = JobConfig.from_dict(stored).n
        elif asked < config.n:
            raise AssayError(
                f"Job {job_id} asks for {config.n} items, and --n {asked} cannot lower it: "
                f"resume it with --n {config.n} or more, or pass --seed to start another job."
            )
    else:
        pipelines.get(config.pipeline).prepare(store, config)
        job_id = store.jobs.create(identity, config.pipeline, config.model, config.n)
    take_job(store, job_id, owner or lease_owner(), wait=wait)
    save_job(store, job_id, config, "running", None)
    return job_id, config


def save_job(
    store: Store, job_id: int, config: JobConfig, state: str, stop_reason: str | None
) -> None:
    stored = {k: v for k, v in config.to_dict().items() if k != "replay_file"}
    store.jobs.save(job_id, stored, target=config.n, state=state, stop_reason=stop_reason)


def load_replies(store: Store, path: str | Path) -> int:
    """Put recorded replies (JSONL of {key, model, response}) into the cache."""
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    entry = json.loads(line)
                    rows.append(
                        CachedReply(
                            entry["key"],
                            entry.get("model", ""),
                            entry.get("request", {}),
                            entry["response"],
                        )
                    )
    except (OSError, ValueError, KeyError) as exc:
        raise AssayError(f"The recorded replies {path} cannot be read: {exc}.") from None
    store.jobs.cache_replies(rows)
    return len(rows)


# -- the engine ------------------------------------------------------------------------------


class Engine:
    """Runs one job's slots on one asyncio loop; all database writes happen on its thread."""

    def __init__(
        self,
        store: Store,
        job_id: int,
        config: JobConfig,
        prompts: PromptSet,
        runner: Runner,
        *,
        api_key: str | None,
        on_progress: Callable[[JobProgress], None] | None,
        should_stop: Callable[[], bool] | None,
        owner: str = "",
    ):
        self.store = store
        self.owner = owner
        self.job_id = job_id
        self.config = config
        self.prompts = prompts
        self.runner = runner
        self.api_key = api_key
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.stop_reason: str | None = None
        self.unfinished = 0
        self.last_error: str | None = None
        self.started = time.monotonic()
        self.done_this_run = 0
        self.repairs = 0
        self.outcomes = Counter(store.jobs.outcomes(job_id))
        self.ledger = Ledger(
            store.jobs, job_id, load_prices(given=config.given_prices()), secret=api_key or ""
        )
        self._executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self._workers: list[asyncio.Task] = []

    # -- running --------------------------------------------------------------------------

    async def run(self) -> JobSummary:
        config = self.config
        self.client = LLMClient(
            self.ledger,
            base_url=config.base_url,
            api_key=self.api_key,
            concurrency=config.concurrency,
            options=ClientOptions(
                timeout=config.timeout,
                max_retries=config.max_retries,
                backoff_base=config.backoff_base,
                backoff_max=config.backoff_max,
                structured=config.structured,
            ),
            offline=config.offline,
            replay_delay=config.replay_delay,
            budget=Budget(config.budget_tokens, config.budget_cost),
        )
        self.maker = ItemMaker(
            self.client, self.prompts, config, self.run_sandbox, job_id=self.job_id
        )
        watcher = asyncio.create_task(self._watch())
        state = "running"
        try:
            await pipelines.get(config.pipeline).run(self)
            if self.stop_reason:
                state = "stopped"
            elif self.unfinished:
                state = "incomplete"
                self.stop_reason = f"{self.unfinished} item(s) unfinished: {self.last_error}"
            else:
                state = "done"
        except AssayError as exc:
            state, self.stop_reason = "failed", str(exc)
            raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            state, self.stop_reason = "stopped", "interrupted"
            raise
        finally:
            watcher.cancel()
            await self.client.close()
            self._executor.shutdown(wait=False, cancel_futures=True)
            save_job(self.store, self.job_id, config, state, self.stop_reason)
            if self.owner:
                self.store.jobs.release(self.job_id, self.owner)
            self.report(state)
        return self.summary(state)

    async def run_slots(self, plans: Iterable[tuple[int, dict]]) -> None:
        """Make every unfinished slot, several at once; stop cleanly on budget or request."""
        finished = self.store.jobs.finished_slots(self.job_id)
        queue = deque((slot, plan) for slot, plan in plans if slot not in finished)
        # More slots than HTTP slots in flight, so sandbox runs and commits overlap with calls.
        width = min(len(queue), self.config.concurrency * 2)

        async def work() -> None:
            while queue and not self.stop_requested():
                slot, plan = queue.popleft()
                try:
                    result = await self.maker.make(slot, plan, query_id_for(self.job_id, slot))
                except CallFailed as exc:
                    self.unfinished += 1
                    self.last_error = str(exc)
                    log.warning("slot %d left unfinished: %s", slot, exc)
                    continue
                except BudgetExhausted as exc:
                    self.stop(str(exc))
                    return
                self.commit(slot, plan, result)
                self.report("running")

        self._workers = [asyncio.create_task(work()) for _ in range(width)]
        try:
            await asyncio.gather(*self._workers)
        except asyncio.CancelledError:
            if not self.stop_reason:
                raise
        finally:
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers = []

    async def ask(
        self, prompt: str, *, purpose: str, schema: dict[str, Any], seed: int | None = None
    ) -> Reply:
        """A call of the pipeline's own, outside any slot (evolve's mutations)."""
        return await self.maker.ask(prompt, purpose=purpose, slot=None, schema=schema, seed=seed)

    def stop(self, reason: str) -> None:
        if not self.stop_reason:
            self.stop_reason = reason

    def stop_requested(self) -> bool:
        """Whether the job is ending: a budget or error stopped it, or `should_stop()` says so.
        Checked before each slot, so a stop asked for between two items lands before the next."""
        if not self.stop_reason and self.should_stop is not None and self.should_stop():
            self.stop("stopped by request")
        return self.stop_reason is not None

    async def _watch(self) -> None:
        """Poll `should_stop` while slots are in flight and renew the job's lease. A stop lets
        the calls in flight finish (what they return is stored) and starts no new one."""
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(0.1)
            if self.stop_requested() and not self.client.stopping:
                self.client.stop()
            if self.owner and time.monotonic() - renewed > LEASE_SECONDS / 3:
                self.store.jobs.renew(self.job_id, self.owner, LEASE_SECONDS)
                renewed = time.monotonic()

    async def run_sandbox(
        self, language: str, solution: str, tests: str, function_name: str | None
    ) -> RunResult:
        call = functools.partial(
            self.runner,
            language,
            solution,
            tests,
            function_name=function_name,
            timeout=self.config.sandbox_timeout,
        )
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except Exception as exc:  # a sandbox bug must not end the whole job
            log.exception("sandbox failed")
            return RunResult("error", stderr_tail=str(exc), reason="the sandbox failed")

    # -- committing -----------------------------------------------------------------------

    def commit(self, slot: int, plan: dict, result: SlotResult) -> None:
        """The item, its slot row and its attempts, in one transaction."""
        item = None
        if result.record is not None:
            parents = result.record["metadata"]["generation"].get("parents") or []
            item = NewItem(
                result.record,
                source_format="generated",
                job_id=self.job_id,
                model=self.config.model,
                parents=list(parents),
            )
        self.store.jobs.commit_slot(
            self.job_id,
            slot,
            plan,
            outcome=result.outcome,
            iterations=result.iterations,
            attempts=result.attempts,
            item=item,
            author=f"generator:{self.config.model}",
        )
        self.outcomes[result.outcome] += 1
        self.done_this_run += 1
        self.repairs += sum(1 for attempt in result.attempts[:-1] if attempt.feedback)

    # -- reporting ------------------------------------------------------------------------

    def report(self, state: str) -> None:
        if self.on_progress is None:
            return
        produced = sum(self.outcomes.values())
        elapsed = time.monotonic() - self.started
        remaining = max(0, self.config.n - produced)
        eta = elapsed / self.done_this_run * remaining if self.done_this_run else None
        totals = self.ledger.totals
        self.on_progress(
            JobProgress(
                job_id=self.job_id,
                state=state,
                target=self.config.n,
                produced=produced,
                passed=self.outcomes["pass"],
                failed=self.outcomes["fail"],
                errors=sum(n for k, n in self.outcomes.items() if k not in ("pass", "fail")),
                tokens=totals.tokens,
                cost=totals.cost,
                elapsed=elapsed,
                eta_seconds=eta,
                replay=self.config.offline,
                message=self.stop_reason or "",
                estimated_calls=totals.estimated_calls,
                retries=self.client.retries,
                rate_limited=self.client.limit.rate_limited,
                in_flight_limit=int(self.client.limit.limit),
                rate=self.done_this_run / elapsed * 60 if elapsed > 0 else 0.0,
                repairs=self.repairs,
            )
        )

    def summary(self, state: str) -> JobSummary:
        totals = self.ledger.totals
        items = self.store.jobs.items_made(self.job_id)
        return JobSummary(
            job_id=self.job_id,
            state=state,
            stop_reason=self.stop_reason,
            pipeline=self.config.pipeline,
            model=self.config.model,
            target=self.config.n,
            produced=sum(self.outcomes.values()),
            items=items,
            passed=self.outcomes["pass"],
            failed=self.outcomes["fail"],
            errors=self.outcomes["error"],
            unparsable=self.outcomes["unparsable"],
            unreadable=self.outcomes["unreadable"],
            unfinished=self.unfinished,
            calls=totals.calls,
            cached_calls=totals.cached_calls,
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
            tokens=totals.tokens,
            cost=round(totals.cost, 6),
            elapsed=round(time.monotonic() - self.started, 3),
            replay=self.config.offline,
            outcomes=dict(self.outcomes),
            estimated_calls=totals.estimated_calls,
        )


# -- the public entry points -----------------------------------------------------------------


def run_job(
    db_path: str | Path,
    config: JobConfig,
    *,
    job_id: int | None = None,
    on_progress: Callable[[JobProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    api_key: str | None = None,
    runner: Runner | None = None,
    wait: bool = False,
    n_given: bool = True,
) -> JobSummary:
    """Run (or resume) a generation job to its end, a budget, or `should_stop()`; synchronous,
    so a TUI thread worker can call it. `on_progress` is called on this thread. A job another
    process runs is refused (JobBusy), or waited for with `wait`."""
    config = JobConfig.from_dict(config.to_dict()).validate()
    settings = load_settings(base_url=config.base_url, api_key=api_key)
    config.base_url = settings.base_url
    prompts = PromptSet(config.prompts_dir)
    owner = lease_owner()
    with Store(db_path) as store:
        job_id, config = open_job(store, config, prompts, job_id, owner, wait=wait, n_given=n_given)
        try:
            key = None if config.offline else settings.require_api_key()
            if config.replay_file:
                load_replies(store, config.replay_file)
            run = runner or sandbox_run
        except AssayError as exc:
            save_job(store, job_id, config, "failed", str(exc))
            store.jobs.release(job_id, owner)
            raise
        engine = Engine(
            store,
            job_id,
            config,
            prompts,
            run,
            api_key=key,
            on_progress=on_progress,
            should_stop=should_stop,
            owner=owner,
        )
        return asyncio.run(engine.run())


def list_jobs(store: Store) -> list[dict[str, Any]]:
    """Every job with its state and totals, newest first (for the TUI's jobs panel)."""
    return store.jobs.all()


def attempts_for(store: Store, query_id: str) -> list[AttemptRecord]:
    """Every attempt behind a generated item, in order: iteration, prompt summary, reply,
    sandbox status and result, and the feedback the model was given next."""
    return store.jobs.attempts(query_id)
