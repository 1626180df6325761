"""The language registry: every fact about a language lives in its own module here.

    from sandbox import languages
    languages.get("TS").label        # "TypeScript"
    languages.normalise("golang")    # "go"
    languages.toolchains()           # {"go": {"available": True, "version": ..., "source": ...}}

Adding a language is one module exposing `LANGUAGES` (a list of `Language`) and
one line in `_MODULES`. Core and the TUI read names, labels, lexers, suffixes and
editor modes from here; no other language table exists in the tree.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from typing import Any

from sandbox import isolation
from sandbox.languages.base import Language, Toolchain, Unparsable, Unsupported
from sandbox.result import RunRequest

__all__ = [
    "Language",
    "Toolchain",
    "Unparsable",
    "Unsupported",
    "all_languages",
    "get",
    "label",
    "normalise",
    "toolchains",
]

# Order is display order (doctor, filters): the languages that run first.
_MODULES = ("python", "javascript", "go", "rust", "java", "cpp", "php", "ruby", "others")


@functools.cache
def all_languages() -> tuple[Language, ...]:
    """Every registered language, runnable ones first."""
    found: list[Language] = []
    for name in _MODULES:
        found.extend(importlib.import_module(f"sandbox.languages.{name}").LANGUAGES)
    return tuple(found)


@functools.cache
def _by_alias() -> dict[str, Language]:
    table: dict[str, Language] = {}
    for language in all_languages():
        for alias in (language.id, language.label.lower(), *language.aliases):
            if table.setdefault(alias, language) is not language:
                raise RuntimeError(f"alias {alias!r} names two languages")
    return table


def get(name: object) -> Language | None:
    """The language a metadata spelling names ("TypeScript", "ts", "C++"), or None."""
    if not isinstance(name, str):
        return None
    return _by_alias().get(name.strip().lower())


def normalise(name: object) -> str | None:
    """The canonical id of a spelling, or None when no registered language has it."""
    language = get(name)
    return language.id if language else None


def label(language_id: str | None) -> str:
    """The display name of an id (`cpp` -> `C++`); unknown ids come back as they are."""
    language = get(language_id)
    return language.label if language else (language_id or "unknown")


def sandbox_roots() -> list[str]:
    """Directories the registered languages' runs must read (toolchains, trusted caches)."""
    roots: list[str] = []
    for provider in dict.fromkeys(lang.roots for lang in all_languages() if lang.roots):
        try:
            roots += [root for root in provider() if root not in roots]
        except OSError:  # an unwritable cache: that language runs without it
            continue
    return roots


isolation.add_roots(sandbox_roots)


def _by_preparer(requests: Sequence[RunRequest]) -> dict[Any, list[RunRequest]]:
    groups: dict[Any, list[RunRequest]] = {}
    for request in requests:
        language = get(request.language)
        if language is not None and language.prepare is not None:
            groups.setdefault(language.prepare, []).append(request)
    return groups


def prepare(requests: Sequence[RunRequest]) -> None:
    """Let languages work on a whole list of requests before any is built (Rust compiles
    them in batches); a failure there only means each is built alone."""
    for (start, _), mine in _by_preparer(requests).items():
        try:
            start(mine)
        except Exception:  # noqa: BLE001 - an optimisation: the runs go on without it
            continue


def release(requests: Sequence[RunRequest]) -> None:
    """Forget what `prepare` kept for requests that were not built."""
    for (_, forget), mine in _by_preparer(requests).items():
        forget(mine)


def toolchains() -> dict[str, dict[str, Any]]:
    """Per runnable language: available, version and source, or available=False and why."""
    return {
        language.id: language.toolchain().to_dict()
        for language in all_languages()
        if language.toolchain is not None
    }
