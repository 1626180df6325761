"""Cross-item checks: repeated templates, duplicates and contamination over a set."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from core.quotas import KNOWN_DIFFICULTIES

from .contamination import ContaminationIndex
from .dedup import DuplicateIndex, code_tokens, item_fields, statement_core, text_tokens
from .flags import Flag
from .languages import language_words

TEMPLATE_MIN_ITEMS = 3
_LEVEL_WORDS = frozenset(w for d in KNOWN_DIFFICULTIES for w in d.split("_"))


def item_key(item: object, position: int) -> str:
    """The key of an item in results: its query_id, or `#<position>` when it has none."""
    if (
        isinstance(item, dict)
        and isinstance(item.get("query_id"), str | int)
        and item["query_id"] != ""
    ):
        return str(item["query_id"])
    return f"#{position}"


def _skeleton_words(item: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The statement and solution with everything item-specific abstracted away."""
    text, code, name, _ = item_fields(item)
    text = statement_core(text)
    meta = item.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    category = meta.get("category")
    category_words = (
        set(re.findall(r"[a-z]+", category.lower())) if isinstance(category, str) else set()
    )
    if name:
        text = re.sub(rf"\b{re.escape(name)}\b", " NAME ", text)
        code = re.sub(rf"\b{re.escape(name)}\b", " NAME ", code)

    def word(w: str) -> str:
        if w.isdigit():
            return "<n>"
        if w in language_words():
            return "<lang>"
        if w in _LEVEL_WORDS:
            return "<level>"
        if w in category_words:
            return "<category>"
        return w

    words = [word(w) for w in text_tokens(text)]
    # "very advanced" and "data_structures" become one placeholder, not two
    text_skeleton = tuple(
        w for i, w in enumerate(words) if not (w[0] == "<" and i and words[i - 1] == w)
    )
    code_skeleton = tuple("<n>" if t[0].isdigit() else t for t in code_tokens(code))
    return text_skeleton, code_skeleton


def template_key(item: dict) -> tuple[str, str, str]:
    """(statement skeleton digest, solution skeleton digest, statement shown to a curator):
    what `repeated_template` groups on, small enough for the caller to store per item."""
    text_skeleton, code_skeleton = _skeleton_words(item)
    if not text_skeleton:
        return "", "", ""
    return (
        hashlib.blake2b(" ".join(text_skeleton).encode(), digest_size=12).hexdigest(),
        hashlib.blake2b(" ".join(code_skeleton).encode(), digest_size=12).hexdigest()
        if code_skeleton
        else "",
        " ".join(text_skeleton)[:80],
    )


def template_flag(members: int, same_code: int, shown: str, others: list[str]) -> Flag | None:
    """The `repeated_template` flag of an item whose statement skeleton `members` items
    share (itself included), `same_code` of them with its solution skeleton too."""
    if members < TEMPLATE_MIN_ITEMS:
        return None
    listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    if same_code >= TEMPLATE_MIN_ITEMS:
        return Flag(
            "repeated_template",
            "reject",
            f"{members} items share this statement ('{shown}') and {same_code} "
            f"share the same solution once names, languages and levels are ignored: "
            f"a quota filled from one template (also {listed})",
        )
    return Flag(
        "repeated_template",
        "warn",
        f"{members} items share this statement once names, languages and "
        f"levels are ignored ('{shown}'; also {listed})",
    )


def _template_flags(items: list, keys: list[str]) -> dict[str, list[Flag]]:
    by_text: dict[str, list[int]] = defaultdict(list)
    parts: dict[int, tuple[str, str, str]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        parts[i] = template_key(item)
        if parts[i][0]:
            by_text[parts[i][0]].append(i)
    flags: dict[str, list[Flag]] = defaultdict(list)
    for members in by_text.values():
        if len(members) < TEMPLATE_MIN_ITEMS:
            continue
        for i in members:
            _, code, shown = parts[i]
            same_code = sum(1 for j in members if code and parts[j][1] == code)
            others = [keys[j] for j in members if j != i]
            flag = template_flag(len(members), same_code, shown, others)
            if flag:
                flags[keys[i]].append(flag)
    return flags


def check_dataset(
    items: list,
    references: list[ContaminationIndex] | None = None,
    index: DuplicateIndex | None = None,
) -> dict[str, list[Flag]]:
    """Cross-item flags keyed by query_id: repeated templates, duplicates, contamination.

    `references` are the benchmarks to check contamination against (default: HumanEval;
    pass `[]` for none). `index` lets the caller keep the duplicate index (with the
    signatures to store) or continue one rebuilt from stored signatures; items already
    in it are not added again. Items without a query_id are keyed `#<position>`.
    """
    keys = [item_key(item, i) for i, item in enumerate(items)]
    references = [ContaminationIndex.humaneval()] if references is None else references
    index = DuplicateIndex() if index is None else index
    flags = _template_flags(items, keys)
    for key, item in zip(keys, items, strict=True):
        if isinstance(item, dict) and key not in index:
            index.add_item(key, item)
    for key, item in zip(keys, items, strict=True):
        if not isinstance(item, dict):
            continue
        flags[key].extend(index.flags(key))  # against the whole set, whatever its order
        text, code, _, _ = item_fields(item)
        for reference in references:
            flags[key].extend(reference.check(text, code))
    return {key: flags.get(key, []) for key in keys}
