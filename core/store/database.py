"""Opening the database file: WAL, pragmas, every migration applied, errors in one sentence."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from core.errors import AssayError
from core.store.migrations import MIGRATIONS


def now() -> str:
    """The current time as the store writes it (UTC, ISO 8601, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def read_only_reason(path: str | Path) -> str | None:
    """Why the database at `path` can only be read (None when it can be written).

    Write permission bits say what the owner meant even to root, whom `os.access` lets
    write anything: a file or folder with none of them set is read-only here.
    """
    path = Path(path)
    if not path.exists():
        return None
    folder = path.resolve().parent
    if not _writable(path):
        return "the file is read-only"
    if not _writable(folder):
        return f"its folder {folder} is not writable"
    return None


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and bool(
        path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    )


def read_only_sentence(path: str | Path, reason: str) -> str:
    """What a write to a read-only database is refused with."""
    return f"The database {path} is read-only ({reason}), so nothing was changed."


def open_db(path: str | Path, *, read_only: str | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path`, in WAL mode, migrated.

    With `read_only` (the reason, from `read_only_reason`) the file is opened for reading
    only, as it is: no WAL switch, no migrations (a database that needs one is refused).
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise AssayError(f"The database path {path} is a directory, not a file.")
    if not path.parent.exists():
        raise AssayError(f"The folder for the database {path} does not exist.")
    if read_only is not None:
        return _open_read_only(path, read_only)
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


def _open_read_only(path: Path, reason: str) -> sqlite_utils.Database:
    uri = path.resolve().as_uri()
    try:
        try:
            conn = sqlite3.connect(
                f"{uri}?mode=ro", uri=True, timeout=10.0, check_same_thread=False
            )
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL database in a folder we cannot write has no -shm to share: read the
            # file as it stands (nobody can be writing it through this folder either).
            conn = sqlite3.connect(
                f"{uri}?immutable=1", uri=True, timeout=10.0, check_same_thread=False
            )
        db = sqlite_utils.Database(conn, execute_plugins=False)
        db.execute("PRAGMA busy_timeout = 10000")
        if any(migration_set.pending(db) for migration_set in MIGRATIONS):
            raise AssayError(
                f"The database {path} is read-only ({reason}) and was written by an older "
                "Assay; make it writable once so it can be upgraded."
            )
    except sqlite3.DatabaseError as exc:
        raise AssayError(describe_sqlite_error(exc, path)) from exc
    return db


def describe_sqlite_error(exc: sqlite3.Error, path: str | Path) -> str:
    """One sentence a user can act on, for an SQLite error on the database at `path`."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"The database {path} is locked by another process; try again in a moment."
    if "readonly" in text or "read-only" in text:
        return f"The database {path} is read-only, so nothing was changed."
    if "not a database" in text or "malformed" in text:
        return f"{path} is not an Assay database (SQLite said: {text})."
    return f"The database {path} could not be used: {text}."
