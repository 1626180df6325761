"""`assay generate`: run a generation job headless, with a progress bar or a JSON summary."""

from __future__ import annotations

from typing import Annotated

import typer

from core.config import resolve_db
from core.generation.config import JobConfig, JobProgress
from core.generation.jobs import generation_settings, run_job
from core.generation.plans import parse_quotas
from core.options import DbOption, JsonOption, emit_json

MODEL = "Model and server"
JOB = "Job"
STEPS = "Optional steps"
EVOLVE = "evolve pipeline"


def generate_command(
    pipeline: Annotated[
        str, typer.Option("--pipeline", help="spec (quotas) or evolve (InfoSynth from seeds).")
    ] = "spec",
    n: Annotated[int, typer.Option("--n", help="How many problems the job makes.")] = 10,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model name (default: `model` under [generation] in the config, else gpt-4o-mini).",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (default: "
            "$OPENAI_BASE_URL, config, then OpenAI).",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="API key (default: $OPENAI_API_KEY, then config). Never stored.",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Calls in flight at once.", rich_help_panel=MODEL)
    ] = 8,
    temperature: Annotated[float, typer.Option(rich_help_panel=MODEL)] = 0.8,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", help="Per reply.", rich_help_panel=MODEL)
    ] = 2048,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds per call.", rich_help_panel=MODEL)
    ] = 120.0,
    max_retries: Annotated[
        int,
        typer.Option(
            "--max-retries", help="Retries per call (429, 5xx, timeouts).", rich_help_panel=MODEL
        ),
    ] = 6,
    structured: Annotated[
        bool,
        typer.Option(
            "--structured/--no-structured",
            help="Ask for JSON-schema structured outputs (falls back by itself if unsupported).",
            rich_help_panel=MODEL,
        ),
    ] = True,
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations", help="Attempts per problem, with sandbox feedback.", rich_help_panel=JOB
        ),
    ] = 3,
    budget_tokens: Annotated[
        int | None,
        typer.Option(
            "--budget-tokens",
            help="Stop cleanly after this many tokens.",
            rich_help_panel=JOB,
            show_default=False,
        ),
    ] = None,
    budget_cost: Annotated[
        float | None,
        typer.Option(
            "--budget-cost",
            help="Stop cleanly after this many dollars.",
            rich_help_panel=JOB,
            show_default=False,
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Replay cached replies only; never call a server.",
            rich_help_panel=JOB,
        ),
    ] = False,
    prompts: Annotated[
        str | None,
        typer.Option(
            "--prompts",
            help="Folder of prompt templates overriding the bundled ones.",
            rich_help_panel=JOB,
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        int | None,
        typer.Option(
            "--resume",
            help="Resume this job id (the same options resume by themselves).",
            rich_help_panel=JOB,
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Change it to get a different job with the same options.",
            rich_help_panel=JOB,
        ),
    ] = 0,
    languages: Annotated[
        str | None,
        typer.Option(
            "--languages",
            help="Language quotas, e.g. python=40,typescript=40,go=7,rust=3,javascript=10.",
            rich_help_panel=JOB,
            show_default=False,
        ),
    ] = None,
    edge_cases: Annotated[
        bool,
        typer.Option(
            "--edge-cases",
            help="Rewrite statements to spell out edge cases.",
            rich_help_panel=STEPS,
        ),
    ] = False,
    topics: Annotated[
        bool,
        typer.Option(
            "--topics", help="Label topics from the fixed topic bank.", rich_help_panel=STEPS
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="A verifier checks the statement specifies the solution.",
            rich_help_panel=STEPS,
        ),
    ] = False,
    verifier_model: Annotated[
        str | None, typer.Option("--verifier-model", rich_help_panel=STEPS, show_default=False)
    ] = None,
    solver: Annotated[
        bool,
        typer.Option(
            "--solver",
            help="A solver's pass rate estimates difficulty ('too easy').",
            rich_help_panel=STEPS,
        ),
    ] = False,
    solver_model: Annotated[
        str | None, typer.Option("--solver-model", rich_help_panel=STEPS, show_default=False)
    ] = None,
    solver_k: Annotated[int, typer.Option("--solver-k", rich_help_panel=STEPS)] = 4,
    colonies: Annotated[int, typer.Option("--colonies", help="N_c.", rich_help_panel=EVOLVE)] = 4,
    colony_size: Annotated[
        int, typer.Option("--colony-size", help="B_c: seeds per colony.", rich_help_panel=EVOLVE)
    ] = 3,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Generate problems with an LLM, run them in the sandbox, store them for curation."""
    settings = generation_settings()
    config = JobConfig(
        pipeline=pipeline,
        n=n,
        model=model or settings.get("model") or JobConfig.model,
        base_url=base_url,
        budget_tokens=budget_tokens,
        budget_cost=budget_cost,
        concurrency=concurrency,
        iterations=iterations,
        offline=offline,
        prompts_dir=prompts,
        seed=seed,
        temperature=temperature,
        max_tokens=max_tokens,
        edge_cases=edge_cases,
        topics=topics,
        verify=verify,
        verifier_model=verifier_model,
        solver=solver,
        solver_model=solver_model,
        solver_k=solver_k,
        colonies=colonies,
        colony_size=colony_size,
        timeout=timeout,
        max_retries=max_retries,
        structured=structured,
    )
    if languages:
        config.languages = parse_quotas(languages)
    with ProgressBar(disabled=json_out) as bar:
        summary = run_job(
            resolve_db(db), config, job_id=resume, on_progress=bar.update, api_key=api_key
        )
    if json_out:
        emit_json(summary.to_dict())
        return
    typer.echo(
        f"Job {summary.job_id} {summary.state}"
        + (f" ({summary.stop_reason})" if summary.stop_reason else "")
        + f": {summary.produced}/{summary.target} problems, {summary.passed} pass, "
        f"{summary.failed} fail, {summary.errors} error, {summary.unparsable} unparsable; "
        f"{summary.tokens} tokens, ${summary.cost:.4f}, {summary.cached_calls} of "
        f"{summary.calls} calls from the cache."
    )


class ProgressBar:
    """A rich progress bar on stderr, fed by JobProgress updates."""

    def __init__(self, *, disabled: bool):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=disabled,
            transient=False,
        )
        self.task = None

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, progress: JobProgress) -> None:
        detail = (
            f"pass {progress.passed} fail {progress.failed} err {progress.errors} · "
            f"{progress.tokens} tok · ${progress.cost:.4f}"
        )
        title = f"job {progress.job_id}" + (" (replay)" if progress.replay else "")
        if self.task is None:
            self.task = self.progress.add_task(title, total=progress.target, detail=detail)
        self.progress.update(
            self.task, completed=progress.produced, total=progress.target, detail=detail
        )
