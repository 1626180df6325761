"""The recommendation rule, row by row."""

from __future__ import annotations

import pytest

from core.quality import Flag, recommend

INFO = Flag("few_test_cases", "info", "only two test cases")
WARN = Flag("near_duplicate", "warn", "close to x")
REJECT = Flag("vague_statement", "reject", "names no behaviour")


@pytest.mark.parametrize(
    "status,flags,expected",
    [
        ("pass", [], "accept"),
        ("pass", [INFO], "accept"),
        ("pass", [WARN, INFO], "review"),
        ("pass", [REJECT], "reject"),
        ("fail", [], "reject"),
        ("error", [INFO], "reject"),
        ("unparsable", [], "reject"),
        ("timeout", [], "review"),
        ("unsupported", [], "review"),
        (None, [], "review"),
        ("something-new", [], "review"),
        ("timeout", [REJECT], "reject"),
        (None, [WARN], "review"),
    ],
)
def test_rule(status, flags, expected):
    assert recommend(status, flags) == expected
