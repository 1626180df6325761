"""Prompt templates: files in the `prompts` package, or in a folder the user points at.

Templates use `$name` placeholders (string.Template), so code braces in them need no escaping.
A file in the user's folder replaces the bundled file of the same name; the others stay.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from string import Template

from core.errors import AssayError

SUFFIXES = (".md", ".txt")


class PromptSet:
    """The templates one job uses; `fingerprint` changes when any of their text does."""

    def __init__(self, override_dir: str | Path | None = None):
        self.override_dir = Path(override_dir).expanduser() if override_dir else None
        if self.override_dir is not None and not self.override_dir.is_dir():
            raise AssayError(f"The prompts folder {self.override_dir} does not exist.")
        self._texts: dict[str, str] = {}

    def text(self, name: str) -> str:
        if name not in self._texts:
            self._texts[name] = self._read(name)
        return self._texts[name]

    def _read(self, name: str) -> str:
        for suffix in SUFFIXES:
            if self.override_dir is not None:
                path = self.override_dir / f"{name}{suffix}"
                if path.is_file():
                    try:
                        return path.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError) as exc:
                        raise AssayError(f"The prompt file {path} cannot be read: {exc}.") from None
            bundled = resources.files("prompts") / f"{name}{suffix}"
            if bundled.is_file():
                return bundled.read_text(encoding="utf-8")
        raise AssayError(f"There is no prompt template named {name!r} (.md or .txt).")

    def render(self, name: str, **values: object) -> str:
        """The template with its placeholders filled; a missing value is the user's error."""
        try:
            return (
                Template(self.text(name)).substitute({k: str(v) for k, v in values.items()}).strip()
            )
        except KeyError as exc:
            raise AssayError(
                f"The prompt template {name!r} uses ${exc.args[0]}, which this step does not provide."
            ) from None
        except ValueError as exc:
            raise AssayError(f"The prompt template {name!r} is malformed: {exc}.") from None

    def lines(self, name: str) -> list[str]:
        """Non-blank, non-comment lines of a list file (the topic bank, assertion styles)."""
        return [
            line.strip()
            for line in self.text(name).splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]

    def keyed(self, name: str) -> dict[str, str]:
        """`key: text` lines of a list file."""
        pairs = (line.split(":", 1) for line in self.lines(name) if ":" in line)
        return {key.strip().lower(): text.strip() for key, text in pairs}

    def fingerprint(self, names: list[str]) -> str:
        digest = hashlib.sha256()
        for name in sorted(names):
            digest.update(name.encode() + b"\0" + self.text(name).encode("utf-8") + b"\0")
        return digest.hexdigest()[:16]
