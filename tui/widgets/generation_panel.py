"""Live progress of the app's generation job: produced / passed / failed, tokens, cost, ETA."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from core.generation.config import JobConfig, JobProgress, JobSummary


def progress_text(progress: JobProgress | JobSummary, target: int | None) -> Text:
    """produced / passed / failed, tokens, cost and (while running) the ETA."""
    text = Text.assemble(
        ("produced ", "dim"),
        f"{progress.produced}" + (f"/{target}" if target else ""),
        ("  passed ", "dim"),
        (f"{progress.passed}", "green"),
        ("  failed ", "dim"),
        (f"{progress.failed}", "red"),
        ("  tokens ", "dim"),
        f"{progress.tokens:,}",
        ("  cost ", "dim"),
        f"${progress.cost:.4f}",
    )
    eta = progress.eta_seconds if isinstance(progress, JobProgress) else None
    if eta is not None:
        text.append("  ETA ", style="dim")
        text.append(f"{eta:.0f}s")
    return text


class GenerationPanel(Horizontal):
    """Hidden until a job starts; S stops the job, G resumes it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.target: int | None = None
        self.last: JobProgress | JobSummary | None = None

    def compose(self) -> ComposeResult:
        yield Static("generation", id="generation-title")
        yield ProgressBar(total=None, show_eta=False, id="generation-bar")
        yield Static(id="generation-numbers")

    def start(self, config: JobConfig) -> None:
        self.target = config.n
        self.display = True
        self.query_one("#generation-title", Static).update(
            Text.assemble(("● ", "green"), f"{config.pipeline} ", ("S stops", "dim"))
        )
        self.query_one(ProgressBar).update(total=self.target, progress=0)
        self.query_one("#generation-numbers", Static).update("starting…")

    def update_progress(self, progress: JobProgress | JobSummary) -> None:
        self.last = progress
        self.target = progress.target
        text = progress_text(progress, self.target)
        if progress.replay:
            text.append("  replay: no model called", style="dim")
        self.query_one("#generation-numbers", Static).update(text)
        self.query_one(ProgressBar).update(progress=progress.produced)

    def finish(self, summary: JobSummary | None, error: str | None, stopped: bool) -> None:
        if summary is not None:
            self.update_progress(summary)
        if error:
            state = Text.assemble(("✗ ", "red"), "failed ", ("G retries", "dim"))
        elif stopped:
            state = Text.assemble(("■ ", "yellow"), "stopped ", ("G resumes", "dim"))
        else:
            state = Text.assemble(("✓ ", "green"), "done")
        self.query_one("#generation-title", Static).update(state)
