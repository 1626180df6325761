"""`assay demo`: the bundled sample set in a fresh database."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from core.importing import ImportReport, import_file
from core.store import Store

DEMO_AUTHOR = "assay-demo"
DEMO_PREFIX = "assay-demo-"  # the temporary folder a demo without --db works in


def demo_data_path() -> Path:
    return Path(str(resources.files("core") / "data" / "demo.jsonl"))


def prepare_demo(db: str | None = None) -> tuple[Path, ImportReport]:
    """Load the demo items into `db` (default: a new temporary database, left in place;
    `demo_database` removes it when the demo ends)."""
    path = Path(db) if db else Path(tempfile.mkdtemp(prefix=DEMO_PREFIX)) / "demo.db"
    with Store(path) as store:
        report = import_file(store, demo_data_path(), author=DEMO_AUTHOR)
    return path, report


@contextlib.contextmanager
def demo_database(db: str | None = None) -> Iterator[tuple[Path, ImportReport]]:
    """`prepare_demo`, and when the demo made its own temporary database, that database's
    folder removed again when the block ends (the app quit, or failed). A `db` the user
    named is theirs to keep."""
    path, report = prepare_demo(db)
    try:
        yield path, report
    finally:
        if db is None:
            shutil.rmtree(path.parent, ignore_errors=True)
