"""Light, regex-level reading of code in any language (names come from `sandbox.languages`).

Python is read with `ast` elsewhere; these helpers give a best-effort view of other
languages (definitions, calls, function bodies) without a compiler. They are used for
consistency and placeholder checks, where a heuristic that is right on generated code
is enough and a compiler would be too slow or missing.
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


# bodies close with `end`, not braces (the registry has no field for block syntax yet)
_END_LANGUAGES = frozenset({"ruby", "lua"})


_STRING = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`"
_C_COMMENTS = re.compile(rf"({_STRING})|//[^\n]*|/\*.*?\*/", re.S)
_HASH_COMMENTS = re.compile(rf"({_STRING})|#[^\n]*")


def strip_comments(code: str, language: str | None) -> str:
    """`code` with comments removed (strings are kept)."""
    known = languages.get(language)
    pattern = _HASH_COMMENTS if known is not None and known.comment == "#" else _C_COMMENTS
    return pattern.sub(lambda m: m.group(1) or "", code)


_IDENT = r"[A-Za-z_$][\w$]*"
_KEYWORDS = frozenset(
    "if for while switch catch return else new sizeof typeof match loop do try with "
    "elif except assert print await yield not and or in is lambda throw panic".split()
)
_DEFINITION_PATTERNS = [
    re.compile(rf"\bfunction\s*\*?\s*({_IDENT})"),
    re.compile(
        rf"\b(?:const|let|var)\s+({_IDENT})\s*(?::[^=\n]+)?=\s*(?:async\s*)?(?:function\b|\(|{_IDENT}\s*=>)"
    ),
    re.compile(rf"\bfn\s+({_IDENT})"),
    re.compile(rf"\bfunc\s+(?:\([^)]*\)\s*)?({_IDENT})"),
    re.compile(rf"\bdef\s+(?:self\.)?({_IDENT}[?!]?)"),
    re.compile(rf"\bfun\s+({_IDENT})"),
    re.compile(rf"\b(?:class|struct|interface|trait|enum|object|type|impl)\s+({_IDENT})"),
    # C-family: `long factorial(int n) {`, `public static int f(...) throws X {`
    re.compile(
        rf"\b{_IDENT}[\w<>\[\],*&:\s]*?[\s*&]({_IDENT})\s*\([^;{{}}()]*(?:\([^()]*\)[^;{{}}()]*)*\)\s*(?:const\s*)?(?:throws\s+[\w.,\s]+)?\{{"
    ),
    # a method inside a class body: `  get(key: K): V {`
    re.compile(
        rf"^\s*(?:(?:public|private|protected|static|async|override)\s+)*({_IDENT})\s*(?:<[^>\n]*>)?\s*\([^)\n]*\)\s*(?::\s*[^{{\n]+)?\{{",
        re.M,
    ),
]
_CALL = re.compile(rf"(?:\bnew\s+)?({_IDENT})\s*(?:::<[^>\n]*>|<[\w\s,\[\]<>|]*>)?\s*\(")


def definitions(code: str, language: str | None) -> set[str]:
    """Names of functions, classes and types that `code` appears to define."""
    code = strip_comments(code, language)
    names: set[str] = set()
    for pattern in _DEFINITION_PATTERNS:
        names.update(m.group(1) for m in pattern.finditer(code))
    return names - _KEYWORDS


def calls(code: str, language: str | None) -> set[str]:
    """Names that `code` calls (`f(...)`, `new F(...)`, `obj.f(...)`, `F<T>(...)`)."""
    code = strip_comments(code, language)
    return {m.group(1) for m in _CALL.finditer(code)} - _KEYWORDS


_CHECK = re.compile(
    r"\bassert\w*!?\s*[(\s]|\bthrow\b|\bpanic!?\s*\(|\braise\b|\bexpect\s*\(|\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail)\b"
)


def count_checks(tests: str, language: str | None) -> int:
    """How many checks (assertions, throws, panics) a test block contains."""
    return len(_CHECK.findall(strip_comments(tests, language)))


def check_statements(tests: str, language: str | None) -> list[str]:
    """The lines of `tests` that hold a check, comments removed."""
    lines = strip_comments(tests, language).splitlines()
    return [line for line in lines if _CHECK.search(line)]


def _balanced(code: str, start: int, open_: str, close: str) -> int | None:
    """Index just past the bracket matching the one at `start`, or None."""
    depth = 0
    for i in range(start, len(code)):
        ch = code[i]
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def function_parts(code: str, name: str, language: str | None) -> tuple[str, str] | None:
    """(parameter text, body text) of the definition of `name` in brace or Ruby-like code.

    The body of an arrow function with an expression body is that expression. Returns
    None when no definition of `name` is found.
    """
    code = strip_comments(code, language)
    header = re.compile(
        rf"(?:\bfunction\s*\*?|\bfn|\bfunc(?:\s*\([^)]*\))?|\bdef|\bfun|[\w>\]*&])\s+{re.escape(name)}\s*(?:<[^()\n]*>)?\s*(?=\()"
        rf"|\b(?:const|let|var)\s+{re.escape(name)}\b[^=\n]*=\s*(?:async\s*)?(?:function\s*)?(?=\()"
    )
    match = header.search(code)
    if match is None:
        arrow = re.search(
            rf"\b(?:const|let|var)\s+{re.escape(name)}\b[^=\n]*=\s*({_IDENT})\s*=>", code
        )
        if arrow is None:
            return None
        rest = code[arrow.end() :].lstrip()
        if not rest.startswith("{"):
            return arrow.group(1), rest.split("\n", 1)[0].rstrip().rstrip(";")
        params = arrow.group(1)
    else:
        end = _balanced(code, match.end(), "(", ")")
        if end is None:
            return None
        params, rest = code[match.end() + 1 : end - 1], code[end:]
        rest = re.sub(r"^\s*=>", " =>", rest, count=1)
    brace = rest.find("{")
    arrow_at = rest.find("=>")
    if arrow_at != -1 and (brace == -1 or arrow_at < brace):
        expr = rest[arrow_at + 2 :].lstrip()
        if not expr.startswith("{"):
            return params, expr.split("\n", 1)[0].rstrip().rstrip(";")
        brace = arrow_at + 2 + (len(rest[arrow_at + 2 :]) - len(expr))
    if brace == -1 or language in _END_LANGUAGES:
        # Ruby / Python-like body: up to the last `end`, else to the end of the code
        body = rest.split("\n", 1)[1] if "\n" in rest else ""
        body = re.sub(r"\n\s*end\s*$", "", body.rstrip())
        return params, body
    end = _balanced(rest, brace, "{", "}")
    if end is None:
        return params, rest[brace + 1 :]
    return params, rest[brace + 1 : end - 1]


def identifiers(text: str) -> set[str]:
    """All identifier-like words of `text`."""
    return set(re.findall(_IDENT, text))
