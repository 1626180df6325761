"""Quality checks over items: metrics, consistency and placeholder flags, duplicates,
contamination, the recommendation rule and the dataset report. Pure functions; the
caller stores what it needs (flags, metrics, signatures) per revision."""

from .checks import check_item
from .contamination import ContaminationIndex
from .dataset import check_dataset
from .dedup import DuplicateIndex, ItemSignature
from .flags import Flag
from .metrics import compute_metrics
from .recommend import recommend
from .report import dataset_report

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
]
