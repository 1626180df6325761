"""What each curator decided, and how far curators who decided the same items agree.

A curator's verdict on an item is their last accept or reject of it; a later skip or
restore of their own withdraws it (an undo is a restore). Agreement between two curators
is Cohen's kappa over the items both gave a verdict on: 1 is full agreement, 0 what
chance alone would give, below 0 worse than chance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

from core.store import Store

VERDICTS = ("accepted", "rejected")


@dataclass(frozen=True)
class CuratorCounts:
    curator: str
    accepted: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected


@dataclass(frozen=True)
class Agreement:
    """Two curators on the items both decided."""

    first: str
    second: str
    items: int  # items both gave a verdict on
    agreed: int  # of those, items with the same verdict
    kappa: float | None  # Cohen's kappa; None when undefined (both always gave one verdict)


@dataclass(frozen=True)
class CuratorReport:
    counts: list[CuratorCounts]  # most decisions first
    agreement: list[Agreement]  # every pair that decided at least one item in common


def verdicts(store: Store) -> dict[int, dict[str, str]]:
    """item id -> {curator: their standing verdict} for every item someone decided."""
    standing: dict[int, dict[str, str]] = defaultdict(dict)
    for item_id, author, action, status in store.decisions():
        if action == "decision" and status in VERDICTS:
            standing[item_id][author] = status
        else:  # a skip, a return to pending or a restore by the same curator withdraws theirs
            standing[item_id].pop(author, None)
    return {item_id: by for item_id, by in standing.items() if by}


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels, one (first, second) pair per item (scikit-learn's);
    None when undefined: no items, or one and the same label throughout."""
    if not pairs or len({label for pair in pairs for label in pair}) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score  # heavy: only when a pair needs it

    first, second = zip(*pairs, strict=True)
    return float(cohen_kappa_score(first, second))


# Landis and Koch (1977): the usual words for a kappa.
_KAPPA_WORDS = (
    (0.0, "worse than chance"),
    (0.2, "slight"),
    (0.4, "fair"),
    (0.6, "moderate"),
    (0.8, "substantial"),
)


def kappa_words(kappa: float | None) -> str:
    """What a kappa says, in Landis and Koch's words ("moderate")."""
    if kappa is None:
        return "undefined: one verdict only"
    return next((words for top, words in _KAPPA_WORDS if kappa < top), "almost perfect")


def curator_report(store: Store) -> CuratorReport:
    """Per-curator verdict counts and pairwise agreement, from the revision history."""
    standing = verdicts(store)
    counts: dict[str, Counter] = defaultdict(Counter)
    for by in standing.values():
        for curator, verdict in by.items():
            counts[curator][verdict] += 1
    rows = sorted(
        (CuratorCounts(c, n["accepted"], n["rejected"]) for c, n in counts.items()),
        key=lambda row: (-row.decided, row.curator),
    )
    agreement = []
    for first, second in combinations(sorted(counts), 2):
        pairs = [
            (by[first], by[second]) for by in standing.values() if first in by and second in by
        ]
        if pairs:
            agreed = sum(a == b for a, b in pairs)
            agreement.append(Agreement(first, second, len(pairs), agreed, cohen_kappa(pairs)))
    return CuratorReport(rows, agreement)
