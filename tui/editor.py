"""Editing text in the curator's own `$EDITOR`, with the app suspended meanwhile.

Tests replace `run_editor` (the headless driver cannot suspend).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App

from sandbox import languages

# The two fields that are not code (the problem and the metadata); code takes its language's.
_FIELD_SUFFIXES = {"markdown": ".md", "json": ".json"}


def suffix_for(language: str) -> str:
    """The temporary file's suffix, so the curator's editor highlights the right language."""
    known = languages.get(language)
    return known.suffix if known else _FIELD_SUFFIXES.get(language, ".txt")


def editor_command() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def run_editor(app: App, text: str, language: str) -> str | None:
    """Open `text` in $EDITOR; the edited text, or None if the editor failed."""
    fd, name = tempfile.mkstemp(prefix="assay-", suffix=suffix_for(language))
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        with app.suspend():
            completed = subprocess.run([*editor_command(), str(path)], check=False)
        if completed.returncode != 0:
            return None
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
