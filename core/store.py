"""The SQLite store: items, their full revision history, and check results.

One file, WAL, migrations applied on every open. Every change to an item writes a
row to `revisions` holding the whole record as it became, so any revision can be
restored and the audit trail is complete.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from core.errors import AssayError
from core.models import (
    STATUSES,
    Item,
    Revision,
    canonical_json,
    content_hash,
    normalize_language,
    sha256_text,
)

migrations = Migrations("assay.store")


def migration_sets() -> list[Migrations]:
    """Every migration set, in the order `open_db` applies them."""
    from core.generation.schema import migrations as generation

    return [migrations, generation]


@migrations()
def m001_items_and_revisions(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            query_id TEXT NOT NULL UNIQUE,
            record TEXT NOT NULL,
            query_text TEXT,
            reference_answer TEXT,
            assertions TEXT,
            language TEXT,
            difficulty TEXT,
            category TEXT,
            function_name TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            revision INTEGER NOT NULL DEFAULT 1,
            content_hash TEXT NOT NULL,
            import_hash TEXT,
            source_format TEXT,
            source_file TEXT,
            source_line INTEGER,
            job_id INTEGER,
            model TEXT,
            parents TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            decided_by TEXT,
            decision_reason TEXT,
            check_status TEXT,
            recommendation TEXT,
            flag_codes TEXT,
            pass_rate REAL,
            cyclomatic_max REAL,
            cluster_id TEXT
        )
        """
    )
    for column in (
        "status",
        "language",
        "difficulty",
        "check_status",
        "recommendation",
        "created_at",
        "cyclomatic_max",
        "pass_rate",
        "cluster_id",
        "source_file",
    ):
        db.execute(f"CREATE INDEX idx_items_{column} ON items({column})")
    db.execute(
        """
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            revision INTEGER NOT NULL,
            action TEXT NOT NULL,
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            reason TEXT,
            status TEXT NOT NULL,
            record TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            UNIQUE (item_id, revision)
        )
        """
    )
    db.execute("CREATE INDEX idx_revisions_created ON revisions(created_at)")
    db.execute(
        """
        CREATE TABLE check_results (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            revision INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            recommendation TEXT,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (item_id, content_hash)
        )
        """
    )
    db["items"].enable_fts(
        ["query_id", "query_text", "reference_answer", "assertions"],
        create_triggers=True,
        tokenize="unicode61",
    )


@migrations()
def m002_batch_fts_inserts(db: sqlite_utils.Database) -> None:
    # Per-row FTS triggers halve import speed; new rows are indexed in one statement
    # per transaction by Store._index_new_rows. Update and delete triggers stay.
    db.execute("DROP TRIGGER IF EXISTS items_ai")


@migrations()
def m003_duplicate_signatures(db: sqlite_utils.Database) -> None:
    # MinHash signatures per content, so the duplicate index is rebuilt without rehashing.
    db.execute(
        """
        CREATE TABLE signatures (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            content_hash TEXT NOT NULL,
            signature BLOB NOT NULL
        )
        """
    )


@migrations()
def m004_template_keys(db: sqlite_utils.Database) -> None:
    # Statement/solution skeletons per content: repeated templates found with one query.
    for column in ("template_text", "template_code", "template_shown"):
        db.execute(f"ALTER TABLE signatures ADD COLUMN {column} TEXT")
    db.execute("CREATE INDEX idx_signatures_template ON signatures(template_text)")


def now() -> str:
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
        for migration_set in migration_sets():
            migration_set.apply(db)
    except sqlite3.DatabaseError as exc:
        raise AssayError(describe_sqlite_error(exc, path)) from exc
    return db


def describe_sqlite_error(exc: sqlite3.Error, path: str | Path) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"The database {path} is locked by another process; try again in a moment."
    if "not a database" in text or "malformed" in text:
        return f"{path} is not an Assay database (SQLite said: {text})."
    return f"The database {path} could not be used: {text}."


_ITEM_COLUMNS = (
    "id, query_id, record, status, revision, source_format, source_file, source_line, "
    "job_id, model, parents, created_at, updated_at, decided_by, decision_reason, "
    "check_status, recommendation, flag_codes, content_hash, cluster_id"
)


def _row_to_item(row: tuple) -> Item:
    (
        id_,
        query_id,
        record,
        status,
        revision,
        source_format,
        source_file,
        source_line,
        job_id,
        model,
        parents,
        created_at,
        updated_at,
        decided_by,
        decision_reason,
        check_status,
        recommendation,
        flag_codes,
        chash,
        cluster_id,
    ) = row
    return Item(
        id=id_,
        query_id=query_id,
        record=json.loads(record),
        status=status,
        revision=revision,
        source_format=source_format,
        source_file=source_file,
        source_line=source_line,
        job_id=job_id,
        model=model,
        parents=json.loads(parents) if parents else [],
        created_at=created_at,
        updated_at=updated_at,
        decided_by=decided_by,
        decision_reason=decision_reason,
        check_status=check_status,
        recommendation=recommendation,
        flag_codes=flag_codes.split() if flag_codes else [],
        content_hash=chash,
        cluster_id=cluster_id,
    )


def derived_columns(record: dict) -> dict[str, Any]:
    """Columns the queue filters, sorts and searches on, derived from the record."""
    meta = record.get("metadata")
    meta = meta if isinstance(meta, dict) else {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    return {
        "query_text": text(record.get("query_text")),
        "reference_answer": text(record.get("reference_answer")),
        "assertions": text(record.get("assertions")),
        "language": normalize_language(meta.get("language")) or None,
        "difficulty": text(meta.get("difficulty")),
        "category": text(meta.get("category")),
        "function_name": text(meta.get("function_name")),
    }


@dataclass
class NewItem:
    """An item about to enter the store, with where it came from."""

    record: dict
    source_format: str | None = None
    source_file: str | None = None
    source_line: int | None = None
    job_id: int | None = None
    model: str | None = None
    parents: list[str] = field(default_factory=list)


@dataclass
class ItemFilter:
    """What the queue, `export` and bulk actions select. Empty fields select everything."""

    status: str | None = None
    language: str | None = None
    difficulty: str | None = None
    category: str | None = None
    check_status: str | None = None
    recommendation: str | None = None
    flag: str | None = None
    cluster_id: str | None = None
    search: str | None = None
    undecided_only: bool = False

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("status", "difficulty", "category", "recommendation", "cluster_id"):
            value = getattr(self, column)
            if value:
                clauses.append(f"items.{column} = ?")
                params.append(value)
        if self.language:
            clauses.append("items.language = ?")
            params.append(normalize_language(self.language))
        if self.check_status:
            if self.check_status == "unchecked":
                clauses.append("items.check_status IS NULL")
            else:
                clauses.append("items.check_status = ?")
                params.append(self.check_status)
        if self.flag:
            clauses.append("(' ' || items.flag_codes || ' ') LIKE ?")
            params.append(f"% {self.flag} %")
        if self.undecided_only:
            clauses.append("items.status = 'pending'")
        query = fts_query(self.search or "")
        if query:
            clauses.append("items.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
            params.append(query)
        return (" AND ".join(clauses) or "1"), params


def fts_query(text: str) -> str:
    """Turn what a curator types into an FTS5 query: every word must appear, as a prefix."""
    words = [w.replace('"', "") for w in text.split()]
    return " ".join(f'"{w}"*' for w in words if w)  # empty when nothing searchable is left


SORTS = {
    "created": "items.id",
    "complexity": "items.cyclomatic_max DESC NULLS LAST, items.id",
    "pass_rate": "items.pass_rate ASC NULLS LAST, items.id",
    "query_id": "items.query_id",
}


@dataclass
class ImportCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0


class Store:
    """The database as the rest of Assay sees it. One Store per thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = open_db(self.path)
        self.conn = self.db.conn

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

        With a plain BEGIN, a read inside the transaction followed by a write fails at once
        with "database is locked" if another connection committed in between; waiting for
        the lock at the start lets the busy timeout do its job. Nested use is a savepoint.
        """
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def get(self, query_id: str) -> Item:
        return self._one("query_id", query_id, f"There is no item with query_id {query_id!r}.")

    def get_by_id(self, item_id: int) -> Item:
        return self._one("id", item_id, f"There is no item with id {item_id}.")

    def _one(self, column: str, value: Any, missing: str) -> Item:
        row = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE {column} = ?", [value]
        ).fetchone()
        if row is None:
            raise AssayError(missing)
        return _row_to_item(row)

    def count(self, where: ItemFilter | None = None) -> int:
        clause, params = (where or ItemFilter()).where()
        return self.conn.execute(f"SELECT count(*) FROM items WHERE {clause}", params).fetchone()[0]

    def items(
        self,
        where: ItemFilter | None = None,
        *,
        sort: str = "created",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Item]:
        clause, params = (where or ItemFilter()).where()
        sql = f"SELECT {_ITEM_COLUMNS} FROM items WHERE {clause} ORDER BY {SORTS[sort]}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = [*params, limit, offset]
        return [_row_to_item(row) for row in self.conn.execute(sql, params)]

    def iter_items(
        self, where: ItemFilter | None = None, *, sort: str = "created"
    ) -> Iterator[Item]:
        clause, params = (where or ItemFilter()).where()
        sql = f"SELECT {_ITEM_COLUMNS} FROM items WHERE {clause} ORDER BY {SORTS[sort]}"
        for row in self.conn.execute(sql, params):
            yield _row_to_item(row)

    def queue_rows(
        self, where: ItemFilter | None = None, *, sort: str = "created", limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """The light columns one queue row shows, for a page of the queue."""
        clause, params = (where or ItemFilter()).where()
        sql = (
            "SELECT id, query_id, status, language, difficulty, check_status, recommendation, "
            f"flag_codes, pass_rate, cyclomatic_max, cluster_id FROM items WHERE {clause} "
            f"ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?"
        )
        cursor = self.conn.execute(sql, [*params, limit, offset])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def history(self, query_id: str) -> list[Revision]:
        item = self.get(query_id)
        rows = self.conn.execute(
            "SELECT revision, action, author, created_at, reason, status, record, content_hash "
            "FROM revisions WHERE item_id = ? ORDER BY revision",
            [item.id],
        )
        return [
            Revision(
                revision=r[0],
                action=r[1],
                author=r[2],
                created_at=r[3],
                reason=r[4],
                status=r[5],
                record=json.loads(r[6]),
                content_hash=r[7],
            )
            for r in rows
        ]

    def existing_index(self) -> dict[str, tuple[int, str, str | None, str | None]]:
        """query_id -> (id, content_hash, import_hash, source_file), for one-pass imports."""
        return {
            row[0]: (row[1], row[2], row[3], row[4])
            for row in self.conn.execute(
                "SELECT query_id, id, content_hash, import_hash, source_file FROM items"
            )
        }

    # -- writing -------------------------------------------------------------------------

    def add_items(
        self, new_items: Iterable[NewItem], *, author: str, action: str = "import"
    ) -> int:
        """Insert new items, each with its first revision, in one transaction."""
        stamp = now()
        count = 0
        with self.write():
            first_id = self._next_id()
            for new in new_items:
                self._insert(new, author=author, action=action, stamp=stamp)
                count += 1
            self._index_new_rows(first_id)
        return count

    def _next_id(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()[0]

    def _index_new_rows(self, first_id: int) -> None:
        """Add rows inserted since `first_id` to the full-text index, in one statement."""
        self.conn.execute(
            "INSERT INTO items_fts (rowid, query_id, query_text, reference_answer, assertions) "
            "SELECT id, query_id, query_text, reference_answer, assertions FROM items "
            "WHERE id >= ?",
            [first_id],
        )

    def _insert(self, new: NewItem, *, author: str, action: str, stamp: str) -> int:
        record_json = canonical_json(new.record)
        chash = sha256_text(record_json)
        columns = derived_columns(new.record)
        cursor = self.conn.execute(
            "INSERT INTO items (query_id, record, query_text, reference_answer, assertions, "
            "language, difficulty, category, function_name, status, revision, content_hash, "
            "import_hash, source_format, source_file, source_line, job_id, model, parents, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,'pending',1,?,?,?,?,?,?,?,?,?,?)",
            [
                new.record["query_id"],
                record_json,
                columns["query_text"],
                columns["reference_answer"],
                columns["assertions"],
                columns["language"],
                columns["difficulty"],
                columns["category"],
                columns["function_name"],
                chash,
                chash if action == "import" else None,
                new.source_format,
                new.source_file,
                new.source_line,
                new.job_id,
                new.model,
                json.dumps(new.parents) if new.parents else None,
                stamp,
                stamp,
            ],
        )
        item_id = cursor.lastrowid
        self.conn.execute(
            "INSERT INTO revisions (item_id, revision, action, author, created_at, reason, status, "
            "record, content_hash) VALUES (?, 1, ?, ?, ?, ?, 'pending', ?, ?)",
            [item_id, action, author, stamp, _first_reason(action, new), record_json, chash],
        )
        return item_id

    def insert_item(self, new: NewItem, *, author: str, action: str = "generate") -> Item:
        """Insert one item (used by generation, which commits each item as it lands)."""
        with self.write():
            item_id = self._insert(new, author=author, action=action, stamp=now())
            self._index_new_rows(item_id)
        return self.get_by_id(item_id)

    def _write_revision(
        self,
        item: Item,
        *,
        record: dict | None,
        status: str,
        action: str,
        author: str,
        reason: str | None,
        import_hash: str | None = None,
        source_file: str | None = None,
        source_line: int | None = None,
    ) -> Item:
        """Apply a change to an item and record it as a new revision (caller holds the tx)."""
        record = item.record if record is None else record
        record_json = canonical_json(record)
        chash = sha256_text(record_json)
        revision = item.revision + 1
        stamp = now()
        columns = derived_columns(record)
        decided = status != item.status or action == "decision"
        sets = {
            "record": record_json,
            **columns,
            "status": status,
            "revision": revision,
            "content_hash": chash,
            "updated_at": stamp,
        }
        if record.get("query_id") != item.query_id:
            raise AssayError("An edit cannot change an item's query_id.")
        if decided:
            sets["decided_by"] = author if status != "pending" else None
            sets["decision_reason"] = reason if status != "pending" else None
        if import_hash is not None:
            sets["import_hash"] = import_hash
        if source_file is not None:
            sets["source_file"] = source_file
            sets["source_line"] = source_line
        if chash != item.content_hash:
            # The new content has not been checked yet (unless it is an older content that was).
            cached = self.conn.execute(
                "SELECT status, recommendation, result FROM check_results "
                "WHERE item_id = ? AND content_hash = ?",
                [item.id, chash],
            ).fetchone()
            sets.update(_check_columns(json.loads(cached[2]) if cached else None))
        assignments = ", ".join(f"{k} = ?" for k in sets)
        self.conn.execute(f"UPDATE items SET {assignments} WHERE id = ?", [*sets.values(), item.id])
        self.conn.execute(
            "INSERT INTO revisions (item_id, revision, action, author, created_at, reason, status, "
            "record, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item.id, revision, action, author, stamp, reason, status, record_json, chash],
        )
        return self.get_by_id(item.id)

    def update_from_import(
        self,
        item_id: int,
        record: dict,
        *,
        author: str,
        source_file: str | None,
        source_line: int | None,
    ) -> Item:
        """A re-imported item whose content changed: a new revision, back to pending review."""
        item = self.get_by_id(item_id)
        return self._write_revision(
            item,
            record=record,
            status="pending",
            action="update",
            author=author,
            reason="content changed on re-import",
            import_hash=content_hash(record),
            source_file=source_file,
            source_line=source_line,
        )

    def decide(self, query_id: str, status: str, *, author: str, reason: str | None = None) -> Item:
        """Accept, reject or return an item to pending; one revision row per decision."""
        if status not in STATUSES:
            raise AssayError(f"Unknown status {status!r}; use one of {', '.join(STATUSES)}.")
        with self.write():
            item = self.get(query_id)
            return self._write_revision(
                item, record=None, status=status, action="decision", author=author, reason=reason
            )

    def decide_many(
        self, query_ids: Iterable[str], status: str, *, author: str, reason: str | None = None
    ) -> int:
        """The same decision on many items in one transaction (bulk actions)."""
        if status not in STATUSES:
            raise AssayError(f"Unknown status {status!r}; use one of {', '.join(STATUSES)}.")
        count = 0
        with self.write():
            for query_id in query_ids:
                item = self.get(query_id)
                if item.status == status:
                    continue
                self._write_revision(
                    item,
                    record=None,
                    status=status,
                    action="decision",
                    author=author,
                    reason=reason,
                )
                count += 1
        return count

    def edit(self, query_id: str, record: dict, *, author: str, reason: str | None = None) -> Item:
        """Replace an item's record with an edited one; a no-op edit writes nothing."""
        with self.write():
            item = self.get(query_id)
            if canonical_json(record) == canonical_json(item.record):
                return item
            return self._write_revision(
                item,
                record=record,
                status=item.status,
                action="edit",
                author=author,
                reason=reason or "edited",
            )

    def restore(
        self, query_id: str, revision: int, *, author: str, reason: str | None = None
    ) -> Item:
        """Bring back an earlier revision's content and status, as a new revision."""
        with self.write():
            item = self.get(query_id)
            row = self.conn.execute(
                "SELECT record, status FROM revisions WHERE item_id = ? AND revision = ?",
                [item.id, revision],
            ).fetchone()
            if row is None:
                raise AssayError(f"Item {query_id!r} has no revision {revision}.")
            return self._write_revision(
                item,
                record=json.loads(row[0]),
                status=row[1],
                action="revert",
                author=author,
                reason=reason or f"restored revision {revision}",
            )

    def undo(self, query_id: str, *, author: str) -> Item:
        """Undo the item's last change by restoring the revision before it."""
        item = self.get(query_id)
        if item.revision <= 1:
            raise AssayError(f"Item {query_id!r} has no change to undo.")
        return self.restore(
            query_id, item.revision - 1, author=author, reason=f"undo of revision {item.revision}"
        )

    # -- check results -------------------------------------------------------------------

    def unchecked(self, where: ItemFilter | None = None) -> list[Item]:
        """Items whose current content has no stored check result."""
        clause, params = (where or ItemFilter()).where()
        rows = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE {clause} AND NOT EXISTS ("
            "SELECT 1 FROM check_results c WHERE c.item_id = items.id "
            "AND c.content_hash = items.content_hash) ORDER BY items.id",
            params,
        )
        return [_row_to_item(row) for row in rows]

    def save_check(self, item: Item, result: dict[str, Any]) -> None:
        """Store a check result for the content the item had when it was checked."""
        stamp = now()
        with self.write():
            self.conn.execute(
                "INSERT INTO check_results (item_id, revision, content_hash, status, recommendation,"
                " result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(item_id, content_hash) DO UPDATE SET revision = excluded.revision, "
                "status = excluded.status, recommendation = excluded.recommendation, "
                "result = excluded.result, created_at = excluded.created_at",
                [
                    item.id,
                    item.revision,
                    item.content_hash,
                    result.get("status", "error"),
                    result.get("recommendation"),
                    json.dumps(result, ensure_ascii=False),
                    stamp,
                ],
            )
            # Only the item's *current* content drives the queue columns.
            sets = _check_columns(result)
            assignments = ", ".join(f"{k} = ?" for k in sets)
            self.conn.execute(
                f"UPDATE items SET {assignments} WHERE id = ? AND content_hash = ?",
                [*sets.values(), item.id, item.content_hash],
            )

    def check_result(self, item: Item) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT result FROM check_results WHERE item_id = ? AND content_hash = ?",
            [item.id, item.content_hash],
        ).fetchone()
        return json.loads(row[0]) if row else None

    def set_clusters(self, clusters: dict[str, str | None]) -> None:
        """query_id -> duplicate cluster id (None to clear)."""
        with self.write():
            self.conn.executemany(
                "UPDATE items SET cluster_id = ? WHERE query_id = ?",
                [(cluster, qid) for qid, cluster in clusters.items()],
            )

    # -- numbers -------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts for `assay stats --json` (contract in BRIEF.md)."""

        def grouped(column: str) -> dict[str, int]:
            return {
                (key if key is not None else "unknown"): n
                for key, n in self.conn.execute(
                    f"SELECT {column}, count(*) FROM items GROUP BY {column} ORDER BY 2 DESC, 1"
                )
            }

        by_status = {status: 0 for status in STATUSES}
        by_status.update(grouped("status"))
        by_check = grouped("check_status")
        if "unknown" in by_check:
            by_check["unchecked"] = by_check.pop("unknown")
        return {
            "total": self.count(),
            "by_status": by_status,
            "by_language": grouped("language"),
            "by_difficulty": grouped("difficulty"),
            "by_check_status": by_check,
        }


def _first_reason(action: str, new: NewItem) -> str:
    if action == "import" and new.source_file:
        return f"imported from {Path(new.source_file).name} line {new.source_line}"
    if action == "generate":
        return f"generated by job {new.job_id}" + (f" with {new.model}" if new.model else "")
    return action


def _check_columns(result: dict[str, Any] | None) -> dict[str, Any]:
    """The queue's denormalised view of a check result (all None when unchecked)."""
    if not result:
        return {
            "check_status": None,
            "recommendation": None,
            "flag_codes": None,
            "pass_rate": None,
            "cyclomatic_max": None,
        }
    tests = result.get("tests") or {}
    total = tests.get("total") or 0
    metrics = result.get("metrics") or {}
    flags = result.get("flags") or []
    return {
        "check_status": result.get("status"),
        "recommendation": result.get("recommendation"),
        "flag_codes": " ".join(sorted({f.get("code", "") for f in flags})) or None,
        "pass_rate": (tests.get("passed", 0) / total) if total else None,
        "cyclomatic_max": metrics.get("cyclomatic_max"),
    }
