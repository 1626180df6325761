"""What the quality checks need of the language registry that is not a syntax tree.

Code is read on syntax trees in `trees.py` (and Python with `ast`); this module holds the
words that name languages and comment stripping, which work for every language the
registry knows, grammar or not (a solution that is only comments).
"""

from __future__ import annotations

import functools
import re

from sandbox import languages


@functools.cache
def language_words() -> frozenset[str]:
    """Words that name a language inside a statement ("Write a TypeScript function ...")."""
    return frozenset(
        word
        for language in languages.all_languages()
        for word in (language.id, language.label.lower(), *language.aliases)
        if len(word) > 1
    )


_STRING = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`"
_C_COMMENTS = re.compile(rf"({_STRING})|//[^\n]*|/\*.*?\*/", re.S)
_HASH_COMMENTS = re.compile(rf"({_STRING})|#[^\n]*")


def strip_comments(code: str, language: str | None) -> str:
    """`code` with comments removed (strings are kept)."""
    known = languages.get(language)
    pattern = _HASH_COMMENTS if known is not None and known.comment == "#" else _C_COMMENTS
    return pattern.sub(lambda m: m.group(1) or "", code)
