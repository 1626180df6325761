"""The offline demo: a `spec` job replayed from recorded replies, with no network and no key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from core.generation.config import JobConfig

DEMO_MODEL = "demo-recorded"
DEMO_ITEMS = 8
REPLAY_LABEL = "replay of recorded replies (demo, no model was called)"


def demo_replies_path() -> Path:
    return Path(str(resources.files("core") / "data" / "demo_replies.jsonl"))


def demo_config(*, replay_delay: float = 0.6) -> JobConfig:
    """The job `assay demo` runs in the background: offline, replaying the bundled replies.

    Items it makes say so in `metadata.generation` (`replay: true` and a label)."""
    return JobConfig(
        pipeline="spec",
        n=DEMO_ITEMS,
        model=DEMO_MODEL,
        concurrency=2,
        offline=True,
        languages={"python": 1.0},
        replay_file=str(demo_replies_path()),
        replay_delay=replay_delay,
        label=REPLAY_LABEL,
    )
