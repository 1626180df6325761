"""Reading and writing item files: one module per format, registered in `FORMATS`.

    from core import formats
    parsed = formats.parse_file("HumanEval.jsonl.gz")        # auto-detected
    line = formats.write_line(record, formats.get("mbxp"))   # or Refused, one sentence

Adding a format is one module exposing `FORMAT` (a `base.Format`: detect, read, write,
the languages it can hold) and one line in `FORMATS`; `assay import/export --format`
and the TUI's export screen take their choices from here. Reading never trusts the
file: every line is decoded, parsed and validated on its own, and a problem is reported
with its line number in one sentence.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from core.errors import AssayError
from core.formats import humaneval, humaneval_x, mbpp, mbxp, native, triplet
from core.formats.base import (
    MAX_FIELD_BYTES,
    Format,
    LineError,
    LineProblem,
    ParsedFile,
    ParsedLine,
    Refused,
    decode_line,
    dump_line,
    from_here,
    json_style,
    metadata_of,
    read_lines,
    shape,
)

__all__ = [
    "FORMATS",
    "MAX_FIELD_BYTES",
    "Format",
    "LineError",
    "LineProblem",
    "ParsedFile",
    "ParsedLine",
    "Refused",
    "decode_line",
    "dump_line",
    "get",
    "names",
    "parse_file",
    "read_lines",
    "write_line",
]

# Detection order: the first format whose `detect` accepts a file's first line reads it
# (HumanEval-X and MBXP before HumanEval, whose fields they share).
FORMATS: tuple[Format, ...] = (
    native.FORMAT,
    humaneval_x.FORMAT,
    mbxp.FORMAT,
    humaneval.FORMAT,
    mbpp.FORMAT,
    triplet.FORMAT,
)
NATIVE = native.FORMAT


def names(*, writable: bool = False) -> tuple[str, ...]:
    """The --format values, in registry order (only those that can write, if asked)."""
    return tuple(f.name for f in FORMATS if f.write is not None or not writable)


def get(name: str) -> Format:
    """The format called `name`, or AssayError naming the choices."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise AssayError(f"Unknown format {name!r}; use auto, {', '.join(names())}.")


def parse_file(path: str | Path, fmt: str = "auto", *, id_prefix: str = "") -> ParsedFile:
    """Read every line of an item file, converting to native records and collecting errors."""
    path = Path(path)
    chosen = None if fmt == "auto" else get(fmt)
    parsed = ParsedFile(format=fmt)
    seen: dict[str, int] = {}
    first = True
    for number, raw in read_lines(path):
        if first:
            first = False
            _refuse_other_kinds(path, raw)
        try:
            obj = decode_line(raw)
            if chosen is None:
                chosen = _detect(obj)
                parsed.format = chosen.name
            record = chosen.read(obj)
            if chosen is not NATIVE:
                style = json_style(obj, raw)
                if style is not None and style != _default_style(chosen):
                    shape(record)["json"] = style
            if id_prefix:
                record["query_id"] = id_prefix + record["query_id"]
            qid = record["query_id"]
            if qid in seen:
                raise LineProblem(f"repeats query_id {qid!r} from line {seen[qid]}")
            seen[qid] = number
            parsed.records.append(ParsedLine(number, record))
        except LineProblem as problem:
            parsed.errors.append(LineError(number, f"line {number} {problem}"))
    if first:
        raise AssayError(f"The file {path} is empty: it holds no items.")
    if parsed.format == "auto":
        parsed.format = NATIVE.name
    return parsed


def _refuse_other_kinds(path: Path, first_line: bytes) -> None:
    """One sentence for a whole file of the wrong kind (a JSON array or document, a CSV),
    judged by its first non-blank line, instead of an error on every line."""
    text = first_line.decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    jsonl = "Assay reads JSON Lines, one item object per line"
    if text.startswith("["):
        raise AssayError(
            f"The file {path} is a JSON array, not JSON Lines: {jsonl} "
            f"(convert it with: jq -c '.[]' {path.name})."
        )
    if text == "{":  # how json.dumps(..., indent=...) starts a document
        raise AssayError(
            f"The file {path} holds JSON spread over several lines: {jsonl} "
            f"(convert it with: jq -c . {path.name})."
        )
    if text.startswith("{") or _is_json(text):
        return
    fields = next(csv.reader([text], dialect=_csv_dialect(text)), [])
    if len(fields) >= 2:
        columns = ", ".join(f.strip() for f in fields[:4]) + (", ..." if len(fields) > 4 else "")
        raise AssayError(
            f"The file {path} looks like a CSV file (its first line reads as the columns "
            f"{columns}): {jsonl}."
        )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _csv_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _detect(obj: dict) -> Format:
    for fmt in FORMATS:
        if fmt.detect(obj):
            return fmt
    hints = ", ".join(f.hint for f in FORMATS[:-1]) + f", or {FORMATS[-1].hint}"
    raise LineProblem(f"matches no known format (expected {hints})")


def _default_style(fmt: Format) -> str:
    return "ascii" if fmt.ascii_json else "unicode"


def write_line(record: dict, fmt: Format) -> str:
    """One line of `fmt` for a native record, in the JSON style its source line had;
    Refused (one sentence) when the format cannot hold the item."""
    if fmt is NATIVE:
        return dump_line(record, "unicode")
    assert fmt.write is not None, f"{fmt.name} cannot write"
    style = _default_style(fmt)
    if from_here(record, fmt):
        style = metadata_of(record).get("source_shape", {}).get("json", style)
    return dump_line(fmt.write(record), style)
