"""`assay jobs [show ID | export ID] [--json]`: generation jobs, their totals, calls and
attempts; `export` writes a job's calls or attempts as JSONL."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from core.config import load_settings
from core.errors import AssayError
from core.generation.client import scrub
from core.options import DbOption, JsonOption, emit_json, user_errors
from core.store import Store
from core.text import echo, json_text

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
        jobs = [
            {**_listed(job), "outcomes": store.jobs.outcomes(job["job_id"])}
            for job in store.jobs.all()
        ]
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
            f"{job['model']}  {job['items']}/{job['target']} items ({_outcomes(job)})  "
            f"{job['tokens']} tokens{estimated_note(job)}  ${job['cost']:.4f}  "
            f"updated {job['updated_at']}"
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
        job = {**_job(store, job_id), "outcomes": store.jobs.outcomes(job_id)}
        calls = store.jobs.calls(job_id)
        attempts = store.jobs.job_attempts(job_id)
    if json_out:
        emit_json({"job": _listed(job), "calls": calls, "attempts": attempts})
        return
    reason = f" ({job['stop_reason']})" if job["stop_reason"] else ""
    echo(f"job {job_id}: {job['state']}{reason}; {job['pipeline']} pipeline, model {job['model']}")
    echo(
        f"  {job['items']}/{job['target']} items ({_outcomes(job)}); "
        f"{job['tokens']} tokens{estimated_note(job)}, ${job['cost']:.4f}; {len(calls)} calls"
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


@jobs_app.command("export")
@user_errors
def export_command(
    job_id: Annotated[int, typer.Argument(help="The job's number (see `assay jobs`).")],
    attempts: Annotated[
        bool,
        typer.Option(
            "--attempts/--calls",
            help="Export every attempt behind the job's items instead of its calls.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (atomically) instead of stdout."),
    ] = None,
    db: DbOption = None,
) -> None:
    """A job's calls (default) or attempts as JSONL, one object per line, in order."""
    settings = load_settings(db=db)
    with Store(settings.db) as store:
        _job(store, job_id)
        rows = store.jobs.job_attempts(job_id) if attempts else store.jobs.calls(job_id)
    # Calls and attempts are scrubbed when stored; this also hides the key in use now.
    lines = [scrub(json_text(row), settings.api_key) + "\n" for row in rows]
    if out is None:
        typer.echo("".join(lines), nl=False)
        return
    _write_atomically(out, "".join(lines))
    echo(
        f"Wrote {len(lines)} {'attempts' if attempts else 'calls'} of job {job_id} to {out}.",
        err=True,
    )


def _write_atomically(path: Path, text: str) -> None:
    """`text` into `path`, or nothing at all (a temporary file beside it, then renamed)."""
    folder = path.parent
    if not folder.is_dir():
        raise AssayError(f"The folder {folder} does not exist.")
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise AssayError(f"Cannot write in {folder}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except OSError as exc:
        os.unlink(temp)
        raise AssayError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def _job(store: Store, job_id: int) -> dict[str, Any]:
    """Job `job_id` as `assay jobs` lists it; one sentence when there is none."""
    job = next((j for j in store.jobs.all() if j["job_id"] == job_id), None)
    if job is None:
        raise AssayError(f"There is no generation job {job_id}.")
    return job


def _outcomes(job: dict[str, Any]) -> str:
    """ "pass 3, unreadable 1": how the job's finished slots ended."""
    outcomes = job.get("outcomes") or {"pass": job["passed"]}
    return ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())) or "none yet"


def _listed(job: dict[str, Any]) -> dict[str, Any]:
    """A job as `assay jobs` reports it (its full configuration stays in `show`)."""
    return {k: v for k, v in job.items() if k != "config"}


def estimated_note(job: dict[str, Any]) -> str:
    """The note "(N estimated)" when some calls' tokens are our count, not the server's."""
    count = job.get("estimated_calls") or 0
    return f" ({count} estimated)" if count else ""


def register(app: typer.Typer) -> None:
    """The `assay.commands` hook: add `jobs` to the CLI."""
    app.add_typer(jobs_app, name="jobs")
