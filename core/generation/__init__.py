"""Generation pipelines (spec, evolve) against any OpenAI-compatible endpoint.

The TUI and `assay generate` share these entry points; see core/generation/README.md.
"""

from core.generation.config import JobConfig, JobProgress, JobSummary
from core.generation.demo import demo_config
from core.generation.jobs import attempts_for, list_jobs, run_job

__all__ = [
    "JobConfig",
    "JobProgress",
    "JobSummary",
    "attempts_for",
    "demo_config",
    "list_jobs",
    "run_job",
]
