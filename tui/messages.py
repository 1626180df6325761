"""Messages the widgets and workers of the curation app send upwards ("messages up")."""

from __future__ import annotations

import re
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


# What core's errors tell a shell user, in the words of the app's own controls.
_IN_APP = (
    (r"\(or pass --api-key\)", "(or api_key under [generation] in the config file; then reopen)"),
    (r"(check OPENAI_API_KEY) or --api-key", r"\1 (or api_key in the config file)"),
    (r"point --base-url at", "put in the generate dialog (g) the base URL of"),
    (r"pass --base-url", "fill in the base URL field of the generate dialog (g)"),
    (r"--base-url", "the base URL field of the generate dialog (g)"),
    (r"pass --model", "fill in the model field of the generate dialog (g)"),
    (r"--model", "the model field of the generate dialog (g)"),
    (r"start with --isolation weak", "reopen the app with `assay tui --isolation weak`"),
)


def in_app_words(message: str) -> str:
    """A message from core, naming the app's controls instead of command-line flags."""
    for pattern, replacement in _IN_APP:
        message = re.sub(pattern, replacement, message)
    return message
