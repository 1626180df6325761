"""`assay check` and the TUI's re-check: sandbox run + quality checks, stored per content.

One code path for the command line and the app. Cross-item checks (duplicates, repeated
templates, contamination) see the whole store; the duplicate index is rebuilt from stored
MinHash signatures, so only items whose content is new are hashed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sandbox
from core.models import Item
from core.quality import (
    ContaminationIndex,
    DuplicateIndex,
    Flag,
    compute_metrics,
    dataset_report,
    recommend,
)
from core.quality.checks import check_item
from core.quality.dataset import template_flag, template_key
from core.store import Store, now

CONTRACT_METRICS = ("cyclomatic_max", "halstead_difficulty", "maintainability_index", "sloc")


def run_checks(
    store: Store,
    items: list[Item] | None = None,
    *,
    workers: int | None = None,
    strict: bool = False,
    timeout: float = 10.0,
    on_result: Callable[[Item, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Check `items` (default: every item whose current content has no result) and store.

    Returns the results in the order the items were given; `on_result(item, result)` is
    called as each finishes (from this thread).
    """
    items = store.unchecked() if items is None else items
    if not items:
        return []
    cross = cross_item_flags(store, items)
    requests = [
        sandbox.RunRequest(
            language=item.metadata.get("language") or "",
            solution=item.reference_answer,
            tests=item.assertions,
            function_name=item.function_name or None,
            timeout=timeout,
        )
        for item in items
    ]
    results: list[dict[str, Any] | None] = [None] * len(items)
    for index, run in sandbox.run_many(requests, workers=workers, strict=strict):
        item = items[index]
        if not item.has_reference:  # nothing to judge the tests against
            run = sandbox.RunResult("unsupported", reason="no reference solution")
        result = build_result(item, run, cross.get(item.query_id, []))
        store.save_check(item, result)
        results[index] = result
        if on_result is not None:
            on_result(item, result)
    return [r for r in results if r is not None]


def build_result(item: Item, run: sandbox.RunResult, cross: list[Flag]) -> dict[str, Any]:
    """One item's check result: sandbox verdict, metrics, flags and recommendation."""
    flags = _unique(check_item(item.record) + cross)
    metrics = compute_metrics(item.metadata.get("language"), item.reference_answer, item.assertions)
    return {
        "query_id": item.query_id,
        "revision": item.revision,
        "status": run.status,
        "tests": {"passed": run.passed, "failed": run.failed, "total": run.total},
        "recommendation": recommend(run.status, flags),
        "flags": [flag.to_dict() for flag in flags],
        "metrics": metrics,
        "run": run.to_dict(),
        "checked_at": now(),
    }


def contract_view(result: dict[str, Any]) -> dict[str, Any]:
    """The line `assay check --json` prints for a result (BRIEF.md contract)."""
    metrics = result.get("metrics") or {}
    return {
        "query_id": result["query_id"],
        "revision": result["revision"],
        "status": result["status"],
        "tests": result["tests"],
        "recommendation": result["recommendation"],
        "flags": result["flags"],
        "metrics": {key: metrics.get(key) for key in CONTRACT_METRICS},
    }


def cross_item_flags(store: Store, targets: list[Item]) -> dict[str, list[Flag]]:
    """Duplicate, template and contamination flags for `targets` against the whole store.

    Items whose current content already has a stored signature are not hashed again, so
    re-checking one edited item costs its own signature plus loading the others'.
    """
    target_ids = {item.query_id for item in targets}
    index = DuplicateIndex()
    for query_id, signature in store.conn.execute(
        "SELECT items.query_id, signatures.signature FROM items JOIN signatures "
        "ON signatures.item_id = items.id AND signatures.content_hash = items.content_hash "
        "ORDER BY items.id"
    ):
        if query_id not in target_ids:
            try:
                index.add_signature(query_id, signature)
            except ValueError:  # stored by an older version: rehashed below
                continue
    unsigned = [item for item in _unsigned_items(store) if item.query_id not in target_ids]
    flags: dict[str, list[Flag]] = {item.query_id: [] for item in targets}
    rows = []
    for item in [*unsigned, *targets]:  # earlier items first: they are the representatives
        found = index.add_item(item.query_id, item.record)
        if item.query_id in flags:
            flags[item.query_id].extend(found)
        rows.append(
            (item.id, item.content_hash, index.export(item.query_id), *template_key(item.record))
        )
    with store.write():
        store.conn.executemany(
            "INSERT OR REPLACE INTO signatures (item_id, content_hash, signature, template_text,"
            " template_code, template_shown) VALUES (?,?,?,?,?,?)",
            rows,
        )
    contamination = ContaminationIndex.humaneval()
    for item in targets:
        flags[item.query_id].extend(contamination.check(item.query_text, item.reference_answer))
    for query_id, flag in _template_flags(store, targets):
        flags[query_id].append(flag)
    _store_clusters(store, index)
    return flags


def _unsigned_items(store: Store) -> list[Item]:
    """Items whose current content has no stored signature."""
    ids = [
        row[0]
        for row in store.conn.execute(
            "SELECT items.id FROM items LEFT JOIN signatures ON signatures.item_id = items.id "
            "AND signatures.content_hash = items.content_hash WHERE signatures.item_id IS NULL"
        )
    ]
    if len(ids) > 1000:
        wanted = set(ids)
        return [item for item in store.iter_items() if item.id in wanted]
    return [store.get_by_id(i) for i in ids]


_CURRENT_SIGNATURES = (
    "FROM signatures JOIN items ON items.id = signatures.item_id "
    "AND items.content_hash = signatures.content_hash"
)


def _template_flags(store: Store, targets: list[Item]) -> list[tuple[str, Flag]]:
    """`repeated_template` flags for targets, from the skeletons stored for every item."""
    keys = {
        row[0]: row[1:]
        for row in store.conn.execute(
            f"SELECT items.query_id, template_text, template_code, template_shown "
            f"{_CURRENT_SIGNATURES} WHERE items.query_id IN (SELECT value FROM json_each(?))",
            [json.dumps([t.query_id for t in targets])],
        )
    }
    groups = {text for text, _, _ in keys.values() if text}
    sizes: dict[str, int] = {}
    same: dict[tuple[str, str], int] = {}
    examples: dict[str, list[str]] = {}
    for text in groups:
        sizes[text] = 0
        for code, count in store.conn.execute(
            f"SELECT template_code, count(*) {_CURRENT_SIGNATURES} WHERE template_text = ? "
            "GROUP BY template_code",
            [text],
        ):
            sizes[text] += count
            same[(text, code)] = count
        if sizes[text] >= 3:
            examples[text] = [
                row[0]
                for row in store.conn.execute(
                    f"SELECT items.query_id {_CURRENT_SIGNATURES} WHERE template_text = ? "
                    "ORDER BY items.id LIMIT 7",
                    [text],
                )
            ]
    out = []
    for query_id, (text, code, shown) in keys.items():
        if not text:
            continue
        others = [q for q in examples.get(text, []) if q != query_id][:6]
        others += [""] * max(0, sizes[text] - 1 - len(others))  # counted in "and N more"
        flag = template_flag(sizes[text], same[(text, code)] if code else 0, shown, others)
        if flag:
            out.append((query_id, flag))
    return out


def _store_clusters(store: Store, index: DuplicateIndex) -> None:
    """Record each item's duplicate cluster (its representative), writing only changes."""
    wanted: dict[str, str] = {}
    for cluster in index.clusters():
        for member in cluster["members"]:
            wanted[member] = cluster["representative"]
    current = dict(store.conn.execute("SELECT query_id, cluster_id FROM items"))
    changes = {
        qid: wanted.get(qid) for qid, cluster in current.items() if wanted.get(qid) != cluster
    }
    if changes:
        store.set_clusters(changes)


def _unique(flags: list[Flag]) -> list[Flag]:
    seen: set[tuple[str, str]] = set()
    out = []
    for flag in flags:
        key = (flag.code, flag.message)
        if key not in seen:
            seen.add(key)
            out.append(flag)
    return out


def store_report(store: Store, *, reference: list | None = None) -> dict[str, Any]:
    """The dataset report (`assay stats --report`, the TUI dashboard) over the whole store,
    using stored check results and duplicate clusters rather than recomputing them."""
    records: list[dict] = []
    results: dict[str, dict[str, Any]] = {}
    members: dict[str, list[str]] = {}
    for item in store.iter_items():
        records.append(item.record)
        if item.cluster_id:
            members.setdefault(item.cluster_id, []).append(item.query_id)
    for query_id, result in store.conn.execute(
        "SELECT items.query_id, check_results.result FROM items JOIN check_results "
        "ON check_results.item_id = items.id AND check_results.content_hash = items.content_hash"
    ):
        results[query_id] = json.loads(result)
    clusters = [
        {"representative": rep, "members": group, "kind": "near"}
        for rep, group in members.items()
        if len(group) > 1
    ]
    return dataset_report(records, results, reference=reference, clusters=clusters)
