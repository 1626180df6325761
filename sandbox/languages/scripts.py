"""What PHP and Ruby share: test programs made of top-level statements, split by tree-sitter.

A top-level statement that can raise on a wrong answer (it holds a `throw`/`raise`,
an `assert` call, or a `fail`) is a test; everything else (definitions, the
`$x0 = f(...)` set-up lines) runs in order as set-up. Each test is wrapped inline
(no closure, so the tests keep the script's global scope) between a begin and an
end record on fd 3. Executing a test statement evaluates its check, so a test that
ran to its end evaluated an assertion; tests that hold none are `error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.languages import syntax
from sandbox.languages.base import NoTests, Unparsable
from sandbox.result import clip


def top_level(grammar: str, code: str, *, skip: set[str]) -> tuple[list[Any], bytes]:
    """The top-level statement nodes of `code`, or `Unparsable` naming the first error."""
    source = code.encode("utf-8")
    tree = syntax.parse(grammar, code)
    error = syntax.first_error(tree.root_node)
    if error is not None:
        line = error.start_point[0] + 1
        near = syntax.text(error, source).strip().splitlines()
        raise Unparsable(
            f"tests: syntax error at line {line}" + (f" near {near[0][:60]!r}" if near else "")
        )
    return [n for n in tree.root_node.named_children if n.type not in skip], source


def contains(node: Any, source: bytes, predicate: Callable[[Any, bytes], bool]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if predicate(current, source):
            return True
        stack.extend(current.named_children)
    return False


def split_tests(
    grammar: str,
    code: str,
    *,
    skip: set[str],
    declarations: set[str],
    is_check: Callable[[Any, bytes], bool],
) -> list[tuple[str, bool]]:
    """(statement, is_test) for each top-level statement of the tests."""
    nodes, source = top_level(grammar, code, skip=skip)
    pairs = [
        (
            syntax.text(node, source),
            node.type not in declarations and contains(node, source, is_check),
        )
        for node in nodes
    ]
    if not any(is_test for _, is_test in pairs):
        raise NoTests("no assertion found in the tests: nothing would be checked")
    return pairs


def names(pairs: list[tuple[str, bool]]) -> list[str]:
    return [clip(" ".join(stmt.split()), 300) for stmt, is_test in pairs if is_test]
