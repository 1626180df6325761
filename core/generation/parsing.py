"""A tolerant reader for model replies that should hold one JSON object.

Servers without structured outputs wrap JSON in prose or code fences, and a reply cut off at
`max_tokens` ends mid-string; both are common enough that failing on them would waste calls.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[A-Za-z0-9_+#-]*[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def parse_json_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object a reply holds, or None: tries the whole text, fenced blocks, the
    first balanced `{...}`, then closes a truncated object."""
    if not text or not text.strip():
        return None
    candidates = [text.strip(), *(block.strip() for block in _FENCE.findall(text))]
    for candidate in candidates:
        value = _loads(candidate)
        if value is not None:
            return value
    start = text.find("{")
    if start < 0:
        return None
    body, closed = _balanced(text, start)
    value = _loads(body) if closed else _loads(_close(body))
    return value


def code_blocks(text: str | None) -> list[str]:
    """Fenced code blocks of a plain (non-JSON) reply, in order."""
    return [block.strip("\n") for block in _FENCE.findall(text or "") if block.strip()]


def _loads(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _structure(text: str):
    """(index, char) of every character outside JSON strings, then a final
    (-1, 'in string' | 'escaped' | '') telling how the text ended."""
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            yield index, char
    yield -1, ("escaped" if escaped else "in string") if in_string else ""


def _balanced(text: str, start: int) -> tuple[str, bool]:
    """From `start` (a '{') to its matching '}', string-aware; (rest of text, False) if open."""
    depth = 0
    for index, char in _structure(text[start:]):
        if char in "{[":
            depth += 1
        elif char in "}]" and index >= 0:
            depth -= 1
            if depth == 0:
                return text[start : start + index + 1], True
    return text[start:], False


def _close(text: str) -> str:
    """Close whatever a cut-off JSON object left open: a string, arrays, objects."""
    stack: list[str] = []
    ending = ""
    for index, char in _structure(text):
        if index < 0:
            ending = char
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack:
            stack.pop()
    tail = text[:-1] if ending == "escaped" else text  # a lone trailing backslash escapes nothing
    if ending:
        tail += '"'
    tail = tail.rstrip()
    # A dangling `"key":` or trailing comma cannot be closed into valid JSON; drop it.
    tail = re.sub(r',\s*"[^"]*"\s*:\s*$', "", tail)
    tail = re.sub(r",\s*$", "", tail)
    if tail.endswith(":"):
        tail += " null"
    return tail + "".join(reversed(stack))
