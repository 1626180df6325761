"""Reading and writing item files: the native format, HumanEval and MBPP.

Reading never trusts the file: every line is decoded, parsed and validated on its own,
and a problem is reported with its line number in one sentence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import AssayError
from core.models import REQUIRED_FIELDS

FORMATS = ("assay", "humaneval", "mbpp", "triplet")
# A field larger than this is almost certainly a generation gone wrong (or an attack).
MAX_FIELD_BYTES = 1024 * 1024

_HUMANEVAL_KEYS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
_MBPP_KEYS = ("task_id", "text", "code", "test_list")


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


def detect_format(obj: dict) -> str | None:
    if "query_id" in obj:
        return "assay"
    if all(k in obj for k in ("task_id", "prompt", "canonical_solution")):
        return "humaneval"
    if all(k in obj for k in ("task_id", "text", "code")):
        return "mbpp"
    if "question" in obj and "solution" in obj and ("tests" in obj or "test" in obj):
        return "triplet"
    return None


def read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, raw bytes) for each non-blank line of the file."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, generator owns it
    except FileNotFoundError:
        raise AssayError(f"The file {path} does not exist.") from None
    except IsADirectoryError:
        raise AssayError(f"{path} is a directory, not a JSONL file.") from None
    except PermissionError:
        raise AssayError(f"The file {path} cannot be read (permission denied).") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            raw = raw.rstrip(b"\r\n")
            if raw.strip():
                yield number, raw


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
        raise LineProblem(f"is a JSON {_json_type(obj)}, not an object")
    return obj


def _json_type(value: Any) -> str:
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


def _require_string(obj: dict, key: str) -> str:
    if key not in obj:
        raise LineProblem(f"is missing the required field '{key}'")
    value = obj[key]
    if not isinstance(value, str):
        raise LineProblem(f"has '{key}' as a {_json_type(value)}; it must be a string")
    if len(value.encode("utf-8")) > MAX_FIELD_BYTES:
        size = len(value.encode("utf-8")) / 1024 / 1024
        raise LineProblem(
            f"has a '{key}' of {size:.1f} MB, over the {MAX_FIELD_BYTES // 1024 // 1024} MB limit"
        )
    return value


def validate_native(obj: dict) -> dict:
    """Check a native record's fields; return it unchanged (key order and extras kept)."""
    for key in REQUIRED_FIELDS:
        _require_string(obj, key)
    if not obj["query_id"].strip():
        raise LineProblem("has an empty 'query_id'")
    if "metadata" in obj:
        meta = obj["metadata"]
        if not isinstance(meta, dict):
            raise LineProblem(f"has 'metadata' as a {_json_type(meta)}; it must be an object")
        for key in ("language", "function_name", "difficulty", "category"):
            if key in meta and meta[key] is not None and not isinstance(meta[key], str):
                raise LineProblem(
                    f"has 'metadata.{key}' as a {_json_type(meta[key])}; it must be a string"
                )
        if "complexity" in meta and meta["complexity"] is not None:
            c = meta["complexity"]
            if isinstance(c, bool) or not isinstance(c, (int, float)):
                raise LineProblem(
                    f"has 'metadata.complexity' as a {_json_type(c)}; it must be a number"
                )
    _check_size(obj)
    return obj


def _check_size(obj: dict) -> None:
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


def from_humaneval(obj: dict) -> dict:
    """HumanEval -> native. The prompt is the statement; the solution is prompt + body."""
    for key in _HUMANEVAL_KEYS:
        _require_string(obj, key)
    _check_size(obj)
    prompt, body, test, entry = (
        obj["prompt"],
        obj["canonical_solution"],
        obj["test"],
        obj["entry_point"],
    )
    record: dict[str, Any] = {
        "query_id": obj["task_id"],
        "query_text": prompt,
        "reference_answer": prompt + body,
        "assertions": test + _humaneval_call(entry),
        "metadata": {"language": "Python", "function_name": entry, "source_format": "humaneval"},
    }
    record.update({k: v for k, v in obj.items() if k not in _HUMANEVAL_KEYS})
    return record


def _humaneval_call(entry_point: str) -> str:
    return f"\n\ncheck({entry_point})\n"


def to_humaneval(record: dict) -> dict:
    """Native -> HumanEval. Items that came from HumanEval come back exactly as they were."""
    meta = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    entry = meta.get("function_name") or ""
    prompt, solution, tests = (
        record.get("query_text", ""),
        record.get("reference_answer", ""),
        record.get("assertions", ""),
    )
    call = _humaneval_call(entry)
    if meta.get("source_format") == "humaneval" and solution.startswith(prompt):
        body = solution[len(prompt) :]
        test = tests[: -len(call)] if tests.endswith(call) else tests
    else:
        # A native item: the statement becomes a docstring prompt, the asserts a check().
        prompt = '"""\n' + prompt.replace('"""', '\\"\\"\\"') + '\n"""\n'
        body = solution
        indented = "\n".join("    " + line if line else "" for line in tests.splitlines())
        test = "def check(candidate):\n" + (indented or "    pass") + "\n"
    out: dict[str, Any] = {
        "task_id": record["query_id"],
        "prompt": prompt,
        "canonical_solution": body,
        "test": test,
        "entry_point": entry,
    }
    extras = {k: v for k, v in record.items() if k not in ("query_id", "query_text")}
    extras = {k: v for k, v in extras.items() if k not in ("reference_answer", "assertions")}
    extras.pop("metadata", None)
    out.update({k: v for k, v in extras.items() if k not in out})
    if meta.get("source_format") != "humaneval":
        out["language"] = meta.get("language")
    return out


_DEF_RE = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.M)


def from_mbpp(obj: dict) -> dict:
    """MBPP -> native: text is the statement, code the solution, test_list the asserts."""
    task_id = obj.get("task_id")
    if isinstance(task_id, bool) or not isinstance(task_id, (int, str)):
        raise LineProblem(
            f"has 'task_id' as a {_json_type(task_id)}; it must be a number or string"
        )
    text = _require_string(obj, "text")
    code = _require_string(obj, "code")
    tests = obj.get("test_list")
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise LineProblem("has a 'test_list' that is not a list of strings")
    _check_size(obj)
    record: dict[str, Any] = {
        "query_id": f"mbpp-{task_id}",
        "query_text": text,
        "reference_answer": code,
        "assertions": "\n".join(tests),
        "metadata": {
            "language": "Python",
            "function_name": _mbpp_function_name(code, tests),
            "source_format": "mbpp",
        },
    }
    record.update({k: v for k, v in obj.items() if k not in ("text", "code", "test_list")})
    return record


def _mbpp_function_name(code: str, tests: list[str]) -> str:
    """The function the tests call: the first defined name that a test mentions."""
    names = _DEF_RE.findall(code)
    for name in names:
        if any(name in t for t in tests):
            return name
    return names[0] if names else ""


def from_triplet(obj: dict) -> dict:
    """question/solution/test(s) -> native. Without an id, the id comes from the question,
    so re-importing the file stays idempotent when lines move."""
    question = _require_string(obj, "question")
    solution = _require_string(obj, "solution")
    tests_key = "tests" if "tests" in obj else "test"
    tests = obj[tests_key]
    if isinstance(tests, list) and all(isinstance(t, str) for t in tests):
        tests = "\n".join(tests)
    if not isinstance(tests, str):
        raise LineProblem(f"has '{tests_key}' that is neither a string nor a list of strings")
    _check_size(obj)
    raw_id = obj.get("id", obj.get("task_id"))
    if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id).strip():
        query_id = str(raw_id)
    else:
        query_id = "q-" + hashlib.sha1(question.encode("utf-8")).hexdigest()[:12]
    language = obj.get("language") if isinstance(obj.get("language"), str) else "Python"
    names = _DEF_RE.findall(solution)
    record: dict[str, Any] = {
        "query_id": query_id,
        "query_text": question,
        "reference_answer": solution,
        "assertions": tests,
        "metadata": {
            "language": language,
            "function_name": names[0] if names else "",
            "source_format": "triplet",
        },
    }
    record.update({k: v for k, v in obj.items() if k not in ("question", "solution", tests_key)})
    return record


_CONVERTERS = {
    "assay": validate_native,
    "humaneval": from_humaneval,
    "mbpp": from_mbpp,
    "triplet": from_triplet,
}


def parse_file(path: str | Path, fmt: str = "auto", *, id_prefix: str = "") -> ParsedFile:
    """Read every line of an item file, converting to native records and collecting errors."""
    path = Path(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise AssayError(f"Unknown format {fmt!r}; use auto, {', '.join(FORMATS)}.")
    parsed = ParsedFile(format=fmt)
    seen: dict[str, int] = {}
    for number, raw in read_lines(path):
        try:
            obj = decode_line(raw)
            if parsed.format == "auto":
                detected = detect_format(obj)
                if detected is None:
                    raise LineProblem(
                        "matches no known format (expected 'query_id' for Assay, "
                        "'task_id'+'prompt'+'canonical_solution' for HumanEval, "
                        "'task_id'+'text'+'code' for MBPP, or 'question'+'solution'+'tests')"
                    )
                parsed.format = detected
            record = _CONVERTERS[parsed.format](obj)
            if id_prefix:
                record["query_id"] = id_prefix + record["query_id"]
            qid = record["query_id"]
            if qid in seen:
                raise LineProblem(f"repeats query_id {qid!r} from line {seen[qid]}")
            seen[qid] = number
            parsed.records.append(ParsedLine(number, record))
        except LineProblem as problem:
            parsed.errors.append(LineError(number, f"line {number} {problem}"))
    if parsed.format == "auto":
        parsed.format = "assay"
    return parsed


def dump_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
