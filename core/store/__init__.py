"""The SQLite store: every statement Assay runs on its database lives in this package.

One file, WAL, migrations applied on every open (`migrations.MIGRATIONS`, one ordered list).
One class per concern, reached from the `Store` a thread opens:

    store = Store(path)
    store.get(query_id), store.decide(...), store.save_check(...)   items, revisions, results
    store.signatures.current(), store.signatures.save(...)          duplicate signatures
    store.jobs.commit_slot(...), store.jobs.attempts(query_id)      generation jobs and calls

Every write goes through `Store.write()` (BEGIN IMMEDIATE, a savepoint when nested).
"""

from core.store import lean  # noqa: F401  (first: sqlite-utils without pandas)
from core.store.database import describe_sqlite_error, now, open_db
from core.store.filters import (
    BULK_ACTIONS,
    FILTER_COLUMNS,
    SORTS,
    BulkAction,
    ItemFilter,
    bulk_action,
    fts_query,
)
from core.store.items import EditConflict, ImportCounts, NewItem, Store, derived_columns
from core.store.jobs import AttemptRecord, CachedReply, CallTotals, JobStore
from core.store.migrations import MIGRATIONS
from core.store.migrations import items as migrations
from core.store.signatures import Signature, Signatures

__all__ = [
    "BULK_ACTIONS",
    "FILTER_COLUMNS",
    "MIGRATIONS",
    "SORTS",
    "AttemptRecord",
    "BulkAction",
    "CachedReply",
    "CallTotals",
    "EditConflict",
    "ImportCounts",
    "ItemFilter",
    "JobStore",
    "NewItem",
    "Signature",
    "Signatures",
    "Store",
    "bulk_action",
    "derived_columns",
    "describe_sqlite_error",
    "fts_query",
    "migrations",
    "now",
    "open_db",
]
