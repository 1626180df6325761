"""Per-item checks: consistency of the fields, and placeholder / vagueness detection.

`check_item` never raises on a malformed item: every problem it finds becomes a
`Flag`. The codes and why each has its severity are listed in `core/quality/README.md`.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable

from core.models import normalize_language
from core.quotas import KNOWN_DIFFICULTIES
from sandbox import languages

from . import trees
from .flags import Flag
from .item import ItemParts, parse_python, read_item
from .languages import language_words, strip_comments


def _language_flags(parts: ItemParts) -> list[Flag]:
    text_language = parts.text_language
    meta_language = normalize_language(parts.meta.get("language"))
    if meta_language and text_language and meta_language != text_language:
        return [
            Flag(
                "language_mismatch",
                "warn",
                f"the statement asks for {languages.label(text_language)} "
                f"but metadata says {languages.label(meta_language)}",
            )
        ]
    if (
        meta_language
        and meta_language != "python"
        and parts.code
        and re.search(r"^\s*def \w+\(.*\):\s*$", parts.code, re.M)
    ):
        if parse_python(parts.code)[0] is not None:
            return [
                Flag(
                    "language_mismatch",
                    "warn",
                    f"metadata says {languages.label(meta_language)} but the solution is Python",
                )
            ]
    return []


def _metadata_flags(parts: ItemParts) -> list[Flag]:
    meta = parts.meta
    flags = []
    difficulty = meta.get("difficulty")
    if "difficulty" in meta and (
        not isinstance(difficulty, str) or difficulty.strip().lower() not in KNOWN_DIFFICULTIES
    ):
        flags.append(
            Flag(
                "invalid_difficulty",
                "warn",
                f"difficulty {difficulty!r} is not one of {', '.join(KNOWN_DIFFICULTIES)}",
            )
        )
    complexity = meta.get("complexity")
    if "complexity" in meta and (
        isinstance(complexity, bool)
        or not isinstance(complexity, int | float)
        or not 0 <= complexity <= 1
    ):
        flags.append(
            Flag(
                "invalid_complexity",
                "warn",
                f"complexity {complexity!r} is not a number between 0 and 1",
            )
        )
    return flags


# --- names --------------------------------------------------------------------------


def _python_definitions(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _python_calls(tree: ast.Module) -> set[str]:
    names = set()
    local = _python_definitions(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
                # HumanEval's `check(entry_point)`: a test function called with the
                # function under test, which it calls as `candidate`.
                if node.func.id in local:
                    names.update(a.id for a in node.args if isinstance(a, ast.Name))
            elif isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
    return names


def _defined(parts: ItemParts) -> set[str] | None:
    """What the solution defines, or None when it cannot be read."""
    if parts.solution_tree is not None:
        return _python_definitions(parts.solution_tree)
    if parts.solution_code is not None and parts.solution_code.clean:
        return trees.defined_names(parts.solution_code)
    return None


def _called(parts: ItemParts) -> set[str] | None:
    """The names the tests call (Python) or mention (tree-sitter), or None when unread."""
    if parts.tests_tree is not None:
        return _python_calls(parts.tests_tree)
    if parts.tests_code is not None and parts.tests_code.clean:
        return trees.references(parts.tests_code)
    return None


def _test_definitions(parts: ItemParts) -> set[str]:
    if parts.tests_tree is not None:
        return _python_definitions(parts.tests_tree)
    if parts.tests_code is not None and parts.tests_code.clean:
        return {d.name for d in trees.definitions(parts.tests_code) if d.kind == "function"}
    return set()


def _quote(names) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "nothing"


def _name_flags(parts: ItemParts) -> list[Flag]:
    name = parts.name
    if not name:
        return []
    flags = []
    mismatches = []  # one `function_name_mismatch` flag says every reason
    if len(parts.text_names) > 1:
        mismatches.append(
            f"the statement names several functions ({_quote(parts.text_names)}): "
            "a solver cannot tell which one the tests call"
        )
    elif parts.text_names and name not in parts.text_names:
        mismatches.append(
            f"the statement asks for {_quote(parts.text_names)} but metadata names `{name}`: "
            "a solver following the statement will fail the tests"
        )
    defined = _defined(parts)
    if parts.code and defined and name not in defined:
        mismatches.append(f"the solution defines {_quote(defined)} but not `{name}`")
    called = _called(parts) if parts.tests else None
    if called is not None:
        if name not in called:
            if not called & ((defined or set()) | {name}):
                flags.append(
                    Flag(
                        "tests_never_call_function",
                        "reject",
                        f"the tests never call `{name}` or anything the solution defines, "
                        "so they cannot tell a right solution from a wrong one",
                    )
                )
            else:
                mismatches.append(
                    f"the tests call {_quote(called & (defined or set()))}, not `{name}`"
                )
        if name in _test_definitions(parts):
            flags.append(
                Flag(
                    "tests_redefine_function",
                    "reject",
                    f"the tests define their own `{name}`, so the reference solution is never tested",
                )
            )
    if mismatches:
        flags.insert(0, Flag("function_name_mismatch", "warn", "; ".join(mismatches)))
    return flags


# --- tests --------------------------------------------------------------------------


def _count_python_checks(tree: ast.Module) -> int:
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert | ast.Raise):
            count += 1
        elif isinstance(node, ast.Call):
            func = node.func
            attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            count += attr.startswith("assert") or attr == "raises"
    return count


def _not_analysed(parts: ItemParts) -> list[Flag]:
    """One `info` flag when the item's code cannot be read: no code-level flag was judged."""
    if not (parts.code or parts.tests) or parts.language is None:
        return []
    if not parts.analysed:
        return [
            Flag(
                "not_analysed",
                "info",
                f"not analysed for {languages.label(parts.language)}: no grammar is installed, "
                "so only the statement and the sandbox judge this item",
            )
        ]
    unread = [
        part
        for part, text, py_tree, code in (
            ("solution", parts.code, parts.solution_tree, parts.solution_code),
            ("tests", parts.tests, parts.tests_tree, parts.tests_code),
        )
        if text and parts.language != "python" and (code is None or not code.clean)
    ]
    if unread:
        return [
            Flag(
                "not_analysed",
                "info",
                f"the {' and '.join(unread)} did not parse as {languages.label(parts.language)}: "
                "not analysed (the sandbox's compile step decides)",
            )
        ]
    return []


def _identity_everywhere(checks: list, names: set[str], binds: trees.Bindings) -> str | None:
    """`reject` when `f(x)` returning `x` passes every check, `warn` when returning the
    same i-th of several arguments does (`min(1, 2) == 1`, `min(0, 0) == 0`), else None."""
    common: set[int] | None = None
    arities: set[int] = set()
    for check in checks:
        found = trees.identity_positions(check, names, binds)
        positions = {i for i, _ in found}
        common = positions if common is None else common & positions
        if not common:
            return None
        arities |= {n for i, n in found if i in common}
    return "reject" if arities == {1} else "warn"


def _test_flags(parts: ItemParts) -> list[Flag]:
    if not parts.tests:
        return []
    code = parts.tests_code
    if parts.language == "python":
        if parts.tests_tree is None:
            return []
        code = trees.read_code("python", parts.tests)
    if code is None or not code.clean:
        return []  # cannot read the tests: say nothing (see `not_analysed`)
    checks = trees.test_checks(code)
    if parts.tests_tree is not None:
        n = _count_python_checks(parts.tests_tree)
    else:
        n = len(checks)
    if n == 0:
        return [
            Flag(
                "no_tests",
                "reject",
                "the assertions contain no check (assert, throw, panic or raise)",
            )
        ]
    binds = trees.bindings(code)
    defined = _defined(parts) or set()
    targets = defined | ({parts.name} if parts.name else set())
    if parts.tests_tree is None and len(checks) < 3:  # `correct` holding 7 calls, 1 check
        n = sum(max(1, trees.count_calls(c.conditions, targets, binds)) for c in checks)
    flags = []
    if n == 1:
        flags.append(
            Flag(
                "single_test_case",
                "warn",
                "only one test case: a wrong solution can pass it easily",
            )
        )
    elif n == 2:
        flags.append(Flag("few_test_cases", "info", "only two test cases"))
    if not checks or not targets:
        return flags
    if not any(trees.depends(c.conditions, targets, binds) for c in checks):
        flags.append(
            Flag(
                "trivial_tests",
                "reject",
                "no check depends on the solution (every check is constant, like "
                "`assert True`): the tests test nothing",
            )
        )
    elif parts.name and (
        severity := _identity_everywhere(checks, trees.aliases(parts.name, binds), binds)
    ):
        if severity == "reject":
            flags.append(
                Flag(
                    "identity_tests",
                    "reject",
                    f"every check only asserts that `{parts.name}(x)` returns `x`: "
                    "the identity function passes them",
                )
            )
        else:
            flags.append(
                Flag(
                    "identity_tests",
                    "warn",
                    f"every check expects `{parts.name}` to return one of its arguments, "
                    "the same one each time: a function returning that argument passes them",
                )
            )
    return flags


# --- placeholders -------------------------------------------------------------------

_GENERIC_NAME_WORDS = frozenset(
    "func function fn method solution solve problem task example sample test impl code algo "
    "algorithm program snippet item question query placeholder dummy foo bar baz qux my the new "
    "generated synthetic helper do something stuff thing main run process handle compute".split()
)
# on their own these say nothing; words like `sample` or `solve` can be real API names
_MEANINGLESS_NAME_WORDS = frozenset(
    "func function fn method foo bar baz qux dummy placeholder my do something stuff thing "
    "test example impl snippet generated synthetic new the".split()
)
_FILLER_WORDS = frozenset(
    """write writes create creates creating implement implements implementing implemented
    implementation function functions method methods program code solution solutions named
    called name that which this the and for with from into are is be should will can must
    takes take taking given input inputs output outputs value values return returns returning
    result results level medium easy hard advanced very difficulty complex complexity simple
    basic algorithm algorithms algorithmic problem problems task tasks generic some something
    operation operations perform performs performing logic functionality data process processes
    processing processed handle handles handling utility helper does work works thing things
    stuff appropriate appropriately specific certain general various etc based using use uses
    correct correctly properly efficient efficiently robust edge cases case quality standard
    category categories following requirements specified described below above example
    examples any all each its their them they has have not but also only then than such like
    one language solves solve solving job purpose purposes level feature features piece
    sample samples dummy placeholder test tests testing required requested desired needed
    expected proper""".split()
)
_UNFILLED = re.compile(
    r"\{\{?\s*[a-z_]{3,}\s*\}?\}|<\s*(?:insert|placeholder|description|function[_ ]name|todo)[^>]*>"
    r"|\[\s*(?:insert|description|placeholder|todo)[^\]]*\]|\bTODO\b|\blorem ipsum\b",
    re.I,
)


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z0-9])|([0-9])([A-Za-z])", r"\1\3 \2\4", name)
    return [w.lower() for w in re.split(r"[\s_$-]+", spaced) if w]


def _placeholder_name_flags(parts: ItemParts) -> list[Flag]:
    name = parts.name
    if not name:
        return []
    words = _name_words(name)
    has_digit = any(w.isdigit() for w in words)
    words_left = [w for w in words if not w.isdigit()]
    has_language = any(w in language_words() for w in words_left)
    if not all(w in _GENERIC_NAME_WORDS or w in language_words() for w in words_left):
        return []
    if has_digit or has_language:
        return [
            Flag(
                "placeholder_name",
                "reject",
                f"`{name}` is a generated placeholder name (language, generic word, number): "
                "items made to fill a quota look like this",
            )
        ]
    if not all(w in _MEANINGLESS_NAME_WORDS for w in words_left):
        return []
    return [Flag("generic_name", "warn", f"`{name}` says nothing about what the function does")]


def behaviour_words(text: str, name: str | None, meta: dict) -> list[str]:
    """The words of a statement that describe behaviour.

    Boilerplate ("Write a ... function named ..."), the function name, language names,
    and words that only restate the metadata (difficulty, category) do not count.
    """
    text = re.sub(r"\b(?:Language|Function name):\s*\S+", " ", text)
    if name:  # the name as the statement quotes it; a bare word like quicksort still counts
        text = re.sub(rf"`{re.escape(name)}`|\b(?:named|called)\s+{re.escape(name)}\b", " ", text)
    restated = set()
    for key in ("difficulty", "category"):
        if isinstance(meta.get(key), str):
            restated.update(re.findall(r"[a-z]+", meta[key].lower()))
    words = re.findall(r"[a-z]+", text.lower())
    return [
        w
        for w in words
        if len(w) > 2 and w not in _FILLER_WORDS and w not in language_words() and w not in restated
    ]


def _prose(parts: ItemParts) -> str:
    """The statement's prose: a code prompt (HumanEval, MBXP) counts only its comments and
    docstrings, so `import {Heap} from 'heap-js'` is code, not template filler."""
    code = trees.read_code(parts.language, parts.text)
    if code is None or not trees.looks_like_code(code):
        return parts.text
    return trees.comments_text(code)


def _statement_flags(parts: ItemParts) -> list[Flag]:
    if not parts.text:
        return []
    flags = []
    found = _UNFILLED.search(_prose(parts))
    if found:
        flags.append(
            Flag(
                "unfilled_template",
                "reject",
                f"the statement contains template filler `{found.group(0)}`",
            )
        )
    words = list(dict.fromkeys(behaviour_words(parts.text, parts.name, parts.meta)))
    if not words:
        flags.append(
            Flag(
                "vague_statement",
                "reject",
                "the statement names no behaviour (only boilerplate, language, difficulty or category "
                f"words): {parts.text[:80]!r}",
            )
        )
    elif len(words) == 1:
        flags.append(
            Flag(
                "terse_statement",
                "info",
                f"the statement says only '{words[0]}' about what the function should do",
            )
        )
    return flags


def _python_body_kind(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> str | None:
    params = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    params.discard("self")
    body: list[ast.stmt]
    if isinstance(func, ast.Lambda):
        body = [ast.Return(value=func.body)]
    else:
        body = [
            s
            for s in func.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            and not isinstance(s, ast.Pass)
        ]
    if not body:
        return "stub"
    if len(body) != 1:
        return None
    stmt = body[0]
    if isinstance(stmt, ast.Raise):
        return "stub"
    if isinstance(stmt, ast.Return):
        if stmt.value is None:
            return "constant"
        if isinstance(stmt.value, ast.Name) and stmt.value.id in params:
            return "identity"
        try:
            ast.literal_eval(stmt.value)
            return "constant"
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return None


def _python_targets(tree: ast.Module, name: str | None) -> list:
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    lambdas = [
        n.value
        for n in tree.body
        if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Lambda)
        and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
    ]
    named = [f for f in funcs if f.name == name] + lambdas
    if named:
        return named
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name]
    if classes:
        return [
            n
            for n in classes[0].body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name != "__init__"
        ]
    return funcs if len(funcs) == 1 else []


def _solution_kind(parts: ItemParts) -> str | None:
    """`comment_only`, `stub`, `identity`, `constant`, or None for a real solution."""
    code = parts.code
    if not strip_comments(code, parts.language).strip() or (
        parts.language == "python"
        and parts.solution_tree is not None
        and not parts.solution_tree.body
    ):
        return "comment_only"
    if parts.solution_tree is not None:
        targets = _python_targets(parts.solution_tree, parts.name)
        kinds = {_python_body_kind(t) for t in targets}
        return kinds.pop() if len(kinds) == 1 else None
    if parts.solution_code is None or not parts.solution_code.clean:
        return None  # Python that does not parse, or a language without a grammar
    return trees.solution_kind(parts.solution_code, parts.name)


# the flag each solution shape gets; its message is followed by the solution's start
_SOLUTION_FLAGS = {
    "comment_only": Flag(
        "comment_only_solution",
        "reject",
        "the solution is only comments: there is no code to run",
    ),
    "stub": Flag(
        "stub_solution",
        "reject",
        "the solution is a stub (pass, todo!, NotImplemented, throw): it does nothing",
    ),
    "identity": Flag(
        "identity_solution", "reject", "the solution only returns its argument unchanged"
    ),
    "constant": Flag(
        "constant_solution",
        "reject",
        "the solution returns the same constant whatever the input",
    ),
}


def _solution_flags(parts: ItemParts) -> list[Flag]:
    if not parts.code:
        return []
    kind = _solution_kind(parts)
    if kind is None:
        return []
    flag = _SOLUTION_FLAGS[kind]
    first = " ".join(strip_comments(parts.code, parts.language).split())[:80]
    return [dataclasses.replace(flag, message=f"{flag.message}: {first!r}")] if first else [flag]


ItemCheck = Callable[[ItemParts], list[Flag]]

# The per-item checks, in the order their flags are listed. A new check is a module with a
# function `(ItemParts) -> list[Flag]` and one line here (its codes go in README.md).
ITEM_CHECKS: tuple[ItemCheck, ...] = (
    _not_analysed,
    _language_flags,
    _metadata_flags,
    _name_flags,
    _test_flags,
    _placeholder_name_flags,
    _statement_flags,
    _solution_flags,
)


def check_item(item: object) -> list[Flag]:
    """Consistency and placeholder flags for one item in the native format.

    Never raises: a malformed item gets flags (`missing_field`, `invalid_field_type`,
    `syntax_error`, ...) instead. Cross-item findings (repeated templates, duplicates)
    come from `check_dataset`.
    """
    if not isinstance(item, dict):
        return [
            Flag("invalid_item", "reject", f"the item is a {type(item).__name__}, not an object")
        ]
    parts, flags = read_item(item)
    for check in ITEM_CHECKS:
        flags += check(parts)
    return flags
