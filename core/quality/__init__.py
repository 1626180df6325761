"""Quality checks over items: metrics, consistency and placeholder flags, duplicates,
contamination, the recommendation rule and the dataset report. Pure functions; the
caller stores what it needs (flags, metrics, signatures) per revision.

Names are loaded on first use: `Flag` travels in every check result the store reads, and
the checks behind the other names import numpy, scikit-learn and datasketch (seconds).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .flags import Flag

if TYPE_CHECKING:  # the lazy names, for the type checker
    from .checks import check_item
    from .contamination import ContaminationIndex
    from .dataset import check_dataset
    from .dedup import DuplicateIndex, ItemSignature
    from .metrics import compute_metrics
    from .recommend import recommend, settle
    from .report import dataset_report

_EXPORTS = {
    "ContaminationIndex": ".contamination",
    "DuplicateIndex": ".dedup",
    "ItemSignature": ".dedup",
    "check_dataset": ".dataset",
    "check_item": ".checks",
    "compute_metrics": ".metrics",
    "dataset_report": ".report",
    "recommend": ".recommend",
    "settle": ".recommend",
}

__all__ = [
    "ContaminationIndex",
    "DuplicateIndex",
    "Flag",
    "ItemSignature",
    "check_dataset",
    "check_item",
    "compute_metrics",
    "dataset_report",
    "recommend",
    "settle",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core.quality' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
