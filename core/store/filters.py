"""What the queue, `export` and bulk actions select, as the store turns it into SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.models import normalize_language

# Columns the filter dialog offers as choices, in the order shown.
FILTER_COLUMNS = ("status", "language", "difficulty", "category", "check_status", "recommendation")

# An item whose current revision is a skip ("decide later"): still pending.
SKIPPED = (
    "EXISTS (SELECT 1 FROM revisions r WHERE r.item_id = items.id "
    "AND r.revision = items.revision AND r.action = 'skip')"
)

SORTS = {
    "created": "items.id",
    "complexity": "items.cyclomatic_max DESC NULLS LAST, items.id",
    "pass_rate": "items.pass_rate ASC NULLS LAST, items.id",
    "query_id": "items.query_id",
    # measured difficulty: the lowest solver pass rate (the hardest) first
    "solver_pass_rate": "items.solver_pass_rate ASC NULLS LAST, items.id",
}

# Sorts an index already orders (cyclomatic_max DESC is NULLS LAST in SQLite): with a
# search, walking the index and keeping the rows that match stops after a page, where
# SQLite's own plan sorts every match first (a common word in a million items: 470 ms).
SORT_INDEX = {"complexity": "idx_items_cyclomatic_max"}

# The column each sort orders by before `items.id`, and its direction (NULLs last).
_SORT_COLUMNS = {
    "complexity": ("cyclomatic_max", ">"),
    "pass_rate": ("pass_rate", "<"),
    "solver_pass_rate": ("solver_pass_rate", "<"),
}


def rows_before(sort: str, target: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Disjoint SQL conditions on `items` that together select the rows `sort` puts before
    `target` (a row with `id`, `query_id` and the sort's column). The queue position of an
    item is the sum of their counts: each is one index range, where numbering the whole
    queue (or one OR of them) reads every row of a million-item table."""
    if sort == "query_id":
        return [("items.query_id < ?", [target["query_id"]])]
    if sort not in _SORT_COLUMNS:
        return [("items.id < ?", [target["id"]])]
    column, before = _SORT_COLUMNS[sort]
    value = target[column]
    if value is None:  # NULLs last: every row with a value, then NULLs in id order
        return [
            (f"items.{column} IS NOT NULL", []),
            (f"items.{column} IS NULL AND items.id < ?", [target["id"]]),
        ]
    return [
        (f"items.{column} {before} ?", [value]),
        (f"items.{column} = ? AND items.id < ?", [value, target["id"]]),
    ]


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
    skipped: bool = False  # pending items whose last change is a skip
    query_ids: tuple[str, ...] | None = None  # exactly these items (the curator's marks)
    solver_min: float | None = None  # measured difficulty: solver pass rate at least this
    solver_max: float | None = None  # ... and at most this

    def where(self, *, below_id: int | None = None) -> tuple[str, list[Any]]:
        """The SQL condition on `items` and its parameters; with `below_id`, only rows of
        a smaller id (given to the full-text index too, which then reads only those)."""
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
        if self.solver_min is not None:
            clauses.append("items.solver_pass_rate >= ?")
            params.append(self.solver_min)
        if self.solver_max is not None:
            clauses.append("items.solver_pass_rate <= ?")
            params.append(self.solver_max)
        if self.undecided_only:
            clauses.append("items.status = 'pending'")
        if self.skipped:
            clauses.append(f"items.status = 'pending' AND {SKIPPED}")
        if self.query_ids is not None:
            clauses.append(f"items.query_id IN ({', '.join('?' * len(self.query_ids))})")
            params.extend(self.query_ids)
        query = fts_query(self.search or "")
        if query:
            below = "" if below_id is None else " AND rowid < ?"
            clauses.append(
                f"items.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?{below})"
            )
            params += [query] if below_id is None else [query, below_id]
        if below_id is not None:
            clauses.append("items.id < ?")
            params.append(below_id)
        return (" AND ".join(clauses) or "1"), params


def fts_query(text: str) -> str:
    """Turn what a curator types into an FTS5 query: every word must appear, as a prefix."""
    words = [w.replace('"', "") for w in text.split()]
    return " ".join(f'"{w}"*' for w in words if w)  # empty when nothing searchable is left


@dataclass(frozen=True)
class BulkAction:
    """A decision over the current filter, narrowed by a condition the store applies."""

    key: str
    title: str
    status: str
    reason: str
    condition: str  # SQL on `items`, read by the store only


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
    """The bulk action named `key`."""
    return next(action for action in BULK_ACTIONS if action.key == key)
