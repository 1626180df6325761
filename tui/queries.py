"""Read-only SQL the curation app needs beyond `core.store.Store`, on top of `store.conn`.

Kept apart from the widgets so the same selections serve keys, commands and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.store import ItemFilter, Store

# Columns the filter dialog offers as choices, in the order shown.
FILTER_COLUMNS = ("status", "language", "difficulty", "category", "check_status", "recommendation")


def distinct_values(store: Store, column: str) -> list[str]:
    """The values a queue column takes, most common first (NULL left out)."""
    if column not in FILTER_COLUMNS + ("cluster_id",):
        raise ValueError(f"not a filterable column: {column}")
    rows = store.conn.execute(
        f"SELECT {column} FROM items WHERE {column} IS NOT NULL "
        f"GROUP BY {column} ORDER BY count(*) DESC, {column}"
    )
    return [row[0] for row in rows]


def flag_codes(store: Store) -> list[str]:
    """Every flag code present on some item, sorted."""
    codes: set[str] = set()
    for (joined,) in store.conn.execute(
        "SELECT DISTINCT flag_codes FROM items WHERE flag_codes IS NOT NULL"
    ):
        codes.update(joined.split())
    return sorted(codes)


def data_version(store: Store) -> int:
    """Changes whenever another connection commits: the cheap way to notice other writers."""
    return store.conn.execute("PRAGMA data_version").fetchone()[0]


@dataclass(frozen=True)
class BulkAction:
    """A decision over the current filter, narrowed by an extra SQL condition."""

    key: str
    title: str
    status: str
    reason: str
    condition: str


BULK_ACTIONS = (
    BulkAction(
        "accept_clean",
        "Accept every item that passes its tests with no flags",
        "accepted",
        "bulk: passes its tests, no flags",
        "items.check_status = 'pass' AND items.flag_codes IS NULL",
    ),
    BulkAction(
        "reject_duplicates",
        "Reject duplicates, keeping each cluster's representative",
        "rejected",
        "bulk: near-duplicate of its cluster's representative",
        "items.cluster_id IS NOT NULL AND items.id != ("
        "SELECT coalesce((SELECT r.id FROM items r WHERE r.query_id = items.cluster_id), "
        "(SELECT min(r.id) FROM items r WHERE r.cluster_id = items.cluster_id)))",
    ),
    BulkAction(
        "reject_recommended",
        "Reject every item the checks recommend rejecting",
        "rejected",
        "bulk: checks recommend reject",
        "items.recommendation = 'reject'",
    ),
    BulkAction(
        "accept_all",
        "Accept every item in the current filter",
        "accepted",
        "bulk: accepted with the whole filter",
        "1",
    ),
    BulkAction(
        "reject_all",
        "Reject every item in the current filter",
        "rejected",
        "bulk: rejected with the whole filter",
        "1",
    ),
)


def bulk_action(key: str) -> BulkAction:
    return next(action for action in BULK_ACTIONS if action.key == key)


def bulk_targets(store: Store, where: ItemFilter, action: BulkAction) -> list[str]:
    """The query_ids a bulk action would change: in the filter, matching, not already decided so."""
    clause, params = where.where()
    rows = store.conn.execute(
        f"SELECT query_id FROM items WHERE {clause} AND ({action.condition}) "
        "AND items.status != ? ORDER BY items.id",
        [*params, action.status],
    )
    return [row[0] for row in rows]


def cluster_representative(store: Store, cluster_id: str) -> str | None:
    """The item a cluster keeps: the one named by the cluster id, else the earliest."""
    row = store.conn.execute(
        "SELECT query_id FROM items WHERE cluster_id = ? ORDER BY (query_id = ?) DESC, id LIMIT 1",
        [cluster_id, cluster_id],
    ).fetchone()
    return row[0] if row else None


def cluster_sizes(store: Store, limit: int = 10) -> list[tuple[str, int]]:
    """The largest duplicate clusters (id, members)."""
    rows = store.conn.execute(
        "SELECT cluster_id, count(*) FROM items WHERE cluster_id IS NOT NULL "
        "GROUP BY cluster_id HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [limit],
    )
    return [(row[0], row[1]) for row in rows]


def pass_rates(store: Store, column: str = "language") -> dict[str, tuple[int, int]]:
    """value -> (passing, checked) for items with a check result."""
    if column not in FILTER_COLUMNS:
        raise ValueError(f"not a filterable column: {column}")
    rows = store.conn.execute(
        f"SELECT coalesce({column}, 'unknown'), sum(check_status = 'pass'), count(*) "
        f"FROM items WHERE check_status IS NOT NULL GROUP BY 1 ORDER BY 3 DESC"
    )
    return {row[0]: (row[1] or 0, row[2]) for row in rows}


def complexity_values(store: Store) -> list[float]:
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT cyclomatic_max FROM items WHERE cyclomatic_max IS NOT NULL"
        )
    ]


def throughput(store: Store) -> dict[str, dict[str, Any]]:
    """Per curator: decisions made, and decisions per hour over the span they worked."""
    rows = store.conn.execute(
        "SELECT author, count(*), min(created_at), max(created_at), "
        "count(DISTINCT substr(created_at, 1, 13)) FROM revisions "
        "WHERE action = 'decision' GROUP BY author ORDER BY 2 DESC"
    )
    return {
        row[0]: {"decisions": row[1], "first": row[2], "last": row[3], "hours": row[4]}
        for row in rows
    }


def with_extra(where: ItemFilter, **changes: Any) -> ItemFilter:
    return replace(where, **changes)


def position(store: Store, where: ItemFilter, sort: str, query_id: str) -> int | None:
    """Where an item sits in the queue for a filter and sort (None if the filter hides it)."""
    from core.store import SORTS

    clause, params = where.where()
    row = store.conn.execute(
        f"SELECT pos FROM (SELECT items.query_id AS qid, row_number() OVER "
        f"(ORDER BY {SORTS[sort]}) - 1 AS pos FROM items WHERE {clause}) WHERE qid = ?",
        [*params, query_id],
    ).fetchone()
    return row[0] if row else None


def cluster_of(store: Store, query_id: str) -> str | None:
    row = store.conn.execute(
        "SELECT cluster_id FROM items WHERE query_id = ?", [query_id]
    ).fetchone()
    return row[0] if row else None


def unchecked_in_job(store: Store, job_id: int) -> list[str]:
    """Items a generation job produced that have no check result yet."""
    rows = store.conn.execute(
        "SELECT query_id FROM items WHERE job_id = ? AND check_status IS NULL ORDER BY id",
        [job_id],
    )
    return [row[0] for row in rows]
