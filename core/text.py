"""Untrusted text made inert for a terminal: control characters are shown, never sent.

Everything an item or a run carries (code, names, messages, stdout, stderr, statements)
may hold escape sequences that retitle or clear the curator's terminal, write its
clipboard (OSC 52) or paint a fake verdict. `inert` turns each control character into
a visible escape (`\\x1b`, `\\x9b`), so the sequence is read, not obeyed. Rich's
`escape_control_codes` covers five codes and not ESC; Textual strips those same five.
"""

from __future__ import annotations

import json
from typing import Any

import typer

# C0 except newline and tab, DEL, C1 (CSI is 0x9b, OSC 0x9d, ST 0x9c)
_CONTROLS = [c for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (0x09, 0x0A)]
# bidirectional overrides and isolates: they reorder what is shown ("Trojan Source")
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_VISIBLE: dict[int, str] = {c: f"\\x{c:02x}" for c in _CONTROLS}
_VISIBLE.update({c: f"\\u{c:04x}" for c in _BIDI})


def inert(text: object) -> str:
    """`text` with every control character replaced by a visible escape.

    Windows line ends are kept as line ends; a lone carriage return shows as `\\x0d`.
    """
    value = text if isinstance(text, str) else "" if text is None else str(text)
    if value.isprintable():  # the common case: nothing to replace (newlines are not)
        return value
    return value.replace("\r\n", "\n").translate(_VISIBLE)


def has_controls(text: str) -> bool:
    """Whether `inert` would change `text` (beyond line ends)."""
    return inert(text) != text.replace("\r\n", "\n")


# JSON escapes C0 itself; with ensure_ascii off, DEL, C1 and bidi controls stay raw
_JSON_VISIBLE = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_BIDI)}


def json_text(value: Any) -> str:
    """`value` as one line of JSON that is inert on a terminal (non-ASCII text kept)."""
    return json.dumps(value, ensure_ascii=False).translate(_JSON_VISIBLE)


def echo(message: object = "", *, err: bool = False) -> None:
    """`typer.echo` for human output that may quote items, runs or errors."""
    typer.echo(inert(message), err=err)
