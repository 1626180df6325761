"""A tolerant reader for model replies that should hold one JSON object.

Real servers wrap the object in reasoning (`<think>...</think>` from R1-style models,
sometimes with only the closing tag), prose or code fences; some put a draft object before
the real one; small models write raw newlines inside JSON strings. This reads all of that.
What it never does is finish a reply that was cut off: an object that does not close is not
content (the caller feeds the truncation back or ends the slot), since a closed-up
`"assertions": "as"` would become an item whose tests were invented by the parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_FENCE = re.compile(r"```[A-Za-z0-9_+#-]*[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_REASONING_TAGS = ("think", "thinking", "reasoning", "thought")
_REASONING = re.compile(
    rf"<({'|'.join(_REASONING_TAGS)})>.*?(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE
)
# Servers that strip the opening tag (vLLM's R1 template) leave the reasoning, then `</think>`.
_REASONING_END = re.compile(rf"</(?:{'|'.join(_REASONING_TAGS)})>", re.IGNORECASE)


def strip_reasoning(text: str | None) -> str:
    """The reply without the model's reasoning blocks."""
    text = _REASONING.sub("", text or "")
    ends = list(_REASONING_END.finditer(text))
    return text[ends[-1].end() :] if ends else text


def json_objects(text: str | None) -> Iterator[dict[str, Any]]:
    """Every JSON object of a reply, in the order they appear: the whole reply, fenced
    blocks, then each balanced `{...}` of the prose (objects inside one already read are not
    read again)."""
    text = strip_reasoning(text).strip()
    if not text:
        return
    whole = _loads(text)
    if whole is not None:
        yield whole
        return
    for block in _FENCE.findall(text):
        value = _loads(block.strip())
        if value is not None:
            yield value
    start = text.find("{")
    while start >= 0:
        body, closed = _balanced(text, start)
        if not closed:
            return  # cut off: not content
        value = _loads(body)
        if value is not None:
            yield value
            start = text.find("{", start + len(body))
        else:
            start = text.find("{", start + 1)


def parse_json_object(text: str | None, *required: str) -> dict[str, Any] | None:
    """The first JSON object of a reply that has every `required` key (any object when none
    is named), or None."""
    first = None
    for value in json_objects(text):
        if all(key in value for key in required):
            return value
        first = first if first is not None else value
    return first if not required else None


def code_blocks(text: str | None) -> list[str]:
    """Fenced code blocks of a plain (non-JSON) reply, in order, reasoning left out."""
    return [block.strip("\n") for block in _FENCE.findall(strip_reasoning(text)) if block.strip()]


def _loads(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text, strict=False)  # raw newlines and tabs inside strings
    except (json.JSONDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _structure(text: str) -> Iterator[tuple[int, str]]:
    """(index, char) of every character outside JSON strings."""
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


def _balanced(text: str, start: int) -> tuple[str, bool]:
    """From `start` (a '{') to its matching '}', string-aware; (rest of text, False) if open."""
    depth = 0
    for index, char in _structure(text[start:]):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[start : start + index + 1], True
    return text[start:], False
