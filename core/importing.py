"""`assay import`: bring a file of items into the store, idempotently and all-or-nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.formats import LineError, ParsedFile, parse_file
from core.models import canonical_json, sha256_text
from core.store import NewItem, Store


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[LineError] = field(default_factory=list)
    format: str = "assay"
    aborted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": [e.to_dict() for e in self.errors],
        }


def import_file(
    store: Store,
    path: str | Path,
    *,
    fmt: str = "auto",
    on_error: str = "abort",
    id_prefix: str = "",
    update: bool = False,
    author: str,
    parsed: ParsedFile | None = None,
) -> ImportReport:
    """Import a JSONL file. With on_error='abort', any bad line means nothing is written.

    Re-importing the same file changes nothing; an item whose content changed in its own
    source file becomes a new revision. An item whose query_id already exists from another
    source with different content is refused (use `id_prefix` to keep both, or `update`).
    `parsed` is the file already read by `parse_file` (with the same fmt and id_prefix).
    """
    source = os.path.abspath(path)
    if parsed is None:
        parsed = parse_file(path, fmt, id_prefix=id_prefix)
    report = ImportReport(format=parsed.format, errors=list(parsed.errors))
    existing = store.existing_index()

    new_items: list[NewItem] = []
    updates: list[tuple[int, dict, int]] = []
    for line in parsed.records:
        record = line.record
        qid = record["query_id"]
        record_json = canonical_json(record)
        known = existing.get(qid)
        if known is None:
            new_items.append(
                NewItem(
                    record,
                    parsed.format,
                    source_file=source,
                    source_line=line.line,
                    record_json=record_json,
                )
            )
            continue
        chash = sha256_text(record_json)
        item_id, current_hash, import_hash, known_source = known
        if chash in (import_hash, current_hash):
            report.unchanged += 1
        elif known_source == source or update:
            updates.append((item_id, record, line.line))
        else:
            where = Path(known_source).name if known_source else "generation"
            report.errors.append(
                LineError(
                    line.line,
                    f"line {line.line} has query_id {qid!r}, which already exists (from {where}) "
                    "with different content; use --id-prefix to keep both or --update to "
                    "replace it",
                )
            )

    report.errors.sort(key=lambda e: e.line)
    if report.errors and on_error == "abort":
        report.aborted = True
        report.unchanged = 0
        return report
    report.skipped = len(report.errors)
    with store.write():
        report.imported = store.add_items(new_items, author=author)
        for item_id, record, line_no in updates:
            store.update_from_import(
                item_id, record, author=author, source_file=source, source_line=line_no
            )
    report.updated = len(updates)
    return report


def import_into(db_path: str | Path, path: str | Path, **options: Any) -> ImportReport:
    """`import_file(store, path, **options)` into the database at `db_path`, which a failed
    import never creates: the file is read first, and a database that did not exist is
    removed again when the import aborts."""
    fmt, id_prefix = options.get("fmt", "auto"), options.get("id_prefix", "")
    on_error = options.get("on_error", "abort")
    parsed = parse_file(path, fmt, id_prefix=id_prefix)  # a wrong file: one sentence, no db
    target = Path(db_path)
    created = not target.exists()
    if created and parsed.errors and on_error == "abort":
        report = ImportReport(format=parsed.format, errors=list(parsed.errors), aborted=True)
        report.errors.sort(key=lambda e: e.line)
        return report
    try:
        with Store(target) as store:
            report = import_file(store, path, parsed=parsed, **options)
    except BaseException:
        if created:
            _remove_database(target)
        raise
    if created and report.aborted:
        _remove_database(target)
    return report


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
