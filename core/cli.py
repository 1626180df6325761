"""The `assay` command: a thin typer layer over core functions the TUI calls too."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core import __version__, formats
from core.config import load_settings
from core.errors import AssayError
from core.options import CuratorOption, DbOption, JsonOption, emit_json, user_errors
from core.store import Store
from core.text import echo
from sandbox.result import StrictModeError

if TYPE_CHECKING:
    from core.models import Item
    from core.results import CheckResult

app = typer.Typer(
    name="assay",
    help="Curate LLM-generated coding problems into benchmarks you can trust.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def choices(names: tuple[str, ...]) -> str:
    """`a, b or c`: the values an option takes, as its help says them."""
    return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def open_store(db: str | None) -> Store:
    return Store(load_settings(db=db).db)


def curator_name(flag: str | None) -> str:
    """The name recorded on a decision: --curator, else the settings' curator."""
    return load_settings(curator=flag).curator


@app.command("import")
@user_errors
def import_command(
    file: Annotated[Path, typer.Argument(help="JSONL file of items.", show_default=False)],
    format: Annotated[
        str,
        typer.Option("--format", help=f"auto, {choices(formats.names())}."),
    ] = "auto",
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error", help="abort: write nothing if any line is bad; skip: import good lines."
        ),
    ] = "abort",
    id_prefix: Annotated[
        str, typer.Option("--id-prefix", help="Prefix for every query_id (keeps sets apart).")
    ] = "",
    update: Annotated[
        bool,
        typer.Option("--update", help="Let this file replace items first imported elsewhere."),
    ] = False,
    json_out: JsonOption = False,
    db: DbOption = None,
    curator: CuratorOption = None,
) -> None:
    """Load items from a JSONL file (native, HumanEval, MBPP or question/solution/tests)."""
    from core.importing import import_into

    if on_error not in ("abort", "skip"):
        raise AssayError(f"--on-error must be abort or skip, not {on_error!r}.")
    report = import_into(
        load_settings(db=db).db,
        file,
        fmt=format,
        on_error=on_error,
        id_prefix=id_prefix,
        update=update,
        author=curator_name(curator),
    )
    if json_out:
        emit_json(report.to_dict())
    else:
        for error in report.errors[:20]:
            echo(("Error: " if report.aborted else "Skipped: ") + error.message, err=True)
        if len(report.errors) > 20:
            echo(f"... and {len(report.errors) - 20} more bad lines.", err=True)
    if report.aborted:
        if not json_out:
            echo(
                f"Nothing imported: {len(report.errors)} bad line(s) in {file} "
                "(use --on-error skip to import the good ones).",
                err=True,
            )
        raise typer.Exit(1)
    if not json_out:
        echo(
            f"{report.imported} imported, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.skipped} skipped ({report.format} format)."
        )


@app.command("export")
@user_errors
def export_command(
    out: Annotated[Path, typer.Argument(help="JSONL file to write.", show_default=False)],
    status: Annotated[
        str, typer.Option("--status", help="accepted, rejected, pending or all.")
    ] = "accepted",
    format: Annotated[
        str,
        typer.Option("--format", help=f"{choices(formats.names(writable=True))}."),
    ] = "assay",
    language: Annotated[
        str | None, typer.Option("--language", help="Only this language.", show_default=False)
    ] = None,
    difficulty: Annotated[
        str | None, typer.Option("--difficulty", help="Only this difficulty.", show_default=False)
    ] = None,
    solver_min: Annotated[
        float | None,
        typer.Option(
            "--solver-min",
            help="Only items the solver passed at least this often (measured difficulty, 0-1).",
            show_default=False,
        ),
    ] = None,
    solver_max: Annotated[
        float | None,
        typer.Option(
            "--solver-max",
            help="Only items the solver passed at most this often (measured difficulty, 0-1).",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Refuse (write nothing) when accepted items fail their checks."
        ),
    ] = False,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Write the selected items atomically, with OUT.manifest.json beside them."""
    from core.exporting import ExportFilters, export_items, failing_sentence

    filters = ExportFilters(
        status=status,
        language=language,
        difficulty=difficulty,
        solver_min=solver_min,
        solver_max=solver_max,
    )
    with open_store(db) as store:
        manifest = export_items(store, out, filters=filters, fmt=format, strict=strict)
    if manifest["failing_accepted"]:
        echo("Warning: " + failing_sentence(manifest["failing_accepted"], strict=False), err=True)
    if json_out:
        emit_json(manifest)
    else:
        echo(f"{manifest['count']} item(s) written to {out} (sha256 {manifest['sha256']}).")


@app.command("stats")
@user_errors
def stats_command(
    json_out: JsonOption = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Add the dataset report: quotas, pass rates, complexity, duplicates, "
            "novelty and diversity against HumanEval.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Counts by status, language, difficulty and check outcome."""
    with open_store(db) as store:
        stats = store.stats()
        if report:
            from core.checking import store_report

            stats["report"] = store_report(store)
    if json_out:
        emit_json(stats)
        return
    echo(f"{stats['total']} items")
    for title, key in (
        ("status", "by_status"),
        ("language", "by_language"),
        ("difficulty", "by_difficulty"),
        ("check", "by_check_status"),
    ):
        parts = ", ".join(f"{k} {v}" for k, v in stats[key].items())
        echo(f"  {title:<11} {parts}")
    if report:
        _print_report(stats["report"])


def _print_report(report: dict) -> None:
    """The dataset report as a curator reads it: each share next to its target."""
    for dimension in ("language", "difficulty"):
        dist = report[dimension]
        echo(f"\n{dimension} (share / target, items missing to reach it):")
        for key, count in dist["counts"].items():
            target = (dist.get("target") or {}).get(key)
            missing = (dist.get("missing_items") or {}).get(key) or 0
            line = f"  {key:<16}{count:>6}  {dist['share'][key]:>6.1%}"
            if target is not None:
                line += f" / {target:.0%}" + (f"  (+{missing} needed)" if missing else "")
            echo(line)
    rates = report.get("pass_rates")
    if rates:
        echo(
            f"\npass rate {rates['pass_rate']:.1%} of checked items, "
            f"{rates['test_pass_rate']:.1%} of tests; "
            + ", ".join(f"{k} {v}" for k, v in rates["by_status"].items())
        )
    if report.get("recommendations"):
        echo(
            "recommendations: "
            + ", ".join(f"{k} {v}" for k, v in report["recommendations"].items())
        )
    cyclomatic = (report.get("complexity") or {}).get("cyclomatic_max") or {}
    if cyclomatic:
        echo(
            f"cyclomatic complexity: median {cyclomatic['median']}, p90 {cyclomatic['p90']}, "
            f"max {cyclomatic['max']}"
        )
    dups = report["duplicates"]
    echo(
        f"duplicates: {dups['n_clusters']} cluster(s), {dups['redundant_items']} redundant item(s)"
    )
    from core.quality.report import novelty_diversity_lines

    for name, figure, meaning in novelty_diversity_lines(report.get("novelty_diversity")):
        echo(f"{name}: {figure}; {meaning}")


@app.command("check")
@user_errors
def check_command(
    json_out: JsonOption = False,
    all_items: Annotated[
        bool, typer.Option("--all", help="Re-check every item, not just unchecked ones.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Parallel sandbox workers (default: cores + 1).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per item.")] = 10.0,
    isolation: Annotated[
        str | None,
        typer.Option(
            "--isolation",
            help="full: refuse to run unless every sandbox layer holds (see assay doctor); "
            "weak: run with the layers this machine has.",
            show_default="full",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", hidden=True, help="Deprecated: full isolation is the default."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Run the sandbox and quality checks on items whose current revision has no result."""
    from core.checking import run_checks
    from sandbox.api import require_isolation

    try:  # before opening anything: one sentence, nothing written
        isolation = require_isolation("full" if strict and isolation is None else isolation)
    except StrictModeError as exc:
        raise AssayError(refusal_sentence(exc)) from None
    with open_store(db) as store:
        store.require_writable()  # before the sandbox runs: its results could not be kept
        items = store.items() if all_items else store.unchecked()
        if not items:
            if not json_out:
                echo("Every item's current revision is already checked.")
            return
        with _progress(len(items), "checking", quiet=json_out) as advance:

            def report(item: Item, result: CheckResult) -> None:
                if json_out:
                    emit_json(result.contract())
                advance()

            try:
                results = run_checks(
                    store,
                    items,
                    workers=workers,
                    isolation=isolation,
                    timeout=timeout,
                    on_result=report,
                )
            except StrictModeError as exc:
                raise AssayError(refusal_sentence(exc)) from None
    if not json_out:
        counts: dict[str, int] = {}
        for result in results:
            counts[result.recommendation] = counts.get(result.recommendation, 0) + 1
        summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("accept", "review", "reject"))
        echo(f"{len(results)} item(s) checked: {summary}.")


def refusal_sentence(exc: StrictModeError) -> str:
    """The one sentence `assay check` (and the app) refuse with: what is missing, and how
    to run anyway."""
    missing = exc.missing.rstrip(".")
    if missing.startswith("isolation must be"):
        return missing + "."
    return (
        f"Refusing to run untrusted code without full isolation: {missing} "
        "(see assay doctor; --isolation weak runs anyway, with less)."
    )


def _progress(total: int, label: str, *, quiet: bool):
    """A progress bar on stderr (nothing when quiet); yields a function to advance it."""
    import contextlib

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    @contextlib.contextmanager
    def bar():
        if quiet:
            yield lambda: None
            return
        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        with progress:
            task = progress.add_task(label, total=total)
            yield lambda: progress.advance(task)

    return bar()


@app.command("doctor")
@user_errors
def doctor_command(json_out: JsonOption = False) -> None:
    """Which sandbox isolation layers and language toolchains are available here."""
    from sandbox.api import doctor

    report = doctor()
    if json_out:
        emit_json(report)
        return
    if report["problem"]:
        echo(
            f"Isolation: weak ({report['problem']}); assay check refuses without --isolation weak."
        )
    elif report.get("weaker"):
        echo(f"Isolation: full, but weaker: {'; '.join(report['weaker'])}.")
    else:
        echo("Isolation: full (every layer below holds).")
    echo("Isolation layers:")
    for name, layer in report["layers"].items():
        mark = "yes" if layer["available"] else "NO "
        echo(f"  {mark}  {name:<22} {layer.get('detail', '')}")
    echo("Toolchains:")
    for language, tool in report["toolchains"].items():
        mark = "yes" if tool["available"] else "NO "
        detail = tool.get("version") or tool.get("reason") or ""
        source = f"  [{tool['source']}]" if tool.get("source") else ""
        echo(f"  {mark}  {language:<22} {detail}{source}")


def _decision_command(status: str, query_id: str, reason: str | None, db, curator) -> None:
    with open_store(db) as store:
        item = store.decide(query_id, status, author=curator_name(curator), reason=reason)
    echo(f"{item.query_id}: {item.status} (revision {item.revision}).")


ReasonOption = Annotated[str | None, typer.Option(help="Why.", show_default=False)]


@app.command("accept", rich_help_panel="Curation")
@user_errors
def accept_command(
    query_id: str, reason: ReasonOption = None, db: DbOption = None, curator: CuratorOption = None
) -> None:
    """Accept an item."""
    _decision_command("accepted", query_id, reason, db, curator)


@app.command("reject", rich_help_panel="Curation")
@user_errors
def reject_command(
    query_id: str, reason: ReasonOption = None, db: DbOption = None, curator: CuratorOption = None
) -> None:
    """Reject an item."""
    _decision_command("rejected", query_id, reason, db, curator)


@app.command("history", rich_help_panel="Curation")
@user_errors
def history_command(query_id: str, json_out: JsonOption = False, db: DbOption = None) -> None:
    """Every revision of an item: who, when, why."""
    with open_store(db) as store:
        revisions = store.history(query_id)
    if json_out:
        for rev in revisions:
            emit_json(
                {
                    "revision": rev.revision,
                    "action": rev.action,
                    "author": rev.author,
                    "created_at": rev.created_at,
                    "reason": rev.reason,
                    "status": rev.status,
                    "content_hash": rev.content_hash,
                }
            )
        return
    for rev in revisions:
        echo(
            f"{rev.revision:>3}  {rev.created_at}  {rev.action:<8} {rev.status:<9} "
            f"{rev.author}: {rev.reason or ''}"
        )


@app.command("restore", rich_help_panel="Curation")
@user_errors
def restore_command(
    query_id: str,
    revision: int,
    db: DbOption = None,
    curator: CuratorOption = None,
) -> None:
    """Bring back an earlier revision of an item (as a new revision)."""
    with open_store(db) as store:
        item = store.restore(query_id, revision, author=curator_name(curator))
    echo(f"{item.query_id}: revision {revision} restored as revision {item.revision}.")


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        echo(f"assay {__version__}")
        raise typer.Exit(0)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        sys.stderr.close()


# Commands other packages add (the app's `tui` and `demo`, generation's `generate`): each entry
# point of this group is a `register(app)` function, so core never imports them by name.
COMMAND_GROUP = "assay.commands"


def register_commands(target: typer.Typer) -> None:
    """Let every installed `assay.commands` entry point add its commands to `target`."""
    for entry in sorted(metadata.entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        entry.load()(target)


register_commands(app)
