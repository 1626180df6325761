"""`assay jobs [show ID] [--json]`: generation jobs, their totals, calls and attempts."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from core.config import load_settings
from core.errors import AssayError
from core.options import DbOption, JsonOption, emit_json, user_errors
from core.store import Store
from core.text import echo

jobs_app = typer.Typer(
    help="Generation jobs: state, items, tokens and cost; one job's calls and attempts.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _store(db: str | None) -> Store:
    return Store(load_settings(db=db).db)


@jobs_app.callback()
@user_errors
def jobs_command(ctx: typer.Context, json_out: JsonOption = False, db: DbOption = None) -> None:
    """Every job, newest first: state (interrupted when its runner is gone), items, cost."""
    if ctx.invoked_subcommand is not None:
        return
    with _store(db) as store:
        jobs = [_listed(job) for job in store.jobs.all()]
    if json_out:
        emit_json(jobs)
        return
    if not jobs:
        echo("No generation jobs yet.")
        return
    for job in jobs:
        reason = f" ({job['stop_reason']})" if job["stop_reason"] else ""
        runner = f", run by {job['runner']}" if job["runner"] else ""
        echo(
            f"job {job['job_id']}  {job['state']}{reason}{runner}  {job['pipeline']} "
            f"{job['model']}  {job['items']}/{job['target']} items, {job['passed']} pass  "
            f"{job['tokens']} tokens  ${job['cost']:.4f}  updated {job['updated_at']}"
        )


@jobs_app.command("show")
@user_errors
def show_command(
    job_id: Annotated[int, typer.Argument(help="The job's number (see `assay jobs`).")],
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One job: its totals, every call it made and every attempt behind its items."""
    with _store(db) as store:
        job = next((j for j in store.jobs.all() if j["job_id"] == job_id), None)
        if job is None:
            raise AssayError(f"There is no generation job {job_id}.")
        calls = store.jobs.calls(job_id)
        attempts = store.jobs.job_attempts(job_id)
    if json_out:
        emit_json({"job": _listed(job), "calls": calls, "attempts": attempts})
        return
    reason = f" ({job['stop_reason']})" if job["stop_reason"] else ""
    echo(f"job {job_id}: {job['state']}{reason}; {job['pipeline']} pipeline, model {job['model']}")
    echo(
        f"  {job['items']}/{job['target']} items, {job['passed']} pass; "
        f"{job['tokens']} tokens, ${job['cost']:.4f}; {len(calls)} calls"
    )
    outcomes: dict[str, int] = {}
    for call in calls:
        outcomes[call["outcome"]] = outcomes.get(call["outcome"], 0) + 1
    echo("  calls: " + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "none"))
    for attempt in attempts:
        feedback = " ".join((attempt["feedback"] or "").split())[:100]
        echo(
            f"  slot {attempt['slot']} {attempt['query_id'] or '-'} #{attempt['iteration']} "
            f"{attempt['prompt_summary']}: {attempt['status']}"
            + (f"  -> {feedback}" if feedback else "")
        )


def _listed(job: dict[str, Any]) -> dict[str, Any]:
    """A job as `assay jobs` reports it (its full configuration stays in `show`)."""
    return {k: v for k, v in job.items() if k != "config"}


def register(app: typer.Typer) -> None:
    """The `assay.commands` hook: add `jobs` to the CLI."""
    app.add_typer(jobs_app, name="jobs")
