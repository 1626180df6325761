"""Top-level statements of C-family test code (a scanner over strings, comments, brackets).

To be replaced per language by tree-sitter parses.
"""

from __future__ import annotations

import re


def split_statements(code: str, newline_ends: bool) -> list[str]:
    """Split source into top-level statements, respecting strings, comments, brackets."""
    out: list[str] = []
    start = i = depth = 0
    n = len(code)

    def flush(end: int) -> None:
        nonlocal start
        text = code[start:end].strip()
        if text and text != ";":
            out.append(text)
        start = end

    while i < n:
        c = code[i]
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
            continue
        if code.startswith("/*", i):
            j = code.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c in '"`' or (c == "'" and _is_char_quote(code, i)):
            i = _skip_string(code, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0 and c == "}" and not _continues(code, i + 1):
                flush(i + 1)
        elif c == ";" and depth == 0:
            flush(i + 1)
        elif c == "\n" and depth == 0 and newline_ends and _line_complete(code, start, i, i + 1):
            flush(i)
        i += 1
    flush(n)
    return out


def _is_char_quote(code: str, i: int) -> bool:
    # Rust lifetimes ('a) look like quotes: a char literal closes within a few chars.
    return bool(re.match(r"'(\\.[^']{0,8}|[^'\\\n])'", code[i : i + 12]))


def _skip_string(code: str, i: int) -> int:
    quote, j = code[i], i + 1
    while j < len(code):
        if code[j] == "\\":
            j += 2
            continue
        if code[j] == quote:
            return j + 1
        if code[j] == "\n" and quote != "`":
            return j
        j += 1
    return j


_CONTINUATION_WORDS = re.compile(r"\s*(else\b|catch\b|finally\b|while\b|[.),;?:]|&&|\|\|)")


def _continues(code: str, j: int) -> bool:
    return bool(_CONTINUATION_WORDS.match(code, j))


def _line_complete(code: str, start: int, i: int, nxt: int) -> bool:
    text = code[start:i].rstrip()
    if not text.strip() or text[-1] in ",([{=+-*/%&|^!<>?:.":
        return False
    return not _continues(code, nxt)
