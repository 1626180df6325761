"""HumanEval-X (CodeGeeX): one file per language, the language in the task_id prefix.

Fields: task_id (`Python/0`, `JavaScript/0`, `CPP/0`, `Java/0`, `Go/0`, `Rust/0`), prompt,
canonical_solution, test, declaration, example_test; Go also import, docstring and
test_setup; some files have text or entry_point. The authors' harness builds one
program per item; the item is split so that solution + "\\n" + tests is that program:

    language    reference_answer                            assertions
    Python      prompt + canonical_solution                 test (+ "\\n\\ncheck(entry)\\n"
                                                            when test does not call it)
    JavaScript  prompt + canonical_solution                 test (console.assert calls)
    Java        prompt + canonical_solution (class Solution) test (class Main, main throws)
    C++         prompt + canonical_solution                 test (a main() with assert)
    Rust        prompt + declaration + canonical_solution   test (#[cfg(test)] mod tests)
                (the prompt is only a comment; the declaration holds `use` lines and
                the signature, as the harness puts it before the body)
    Go          import block + prompt without its import    test_setup + "\\n" + test
                + canonical_solution                        (package main, testing and
                                                            testify imports, func TestX)

Go follows the harness (test_setup + "\n" + imports + prompt + body + "\n" + test): it
drops the prompt's own import block (some import a package the solution never uses,
which Go refuses, or miss one it uses) and imports each of the harness's helper
packages that the canonical body uses and test_setup does not already import. The
tests start with test_setup's package clause and imports, which a Go runner puts
before the solution, as Go requires. Rust needs no `fn main` (the harness adds an
empty one for `cargo test`; `rustc --test` does without).

    query_id = task_id, query_text = prompt, metadata.language from the prefix,
    metadata.function_name = entry_point when given, else the last function declared
    (in declaration, prompt, then solution) that the test calls. A null or absent
    canonical_solution is an item without a reference.

Every other field (declaration, example_test, import, docstring, test_setup, text,
entry_point) is kept as it is; export inverts the split exactly, and writes items from
elsewhere (or edited past inverting) with the statement as a comment prompt and the
whole solution as canonical_solution, so prompt + solution + test still runs; bare test
statements of an item from elsewhere become the harness's shape (a Go `func TestX` with
its test_setup, a Rust `#[test]` in `mod tests`, a Java `class Main`, a C++ `main()`).
"""

from __future__ import annotations

import re
from typing import Any

from core.formats import humaneval, shapes
from core.formats.base import (
    Format,
    LineProblem,
    canonical_field,
    check_size,
    from_here,
    metadata_of,
    native_record,
    shape,
    source_object,
    text_field,
    text_of,
    with_reference,
)
from sandbox import languages

# Bare test statements from elsewhere, in the shape each HumanEval-X harness runs.
_HARNESS_SHAPES = {
    "go": shapes.go_test,
    "rust": shapes.rust_test,
    "java": shapes.java_main,
    "cpp": shapes.cpp_main,
}
KEYS = ("task_id", "prompt", "canonical_solution", "test", "text", "declaration", "example_test")
MAPPED = ("task_id", "prompt", "canonical_solution", "test")  # the rest is kept as it is
# language id -> the task_id prefix HumanEval-X writes
PREFIXES = {
    "python": "Python",
    "javascript": "JavaScript",
    "cpp": "CPP",
    "java": "Java",
    "go": "Go",
    "rust": "Rust",
}
# The Go packages the authors' harness imports when the body uses them (IMPORT_HELPER).
GO_HELPERS = (
    "math",
    "strings",
    "fmt",
    "strconv",
    "time",
    "bytes",
    "regexp",
    "sort",
    "math/rand",
    "crypto/md5",
)
# The declaration ends with the entry function's signature; its name per language.
_SIGNATURES = {
    "python": re.compile(r"^\s*def\s+(\w+)\s*\(", re.M),
    "javascript": re.compile(r"(?:\bfunction\s+(\w+)\s*\(|\b(?:const|let|var)\s+(\w+)\s*=)"),
    "go": re.compile(r"^\s*func\s+(?:\([^)]*\)\s*)?(\w+)\s*[\[(]", re.M),
    "rust": re.compile(r"\bfn\s+(\w+)\s*[<(]"),
    "java": re.compile(r"(\w+)\s*\([^;{}]*\)\s*(?:throws\s+[\w., ]+)?\s*\{"),
    "cpp": re.compile(r"(\w+)\s*\([^;{}]*\)\s*(?:const\s*)?\{"),
}


def language_of(task_id: Any) -> str | None:
    """The language id a HumanEval-X task_id's prefix names, or None."""
    if not isinstance(task_id, str) or "/" not in task_id:
        return None
    language = languages.normalise(task_id.split("/", 1)[0])
    return language if language in PREFIXES else None


def detect(obj: dict) -> bool:
    return (
        language_of(obj.get("task_id")) is not None
        and "prompt" in obj
        and "test" in obj
        # mxeval files name their language in a field; HumanEval-X's have a declaration
        and ("language" not in obj or "declaration" in obj)
    )


def function_name(language: str, obj: dict) -> str:
    """The entry point: given, else the last function the declaration (or prompt, or
    solution) declares that the test calls, else the declaration's last function."""
    given = obj.get("entry_point")
    if isinstance(given, str) and given.strip():
        return given
    test = text_of(obj.get("test"))
    fallback = ""
    for key in ("declaration", "prompt", "canonical_solution"):
        source = obj.get(key)
        if not isinstance(source, str):
            continue
        found = (next(g for g in m.groups() if g) for m in _SIGNATURES[language].finditer(source))
        names = [n for n in found if n not in ("if", "for", "while", "switch", "main")]
        called = [n for n in names if re.search(rf"\b{re.escape(n)}\b", test)]
        if called:
            return called[-1]
        fallback = fallback or (names[-1] if names else "")
    return fallback


def compose(language: str, obj: dict, body: str | None, entry: str) -> tuple[str | None, str]:
    """(reference_answer, assertions) such that solution + "\\n" + tests is the harness's
    program for this item (see the module docstring)."""
    prompt, test = obj["prompt"], obj["test"]
    if language == "python":
        tests = test if humaneval.calls_check(test) else test + humaneval.check_call(entry)
        return humaneval.reference(prompt, body), tests
    if language == "rust":
        declaration = obj.get("declaration")
        if isinstance(declaration, str) and "fn " not in prompt:
            prompt = prompt + declaration
        return humaneval.reference(prompt, body), test
    if language == "go":
        return _go(obj, body)
    return humaneval.reference(prompt, body), test


def _go(obj: dict, body: str | None) -> tuple[str | None, str]:
    prompt, test = obj["prompt"], obj["test"]
    own_imports = text_of(obj.get("import"))
    setup = text_of(obj.get("test_setup"))
    rest = (prompt.replace(own_imports, "") if own_imports.strip() else prompt).lstrip("\n")
    tests = setup + "\n" + test if setup else test
    if body is None:
        return None, tests
    needed = [
        pkg
        for pkg in GO_HELPERS
        if f'"{pkg}"' not in setup and pkg.rsplit("/", 1)[-1] + "." in body
    ]
    header = "import (\n" + "".join(f'    "{pkg}"\n' for pkg in needed) + ")\n\n" if needed else ""
    return header + rest + body, tests


def read(obj: dict) -> dict:
    task_id = text_field(obj, "task_id")
    language = language_of(task_id)
    if language is None:
        raise LineProblem(
            f"has task_id {task_id!r}, whose prefix names no HumanEval-X language "
            f"({', '.join(PREFIXES.values())})"
        )
    prompt = text_field(obj, "prompt")
    body = canonical_field(obj)
    text_field(obj, "test")
    for key in ("declaration", "import", "test_setup"):
        if key in obj and obj[key] is not None:
            text_field(obj, key)
    check_size(obj)
    entry = function_name(language, obj)
    solution, tests = compose(language, obj, body, entry)
    record = native_record(
        obj,
        FORMAT,
        query_id=task_id,
        query_text=prompt,
        reference=solution,
        assertions=tests,
        metadata={"language": languages.label(language), "function_name": entry},
        mapped=MAPPED,
    )
    if language == "python" and tests != obj["test"]:
        shape(record)["check_call"] = "added"  # a test may end with the same call itself
    return record


def write(record: dict) -> dict:
    FORMAT.check_language(record)
    language = languages.normalise(metadata_of(record).get("language")) or "python"
    own = _invert(record, language) if from_here(record, FORMAT) else None
    if own is None:
        own = _from_elsewhere(record, language)
    return source_object(record, FORMAT, own)


def _invert(record: dict, language: str) -> dict[str, Any] | None:
    """The original fields of an item read from HumanEval-X, or None if it was edited so
    that reading them back would not give the item again."""
    prompt = record.get("query_text")
    solution, tests = record.get("reference_answer"), record.get("assertions")
    if not isinstance(prompt, str) or not isinstance(tests, str):
        return None
    entry = metadata_of(record).get("function_name") or ""
    extras = {k: v for k, v in record.items() if k not in ("reference_answer", "assertions")}
    for test in _test_candidates(language, tests, extras, entry):
        for body in _body_candidates(language, solution, prompt, extras):
            source = {**extras, "prompt": prompt, "test": test}
            if compose(language, source, body, entry) == (solution, tests):
                own = {"task_id": record["query_id"], "prompt": prompt, "test": test}
                return with_reference(own, record, FORMAT, body)
    return None


def _test_candidates(language: str, tests: str, extras: dict, entry: str) -> list[str]:
    candidates = [tests]
    call = humaneval.check_call(entry)
    added = metadata_of(extras).get("source_shape", {}).get("check_call") == "added"
    if language == "python" and added and tests.endswith(call):
        candidates = [tests[: -len(call)]]
    setup = extras.get("test_setup")
    if language == "go" and isinstance(setup, str) and tests.startswith(setup + "\n"):
        candidates.insert(0, tests[len(setup) + 1 :])
    return candidates


def _body_candidates(language: str, solution: Any, prompt: str, extras: dict) -> list[str | None]:
    if solution is None:
        return [None]
    if not isinstance(solution, str):
        return []
    anchor = prompt
    if language == "rust" and isinstance(extras.get("declaration"), str) and "fn " not in prompt:
        anchor = prompt + extras["declaration"]
    if language == "go":
        own_imports = text_of(extras.get("import"))
        anchor = (prompt.replace(own_imports, "") if own_imports.strip() else prompt).lstrip("\n")
    at = solution.find(anchor)
    return [solution[at + len(anchor) :]] if at >= 0 else []


def _from_elsewhere(record: dict, language: str) -> dict[str, Any]:
    """HumanEval-X fields for an item that did not come from HumanEval-X: the statement as
    a comment, the whole solution as the body, so prompt + solution + test still runs."""
    statement = text_of(record.get("query_text"))
    if language == "python":
        prompt = '"""\n' + statement.replace('"""', '\\"\\"\\"') + '\n"""\n'
    else:
        prompt = "/*\n" + statement.replace("*/", "* /") + "\n*/\n"
    tests = text_of(record.get("assertions"))
    entry = metadata_of(record).get("function_name") or ""
    test = _test_candidates(language, tests, record, entry)[0]
    query_id = str(record["query_id"])
    task_id = query_id if language_of(query_id) == language else f"{PREFIXES[language]}/{query_id}"
    own = {
        "task_id": task_id,
        "prompt": prompt,
        "canonical_solution": record.get("reference_answer"),
    }
    shape_of = _HARNESS_SHAPES.get(language)
    if shape_of is not None and not from_here(record, FORMAT):
        own.update(shape_of(own["canonical_solution"], test, entry or "it"))
    return {**own, "test": own.get("test", test)}


FORMAT = Format(
    name="humaneval-x",
    label="HumanEval-X",
    detect=detect,
    read=read,
    write=write,
    languages=frozenset(PREFIXES),
    keys=KEYS,
    hint="'task_id' like 'Go/0'+'prompt'+'test' for HumanEval-X",
)
