"""Items, their full revision history, and the check results of their contents.

Every change to an item writes a row to `revisions` holding the whole record as it became,
so any revision can be restored and the audit trail is complete. The queue's columns
(`check_status`, `flag_codes`, `cluster_id`, ...) are a denormalised view kept here too.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from core.results import CheckResult
from core.store.database import now, open_db, read_only_reason, read_only_sentence
from core.store.filters import (
    FILTER_COLUMNS,
    SKIPPED,
    SORT_INDEX,
    SORTS,
    BulkAction,
    ItemFilter,
    rows_before,
)
from core.store.jobs import JobStore
from core.store.signatures import Signatures

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
    # `canonical_json(record)` when the caller has it already (import hashes every record).
    record_json: str | None = None


@dataclass
class ImportCounts:
    """What an import did (the counts of `assay import --json`)."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0


# Rows per executemany when many items are inserted at once, and the page cache they get
# (KiB; used only as the transaction grows: 50,000 items, CPU -18%, wall /2.5).
_BATCH = 5_000
_BULK_CACHE_KIB = 256 * 1024

# What an edit to an accepted item says in its revision's reason (it goes back to review).
EDITED_AFTER_ACCEPTANCE = "edited after acceptance"


class EditConflict(AssayError):
    """An edit started from a revision that is no longer the item's current one."""


class Store:
    """The database as the rest of Assay sees it. One Store per thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # Why this database can only be read (a read-only file or folder), else None:
        # reading works as usual, every write is refused in one sentence.
        self.read_only = read_only_reason(self.path)
        self.db = open_db(self.path, read_only=self.read_only)
        self.conn = self.db.conn
        self.signatures = Signatures(self)
        self.jobs = JobStore(self)

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

        With a plain BEGIN, a read inside the transaction followed by a write fails at once
        with "database is locked" if another connection committed in between; waiting for
        the lock at the start lets the busy timeout do its job. Nested use is a savepoint.
        """
        self.require_writable()
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

    def require_writable(self) -> None:
        """Refuse, in one sentence, work whose result could not be stored (read-only)."""
        if self.read_only is not None:
            raise AssayError(read_only_sentence(self.path, self.read_only))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def get(self, query_id: str) -> Item:
        return self._one("query_id", query_id, f"There is no item with query_id {query_id!r}.")

    def get_by_id(self, item_id: int) -> Item:
        return self._one("id", item_id, f"There is no item with id {item_id}.")

    def exists(self, query_id: str) -> bool:
        """Whether an item with this query_id is in the store."""
        row = self.conn.execute("SELECT 1 FROM items WHERE query_id = ?", [query_id]).fetchone()
        return row is not None

    def statements(self) -> Iterator[tuple[str, str]]:
        """(query_id, problem statement) of every item that has one, oldest first."""
        yield from self.conn.execute(
            "SELECT query_id, query_text FROM items WHERE query_text IS NOT NULL ORDER BY id"
        )

    def seed_candidates(self, limit: int) -> list[str]:
        """Items to seed an evolve job with: accepted first, then passing, never rejected."""
        rows = self.conn.execute(
            "SELECT query_id FROM items WHERE status != 'rejected' AND query_text IS NOT NULL "
            "ORDER BY status = 'accepted' DESC, check_status = 'pass' DESC, id LIMIT ?",
            [limit],
        )
        return [row[0] for row in rows]

    def _one(self, column: str, value: Any, missing: str) -> Item:
        row = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE {column} = ?", [value]
        ).fetchone()
        if row is None:
            raise AssayError(missing)
        return _row_to_item(row)

    def count(self, where: ItemFilter | None = None, *, at_most: int | None = None) -> int:
        """Items the filter selects; with `at_most`, counting stops there (a million-row
        count takes a noticeable fraction of a second, a bounded one does not)."""
        clause, params = (where or ItemFilter()).where()
        if at_most is not None:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM items WHERE {clause} LIMIT ?)"
            return self.conn.execute(sql, [*params, at_most]).fetchone()[0]
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
        where = where or ItemFilter()
        clause, params = where.where()
        if where.search and sort in SORT_INDEX:
            # The page's ids from the index alone, then their columns (see SORT_INDEX).
            clause = (
                f"items.id IN (SELECT id FROM items INDEXED BY {SORT_INDEX[sort]} "
                f"WHERE {clause} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?)"
            )
            params, limit, offset = [*params, limit, offset], limit, 0
        sql = (
            "SELECT id, query_id, status, language, difficulty, check_status, recommendation, "
            f"flag_codes, pass_rate, cyclomatic_max, cluster_id, solver_pass_rate, {SKIPPED} AS skipped "
            f"FROM items WHERE {clause} "
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

    def previous_content(self, item: Item) -> tuple[dict, str] | None:
        """The record an item had before its current content, and the action (edit, update,
        revert, ...) that replaced it; None when the content never changed."""
        row = self.conn.execute(
            "SELECT revision, record FROM revisions WHERE item_id = ? AND content_hash != ? "
            "ORDER BY revision DESC LIMIT 1",
            [item.id, item.content_hash],
        ).fetchone()
        if row is None:
            return None
        action = self.conn.execute(
            "SELECT action FROM revisions WHERE item_id = ? AND revision > ? "
            "ORDER BY revision LIMIT 1",
            [item.id, row[0]],
        ).fetchone()
        return json.loads(row[1]), action[0] if action else "change"

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
        """Insert new items, each with its first revision, in one transaction.

        Rows go in by batches of `executemany`, with ids given up front: the write lock is
        held from the first id read to the commit, so nobody else can take one meanwhile.
        """
        stamp = now()
        count = 0
        with self.write(), self._page_cache(_BULK_CACHE_KIB):
            first_id = self._next_id()
            items: list[list[Any]] = []
            revisions: list[list[Any]] = []
            for new in new_items:
                item_row, revision_row = self._rows(
                    new, first_id + count, author=author, action=action, stamp=stamp
                )
                items.append(item_row)
                revisions.append(revision_row)
                count += 1
                if len(items) >= _BATCH:
                    self._insert_rows(items, revisions)
            self._insert_rows(items, revisions)
            self._index_new_rows(first_id)
        return count

    @contextlib.contextmanager
    def _page_cache(self, kib: int) -> Iterator[None]:
        """A larger page cache for one bulk write: pages of a transaction bigger than the
        cache are spilled to the WAL and written again, several times over for 1M items."""
        before = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = -{int(kib)}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(before)}")

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

    def _rows(
        self, new: NewItem, item_id: int, *, author: str, action: str, stamp: str
    ) -> tuple[list[Any], list[Any]]:
        """The `items` row and the first `revisions` row of a new item."""
        record_json = new.record_json or canonical_json(new.record)
        chash = sha256_text(record_json)
        columns = derived_columns(new.record)
        item_row = [
            item_id,
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
        ]
        revision_row = [
            item_id,
            action,
            author,
            stamp,
            _first_reason(action, new),
            record_json,
            chash,
        ]
        return item_row, revision_row

    def _insert_rows(self, items: list[list[Any]], revisions: list[list[Any]]) -> None:
        """Write rows made by `_rows` (and empty both lists for the next batch)."""
        self.conn.executemany(
            "INSERT INTO items (id, query_id, record, query_text, reference_answer, assertions, "
            "language, difficulty, category, function_name, status, revision, content_hash, "
            "import_hash, source_format, source_file, source_line, job_id, model, parents, "
            "created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,'pending',1,?,?,?,?,?,?,?,?,?,?)",
            items,
        )
        self.conn.executemany(
            "INSERT INTO revisions (item_id, revision, action, author, created_at, reason, status, "
            "record, content_hash) VALUES (?, 1, ?, ?, ?, ?, 'pending', ?, ?)",
            revisions,
        )
        items.clear()
        revisions.clear()

    def _insert(self, new: NewItem, *, author: str, action: str, stamp: str) -> int:
        item_id = self._next_id()
        item_row, revision_row = self._rows(new, item_id, author=author, action=action, stamp=stamp)
        self._insert_rows([item_row], [revision_row])
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
            sets.update(
                _check_columns(CheckResult.from_dict(json.loads(cached[2])) if cached else None)
            )
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

    def skip(self, query_id: str, *, author: str, reason: str | None = None) -> Item:
        """Leave a pending item for later: a revision saying so, the item stays pending
        (`ItemFilter(skipped=True)` selects it until someone decides it)."""
        with self.write():
            item = self.get(query_id)
            if item.status != "pending":
                raise AssayError(
                    f"{query_id} is already {item.status}; only pending items are skipped."
                )
            return self._write_revision(
                item,
                record=None,
                status="pending",
                action="skip",
                author=author,
                reason=reason or "skipped for later",
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

    def edit(
        self,
        query_id: str,
        record: dict,
        *,
        author: str,
        reason: str | None = None,
        base_revision: int | None = None,
    ) -> Item:
        """Replace an item's record with an edited one; a no-op edit writes nothing.

        `base_revision` is the revision the edit started from: if anyone has changed the
        item since, the edit is refused (`EditConflict`) rather than saved over their work.
        An accepted item goes back to pending: nobody has accepted the new content.
        """
        with self.write():
            item = self.get(query_id)
            if base_revision is not None and item.revision != base_revision:
                raise EditConflict(self.changed_since(item, base_revision))
            if canonical_json(record) == canonical_json(item.record):
                return item
            reason = reason or "edited"
            status = item.status
            if status == "accepted":
                status = "pending"
                reason += f" ({EDITED_AFTER_ACCEPTANCE}: back to review)"
            return self._write_revision(
                item, record=record, status=status, action="edit", author=author, reason=reason
            )

    def changed_since(self, item: Item, revision: int) -> str:
        """Who changed `item` after `revision`, and when, as the edit screen says it."""
        author, stamp, action = self.conn.execute(
            "SELECT author, created_at, action FROM revisions WHERE item_id = ? "
            "ORDER BY revision DESC LIMIT 1",
            [item.id],
        ).fetchone()
        when = stamp[:19].replace("T", " ") + " UTC"
        return (
            f"{item.query_id} was changed by {author} at {when} since you opened it "
            f"(revision {revision} then, revision {item.revision} now: {action}, {item.status})."
        )

    def decisions(self) -> Iterator[tuple[int, str, str, str]]:
        """(item id, author, action, status) of every decision, skip and restore, in the
        order they were made per item: what curators decided, for their agreement."""
        yield from self.conn.execute(
            "SELECT item_id, author, action, status FROM revisions "
            "WHERE action IN ('decision', 'skip', 'revert') ORDER BY item_id, revision"
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

    def save_check(self, item: Item, result: CheckResult) -> None:
        """Store a check result for the content the item had when it was checked."""
        self.save_checks([(item, result)])

    def save_checks(self, results: Iterable[tuple[Item, CheckResult]]) -> None:
        """`save_check` for many items in one transaction."""
        stamp = now()
        with self.write():
            for item, result in results:
                self.conn.execute(
                    "INSERT INTO check_results (item_id, revision, content_hash, status, "
                    "recommendation, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(item_id, content_hash) DO UPDATE SET revision = excluded.revision, "
                    "status = excluded.status, recommendation = excluded.recommendation, "
                    "result = excluded.result, created_at = excluded.created_at",
                    [
                        item.id,
                        item.revision,
                        item.content_hash,
                        result.status,
                        result.recommendation,
                        json.dumps(result.to_dict(), ensure_ascii=False),
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

    def copy_to(self, path: str | Path) -> None:
        """A consistent copy of the whole database at `path` (SQLite's online backup)."""
        target = sqlite3.connect(path)
        try:
            self.conn.backup(target)
        finally:
            target.close()

    def check_result(self, item: Item) -> CheckResult | None:
        """The stored result for the item's current content, or None when unchecked."""
        row = self.conn.execute(
            "SELECT result FROM check_results WHERE item_id = ? AND content_hash = ?",
            [item.id, item.content_hash],
        ).fetchone()
        return CheckResult.from_dict(json.loads(row[0])) if row else None

    def current_check_results(self) -> dict[str, CheckResult]:
        """query_id -> the result of its current content, for every checked item."""
        return {
            query_id: CheckResult.from_dict(json.loads(result))
            for query_id, result in self.conn.execute(
                "SELECT items.query_id, check_results.result FROM items JOIN check_results "
                "ON check_results.item_id = items.id "
                "AND check_results.content_hash = items.content_hash"
            )
        }

    def unchecked_in_job(self, job_id: int) -> list[str]:
        """Items a generation job produced that have no check result yet."""
        rows = self.conn.execute(
            "SELECT query_id FROM items WHERE job_id = ? AND check_status IS NULL ORDER BY id",
            [job_id],
        )
        return [row[0] for row in rows]

    # -- duplicate clusters --------------------------------------------------------------

    def set_clusters(self, clusters: dict[str, str | None]) -> None:
        """query_id -> duplicate cluster id (None to clear)."""
        with self.write():
            self.conn.executemany(
                "UPDATE items SET cluster_id = ? WHERE query_id = ?",
                [(cluster, qid) for qid, cluster in clusters.items()],
            )

    def clusters(self) -> dict[str, str | None]:
        """query_id -> duplicate cluster id (None when in no cluster), for every item."""
        return dict(self.conn.execute("SELECT query_id, cluster_id FROM items"))

    def cluster_of(self, query_id: str) -> str | None:
        """The duplicate cluster an item is in, if any."""
        row = self.conn.execute(
            "SELECT cluster_id FROM items WHERE query_id = ?", [query_id]
        ).fetchone()
        return row[0] if row else None

    def cluster_representative(self, cluster_id: str) -> str | None:
        """The item a cluster keeps: the one named by the cluster id, else the earliest."""
        row = self.conn.execute(
            "SELECT query_id FROM items WHERE cluster_id = ? "
            "ORDER BY (query_id = ?) DESC, id LIMIT 1",
            [cluster_id, cluster_id],
        ).fetchone()
        return row[0] if row else None

    def cluster_sizes(self, limit: int = 10) -> list[tuple[str, int]]:
        """The largest duplicate clusters (id, members)."""
        rows = self.conn.execute(
            "SELECT cluster_id, count(*) FROM items WHERE cluster_id IS NOT NULL "
            "GROUP BY cluster_id HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT ?",
            [limit],
        )
        return [(row[0], row[1]) for row in rows]

    def clustered(self) -> tuple[int, int]:
        """(items in some duplicate cluster, number of clusters)."""
        row = self.conn.execute(
            "SELECT count(*), count(DISTINCT cluster_id) FROM items WHERE cluster_id IS NOT NULL"
        ).fetchone()
        return row[0], row[1]

    # -- the queue -----------------------------------------------------------------------

    def distinct_values(self, column: str) -> list[str]:
        """The values a queue column takes, most common first (NULL left out)."""
        if column not in FILTER_COLUMNS + ("cluster_id",):
            raise ValueError(f"not a filterable column: {column}")
        rows = self.conn.execute(
            f"SELECT {column} FROM items WHERE {column} IS NOT NULL "
            f"GROUP BY {column} ORDER BY count(*) DESC, {column}"
        )
        return [row[0] for row in rows]

    def flag_codes(self) -> list[str]:
        """Every flag code present on some item, sorted."""
        codes: set[str] = set()
        for (joined,) in self.conn.execute(
            "SELECT DISTINCT flag_codes FROM items WHERE flag_codes IS NOT NULL"
        ):
            codes.update(joined.split())
        return sorted(codes)

    def position(self, where: ItemFilter, sort: str, query_id: str) -> int | None:
        """Where an item sits in the queue for a filter and sort (None if the filter hides it)."""
        clause, params = where.where()
        cursor = self.conn.execute(
            "SELECT id, query_id, cyclomatic_max, pass_rate, solver_pass_rate FROM items "
            f"WHERE {clause} AND items.query_id = ?",
            [*params, query_id],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        target = dict(zip([d[0] for d in cursor.description], row, strict=True))
        if sort == "created":  # id order: the rows before are those of a smaller id
            clause, params = where.where(below_id=target["id"])
            return self.conn.execute(
                f"SELECT count(*) FROM items WHERE {clause}", params
            ).fetchone()[0]
        source = (
            f"items INDEXED BY {SORT_INDEX[sort]}"
            if where.search and sort in SORT_INDEX
            else "items"
        )
        return sum(
            self.conn.execute(
                f"SELECT count(*) FROM {source} WHERE {clause} AND {before}", [*params, *values]
            ).fetchone()[0]
            for before, values in rows_before(sort, target)
        )

    def bulk_targets(self, where: ItemFilter, action: BulkAction) -> list[str]:
        """The query_ids a bulk action would change: in the filter, matching, not already
        decided so."""
        clause, params = where.where()
        rows = self.conn.execute(
            f"SELECT query_id FROM items WHERE {clause} AND ({action.condition}) "
            "AND items.status != ? ORDER BY items.id",
            [*params, action.status],
        )
        return [row[0] for row in rows]

    def save_position(
        self, curator: str, where: ItemFilter, sort: str, query_id: str | None
    ) -> None:
        """Where `curator` left the queue: filter, sort and the item under the cursor."""
        if self.read_only is not None:
            return  # a read-only database remembers nothing, and says nothing about it
        state = {k: v for k, v in vars(where).items() if k != "query_ids"}
        with self.write():
            self.conn.execute(
                "INSERT INTO queue_positions (curator, filter, sort, query_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (curator) DO UPDATE SET "
                "filter = excluded.filter, sort = excluded.sort, query_id = excluded.query_id, "
                "updated_at = excluded.updated_at",
                [curator, json.dumps(state, sort_keys=True), sort, query_id, now()],
            )

    def saved_position(self, curator: str) -> tuple[ItemFilter, str, str | None] | None:
        """The filter, sort and item `curator` left the queue at, or None."""
        row = self.conn.execute(
            "SELECT filter, sort, query_id FROM queue_positions WHERE curator = ?", [curator]
        ).fetchone()
        if row is None:
            return None
        known = set(vars(ItemFilter()))
        try:
            state = {k: v for k, v in json.loads(row[0]).items() if k in known}
            where = ItemFilter(**state)
        except (ValueError, TypeError, AttributeError):
            return None  # a position written by an incompatible version: start afresh
        return where, (row[1] if row[1] in SORTS else "created"), row[2]

    def data_version(self) -> int:
        """Changes whenever another connection commits: the cheap way to notice other writers."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

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

    def pass_rates(self, column: str = "language") -> dict[str, tuple[int, int]]:
        """value -> (passing, checked) for items with a check result."""
        if column not in FILTER_COLUMNS:
            raise ValueError(f"not a filterable column: {column}")
        rows = self.conn.execute(
            f"SELECT coalesce({column}, 'unknown'), sum(check_status = 'pass'), count(*) "
            f"FROM items WHERE check_status IS NOT NULL GROUP BY 1 ORDER BY 3 DESC"
        )
        return {row[0]: (row[1] or 0, row[2]) for row in rows}

    def complexity_values(self) -> list[float]:
        """Every checked item's maximum cyclomatic complexity."""
        return [
            row[0]
            for row in self.conn.execute(
                "SELECT cyclomatic_max FROM items WHERE cyclomatic_max IS NOT NULL"
            )
        ]

    def throughput(self) -> dict[str, dict[str, Any]]:
        """Per curator: decisions made, and decisions per hour over the span they worked."""
        rows = self.conn.execute(
            "SELECT author, count(*), min(created_at), max(created_at), "
            "count(DISTINCT substr(created_at, 1, 13)) FROM revisions "
            "WHERE action = 'decision' GROUP BY author ORDER BY 2 DESC"
        )
        return {
            row[0]: {"decisions": row[1], "first": row[2], "last": row[3], "hours": row[4]}
            for row in rows
        }


def _first_reason(action: str, new: NewItem) -> str:
    if action == "import" and new.source_file:
        return f"imported from {Path(new.source_file).name} line {new.source_line}"
    if action == "generate":
        return f"generated by job {new.job_id}" + (f" with {new.model}" if new.model else "")
    return action


def _check_columns(result: CheckResult | None) -> dict[str, Any]:
    """The queue's denormalised view of a check result (all None when unchecked)."""
    if result is None:
        return {
            "check_status": None,
            "recommendation": None,
            "flag_codes": None,
            "pass_rate": None,
            "cyclomatic_max": None,
        }
    return {
        "check_status": result.status,
        "recommendation": result.recommendation,
        "flag_codes": " ".join(result.flag_codes) or None,
        "pass_rate": result.tests.pass_rate,
        "cyclomatic_max": result.metrics.get("cyclomatic_max"),
    }
