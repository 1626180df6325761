"""Messages the widgets and workers of the curation app send upwards ("messages up")."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from core.generation.config import JobProgress, JobSummary


@dataclass
class ItemHighlighted(Message):
    """The queue's cursor moved onto an item (or onto nothing: query_id None)."""

    query_id: str | None
    index: int


@dataclass
class QueueChanged(Message):
    """The queue reloaded: a new filter, sort, or data from another connection."""

    count: int


@dataclass
class ItemsChanged(Message):
    """Items changed in the database (decisions, edits, checks); views must reload."""

    query_ids: list[str] = field(default_factory=list)


@dataclass
class ChecksProgress(Message):
    """A background check run finished one item."""

    done: int
    total: int
    query_id: str


@dataclass
class ChecksFinished(Message):
    """A background check run ended."""

    query_ids: list[str]


@dataclass
class GenerationProgress(Message):
    """A generation job reported progress."""

    progress: JobProgress


@dataclass
class GenerationFinished(Message):
    """A generation job ended: `summary` from run_job, or `error` when it failed."""

    summary: JobSummary | None = None
    error: str | None = None
    stopped: bool = False


@dataclass
class RestoreRequested(Message):
    """The curator chose a revision to bring back."""

    query_id: str
    revision: int


@dataclass
class NeighbourChosen(Message):
    """The curator asked to go to a near-duplicate neighbour of the item shown."""

    query_id: str
