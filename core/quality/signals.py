"""What generation's optional steps found, as flags: the verifier's verdict and the solver's
pass rate (`metadata.generation.verifier` / `.solver`, written by
`core.generation.pipeline.ItemMaker.verify` and `.estimate_difficulty`).

- `under_specified` (warn): the independent verifier said the statement does not specify
  the solution; the message carries the verifier's reason.
- `too_easy` (info by default, warn when `[checks] too_easy = "warn"` in the config file):
  every one of the solver's attempts solved the item from its statement alone.

The solver's pass rate is the item's measured difficulty (`solver_pass_rate`); the store
keeps it in a column derived from the record (see core/store/migrations.py).
"""

from __future__ import annotations

from typing import Any

from .flags import Flag, Severity


def _generation(record: object) -> dict[str, Any]:
    meta = record.get("metadata") if isinstance(record, dict) else None
    generation = meta.get("generation") if isinstance(meta, dict) else None
    return generation if isinstance(generation, dict) else {}


def solver_pass_rate(record: object) -> float | None:
    """The share of the solver's attempts that passed the item's tests, if it was measured."""
    solver = _generation(record).get("solver")
    rate = solver.get("pass_rate") if isinstance(solver, dict) else None
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        return None
    return float(rate)


def generation_flags(record: object, too_easy: Severity = "info") -> list[Flag]:
    """`under_specified` and `too_easy` from the verifier's and the solver's results."""
    generation = _generation(record)
    flags = []
    verifier = generation.get("verifier")
    if isinstance(verifier, dict) and verifier.get("specified") is False:
        reason = verifier.get("reason")
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else "no reason given"
        model = verifier.get("model")
        who = f"the verifier ({model})" if isinstance(model, str) and model else "the verifier"
        flags.append(
            Flag("under_specified", "warn", f"{who} found the statement under-specified: {reason}")
        )
    solver = generation.get("solver")
    rate = solver_pass_rate(record)
    if isinstance(solver, dict) and rate == 1.0:
        k = solver.get("k")
        model = solver.get("model")
        attempts = (
            f"all {k} of the solver's attempts" if isinstance(k, int) else "every solver attempt"
        )
        by = f" ({model})" if isinstance(model, str) and model else ""
        flags.append(
            Flag("too_easy", too_easy, f"{attempts}{by} solved it from the statement alone")
        )
    return flags
