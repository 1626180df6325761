"""Question/solution/test triplets: question, solution, tests (or test; a string or a
list of strings), and optionally id (or task_id) and language.

    query_id         = id or task_id, else "q-" + a hash of the question (stable when
                       lines move, so re-importing stays idempotent)
    query_text       = question
    reference_answer = solution
    assertions       = the tests, one a line when they were a list
    metadata         = language (default Python), function_name = the first defined name
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from core.formats.base import (
    Format,
    LineProblem,
    Refused,
    check_size,
    from_here,
    language_label,
    metadata_of,
    native_record,
    shape,
    source_object,
    text_field,
    text_of,
)

KEYS = ("id", "question", "solution", "tests")
_DEF_RE = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.M)


def detect(obj: dict) -> bool:
    return "question" in obj and "solution" in obj and ("tests" in obj or "test" in obj)


def read(obj: dict) -> dict:
    question = text_field(obj, "question")
    solution = text_field(obj, "solution")
    tests_key = "tests" if "tests" in obj else "test"
    tests = obj[tests_key]
    listed = isinstance(tests, list) and all(isinstance(t, str) for t in tests)
    if listed:
        tests = "\n".join(tests)
    if not isinstance(tests, str):
        raise LineProblem(f"has '{tests_key}' that is neither a string nor a list of strings")
    check_size(obj)
    raw_id = obj.get("id", obj.get("task_id"))
    if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id).strip():
        query_id = str(raw_id)
    else:
        query_id = "q-" + hashlib.sha1(question.encode("utf-8")).hexdigest()[:12]
    names = _DEF_RE.findall(solution)
    record = native_record(
        obj,
        FORMAT,
        query_id=query_id,
        query_text=question,
        reference=solution,
        assertions=tests,
        metadata={
            "language": language_label(obj.get("language"), "Python"),
            "function_name": names[0] if names else "",
        },
        mapped=("question", "solution", tests_key),
    )
    if tests_key != "tests" or listed:
        shape(record)["tests"] = [tests_key, "list" if listed else "string"]
    return record


def write(record: dict) -> dict:
    solution = record.get("reference_answer")
    if not isinstance(solution, str):
        raise Refused(
            f"Item {record['query_id']!r} has no reference solution; a triplet needs one, "
            "so nothing was written."
        )
    tests = text_of(record.get("assertions"))
    key, kind = "tests", "string"
    stored = metadata_of(record).get("source_shape", {}).get("tests")
    if from_here(record, FORMAT) and isinstance(stored, list) and len(stored) == 2:
        key, kind = stored
    own: dict[str, Any] = {
        "question": record.get("query_text"),
        "solution": solution,
        key: tests.split("\n") if kind == "list" else tests,
    }
    if not ("id" in record or "task_id" in record or from_here(record, FORMAT)):
        own = {"id": record["query_id"], **own}
    return source_object(record, FORMAT, own)


FORMAT = Format(
    name="triplet",
    label="question/solution/tests",
    detect=detect,
    read=read,
    write=write,
    keys=KEYS,
    hint="'question'+'solution'+'tests' for triplets",
)
