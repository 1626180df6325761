"""MBPP, as google-research ships it: task_id, text, code, test_list (asserts), and
test_setup_code and challenge_test_list.

    query_id         = "mbpp-<task_id>" (task_id itself is kept as a field)
    query_text       = text
    reference_answer = code
    assertions       = test_setup_code + "\\n" (when not empty) + the asserts, one a line
    metadata         = language Python, function_name = the defined function the tests call

Python only. Export inverts this (each assert back to its own entry of test_list).
"""

from __future__ import annotations

import re
from typing import Any

from core.formats.base import (
    Format,
    LineProblem,
    Refused,
    check_size,
    from_here,
    json_type,
    native_record,
    source_object,
    text_field,
    text_of,
)

KEYS = ("task_id", "text", "code", "test_list", "test_setup_code", "challenge_test_list")
MAPPED = ("text", "code", "test_list")
_DEF_RE = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.M)


def detect(obj: dict) -> bool:
    return all(k in obj for k in ("task_id", "text", "code"))


def read(obj: dict) -> dict:
    task_id = obj.get("task_id")
    if isinstance(task_id, bool) or not isinstance(task_id, (int, str)):
        raise LineProblem(f"has 'task_id' as a {json_type(task_id)}; it must be a number or string")
    text = text_field(obj, "text")
    code = text_field(obj, "code")
    tests = obj.get("test_list")
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise LineProblem("has a 'test_list' that is not a list of strings")
    check_size(obj)
    return native_record(
        obj,
        FORMAT,
        query_id=f"mbpp-{task_id}",
        query_text=text,
        reference=code,
        assertions=_setup(obj) + "\n".join(tests),
        metadata={"language": "Python", "function_name": function_name(code, tests)},
        mapped=MAPPED,
    )


def _setup(obj: dict) -> str:
    """MBPP's harness runs test_setup_code before the asserts."""
    setup = obj.get("test_setup_code")
    return setup + "\n" if isinstance(setup, str) and setup.strip() else ""


def function_name(code: str, tests: list[str]) -> str:
    """The function the tests call: the first defined name that a test mentions."""
    names = _DEF_RE.findall(code)
    for name in names:
        if any(name in t for t in tests):
            return name
    return names[0] if names else ""


def write(record: dict) -> dict:
    FORMAT.check_language(record)
    code = record.get("reference_answer")
    if not isinstance(code, str):
        raise Refused(
            f"Item {record['query_id']!r} has no reference solution; MBPP's 'code' cannot "
            "be empty, so nothing was written."
        )
    tests = text_of(record.get("assertions"))
    setup = _setup(record) if from_here(record, FORMAT) else ""
    if setup and tests.startswith(setup):
        tests = tests[len(setup) :]
    own: dict[str, Any] = {
        "text": record.get("query_text"),
        "code": code,
        "test_list": tests.split("\n") if tests else [],
    }
    if "task_id" not in record:
        own = {"task_id": record["query_id"], **own}
    return source_object(record, FORMAT, own)


FORMAT = Format(
    name="mbpp",
    label="MBPP",
    detect=detect,
    read=read,
    write=write,
    languages=frozenset({"python"}),
    keys=KEYS,
    hint="'task_id'+'text'+'code' for MBPP",
)
