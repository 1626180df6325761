"""Live progress of the app's generation job: produced / passed / failed, tokens, cost, ETA."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


def _first(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of `names` the progress object has (the generation module owns its shape)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def progress_text(progress: Any, target: int | None) -> Text:
    produced = _first(progress, "produced", "items", "done", default=0)
    passed = _first(progress, "passed", default=0)
    failed = _first(progress, "failed", default=0)
    tokens = _first(progress, "tokens", "total_tokens")
    if tokens is None:
        prompt = _first(progress, "prompt_tokens", default=0)
        completion = _first(progress, "completion_tokens", default=0)
        tokens = prompt + completion
    cost = _first(progress, "cost", "cost_usd", default=0.0)
    eta = _first(progress, "eta_seconds", "eta")
    text = Text.assemble(
        ("produced ", "dim"),
        f"{produced}" + (f"/{target}" if target else ""),
        ("  passed ", "dim"),
        (f"{passed}", "green"),
        ("  failed ", "dim"),
        (f"{failed}", "red"),
        ("  tokens ", "dim"),
        f"{tokens:,}",
        ("  cost ", "dim"),
        f"${cost:.4f}",
    )
    if isinstance(eta, int | float):
        text.append("  ETA ", style="dim")
        text.append(f"{eta:.0f}s")
    return text


class GenerationPanel(Horizontal):
    """Hidden until a job starts; S stops the job, G resumes it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.target: int | None = None
        self.last: Any = None

    def compose(self) -> ComposeResult:
        yield Static("generation", id="generation-title")
        yield ProgressBar(total=None, show_eta=False, id="generation-bar")
        yield Static(id="generation-numbers")

    def start(self, config: Any) -> None:
        self.target = _first(config, "n", "count")
        self.display = True
        self.query_one("#generation-title", Static).update(
            Text.assemble(
                ("● ", "green"), f"{_first(config, 'pipeline', default='job')} ", ("S stops", "dim")
            )
        )
        self.query_one(ProgressBar).update(total=self.target, progress=0)
        self.query_one("#generation-numbers", Static).update("starting…")

    def update_progress(self, progress: Any) -> None:
        self.last = progress
        self.target = _first(progress, "target", default=self.target)
        text = progress_text(progress, self.target)
        if _first(progress, "replay", default=False):
            text.append("  replay: no model called", style="dim")
        self.query_one("#generation-numbers", Static).update(text)
        produced = _first(progress, "produced", "items", "done", default=0)
        self.query_one(ProgressBar).update(progress=produced)

    def finish(self, summary: Any, error: str | None, stopped: bool) -> None:
        if summary is not None:
            self.update_progress(summary)
        if error:
            state = Text.assemble(("✗ ", "red"), "failed ", ("G retries", "dim"))
        elif stopped:
            state = Text.assemble(("■ ", "yellow"), "stopped ", ("G resumes", "dim"))
        else:
            state = Text.assemble(("✓ ", "green"), "done")
        self.query_one("#generation-title", Static).update(state)
