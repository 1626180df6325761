"""MBXP and multilingual HumanEval, as mxeval ships them (one language field per item).

Fields: task_id (`MBPP/1`, `MBJSP/1`, `MBKP/1`, ...), language, prompt, canonical_solution
(null when the authors have none), test, entry_point, description. mxeval judges
`prompt + completion + test` (Python: then `check(entry_point)`); the tests are programs
that call the function and throw or exit non-zero on a wrong answer. So:

    query_id         = task_id
    query_text       = prompt
    reference_answer = prompt + canonical_solution (null canonical_solution: null, an
                       item without a reference: it is flagged and never passes)
    assertions       = test (Python: test + "\\n\\ncheck(<entry_point>)\\n")
    metadata         = language from the registry (label), function_name = entry_point

description and any other field are kept as they are; export inverts this exactly.
"""

from __future__ import annotations

from typing import Any

from core.formats import humaneval, shapes
from core.formats.base import (
    Format,
    canonical_field,
    check_size,
    from_here,
    language_label,
    metadata_of,
    native_record,
    shape,
    source_object,
    text_field,
    text_of,
    with_reference,
)
from sandbox import languages

# The order most of mxeval's files use (description is kept as an extra field).
KEYS = ("task_id", "prompt", "entry_point", "test", "description", "language", "canonical_solution")
MAPPED = ("task_id", "prompt", "canonical_solution", "test", "entry_point", "language")
# Bare test statements from elsewhere, in the shape mxeval's harness for it runs.
_HARNESS_SHAPES = {
    "python": shapes.python_check,
    "java": shapes.java_main,
    "cpp": shapes.cpp_main,
    "go": shapes.go_main,
}
# The languages mxeval has a harness for (its check_correctness_* functions).
MXEVAL_LANGUAGES = frozenset(
    "python java javascript typescript kotlin ruby php cpp csharp go perl scala swift".split()
)


def detect(obj: dict) -> bool:
    return all(k in obj for k in ("task_id", "prompt", "test", "language"))


def compose(language: str | None, prompt: str, body: str | None, test: str, entry: str):
    """(reference_answer, assertions) for mxeval's program of one item."""
    tests = test + humaneval.check_call(entry) if language == "python" else test
    return humaneval.reference(prompt, body), tests


def read(obj: dict) -> dict:
    task_id = text_field(obj, "task_id")
    spelling = text_field(obj, "language")
    prompt = text_field(obj, "prompt")
    body = canonical_field(obj)
    test = text_field(obj, "test")
    entry = text_field(obj, "entry_point")
    check_size(obj)
    language = languages.normalise(spelling)
    solution, tests = compose(language, prompt, body, test, entry)
    record = native_record(
        obj,
        FORMAT,
        query_id=task_id,
        query_text=prompt,
        reference=solution,
        assertions=tests,
        metadata={"language": language_label(spelling), "function_name": entry},
        mapped=MAPPED,
    )
    if language is None or spelling != language:
        shape(record)["language"] = spelling  # mxeval's spelling, written back as it was
    return record


def write(record: dict) -> dict:
    FORMAT.check_language(record)
    meta = metadata_of(record)
    language = languages.normalise(meta.get("language"))
    entry = meta.get("function_name") or ""
    prompt = text_of(record.get("query_text"))
    tests = text_of(record.get("assertions"))
    own: dict[str, Any] = {"task_id": record["query_id"], "prompt": prompt}
    inverts, body = humaneval.body_after(record.get("reference_answer"), prompt)
    call = humaneval.check_call(entry)
    test = tests[: -len(call)] if language == "python" and tests.endswith(call) else tests
    if not (from_here(record, FORMAT) and inverts):
        # From elsewhere: the statement as comment lines, the whole solution as the body.
        marker = getattr(languages.get(language), "comment", "//")
        own["prompt"] = "".join(f"{marker} {line}".rstrip() + "\n" for line in prompt.splitlines())
        body = record.get("reference_answer")
        if isinstance(body, str) and not body.endswith("\n"):
            body += "\n"  # mxeval joins prompt + solution + test with nothing between
        shape_of = _HARNESS_SHAPES.get(language or "")
        if shape_of is not None and not from_here(record, FORMAT):
            shaped = shape_of(body, test, entry or "it")
            body, test = shaped.get("canonical_solution", body), shaped.get("test", test)
    with_reference(own, record, FORMAT, body)
    own["test"] = test
    own["entry_point"] = entry
    spelling = meta.get("source_shape", {}).get("language") if from_here(record, FORMAT) else None
    own["language"] = spelling if isinstance(spelling, str) else language
    return source_object(record, FORMAT, own)


FORMAT = Format(
    name="mbxp",
    label="MBXP",
    detect=detect,
    read=read,
    write=write,
    languages=MXEVAL_LANGUAGES,
    keys=KEYS,
    hint="'task_id'+'language'+'prompt'+'test' for MBXP",
)
