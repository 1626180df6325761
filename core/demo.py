"""`assay demo`: the bundled sample set in a fresh database."""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

from core.importing import ImportReport, import_file
from core.store import Store

DEMO_AUTHOR = "assay-demo"


def demo_data_path() -> Path:
    return Path(str(resources.files("core") / "data" / "demo.jsonl"))


def prepare_demo(db: str | None = None) -> tuple[Path, ImportReport]:
    """Load the demo items into `db` (default: a new temporary database)."""
    path = Path(db) if db else Path(tempfile.mkdtemp(prefix="assay-demo-")) / "demo.db"
    with Store(path) as store:
        report = import_file(store, demo_data_path(), author=DEMO_AUTHOR)
    return path, report
