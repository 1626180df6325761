"""The generation pipelines, in one list: a new pipeline is one module here plus one line.

A pipeline module `core/generation/<name>.py` exposes `PIPELINE = Pipeline(...)`. Its `run`
receives the running job (`JobRun`: the job's config, store and prompts, `run_slots` to make
and commit items, `ask` for a call of its own, `stop`); `prepare` runs once, before a new
job is stored (evolve picks its seed items there, so a resume reuses them).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import AssayError

if TYPE_CHECKING:
    from core.generation.client import Reply
    from core.generation.config import JobConfig
    from core.generation.pipeline import ItemMaker
    from core.generation.prompts import PromptSet
    from core.store import Store

# (module under core.generation, a few words for the app's choice list), in listing order.
_PIPELINES = (
    ("spec", "quotas"),
    ("evolve", "from seeds"),
)


class JobRun(Protocol):
    """What a pipeline may use of the job it runs in (the engine in `jobs.py` is one)."""

    job_id: int
    config: JobConfig
    store: Store
    prompts: PromptSet
    stop_reason: str | None
    maker: ItemMaker  # makes one slot's item (a pipeline may set its `duplicate_of` check)

    async def run_slots(self, plans: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Make and commit every slot not committed yet (a resume skips the others)."""
        ...

    async def ask(
        self, prompt: str, *, purpose: str, schema: dict[str, Any], seed: int | None = None
    ) -> Reply:
        """One model call outside any slot, paid for and cached like the slots' calls."""
        ...

    def stop(self, reason: str) -> None:
        """End the job cleanly after the slots in flight."""
        ...


def _nothing_to_prepare(store: Store, config: JobConfig) -> None:
    return None


@dataclass(frozen=True)
class Pipeline:
    """One way of choosing what a job's slots make."""

    name: str  # what --pipeline and the job's record say
    run: Callable[[JobRun], Awaitable[None]]
    prepare: Callable[[Store, JobConfig], None] = _nothing_to_prepare


def names() -> tuple[str, ...]:
    """Every pipeline's name, without importing the pipelines."""
    return tuple(name for name, _ in _PIPELINES)


def summaries() -> dict[str, str]:
    """name -> a few words on it, without importing the pipelines (evolve loads scikit-learn)."""
    return dict(_PIPELINES)


@functools.cache
def get(name: str) -> Pipeline:
    """The pipeline called `name`; one sentence when there is none."""
    if name not in names():
        raise AssayError(f"Unknown pipeline {name!r}; use {' or '.join(names())}.")
    pipeline: Pipeline = importlib.import_module(f"core.generation.{name}").PIPELINE
    return pipeline
