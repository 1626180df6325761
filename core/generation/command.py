"""`assay generate`: run a generation job headless, with a progress bar or a JSON summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from core.config import load_settings
from core.generation import pipelines
from core.generation.config import STEPS as STEP_NAMES
from core.generation.config import JobConfig, JobProgress, parse_step_models
from core.options import DbOption, JsonOption, emit_json, fail, user_errors
from core.text import echo

MODEL = "Model and server"
JOB = "Job"
STEPS = "Optional steps"
EVOLVE = "evolve pipeline"
# Every option's default is the job's own (JobConfig), stated there once.
DEFAULTS = JobConfig()


def generate_command(
    pipeline: Annotated[
        str, typer.Option("--pipeline", help=f"One of {', '.join(pipelines.names())}.")
    ] = DEFAULTS.pipeline,
    n: Annotated[
        int | None,
        typer.Option(
            "--n",
            help=f"How many problems the job makes (default {DEFAULTS.n}; a resume keeps the "
            "job's, and may raise it, not lower it).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help=f"Model name (default: `model` under [generation] in the config, else {DEFAULTS.model}).",
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
    ] = DEFAULTS.concurrency,
    temperature: Annotated[float, typer.Option(rich_help_panel=MODEL)] = DEFAULTS.temperature,
    top_p: Annotated[
        float | None,
        typer.Option(
            "--top-p", help="Nucleus sampling (sent only when given).", rich_help_panel=MODEL
        ),
    ] = None,
    stop: Annotated[
        list[str] | None,
        typer.Option("--stop", help="A stop sequence (repeat for several).", rich_help_panel=MODEL),
    ] = None,
    step_models: Annotated[
        str | None,
        typer.Option(
            "--step-models",
            help=f"A model per step, e.g. problem=gpt-4o,solver=qwen2.5-coder; steps: "
            f"{', '.join(STEP_NAMES)} (default: [generation.models] in the config, else --model).",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", help="Per reply.", rich_help_panel=MODEL)
    ] = DEFAULTS.max_tokens,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds per call.", rich_help_panel=MODEL)
    ] = DEFAULTS.timeout,
    max_retries: Annotated[
        int,
        typer.Option(
            "--max-retries", help="Retries per call (429, 5xx, timeouts).", rich_help_panel=MODEL
        ),
    ] = DEFAULTS.max_retries,
    structured: Annotated[
        bool,
        typer.Option(
            "--structured/--no-structured",
            help="Ask for JSON-schema structured outputs (falls back by itself if unsupported).",
            rich_help_panel=MODEL,
        ),
    ] = DEFAULTS.structured,
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations", help="Attempts per problem, with sandbox feedback.", rich_help_panel=JOB
        ),
    ] = DEFAULTS.iterations,
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
    price_in: Annotated[
        float | None,
        typer.Option(
            "--price-in",
            help="The model's price per 1M prompt tokens, in dollars (over prices.toml).",
            rich_help_panel=JOB,
            show_default=False,
        ),
    ] = None,
    price_out: Annotated[
        float | None,
        typer.Option(
            "--price-out",
            help="The model's price per 1M completion tokens, in dollars.",
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
    ] = DEFAULTS.offline,
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
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another process runs this job, start when it ends instead of refusing.",
            rich_help_panel=JOB,
        ),
    ] = False,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Change it to get a different job with the same options.",
            rich_help_panel=JOB,
        ),
    ] = DEFAULTS.seed,
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
    ] = DEFAULTS.edge_cases,
    topics: Annotated[
        bool,
        typer.Option(
            "--topics", help="Label topics from the fixed topic bank.", rich_help_panel=STEPS
        ),
    ] = DEFAULTS.topics,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="A verifier checks the statement specifies the solution.",
            rich_help_panel=STEPS,
        ),
    ] = DEFAULTS.verify,
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
    ] = DEFAULTS.solver,
    solver_model: Annotated[
        str | None, typer.Option("--solver-model", rich_help_panel=STEPS, show_default=False)
    ] = None,
    solver_k: Annotated[int, typer.Option("--solver-k", rich_help_panel=STEPS)] = DEFAULTS.solver_k,
    colonies: Annotated[
        int, typer.Option("--colonies", help="N_c.", rich_help_panel=EVOLVE)
    ] = DEFAULTS.colonies,
    colony_size: Annotated[
        int, typer.Option("--colony-size", help="B_c: seeds per colony.", rich_help_panel=EVOLVE)
    ] = DEFAULTS.colony_size,
    seeds: Annotated[
        str | None,
        typer.Option(
            "--seeds",
            help="Seed problems from this file (any format `assay import` reads) instead of "
            "the database.",
            rich_help_panel=EVOLVE,
            show_default=False,
        ),
    ] = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Generate problems with an LLM, run them in the sandbox, store them for curation."""
    settings = load_settings(db=db, model=model, base_url=base_url, api_key=api_key)
    config = JobConfig.from_settings(
        settings,
        pipeline=pipeline,
        n=DEFAULTS.n if n is None else n,
        budget_tokens=budget_tokens,
        budget_cost=budget_cost,
        price_in=price_in,
        price_out=price_out,
        concurrency=concurrency,
        iterations=iterations,
        offline=offline,
        prompts_dir=prompts,
        seed=seed,
        temperature=temperature,
        top_p=top_p,
        stop=list(stop or []),
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
        seeds_file=seeds,
        timeout=timeout,
        max_retries=max_retries,
        structured=structured,
    )
    # The engine (and datasketch, scipy under it) loads only for this command, not for
    # every `assay` command that registers it.
    from core.generation.jobs import run_job
    from core.generation.spec import parse_quotas

    if languages:
        config.languages = parse_quotas(languages)
    if step_models:
        config.step_models = {**config.step_models, **parse_step_models(step_models)}
    with ProgressBar(disabled=json_out) as bar:
        summary = run_job(
            settings.db,
            config,
            job_id=resume,
            on_progress=bar.update,
            api_key=api_key,
            wait=wait,
            n_given=n is not None,
        )
    shortfall = summary.shortfall()
    if json_out:
        emit_json(summary.to_dict())
        if shortfall:
            raise fail(shortfall)
        return
    echo(
        f"Job {summary.job_id} {summary.state}"
        + (f" ({summary.stop_reason})" if summary.stop_reason else "")
        + f": {summary.produced}/{summary.target} problems, {summary.passed} pass, "
        f"{summary.failed} fail, {summary.errors} error, {summary.unparsable} unparsable, "
        f"{summary.unreadable} unreadable; "
        f"{summary.tokens} tokens, ${summary.cost:.4f}, {summary.cached_calls} of "
        f"{summary.calls} calls from the cache."
    )
    if shortfall:
        raise fail(shortfall)


class ProgressBar:
    """A rich progress bar on stderr, fed by JobProgress updates."""

    def __init__(self, *, disabled: bool):
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
        self.task: TaskID | None = None

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


def register(app: typer.Typer) -> None:
    """The `assay.commands` hook: add `generate` to the CLI."""
    app.command("generate")(user_errors(generate_command))
