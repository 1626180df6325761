"""Generation pipelines (spec, evolve) against any OpenAI-compatible endpoint.

The TUI and `assay generate` share these entry points; see core/generation/README.md.
The engine (`run_job` and what it needs: datasketch, scipy, the OpenAI client) loads on
first use, not with the package: every `assay` command imports the package to register
`assay generate`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from core.generation.config import JobConfig, JobProgress, JobSummary

if TYPE_CHECKING:
    from core.generation.demo import demo_config
    from core.generation.jobs import attempts_for, list_jobs, run_job

_LAZY = {
    "attempts_for": "core.generation.jobs",
    "list_jobs": "core.generation.jobs",
    "run_job": "core.generation.jobs",
    "demo_config": "core.generation.demo",
}

__all__ = [
    "JobConfig",
    "JobProgress",
    "JobSummary",
    "attempts_for",
    "demo_config",
    "list_jobs",
    "run_job",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
