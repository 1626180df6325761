"""Tree-sitter parsers for the languages the sandbox splits and classifies.

Grammars come from PyPI wheels (tree-sitter-python, -javascript, -typescript, -go,
-rust, -java, -cpp, -php, -ruby); parsers are built once per grammar and reused.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from typing import Any

import tree_sitter

# grammar name -> (module, function returning the language pointer)
_GRAMMARS = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "ruby": ("tree_sitter_ruby", "language"),
}


@functools.cache
def grammar(name: str) -> tree_sitter.Language:
    module, function = _GRAMMARS[name]
    return tree_sitter.Language(getattr(importlib.import_module(module), function)())


def parse(name: str, code: str) -> tree_sitter.Tree:
    """A syntax tree of `code` (tree-sitter recovers from errors: see `has_error`)."""
    return tree_sitter.Parser(grammar(name)).parse(code.encode("utf-8"))


def text(node: Any, source: bytes) -> str:
    """The source text of a node."""
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def walk(node: Any) -> Iterator[Any]:
    """`node` and every named node below it, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def first_error(node: Any) -> Any | None:
    """The first ERROR or MISSING node under `node`, or None when it parsed cleanly."""
    if not node.has_error:
        return None
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current
        stack.extend(reversed(current.children))
    return None
