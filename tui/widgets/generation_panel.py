"""Live progress of the app's generation job: produced / passed / failed, tokens (marked
estimated when the server reported no usage), cost, rate, repairs, ETA, retries, 429s and
the in-flight limit; when the job fails or ends short, its reason in one sentence."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from core.generation.config import JobConfig, JobProgress, JobSummary
from core.text import inert


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
    )
    if progress.estimated_calls:
        # Some servers report no usage: those calls' tokens are the tokenizer's count.
        text.append(f" (~{progress.estimated_calls} calls estimated)", style="yellow")
    text.append("  cost ", style="dim")
    text.append(f"${progress.cost:.4f}")
    if isinstance(progress, JobProgress):
        if progress.rate:
            text.append("  rate ", style="dim")
            text.append(f"{progress.rate:.1f}/min")
        if progress.repairs:
            text.append("  repairs ", style="dim")
            text.append(f"{progress.repairs}")
        if progress.retries or progress.rate_limited:
            text.append("  retries ", style="dim")
            text.append(f"{progress.retries}")
            text.append("  429s ", style="dim")
            text.append(f"{progress.rate_limited}", style="yellow" if progress.rate_limited else "")
        if progress.rate_limited and progress.in_flight_limit:
            text.append("  in flight ≤ ", style="dim")
            text.append(f"{progress.in_flight_limit}")
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
            # The reason in one sentence (an unreachable server names its URL); server text
            # is hostile, so it is shown inert.
            numbers = progress_text(self.last, self.target) if self.last else Text()
            numbers.append(("  " if self.last else "") + inert(error), style="red")
            self.query_one("#generation-numbers", Static).update(numbers)
        elif stopped:
            state = Text.assemble(("■ ", "yellow"), "stopped ", ("G resumes", "dim"))
        elif summary is not None and (short := summary.shortfall()):
            # done, but with nothing to curate that passes: not a green tick
            state = Text.assemble(("✗ ", "red"), "ended short")
            numbers = progress_text(summary, self.target)
            numbers.append("  " + inert(short), style="yellow")
            self.query_one("#generation-numbers", Static).update(numbers)
        else:
            state = Text.assemble(("✓ ", "green"), "done")
        self.query_one("#generation-title", Static).update(state)
