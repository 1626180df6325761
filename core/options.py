"""What every `assay` command shares: its options (one definition each), JSON output, and
the rule that an error a user can cause ends in one sentence and a non-zero exit."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from core.config import DEFAULT_DB, load_settings
from core.errors import AssayError
from core.text import inert, json_text

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=f"SQLite database file (default: $ASSAY_DB, then `db` in the config, then ./{DEFAULT_DB}).",
        rich_help_panel="Database",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
CuratorOption = Annotated[
    str | None,
    typer.Option(
        "--curator",
        help="Name recorded on decisions (default: $ASSAY_CURATOR, config, login name).",
        show_default=False,
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def emit_json(value: Any) -> None:
    typer.echo(json_text(value))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `Error: message` on stderr; the exit to raise."""
    typer.echo(f"Error: {inert(message)}", err=True)
    return typer.Exit(code)


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn errors a user can cause into one sentence and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AssayError as exc:
            raise fail(str(exc)) from None
        except sqlite3.Error as exc:
            from core.store import describe_sqlite_error

            raise fail(describe_sqlite_error(exc, _database(kwargs.get("db")))) from None
        except KeyboardInterrupt:
            raise fail("Interrupted.", 130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None

    return wrapper


def _database(flag: object) -> str:
    """The database a command used, for naming it in an error."""
    try:
        return str(load_settings(db=flag if isinstance(flag, str) else None).db)
    except AssayError:
        return str(flag or DEFAULT_DB)
