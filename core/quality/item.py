"""What the per-item checks read of an item: its fields, read defensively, and what they imply.

`read_item` never raises: a missing or mistyped field, or Python that does not parse, is a
`Flag`, and the checks see what could be read.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from core.models import normalize_language

from .flags import Flag
from .trees import Code, grammar_of, read_code

_CORE_FIELDS = ("query_text", "reference_answer", "assertions")
# formats whose items may come without a reference solution (MBXP's `canonical_solution: null`)
SOLUTION_OPTIONAL_FORMATS = frozenset({"mbxp"})


def meta_of(item: dict) -> dict:
    meta = item.get("metadata")
    return meta if isinstance(meta, dict) else {}


def parse_python(code: str) -> tuple[ast.Module | None, str | None]:
    """The module's tree, or None and why it does not parse (one line)."""
    try:
        return ast.parse(code), None
    except SyntaxError as exc:
        return None, f"line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, str(exc) or type(exc).__name__


@dataclass
class ItemParts:
    """The fields of an item read defensively, plus what the checks derive from them."""

    text: str = ""
    code: str = ""
    tests: str = ""
    meta: dict = field(default_factory=dict)
    language: str | None = None  # canonical id
    text_language: str | None = None  # the language the statement names, if any
    name: str | None = None  # the function the item is about
    text_names: list[str] = field(default_factory=list)
    solution_tree: ast.Module | None = None
    tests_tree: ast.Module | None = None
    # tree-sitter trees, for every language with a grammar other than Python (read by `ast`)
    solution_code: Code | None = None
    tests_code: Code | None = None

    @property
    def analysed(self) -> bool:
        """Whether code-level checks can read this item's language at all."""
        return self.language == "python" or grammar_of(self.language) is not None


_TEXT_NAME_PATTERNS = (
    re.compile(r"\b(?:named|called)\s+`([A-Za-z_$][\w$]*)`"),
    re.compile(r"\b(?:named|called)\s+([A-Za-z_$][\w$]*(?:_\w+|[a-z][A-Z]\w*|\d+))\b"),
    re.compile(r"\bFunction name:\s*`?([A-Za-z_$][\w$]*)`?"),
)
_TEXT_LANGUAGE_PATTERNS = (
    re.compile(r"\bLanguage:\s*([A-Za-z+#]+)"),
    re.compile(r"\bWrite an? ([A-Za-z+#]+) (?:function|class|method|program)\b"),
)


def read_item(item: dict) -> tuple[ItemParts, list[Flag]]:
    flags: list[Flag] = []
    parts = ItemParts()
    for key in _CORE_FIELDS:
        value = item.get(key)
        if (
            key == "assertions"
            and isinstance(value, list)
            and all(isinstance(v, str) for v in value)
        ):
            flags.append(
                Flag(
                    "invalid_field_type",
                    "info",
                    "assertions is a list; read as one check per entry",
                )
            )
            value = "\n".join(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            source = meta_of(item).get("source_format")
            if key == "reference_answer" and source in SOLUTION_OPTIONAL_FORMATS:
                flags.append(
                    Flag(
                        "missing_field",
                        "warn",
                        f"reference_answer is missing: {source} ships this item without a "
                        "canonical solution, so nothing shows its tests are right",
                    )
                )
            else:
                flags.append(Flag("missing_field", "reject", f"{key} is missing or empty"))
        elif not isinstance(value, str):
            flags.append(
                Flag(
                    "invalid_field_type",
                    "reject",
                    f"{key} is a {type(value).__name__}, expected text",
                )
            )
        else:
            setattr(
                parts,
                {"query_text": "text", "reference_answer": "code", "assertions": "tests"}[key],
                value,
            )
    query_id = item.get("query_id")
    if query_id is None or (isinstance(query_id, str) and not query_id.strip()):
        flags.append(
            Flag("missing_field", "warn", "query_id is missing: the item cannot be tracked")
        )
    meta = item.get("metadata")
    if not isinstance(meta, dict):
        flags.append(
            Flag(
                "missing_field",
                "warn",
                "metadata is missing or not an object: language and function name unknown",
            )
        )
        meta = {}
    parts.meta = meta
    for key in ("language", "function_name"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            if isinstance(item.get("metadata"), dict):
                flags.append(
                    Flag("missing_field", "warn", f"metadata.{key} is missing or not text")
                )
    for key in ("difficulty", "category", "complexity"):
        if key not in meta and isinstance(item.get("metadata"), dict):
            flags.append(
                Flag(
                    "missing_field",
                    "info",
                    f"metadata.{key} is missing: quotas cannot count this item",
                )
            )

    for pattern in _TEXT_NAME_PATTERNS:
        for m in pattern.finditer(parts.text):
            if m.group(1) not in parts.text_names:
                parts.text_names.append(m.group(1))
    text_language = next(
        (
            normalize_language(m.group(1))
            for p in _TEXT_LANGUAGE_PATTERNS
            for m in p.finditer(parts.text)
        ),
        None,
    )
    parts.text_language = text_language
    parts.language = normalize_language(meta.get("language")) or text_language
    name = meta.get("function_name")
    parts.name = name.strip() if isinstance(name, str) and name.strip() else None
    parts.name = parts.name or (parts.text_names[0] if parts.text_names else None)
    if parts.language != "python":
        parts.solution_code = read_code(parts.language, parts.code)
        parts.tests_code = read_code(parts.language, parts.tests, statements=True)
    else:
        if parts.code:
            parts.solution_tree, error = parse_python(parts.code)
            if error:
                flags.append(
                    Flag("syntax_error", "reject", f"the Python solution does not parse ({error})")
                )
        if parts.tests:
            parts.tests_tree, error = parse_python(parts.tests)
            if error:
                flags.append(
                    Flag("syntax_error", "reject", f"the Python tests do not parse ({error})")
                )
    return parts, flags
