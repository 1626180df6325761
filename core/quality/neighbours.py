"""The near-duplicate neighbour: another item an item duplicates, as the check found it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

DuplicateField = Literal["statement", "solution"]


@dataclass(frozen=True)
class Neighbour:
    """Another item this one (near-)duplicates: which field matched, and how closely."""

    query_id: str
    similarity: float
    field: DuplicateField
    exact: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "similarity": self.similarity,
            "field": self.field,
            "exact": self.exact,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Neighbour:
        return cls(
            query_id=str(data["query_id"]),
            similarity=float(data.get("similarity", 0.0)),
            field=data.get("field", "statement"),
            exact=bool(data.get("exact", False)),
        )
