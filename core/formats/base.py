"""What every item-file format builds on: the `Format` record, reading lines, field checks.

A format module exposes `FORMAT`, a `Format` that can tell its own objects apart
(`detect`), turn one into a native record (`read`) and, where the format can hold the
item, turn a native record back into one (`write`). Reading never trusts the file:
every problem is a `LineProblem` whose message completes "line N ...".

Byte-identical round trips: `read` keeps every field it does not map (top-level keys of
the record, as the native format keeps unknown fields) and `metadata.source_format`;
what the format's default cannot say is kept in `metadata.source_shape` (the original
key order, the JSON style of the line), only when it differs from the default.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import AssayError
from sandbox import languages

# A field larger than this is almost certainly a generation gone wrong (or an attack).
MAX_FIELD_BYTES = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class LineError:
    line: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass
class ParsedLine:
    line: int
    record: dict  # already converted to the native format


@dataclass
class ParsedFile:
    format: str
    records: list[ParsedLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


class LineProblem(Exception):
    """A line that cannot become an item; the message names what is wrong."""


class Refused(AssayError):
    """An item the target format cannot hold (its language, or what it lacks)."""


@dataclass(frozen=True)
class Format:
    """One item-file format: how to recognise, read and write it."""

    name: str  # the --format value: "humaneval-x"
    label: str  # for people: "HumanEval-X"
    detect: Callable[[dict], bool]  # does this first-line object look like this format?
    read: Callable[[dict], dict]  # a source object -> a native record, or LineProblem
    write: Callable[[dict], dict] | None = None  # a native record -> a source object
    languages: frozenset[str] | None = None  # language ids it can hold; None: any
    keys: tuple[str, ...] = ()  # its own fields, in the order its files use
    hint: str = ""  # how to recognise it, for "matches no known format"
    ascii_json: bool = True  # its files are written by json.dumps with ensure_ascii

    def check_language(self, record: dict) -> None:
        """Refuse (one sentence) an item whose language this format cannot hold."""
        if self.languages is None:
            return
        meta = metadata_of(record)
        language = languages.normalise(meta.get("language"))
        if language in self.languages:
            return
        held = ", ".join(sorted(languages.label(lang) for lang in self.languages))
        what = languages.label(language) if language else "of no stated language"
        if not language and meta.get("language"):
            what = str(meta["language"])
        raise Refused(
            f"Item {record.get('query_id')!r} is {what}; the {self.label} format holds only "
            f"{held} items, so nothing was written (export it as assay, or select a language)."
        )


# ------------------------------------------------------------------- reading lines


def read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, raw bytes) for each non-blank line of the file (gzip or not)."""
    try:
        with open(path, "rb") as probe:
            packed = probe.read(2) == _GZIP_MAGIC
        handle = gzip.open(path, "rb") if packed else open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise AssayError(f"The file {path} does not exist.") from None
    except IsADirectoryError:
        raise AssayError(f"{path} is a directory, not a JSONL file.") from None
    except PermissionError:
        raise AssayError(f"The file {path} cannot be read (permission denied).") from None
    with handle:
        try:
            for number, raw in enumerate(handle, start=1):
                raw = raw.rstrip(b"\r\n")
                if raw.strip():
                    yield number, raw
        except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
            raise AssayError(f"The file {path} is not a readable gzip file ({exc}).") from None


def decode_line(raw: bytes) -> dict:
    """Bytes of one line -> a JSON object, or LineProblem saying why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineProblem(
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineProblem(f"is not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise LineProblem("is not valid JSON (nested too deeply)") from None
    if not isinstance(obj, dict):
        raise LineProblem(f"is a JSON {json_type(obj)}, not an object")
    if _SURROGATE_ESCAPE.search(text):  # only such lines can decode to a lone surrogate
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LineProblem(
                f"holds a lone UTF-16 surrogate ({exc.object[exc.start]!a}), which is not text"
            ) from None
    return obj


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


# --------------------------------------------------------------- writing lines

# JSON styles a line can have; the first is what `json.dumps` writes by default.
_STYLES: dict[str, dict[str, Any]] = {
    "ascii": {"ensure_ascii": True},
    "unicode": {"ensure_ascii": False},
    "compact-ascii": {"ensure_ascii": True, "separators": (",", ":")},
    "compact-unicode": {"ensure_ascii": False, "separators": (",", ":")},
}


def dump_line(record: dict, style: str = "unicode") -> str:
    """One JSONL line in a JSON style (native files keep UTF-8 as it is)."""
    return json.dumps(record, **_STYLES.get(style, _STYLES["unicode"])) + "\n"


def json_style(obj: dict, raw: bytes) -> str | None:
    """The style that writes `obj` back as exactly `raw`, or None if none of ours does."""
    text = raw.decode("utf-8").removeprefix("\ufeff")
    for style, options in _STYLES.items():
        if json.dumps(obj, **options) == text:
            return style
    return None


# ------------------------------------------------------------------ field checks


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def require_string(obj: dict, key: str, *, nullable: bool = False) -> str | None:
    """The string field `key` (None for a null one when `nullable`), or LineProblem."""
    if key not in obj:
        raise LineProblem(f"is missing the required field '{key}'")
    value = obj[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise LineProblem(f"has '{key}' as a {json_type(value)}; it must be a string")
    if len(value) > MAX_FIELD_BYTES // 4 and len(value.encode("utf-8")) > MAX_FIELD_BYTES:
        size = len(value.encode("utf-8")) / 1024 / 1024
        raise LineProblem(
            f"has a '{key}' of {size:.1f} MB, over the {MAX_FIELD_BYTES // 1024 // 1024} MB limit"
        )
    return value


def canonical_field(obj: dict, key: str = "canonical_solution") -> str | None:
    """A reference solution field: a string, or None when null or absent (no reference)."""
    return require_string(obj, key, nullable=True) if key in obj else None


def text_field(obj: dict, key: str) -> str:
    """A required string field that may not be null."""
    value = require_string(obj, key)
    assert value is not None  # not nullable
    return value


def check_size(obj: dict) -> None:
    """Reject any oversized string, including unknown fields the curator never sees."""
    stack: list[Any] = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_FIELD_BYTES // 4 and len(value.encode("utf-8")) > MAX_FIELD_BYTES:
                size = len(value.encode("utf-8")) / 1024 / 1024
                raise LineProblem(f"has a field of {size:.1f} MB, over the 1 MB limit")
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def text_of(value: Any) -> str:
    """A field read defensively: its text, or "" when it is not a string."""
    return value if isinstance(value, str) else ""


def metadata_of(record: dict) -> dict:
    meta = record.get("metadata")
    return meta if isinstance(meta, dict) else {}


# ------------------------------------------------------- source shape (round trips)


def native_record(
    obj: dict,
    fmt: Format,
    *,
    query_id: str,
    query_text: str,
    reference: str | None,
    assertions: str,
    metadata: dict,
    mapped: tuple[str, ...],
) -> dict:
    """A native record from a source object: the mapped fields become the item, every
    other field is kept as it is after `metadata`, and the source format is noted."""
    record: dict[str, Any] = {
        "query_id": query_id,
        "query_text": query_text,
        "reference_answer": reference,
        "assertions": assertions,
        "metadata": {**metadata, "source_format": fmt.name},
    }
    record.update((k, v) for k, v in obj.items() if k not in mapped)
    default = [k for k in fmt.keys if k in obj] + [k for k in obj if k not in fmt.keys]
    if list(obj) != default:
        shape(record)["keys"] = list(obj)
    if "canonical_solution" in mapped and "canonical_solution" not in obj:
        shape(record)["reference"] = "missing"  # absent, not null: written back absent
    return record


def shape(record: dict) -> dict:
    """The item's `metadata.source_shape`, created on first use."""
    return record["metadata"].setdefault("source_shape", {})


def source_object(record: dict, fmt: Format, own: dict[str, Any]) -> dict:
    """The source object for `record`: its own fields `own` plus the kept extra fields,
    in the original key order when it was recorded, else the format's order."""
    extras = {
        k: v
        for k, v in record.items()
        if k not in ("query_id", "query_text", "reference_answer", "assertions", "metadata")
        and k not in own
    }
    merged = {**own, **extras}
    order = metadata_of(record).get("source_shape", {}).get("keys")
    if metadata_of(record).get("source_format") != fmt.name or not isinstance(order, list):
        order = [k for k in fmt.keys if k in merged]
    out = {k: merged[k] for k in order if k in merged}
    out.update((k, v) for k, v in merged.items() if k not in out)
    return out


def with_reference(own: dict, record: dict, fmt: Format, body: str | None) -> dict:
    """`own` with its canonical_solution, unless the source line had none at all."""
    missing = metadata_of(record).get("source_shape", {}).get("reference") == "missing"
    if not (missing and from_here(record, fmt)):
        own["canonical_solution"] = body
    return own


def from_here(record: dict, fmt: Format) -> bool:
    """Did this item come from a file of this format?"""
    return metadata_of(record).get("source_format") == fmt.name


def language_label(name: Any, default: str = "") -> str:
    """The registry's label for a language spelling; an unknown spelling stays as given."""
    language = languages.get(name)
    if language is not None:
        return language.label
    return name if isinstance(name, str) and name.strip() else default
