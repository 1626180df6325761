"""The item and its revisions, in the native format of public synthetic code-benchmark sets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sandbox import languages

STATUSES = ("pending", "accepted", "rejected")
REQUIRED_FIELDS = ("query_id", "query_text", "reference_answer", "assertions")


def normalize_language(name: Any) -> str:
    """The registry's id for a metadata spelling ('TypeScript', 'ts', 'nodejs' -> 'javascript');
    a name the registry does not know comes back lower-cased, '' when there is none."""
    if not isinstance(name, str) or not name.strip():
        return ""
    return languages.normalise(name) or name.strip().lower()


def canonical_json(record: dict) -> str:
    """The one serialisation used for hashing and export: key order kept, UTF-8 kept."""
    return json.dumps(record, ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(record: dict) -> str:
    return sha256_text(canonical_json(record))


@dataclass
class Item:
    """One benchmark problem as the store holds it: its native record plus curation state."""

    id: int
    query_id: str
    record: dict
    status: str = "pending"
    revision: int = 1
    source_format: str | None = None
    source_file: str | None = None
    source_line: int | None = None
    job_id: int | None = None
    model: str | None = None
    parents: list[str] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    decided_by: str | None = None
    decision_reason: str | None = None
    check_status: str | None = None
    recommendation: str | None = None
    flag_codes: list[str] = field(default_factory=list)
    content_hash: str = ""
    cluster_id: str | None = None  # query_id of its duplicate cluster's representative

    @property
    def query_text(self) -> str:
        return _text(self.record.get("query_text"))

    @property
    def reference_answer(self) -> str:
        return _text(self.record.get("reference_answer"))

    @property
    def has_reference(self) -> bool:
        """False for an item without a reference solution (MBXP's null canonical_solution):
        its check is `unsupported`, never a pass."""
        return bool(self.reference_answer.strip())

    @property
    def assertions(self) -> str:
        return _text(self.record.get("assertions"))

    @property
    def metadata(self) -> dict:
        meta = self.record.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def language(self) -> str:
        """Canonical language key ('python', 'typescript', ...)."""
        return normalize_language(self.metadata.get("language"))

    @property
    def function_name(self) -> str:
        return _text(self.metadata.get("function_name"))


@dataclass
class Revision:
    """One change to an item: what it became, who did it, when and why."""

    revision: int
    action: str
    author: str
    created_at: str
    reason: str | None
    status: str
    record: dict
    content_hash: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
