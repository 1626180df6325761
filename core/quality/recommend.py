"""The recommendation rule: accept, review or reject, from the sandbox status and flags."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from .flags import Flag

Recommendation = Literal["accept", "review", "reject"]

# the reference solution does not pass its own tests, or the code does not compile
REJECT_STATUSES = frozenset({"fail", "error", "unparsable"})
# nothing proves the item works, but nothing proves it broken: a curator decides
REVIEW_STATUSES = frozenset({"timeout", "unsupported", None})

# Solution shapes that read as placeholders (`return 0`, `return x`) but that a problem can
# honestly have: MBXP's C++ `checkType(vector<int>)` is always true, Ruby's `list_tuple`
# returns its list, `clear_tuple` returns an empty one. The text cannot tell them apart; a run
# that passes several checks can, so such an item goes to review instead of reject.
PLACEHOLDER_UNLESS_PASSING = frozenset({"constant_solution", "identity_solution"})
# flags under which a passing run proves nothing about the solution's shape
_NO_EVIDENCE = frozenset({"single_test_case", "no_tests", "trivial_tests", "identity_tests"})


def settle(sandbox_status: str | None, flags: list[Flag]) -> list[Flag]:
    """The flags as the run leaves them: a constant or identity solution that passes more
    than one check that depends on it is `warn`, saying so, not `reject`.

    A placeholder that fails its tests is rejected by the run anyway; one that is not run
    (`unsupported`, `timeout`) or that passes a single check, trivial or identity tests
    keeps its `reject`.
    """
    if sandbox_status != "pass" or any(flag.code in _NO_EVIDENCE for flag in flags):
        return list(flags)
    return [
        replace(
            flag,
            severity="warn",
            message=f"{flag.message}; it passes its tests, so the problem is trivial in this "
            "language or the tests do not check the answer",
        )
        if flag.code in PLACEHOLDER_UNLESS_PASSING and flag.severity == "reject"
        else flag
        for flag in flags
    ]


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
