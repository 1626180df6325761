"""Duplicate signatures and template skeletons, one row per item's current content.

`core.checking` rebuilds the duplicate index from these rows, so only items whose content
is new are hashed again; repeated templates are grouped by the stored skeleton digests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.store.items import Store

# Signatures that belong to an item's current content (older contents' rows are stale).
_CURRENT = (
    "FROM signatures JOIN items ON items.id = signatures.item_id "
    "AND items.content_hash = signatures.content_hash"
)


@dataclass(frozen=True)
class Signature:
    """What the duplicate and template checks keep of one content."""

    item_id: int
    content_hash: str
    signature: bytes
    template_text: str
    template_code: str
    template_shown: str


class Signatures:
    """The `signatures` table."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn

    def current(self) -> Iterator[tuple[int, str, bytes]]:
        """(item id, query_id, signature) of every item whose current content has one,
        oldest first."""
        yield from self.conn.execute(
            f"SELECT items.id, items.query_id, signatures.signature {_CURRENT} ORDER BY items.id"
        )

    def unsigned(self) -> list[int]:
        """Ids of the items whose current content has no signature yet."""
        rows = self.conn.execute(
            "SELECT items.id FROM items LEFT JOIN signatures ON signatures.item_id = items.id "
            "AND signatures.content_hash = items.content_hash WHERE signatures.item_id IS NULL"
        )
        return [row[0] for row in rows]

    def save(self, signatures: Iterable[Signature]) -> None:
        """Store signatures, replacing each item's previous one."""
        with self.store.write():
            self.conn.executemany(
                "INSERT OR REPLACE INTO signatures (item_id, content_hash, signature, "
                "template_text, template_code, template_shown) VALUES (?,?,?,?,?,?)",
                [
                    (
                        s.item_id,
                        s.content_hash,
                        s.signature,
                        s.template_text,
                        s.template_code,
                        s.template_shown,
                    )
                    for s in signatures
                ],
            )

    def template_keys(self, query_ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """query_id -> (statement skeleton, solution skeleton, statement shown) of each item."""
        return {
            row[0]: (row[1], row[2], row[3])
            for row in self.conn.execute(
                f"SELECT items.query_id, template_text, template_code, template_shown "
                f"{_CURRENT} WHERE items.query_id IN (SELECT value FROM json_each(?))",
                [json.dumps(list(query_ids))],
            )
        }

    def template_counts(self, template_text: str) -> dict[str, int]:
        """solution skeleton -> how many current contents share this statement skeleton."""
        return dict(
            self.conn.execute(
                f"SELECT template_code, count(*) {_CURRENT} WHERE template_text = ? "
                "GROUP BY template_code",
                [template_text],
            )
        )

    def template_members(self, template_text: str, limit: int) -> list[str]:
        """The first `limit` items (oldest first) whose statement has this skeleton."""
        rows = self.conn.execute(
            f"SELECT items.query_id {_CURRENT} WHERE template_text = ? ORDER BY items.id LIMIT ?",
            [template_text, limit],
        )
        return [row[0] for row in rows]
