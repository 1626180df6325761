"""Command-line options shared by every `assay` command (one definition each)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite database file (default: $ASSAY_DB, then ./assay.db).",
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


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))
