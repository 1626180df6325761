"""A generation job's configuration, its progress and its summary.

The configuration never holds the API key: it is stored in the database as the job's record
and shown to curators, and the key is only read (flag, environment, config file) at call time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from core.config import DEFAULT_MODEL, Settings
from core.errors import AssayError
from core.generation import pipelines
from core.generation.prices import Price, load_prices
from core.quotas import CATEGORIES, DIFFICULTIES, LANGUAGE_QUOTAS

# Fields that only change how a job runs, not what it generates: a job resumed with other
# values for these is still the same job.
OPERATIONAL = frozenset(
    {
        "n",
        "base_url",
        "budget_tokens",
        "budget_cost",
        "concurrency",
        "offline",
        "timeout",
        "max_retries",
        "backoff_base",
        "backoff_max",
        "structured",
        "sandbox_timeout",
        "replay_file",
        "replay_delay",
        "prompts_dir",
        "price_in",
        "price_out",
    }
)


# The steps a job can give a model of its own (`--step-models`, `[generation.models]`); a step
# without one uses the job's `model`.
STEPS: tuple[str, ...] = (
    "problem",
    "solution",
    "tests",
    "mutate",
    "crossover",
    "verifier",
    "solver",
    "edge_cases",
)


def parse_step_models(text: str) -> dict[str, str]:
    """'problem=gpt-4o,solver=qwen' -> {'problem': 'gpt-4o', 'solver': 'qwen'} (the steps are
    checked by `JobConfig.validate`)."""
    models: dict[str, str] = {}
    for part in filter(str.strip, text.split(",")):
        step, _, name = part.partition("=")
        if not step.strip() or not name.strip():
            raise AssayError(f"The step model {part.strip()!r} must look like solver=MODEL.")
        models[step.strip()] = name.strip()
    return models


# Fields added after jobs were first stored: at their default they stay out of a job's
# identity, so a job stored before they existed is still resumed by the same options.
LATER_FIELDS = frozenset({"top_p", "stop", "step_models", "seeds_file", "seed_problems"})


@dataclass
class JobConfig:
    """Everything that defines a generation job (but never the API key)."""

    pipeline: str = "spec"
    n: int = 10
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    budget_tokens: int | None = None
    budget_cost: float | None = None
    concurrency: int = 8
    iterations: int = 3
    offline: bool = False
    prompts_dir: str | None = None
    seed: int = 0
    temperature: float = 0.8
    max_tokens: int = 2048
    top_p: float | None = None  # sent only when set
    stop: list[str] = field(default_factory=list)  # stop sequences, sent only when given
    # step -> model (see STEPS); `verifier_model` and `solver_model` are the older spelling.
    step_models: dict[str, str] = field(default_factory=dict)
    languages: dict[str, float] = field(default_factory=lambda: dict(LANGUAGE_QUOTAS))
    difficulties: list[str] = field(default_factory=lambda: list(DIFFICULTIES))
    categories: list[str] = field(default_factory=lambda: list(CATEGORIES))
    # Optional steps, each switchable.
    edge_cases: bool = False
    topics: bool = False
    verify: bool = False
    verifier_model: str | None = None
    solver: bool = False
    solver_model: str | None = None
    solver_k: int = 4
    # evolve (InfoSynth): colonies, seeds per colony, MinHash dedup.
    colonies: int = 4
    colony_size: int = 3
    dedup_threshold: float = 0.75
    dedup_perms: int = 250
    seeds: list[str] = field(default_factory=list)
    # Seeds from a file in any import format instead of the database: read once when the job
    # is made and kept in its record (`seed_problems`), so a resume needs no file.
    seeds_file: str | None = None
    seed_problems: list[dict[str, Any]] = field(default_factory=list)
    # How calls are made.
    timeout: float = 120.0
    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    structured: bool = True
    sandbox_timeout: float = 10.0
    # Offline replay of recorded replies (the demo).
    replay_file: str | None = None
    replay_delay: float = 0.0
    label: str | None = None
    # The price of `model` in dollars per 1M tokens, over prices.toml and the config file.
    price_in: float | None = None
    price_out: float | None = None

    def validate(self) -> JobConfig:
        pipelines.get(self.pipeline)  # one sentence naming the pipelines when it is unknown
        if self.n < 1:
            raise AssayError("--n must be at least 1.")
        if self.concurrency < 1:
            raise AssayError("--concurrency must be at least 1.")
        if self.iterations < 1:
            raise AssayError("--iterations must be at least 1.")
        if not self.model:
            raise AssayError("No model given: pass --model or set `model` under [generation].")
        if self.solver and self.solver_k < 1:
            raise AssayError("--solver-k must be at least 1.")
        self._check_prices()
        if not 0 <= self.temperature <= 2:
            raise AssayError("--temperature must be between 0 and 2.")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise AssayError("--top-p must be above 0 and at most 1.")
        unknown = sorted(set(self.step_models) - set(STEPS))
        if unknown:
            raise AssayError(
                f"There is no step {unknown[0]!r} to give a model; the steps are "
                f"{', '.join(STEPS)}."
            )
        return self

    def given_prices(self) -> dict[str, Price]:
        """`--price-in/--price-out` as a price of the job's model (none when not given)."""
        if self.price_in is None and self.price_out is None:
            return {}
        return {self.model: Price(self.price_in or 0.0, self.price_out or 0.0)}

    def _check_prices(self) -> None:
        """A cost budget needs a price for every model the job calls (else all cost $0)."""
        for name, value in (("--price-in", self.price_in), ("--price-out", self.price_out)):
            if value is not None and value < 0:
                raise AssayError(f"{name} must be a price of at least 0 dollars per 1M tokens.")
        if self.budget_cost is None or self.offline:
            return
        prices = load_prices(given=self.given_prices())
        models = {self.model, *self.step_models.values()}
        models |= {m for m in (self.verifier_model, self.solver_model) if m}
        for model in sorted(models):
            if not prices.known(model):
                raise AssayError(
                    f"--budget-cost needs a price for model {model!r}, which the price table "
                    "does not list: pass --price-in and --price-out (dollars per 1M tokens), "
                    f'or add [prices."{model}"] to the config file.'
                )

    def model_for(self, step: str) -> str:
        """The model that runs `step` (one of STEPS): its own, else the job's."""
        older = {"verifier": self.verifier_model, "solver": self.solver_model}.get(step)
        return self.step_models.get(step) or older or self.model

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_settings(cls, settings: Settings, **values: Any) -> JobConfig:
        """A new job on the settings' model and server (flag, environment, config file)."""
        defaults = {
            "model": settings.model,
            "base_url": settings.base_url,
            "step_models": dict(settings.step_models),
        }
        return cls(**{**defaults, **values})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def identity(self, prompts_fingerprint: str) -> str:
        """What makes two runs the same job: all but the operational fields, plus the prompts."""
        defaults = JobConfig().to_dict()
        defining = {
            k: v
            for k, v in self.to_dict().items()
            if k not in OPERATIONAL and not (k in LATER_FIELDS and v == defaults[k])
        }
        blob = json.dumps([defining, prompts_fingerprint], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    def with_operational(self, other: JobConfig) -> JobConfig:
        """This job's definition with `other`'s operational settings (resume with new flags)."""
        merged = self.to_dict()
        merged.update({k: v for k, v in other.to_dict().items() if k in OPERATIONAL})
        merged["n"] = max(self.n, other.n)
        return JobConfig.from_dict(merged)


@dataclass
class JobProgress:
    """What the progress bar and the TUI show while a job runs."""

    job_id: int
    state: str
    target: int
    produced: int
    passed: int
    failed: int
    errors: int
    tokens: int
    cost: float
    elapsed: float
    eta_seconds: float | None
    replay: bool = False
    message: str = ""
    estimated_calls: int = 0  # calls whose tokens are our count (no usage from the server)
    retries: int = 0  # calls retried (429, 5xx, timeouts, bad bodies)
    rate_limited: int = 0  # 429 answers
    in_flight_limit: int = 0  # calls the adaptive limit lets run at once now
    rate: float = 0.0  # slots finished per minute by this run (a resumed job's earlier ones not)
    repairs: int = 0  # attempts this run made after the sandbox's feedback on the one before


@dataclass
class JobSummary:
    """A job's totals once `run_job` returns (also `assay generate --json`)."""

    job_id: int
    state: str
    stop_reason: str | None
    pipeline: str
    model: str
    target: int
    produced: int
    items: int
    passed: int
    failed: int
    errors: int
    unparsable: int
    unfinished: int
    calls: int
    cached_calls: int
    prompt_tokens: int
    completion_tokens: int
    tokens: int
    cost: float
    elapsed: float
    replay: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)
    estimated_calls: int = 0  # calls whose tokens are our count (no usage from the server)
    unreadable: int = 0  # slots none of whose replies could be read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def shortfall(self) -> str | None:
        """Why the job ended without what was asked, in one sentence (it stopped early,
        or made no item that passes its tests), else None: the CLI's non-zero exit and
        the app's "ended short" both say it."""
        if self.state == "done" and self.items and (self.passed or not self.produced):
            return None
        if self.stop_reason:
            why = f": {self.stop_reason}"
        else:
            slots = ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items()) if n)
            why = f", none passing its tests (slots: {slots})" if slots else ""
        return (
            f"Job {self.job_id} ended {self.state} with {self.items} of {self.target} items{why}."
        )
