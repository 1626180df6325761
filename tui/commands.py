"""`assay tui` and `assay demo`: the app adds its own commands to the `assay` CLI.

Registered through the `assay.commands` entry point group (pyproject.toml), so core never
imports the app; the app itself is imported only when one of these commands runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from core.config import load_settings
from core.options import CuratorOption, DbOption, user_errors
from core.text import echo

IsolationOption = Annotated[
    str | None,
    typer.Option(
        "--isolation",
        help="full: checks refuse to run unless every sandbox layer holds (see assay "
        "doctor); weak: run them with what this machine has, under a red banner.",
        show_default="full",
    ),
]


def choose_isolation(level: str | None) -> None:
    """The app's checks run at this level (the process-wide ASSAY_ISOLATION)."""
    import os

    from sandbox.isolation import LEVEL_ENV, IsolationError
    from sandbox.isolation import level as checked

    if level is not None:
        try:
            os.environ[LEVEL_ENV] = checked(level)
        except IsolationError as exc:
            raise typer.BadParameter(str(exc), param_hint="--isolation") from None


@user_errors
def tui_command(
    db: DbOption = None, curator: CuratorOption = None, isolation: IsolationOption = None
) -> None:
    """The curation app."""
    from tui.app import run_app

    choose_isolation(isolation)

    run_app(load_settings(db=db, curator=curator))


@user_errors
def demo_command(
    db: DbOption = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print what was loaded instead of opening the app.")
    ] = False,
    isolation: IsolationOption = None,
) -> None:
    """Open the curation app on a bundled sample dataset (no network or key needed)."""
    from core.demo import demo_database
    from core.store import Store

    choose_isolation(isolation)

    with demo_database(db) as (path, report):  # a temporary database goes when the app quits
        if summary:
            echo(f"Demo database {path}: {report.imported} items loaded.")
            with Store(path) as store:
                stats = store.stats()
            echo(", ".join(f"{k} {v}" for k, v in stats["by_language"].items()))
            return
        from tui.app import run_app

        run_app(load_settings(db=path), demo=True)


def register(app: typer.Typer) -> None:
    """The `assay.commands` hook: add `demo` and `tui` to the CLI."""
    app.command("demo")(demo_command)
    app.command("tui")(tui_command)
