"""`assay check` and the TUI's re-check: sandbox run + quality checks, stored per content.

One code path for the command line and the app. Cross-item checks (duplicates, repeated
templates, contamination) see the whole store; the duplicate index is rebuilt from stored
MinHash signatures, so only items whose content is new are hashed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import sandbox
from core.models import Item
from core.quality import DuplicateIndex, Flag, compute_metrics, dataset_report, recommend
from core.quality.checks import check_item
from core.quality.dataset import check_dataset
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
    for index, run in sandbox.run_many(requests, workers=workers or os.cpu_count(), strict=strict):
        item = items[index]
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
    """Duplicate, template and contamination flags for `targets` against the whole store."""
    target_ids = {item.query_id for item in targets}
    index = DuplicateIndex()
    indexed: set[str] = set()
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
            indexed.add(query_id)
    everything = list(store.iter_items())
    flags = check_dataset([item.record for item in everything], index=index)
    with store.db.atomic():
        store.conn.executemany(
            "INSERT OR REPLACE INTO signatures (item_id, content_hash, signature) VALUES (?,?,?)",
            [
                (item.id, item.content_hash, index.export(item.query_id))
                for item in everything
                if item.query_id not in indexed and item.query_id in index
            ],
        )
    clusters: dict[str, str | None] = {item.query_id: None for item in everything}
    for cluster in index.clusters():
        for member in cluster["members"]:
            clusters[member] = cluster["representative"]
    store.set_clusters(clusters)
    return {qid: flags.get(qid, []) for qid in target_ids}


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
