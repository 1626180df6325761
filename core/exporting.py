"""`assay export`: the selected items to JSONL, atomically, with a manifest beside them."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core import __version__, formats
from core.errors import AssayError
from core.store import ItemFilter, Store, now

EXPORT_FORMATS = formats.names(writable=True)
EXPORT_STATUSES = ("accepted", "rejected", "pending", "all")
# Check outcomes that speak against an item (its solution fails, breaks or does not parse);
# `unsupported` and unchecked say nothing either way.
FAILING_CHECKS = ("fail", "error", "timeout", "unparsable")


class FailingAccepted(AssayError):
    """`--strict`: accepted items whose current content fails its checks; nothing written."""

    def __init__(self, failing: list[dict[str, str]]) -> None:
        super().__init__(failing_sentence(failing, strict=True))
        self.failing = failing


def failing_sentence(
    failing: list[dict[str, str]], *, strict: bool, control: str = "--strict"
) -> str:
    """One sentence naming the accepted items whose checks fail (the first five);
    `control` is what refuses them where the sentence is read (the CLI's flag by default)."""
    named = ", ".join(f"{f['query_id']} ({f['check_status']})" for f in failing[:5])
    more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
    what = f"{len(failing)} accepted item(s) fail their checks: {named}{more}"
    if strict:
        return f"Nothing exported: {what} (fix or reject them, or export without {control})."
    return f"{what}; they are exported anyway ({control} refuses)."


@dataclass
class ExportFilters:
    status: str = "accepted"
    language: str | None = None
    difficulty: str | None = None
    solver_min: float | None = None  # measured difficulty: the solver's pass rate, 0-1
    solver_max: float | None = None


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def export_items(
    store: Store,
    out: str | Path,
    *,
    filters: ExportFilters | None = None,
    fmt: str = "assay",
    strict: bool = False,
) -> dict[str, Any]:
    """Write the selected items (in import/creation order) and return the manifest.

    The manifest counts check outcomes, recommendations and who decided, and lists the
    accepted items whose checks fail (`failing_accepted`); with `strict`, any such item
    refuses the export (`FailingAccepted`) and nothing is written.
    """
    filters = filters or ExportFilters()
    if fmt not in EXPORT_FORMATS:
        raise AssayError(f"Unknown export format {fmt!r}; use {', '.join(EXPORT_FORMATS)}.")
    target = formats.get(fmt)
    if filters.status not in EXPORT_STATUSES:
        raise AssayError(
            f"Unknown status {filters.status!r}; use one of {', '.join(EXPORT_STATUSES)}."
        )
    for bound in (filters.solver_min, filters.solver_max):
        if bound is not None and not 0 <= bound <= 1:
            raise AssayError(f"A solver pass rate is between 0 and 1, not {bound}.")
    out = Path(out)
    if out.is_dir():
        raise AssayError(f"{out} is a directory; give a file name to export to.")
    if not out.parent.exists():
        raise AssayError(f"The folder {out.parent} does not exist.")
    where = ItemFilter(
        status=None if filters.status == "all" else filters.status,
        language=filters.language,
        difficulty=filters.difficulty,
        solver_min=filters.solver_min,
        solver_max=filters.solver_max,
    )
    counts: dict[str, Counter] = {k: Counter() for k in ("language", "difficulty", "category")}
    by_status: Counter = Counter()
    outcomes: dict[str, Counter] = {k: Counter() for k in ("check", "recommendation", "author")}
    failing: list[dict[str, str]] = []
    digest = hashlib.sha256()
    total = 0
    tmp = _temp_beside(out)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            for item in store.iter_items(where):
                line = formats.write_line(item.record, target)  # Refused: nothing written
                handle.write(line)
                digest.update(line.encode("utf-8"))
                total += 1
                meta = item.metadata
                counts["language"][meta.get("language") or "unknown"] += 1
                counts["difficulty"][meta.get("difficulty") or "unknown"] += 1
                counts["category"][meta.get("category") or "unknown"] += 1
                by_status[item.status] += 1
                outcomes["check"][item.check_status or "unchecked"] += 1
                outcomes["recommendation"][item.recommendation or "unchecked"] += 1
                outcomes["author"][item.decided_by or "undecided"] += 1
                if item.status == "accepted" and item.check_status in FAILING_CHECKS:
                    failing.append({"query_id": item.query_id, "check_status": item.check_status})
            if failing and strict:
                raise FailingAccepted(failing)
            handle.flush()
            os.fsync(handle.fileno())
        manifest = {
            "file": out.name,
            "format": fmt,
            "count": total,
            "sha256": digest.hexdigest(),
            "filters": asdict(filters),
            "by_status": dict(sorted(by_status.items())),
            "by_language": dict(counts["language"].most_common()),
            "by_difficulty": dict(counts["difficulty"].most_common()),
            "by_category": dict(counts["category"].most_common()),
            "by_check_status": dict(outcomes["check"].most_common()),
            "by_recommendation": dict(outcomes["recommendation"].most_common()),
            "by_decided_by": dict(outcomes["author"].most_common()),
            "failing_accepted": failing,
            "tool": "assay",
            "tool_version": __version__,
            "database": str(store.path),
            "exported_at": now(),
        }
        manifest_tmp = _temp_beside(manifest_path(out))
        try:
            Path(manifest_tmp).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, out)
            os.replace(manifest_tmp, manifest_path(out))
        finally:
            if os.path.exists(manifest_tmp):
                os.unlink(manifest_tmp)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return manifest


def _temp_beside(path: Path) -> str:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp makes 0600 files; an export should get the usual permissions (umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return name
