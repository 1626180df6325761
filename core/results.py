"""The check result: what `core.checking` produces, the store keeps and the TUI renders.

One dataclass for producer and consumer, so a field the TUI reads is a field core writes.
`contract()` is the line `assay check --json` prints (BRIEF.md); `to_dict()` is the stored
form, which adds the sandbox's run, the near-duplicate neighbours and the time of the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.quality.flags import Flag
from core.quality.neighbours import Neighbour
from sandbox.result import RunResult

__all__ = ["CONTRACT_METRICS", "CheckResult", "Neighbour", "TestCounts"]

# The headline metrics of the contract, in its order.
CONTRACT_METRICS = ("cyclomatic_max", "halstead_difficulty", "maintainability_index", "sloc")


@dataclass(frozen=True)
class TestCounts:
    """How many of an item's tests passed, failed, and ran."""

    __test__ = False  # not a pytest class

    passed: int = 0
    failed: int = 0
    total: int = 0

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def to_dict(self) -> dict[str, int]:
        return {"passed": self.passed, "failed": self.failed, "total": self.total}


@dataclass
class CheckResult:
    """One item's checks for one content: sandbox verdict, flags, metrics, neighbours."""

    query_id: str
    revision: int
    status: str
    tests: TestCounts
    recommendation: str
    flags: list[Flag]
    metrics: dict[str, Any]
    run: RunResult
    neighbours: list[Neighbour] = field(default_factory=list)
    checked_at: str = ""

    @property
    def flag_codes(self) -> list[str]:
        """Distinct flag codes, sorted (what the queue filters on)."""
        return sorted({flag.code for flag in self.flags})

    def contract(self) -> dict[str, Any]:
        """The line `assay check --json` prints for this result (BRIEF.md contract)."""
        return {
            "query_id": self.query_id,
            "revision": self.revision,
            "status": self.status,
            "tests": self.tests.to_dict(),
            "recommendation": self.recommendation,
            "flags": [flag.contract() for flag in self.flags],
            "metrics": {key: self.metrics.get(key) for key in CONTRACT_METRICS},
        }

    def to_dict(self) -> dict[str, Any]:
        """The stored form: the contract's fields with every metric, the run and neighbours."""
        return {
            **self.contract(),
            "flags": [flag.to_dict() for flag in self.flags],
            "metrics": dict(self.metrics),
            "run": self.run.to_dict(),
            "neighbours": [n.to_dict() for n in self.neighbours],
            "checked_at": self.checked_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """Rebuild a stored result (results stored before neighbours existed have none)."""
        tests = data.get("tests") or {}
        status = data.get("status", "error")
        run = data.get("run")
        return cls(
            query_id=data.get("query_id", ""),
            revision=int(data.get("revision", 0)),
            status=status,
            tests=TestCounts(
                passed=int(tests.get("passed", 0)),
                failed=int(tests.get("failed", 0)),
                total=int(tests.get("total", 0)),
            ),
            recommendation=data.get("recommendation") or "review",
            flags=[Flag.from_dict(f) for f in data.get("flags") or []],
            metrics=dict(data.get("metrics") or {}),
            run=RunResult.from_dict(run) if isinstance(run, dict) else RunResult(status),
            neighbours=[Neighbour.from_dict(n) for n in data.get("neighbours") or []],
            checked_at=data.get("checked_at", ""),
        )
