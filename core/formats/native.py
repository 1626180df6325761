"""The native format (BRIEF.md "The item"): records are kept exactly as they are.

Required: query_id, query_text, reference_answer, assertions (strings; reference_answer
may be null for an item without a reference solution); metadata is an object whose
known keys have the documented types. Key order and unknown fields are kept; files are
written in UTF-8 as they are (not \\u-escaped).
"""

from __future__ import annotations

from core.formats.base import Format, LineProblem, check_size, json_type, require_string
from core.models import REQUIRED_FIELDS


def detect(obj: dict) -> bool:
    return "query_id" in obj


def read(obj: dict) -> dict:
    """Check a native record's fields; return it unchanged (key order and extras kept)."""
    for key in REQUIRED_FIELDS:
        require_string(obj, key, nullable=key == "reference_answer")
    if not obj["query_id"].strip():
        raise LineProblem("has an empty 'query_id'")
    if "metadata" in obj:
        meta = obj["metadata"]
        if not isinstance(meta, dict):
            raise LineProblem(f"has 'metadata' as a {json_type(meta)}; it must be an object")
        for key in ("language", "function_name", "difficulty", "category"):
            if key in meta and meta[key] is not None and not isinstance(meta[key], str):
                raise LineProblem(
                    f"has 'metadata.{key}' as a {json_type(meta[key])}; it must be a string"
                )
        if "complexity" in meta and meta["complexity"] is not None:
            c = meta["complexity"]
            if isinstance(c, bool) or not isinstance(c, (int, float)):
                raise LineProblem(
                    f"has 'metadata.complexity' as a {json_type(c)}; it must be a number"
                )
    check_size(obj)
    return obj


def write(record: dict) -> dict:
    return record


FORMAT = Format(
    name="assay",
    label="Assay (native)",
    detect=detect,
    read=read,
    write=write,
    keys=(*REQUIRED_FIELDS, "metadata"),
    hint="'query_id' for Assay",
    ascii_json=False,
)
