"""Opening the database file: WAL, pragmas, every migration applied, errors in one sentence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from core.errors import AssayError
from core.store.migrations import MIGRATIONS


def now() -> str:
    """The current time as the store writes it (UTC, ISO 8601, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path`, in WAL mode, migrated."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise AssayError(f"The database path {path} is a directory, not a file.")
    if not path.parent.exists():
        raise AssayError(f"The folder for the database {path} does not exist.")
    try:
        conn = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
        db = sqlite_utils.Database(conn, execute_plugins=False)
        db.execute("PRAGMA busy_timeout = 10000")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        for migration_set in MIGRATIONS:
            migration_set.apply(db)
    except sqlite3.DatabaseError as exc:
        raise AssayError(describe_sqlite_error(exc, path)) from exc
    return db


def describe_sqlite_error(exc: sqlite3.Error, path: str | Path) -> str:
    """One sentence a user can act on, for an SQLite error on the database at `path`."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"The database {path} is locked by another process; try again in a moment."
    if "not a database" in text or "malformed" in text:
        return f"{path} is not an Assay database (SQLite said: {text})."
    return f"The database {path} could not be used: {text}."
