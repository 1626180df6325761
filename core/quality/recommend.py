"""The recommendation rule: accept, review or reject, from the sandbox status and flags."""

from __future__ import annotations

from typing import Literal

from .flags import Flag

Recommendation = Literal["accept", "review", "reject"]

# the reference solution does not pass its own tests, or the code does not compile
REJECT_STATUSES = frozenset({"fail", "error", "unparsable"})
# nothing proves the item works, but nothing proves it broken: a curator decides
REVIEW_STATUSES = frozenset({"timeout", "unsupported", None})


def recommend(sandbox_status: str | None, flags: list[Flag]) -> Recommendation:
    """Recommend `accept`, `review` or `reject` for one item.

    The rule, first match wins:

    1. `reject` if any flag has severity `reject` (placeholder, missing field, syntax
       error, trivial or identity tests, exact duplicate, contamination, ...);
    2. `reject` if the sandbox status is `fail`, `error` or `unparsable`: the reference
       solution fails its own tests, or does not compile (the sandbox is the syntax
       check for languages other than Python);
    3. `review` if any flag has severity `warn`;
    4. `review` if the status is `timeout`, `unsupported` (no toolchain) or unknown
       (None, not run yet, or a status this rule does not know): nothing has shown that
       the solution passes;
    5. `accept` otherwise: the status is `pass` and the only flags are `info`.
    """
    severities = {flag.severity for flag in flags}
    if "reject" in severities or sandbox_status in REJECT_STATUSES:
        return "reject"
    if "warn" in severities or sandbox_status != "pass":
        return "review"
    return "accept"
