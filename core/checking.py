"""`assay check` and the TUI's re-check: sandbox run + quality checks, stored per content.

One code path for the command line and the app. Cross-item checks (duplicates, repeated
templates, contamination) see the whole store; the duplicate index is rebuilt from stored
MinHash signatures, so only items whose content is new are hashed.
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import load_settings
from core.models import Item
from core.quality import Flag, compute_metrics, recommend, settle
from core.quality.checks import check_item
from core.quality.flags import SEVERITIES, Severity
from core.quality.metrics import no_metrics
from core.quality.signals import generation_flags
from core.quality.tampering import tampering_flag
from core.results import CheckResult, Neighbour, TestCounts
from core.store import Signature, Store, now
from sandbox.api import hide_paths, require_isolation, run_many
from sandbox.pyplan import PARSING
from sandbox.result import RunRequest, RunResult

if TYPE_CHECKING:
    from core.quality.dedup import DuplicateIndex

# The cross-item indexes (datasketch, which imports scipy: ~0.5 s) are imported where they
# are used, in `cross_item_checks`, which runs while the first runs start: imported here,
# they delayed every run of every `assay check` by as much.


def run_checks(
    store: Store,
    items: list[Item] | None = None,
    *,
    workers: int | None = None,
    isolation: str | None = None,
    strict: bool = False,
    timeout: float = 10.0,
    on_result: Callable[[Item, CheckResult], None] | None = None,
    too_easy: Severity | None = None,
) -> list[CheckResult]:
    """Check `items` (default: every item whose current content has no result) and store.

    Returns the results in the order the items were given; `on_result(item, result)` is
    called as each finishes (from this thread). `isolation` is "full" (the default, also
    what the old `strict` meant) or "weak"; without full isolation here, nothing is run
    or stored and `sandbox.result.StrictModeError` names what is missing. `too_easy` is the
    severity of that flag (default: `[checks] too_easy` in the config file, else info).
    """
    isolation = require_isolation(isolation)  # before anything is written
    hide_paths([str(Path(store.path).resolve().parent)])  # runs never see the database
    items = store.unchecked() if items is None else items
    if not items:
        return []
    if too_easy is None:
        too_easy = "warn" if load_settings().too_easy == "warn" else "info"
    requests = [run_request(item, timeout) for item in items]
    runs = _Background(run_many(requests, workers=workers, isolation=isolation))
    try:
        # While the first runs start (the workers, the compiles), this thread hashes the
        # items and builds the reference indexes: ~0.5 s of a one-item check was this.
        cross = cross_item_checks(store, items)
        for item in items:
            cross[item.query_id][0].extend(revision_flags(store, item))
        results = _collect(store, items, runs, cross, too_easy, on_result)
    finally:
        runs.stop()
    return [r for r in results if r is not None]


class _Background:
    """Pairs of a run_many generator, drawn by a thread of their own so the runs go on
    while the caller does other work; `stop` ends the draw (queued runs finish first)."""

    def __init__(self, pairs: Iterator[tuple[int, RunResult]]) -> None:
        self._pairs = pairs
        self._queue: queue.SimpleQueue[tuple[int, RunResult] | BaseException | None] = (
            queue.SimpleQueue()
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._draw, name="check-runs", daemon=True)
        self._thread.start()

    def _draw(self) -> None:
        try:
            for pair in self._pairs:
                if self._stopping.is_set():
                    break
                self._queue.put(pair)
        except BaseException as exc:  # re-raised in the caller's thread
            self._queue.put(exc)
        finally:
            close = getattr(self._pairs, "close", None)
            if close is not None:
                close()
            self._queue.put(None)

    def __iter__(self) -> Iterator[tuple[int, RunResult]]:
        while (got := self._queue.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            yield got

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


def _collect(
    store: Store,
    items: list[Item],
    runs: _Background,
    cross: dict[str, tuple[list[Flag], list[Neighbour]]],
    too_easy: Severity,
    on_result: Callable[[Item, CheckResult], None] | None,
) -> list[CheckResult | None]:
    """Judge and store each run as it comes (in this thread, the store's)."""
    results: list[CheckResult | None] = [None] * len(items)
    for index, run in runs:
        item = items[index]
        if not item.has_reference:  # nothing to judge the tests against
            run = RunResult("unsupported", reason="no reference solution")
        flags, neighbours = cross.get(item.query_id, ([], []))
        try:
            result = build_result(item, run, flags, neighbours, too_easy=too_easy)
        except Exception as exc:  # one item's odd content never stops the batch
            result = failed_result(item, run, "checking this item", exc)
        try:
            store.save_check(item, result)
        except (UnicodeError, ValueError, TypeError) as exc:  # content the store cannot hold
            run = RunResult("error", reason="the run's result could not be stored")
            result = failed_result(item, run, "storing this item's result", exc)
            store.save_check(item, result)
        results[index] = result
        if on_result is not None:
            on_result(item, result)
    return results


# How a revision's action reads in a `tests_weakened` message.
_CHANGES = {"edit": "the edit", "update": "the re-import", "revert": "the restore"}


def revision_flags(store: Store, item: Item) -> list[Flag]:
    """`tests_weakened` when the item's current tests removed checks of its previous
    content's tests or changed their expected values (an edit, a re-import, a restore)."""
    failures: list[Flag] = []

    def compare() -> list[Flag]:
        previous = store.previous_content(item)
        if previous is None:
            return []
        record, action = previous
        before = record.get("assertions")
        flag = tampering_flag(
            item.metadata.get("language"),
            before if isinstance(before, str) else "",
            item.assertions,
            f"{_CHANGES.get(action, 'the change')} (revision {item.revision})",
        )
        return [flag] if flag else []

    return _guarded(failures, "the test comparison", compare, []) + failures


def run_request(item: Item, timeout: float = 10.0) -> RunRequest:
    """What the sandbox runs for an item: its reference solution against its tests."""
    return RunRequest(
        language=item.metadata.get("language") or "",
        solution=item.reference_answer,
        tests=item.assertions,
        function_name=item.function_name or None,
        timeout=timeout,
    )


def build_result(
    item: Item,
    run: RunResult,
    cross: list[Flag],
    neighbours: list[Neighbour] | None = None,
    *,
    too_easy: Severity = "info",
) -> CheckResult:
    """One item's check result: sandbox verdict, metrics, flags, neighbours, recommendation."""
    failures: list[Flag] = []
    with PARSING:  # the checks and radon parse Python while run_many's threads plan items
        found = _guarded(failures, "the quality checks", lambda: check_item(item.record), [])
        found += _guarded(
            failures,
            "the generation signals",
            lambda: generation_flags(item.record, too_easy),
            [],
        )
        language = item.metadata.get("language")
        metrics = _guarded(
            failures,
            "the code metrics",
            lambda: compute_metrics(language, item.reference_answer, item.assertions),
            no_metrics("the code metrics failed on this item"),
        )
    flags = _unique(found + cross + failures)
    failed = any(flag.code == "analysis_failed" for flag in flags)
    flags = settle("error" if failed else run.status, flags)
    return CheckResult(
        query_id=item.query_id,
        revision=item.revision,
        status="error" if failed else run.status,
        tests=TestCounts(passed=run.passed, failed=run.failed, total=run.total),
        recommendation=recommend("error" if failed else run.status, flags),
        flags=flags,
        metrics=metrics,
        run=run,
        neighbours=list(neighbours or []),
        checked_at=now(),
    )


def failure_flag(what: str, exc: BaseException) -> Flag:
    """The flag an item carries when an analyser raised on it: the item is `error`."""
    if isinstance(exc, RecursionError):
        detail = "the code nests too deeply to analyse"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return Flag("analysis_failed", "reject", f"{what} failed on this item: {detail}"[:500])


def _guarded(failures: list[Flag], what: str, analyse: Callable[[], Any], fallback: Any) -> Any:
    """`analyse()`, or `fallback` with a failure flag appended when it raises."""
    try:
        return analyse()
    except Exception as exc:  # an analyser's bug on one item costs that item only
        failures.append(failure_flag(what, exc))
        return fallback


def failed_result(item: Item, run: RunResult, what: str, exc: BaseException) -> CheckResult:
    """An `error` result for an item whose checks raised, keeping the run's verdict."""
    flags = [failure_flag(what, exc)]
    return CheckResult(
        query_id=item.query_id,
        revision=item.revision,
        status="error",
        tests=TestCounts(passed=run.passed, failed=run.failed, total=run.total),
        recommendation=recommend("error", flags),
        flags=flags,
        metrics=no_metrics(f"{what} failed on this item"),
        run=run,
        checked_at=now(),
    )


def cross_item_checks(
    store: Store, targets: list[Item]
) -> dict[str, tuple[list[Flag], list[Neighbour]]]:
    """Duplicate, template and contamination flags, and near-duplicate neighbours, for
    `targets` against the whole store.

    The duplicate index is built over every item in the store's order (item id), whichever
    items are being checked, so an item's duplicate flags are a function of the stored set,
    not of what was checked first; items already checked whose duplicate flags or
    neighbours change because of the targets get their stored results updated. Items whose
    current content already has a stored signature are not hashed again.
    """
    from core.quality.contamination import ContaminationIndex
    from core.quality.dedup import DUPLICATE_CODES, DuplicateIndex

    by_id = {item.id: item for item in targets}
    hashed = sorted([*_unsigned_items(store, set(by_id)), *targets], key=lambda item: item.id)
    stored = (
        (item_id, query_id, blob)
        for item_id, query_id, blob in store.signatures.current()
        if item_id not in by_id
    )
    index = DuplicateIndex()
    flags: dict[str, list[Flag]] = {item.query_id: [] for item in targets}
    signatures = []
    entries: Iterator[tuple[int, str, bytes | Item]] = heapq.merge(
        stored, ((item.id, item.query_id, item) for item in hashed), key=lambda e: e[0]
    )
    for item_id, query_id, entry in entries:
        if isinstance(entry, Item):
            item = entry
        else:
            try:
                index.add_signature(query_id, entry)
                continue
            except ValueError:  # stored by an older version: hashed again
                item = store.get_by_id(item_id)
        failures: list[Flag] = []
        signature = _guarded(failures, "duplicate detection", partial(_sign, index, item), None)
        if query_id in flags:
            flags[query_id].extend(failures)
        if signature is not None:
            signatures.append(signature)
    store.signatures.save(signatures)
    for query_id in flags:
        if query_id in index:
            flags[query_id].extend(index.flags(query_id))
    contamination = ContaminationIndex.humaneval()
    for item in targets:
        failures = []
        check = partial(
            contamination.check,
            item.query_text,
            item.reference_answer,
            item.query_id,
            item.metadata.get("source_format"),
        )
        found = _guarded(failures, "the contamination check", check, [])
        flags[item.query_id].extend(found + failures)
    templates, fellows = _template_flags(store, list(flags))
    for query_id, flag in templates.items():
        flags[query_id].append(flag)
    old_clusters, new_clusters = _store_clusters(store, index)
    affected = _cluster_members(set(flags), old_clusters, new_clusters)
    _refresh_checked(
        store,
        affected - set(flags),
        DUPLICATE_CODES,
        lambda query_id: index.flags(query_id) if query_id in index else [],
        partial(_neighbours, index),
    )
    fellow_flags, _ = _template_flags(store, sorted(fellows - set(flags)))
    _refresh_checked(
        store,
        fellows - set(flags),
        TEMPLATE_CODES,
        lambda query_id: [fellow_flags[query_id]] if query_id in fellow_flags else [],
    )
    return {query_id: (found, _neighbours(index, query_id)) for query_id, found in flags.items()}


# At most this many neighbours are kept in a result (the closest): a template copied
# 10,000 times must not make its first item's result hold 10,000 entries.
SHOWN_NEIGHBOURS = 20


def _neighbours(index: DuplicateIndex, query_id: str) -> list[Neighbour]:
    return index.neighbours(query_id)[:SHOWN_NEIGHBOURS] if query_id in index else []


def _sign(index: DuplicateIndex, item: Item) -> Signature:
    """Add an item to the duplicate index; its signature, to store."""
    from core.quality.dataset import template_key

    index.add_item(item.query_id, item.record)
    key = template_key(item.record)
    return Signature(item.id, item.content_hash, index.export(item.query_id), *key)


def _cluster_members(
    targets: set[str], old: dict[str, str | None], new: dict[str, str | None]
) -> set[str]:
    """Every item in a duplicate cluster that a target, or an item whose cluster changed,
    was in before or is in now: the items whose duplicate flags the check may change."""
    moved = targets | {q for q in new.keys() | old.keys() if old.get(q) != new.get(q)}
    clusters = {c for q in moved for c in (old.get(q), new.get(q)) if c}
    if not clusters:
        return set()
    return {q for q in old.keys() | new.keys() if old.get(q) in clusters or new.get(q) in clusters}


def _refresh_checked(
    store: Store,
    query_ids: set[str],
    codes: frozenset[str],
    flags_of: Callable[[str], list[Flag]],
    neighbours_of: Callable[[str], list[Neighbour]] | None = None,
) -> None:
    """Update the stored results of already-checked items whose cross-item flags (`codes`)
    or neighbours the targets changed (a new copy of them, an edit that is no copy any more),
    so both sides of a pair say the same thing without re-running anything."""
    updates = []
    for query_id in sorted(query_ids):
        item = store.get(query_id)
        result = store.check_result(item)
        if result is None:
            continue
        found = flags_of(query_id)
        neighbours = neighbours_of(query_id) if neighbours_of else result.neighbours
        if neighbours == result.neighbours and found == [
            f for f in result.flags if f.code in codes
        ]:
            continue
        result.flags = _unique([f for f in result.flags if f.code not in codes] + found)
        result.neighbours = neighbours
        result.recommendation = recommend(result.status, result.flags)
        updates.append((item, result))
    if updates:
        store.save_checks(updates)


def _unsigned_items(store: Store, leave_out: set[int]) -> list[Item]:
    """Items whose current content has no stored signature, but those in `leave_out`."""
    ids = [i for i in store.signatures.unsigned() if i not in leave_out]
    if len(ids) > 1000:
        wanted = set(ids)
        return [item for item in store.iter_items() if item.id in wanted]
    return [store.get_by_id(i) for i in ids]


# Codes `_template_flags` gives; a template group larger than this is not refreshed on
# every new member (the new member's own flag is exact, the others' counts lag behind).
TEMPLATE_CODES = frozenset({"repeated_template"})
REFRESHED_TEMPLATE_GROUP = 200


def _template_flags(store: Store, query_ids: list[str]) -> tuple[dict[str, Flag], set[str]]:
    """`repeated_template` flags of items, from the skeletons stored for every item; and
    the members of their template groups (small groups only), whose flags the items change."""
    from core.quality.dataset import template_flag

    keys = store.signatures.template_keys(query_ids)
    groups = {text for text, _, _ in keys.values() if text}
    sizes: dict[str, int] = {}
    same: dict[tuple[str, str], int] = {}
    examples: dict[str, list[str]] = {}
    fellows: set[str] = set()
    for text in groups:
        sizes[text] = 0
        for code, count in store.signatures.template_counts(text).items():
            sizes[text] += count
            same[(text, code)] = count
        if 2 <= sizes[text] <= REFRESHED_TEMPLATE_GROUP:
            fellows.update(store.signatures.template_members(text, limit=sizes[text]))
        if sizes[text] >= 3:
            examples[text] = store.signatures.template_members(text, limit=7)
    out = {}
    for query_id, (text, code, shown) in keys.items():
        if not text:
            continue
        others = [q for q in examples.get(text, []) if q != query_id][:6]
        others += [""] * max(0, sizes[text] - 1 - len(others))  # counted in "and N more"
        flag = template_flag(sizes[text], same[(text, code)] if code else 0, shown, others)
        if flag:
            out[query_id] = flag
    return out, fellows


def _store_clusters(
    store: Store, index: DuplicateIndex
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Record each item's duplicate cluster (its representative), writing only changes;
    the clusters before and after."""
    wanted: dict[str, str | None] = {}
    for cluster in index.clusters():
        for member in cluster["members"]:
            wanted[member] = cluster["representative"]
    before = store.clusters()
    changes = {
        qid: wanted.get(qid) for qid, cluster in before.items() if wanted.get(qid) != cluster
    }
    if changes:
        store.set_clusters(changes)
    return before, wanted


def _unique(flags: list[Flag]) -> list[Flag]:
    """Each code once: flags sharing a code become one, at the worst severity, saying
    every distinct reason."""
    merged: dict[str, Flag] = {}
    for flag in flags:
        seen = merged.get(flag.code)
        if seen is None:
            merged[flag.code] = flag
            continue
        severity = max(seen.severity, flag.severity, key=SEVERITIES.index)
        message = seen.message
        if flag.message not in message.split("; "):
            message = f"{message}; {flag.message}"
        merged[flag.code] = replace(seen, severity=severity, message=message)
    return list(merged.values())


def store_report(store: Store, *, reference: list | None = None) -> dict[str, Any]:
    """The dataset report (`assay stats --report`, the TUI dashboard) over the whole store,
    using stored check results and duplicate clusters rather than recomputing them."""
    records: list[dict] = []
    members: dict[str, list[str]] = {}
    for item in store.iter_items():
        records.append(item.record)
        if item.cluster_id:
            members.setdefault(item.cluster_id, []).append(item.query_id)
    results = {q: r.to_dict() for q, r in store.current_check_results().items()}
    clusters = [
        {"representative": rep, "members": group, "kind": "near"}
        for rep, group in members.items()
        if len(group) > 1
    ]
    # Here, not at the top: the report pulls in scikit-learn (seconds of start-up) that
    # `assay check` itself never needs.
    from core.quality import dataset_report

    return dataset_report(records, results, reference=reference, clusters=clusters)
