"""The `Flag`: one finding about an item, with a stable code and a severity."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["info", "warn", "reject"]
SEVERITIES: tuple[str, ...] = ("info", "warn", "reject")


@dataclass(frozen=True)
class Flag:
    """A finding a curator reads: `code` is stable snake_case, `message` says why."""

    code: str
    severity: Severity
    message: str
    # what a curator opens to see why (the diff of weakened tests); not in the contract line
    detail: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def to_dict(self) -> dict:
        """The stored form: code, severity, message, and the detail when there is one."""
        data = asdict(self)
        if not self.detail:
            del data["detail"]
        return data

    def contract(self) -> dict:
        """The form `assay check --json` prints (BRIEF.md): code, severity, message."""
        return {"code": self.code, "severity": self.severity, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> Flag:
        return cls(
            code=data["code"],
            severity=data["severity"],
            message=data["message"],
            detail=str(data.get("detail") or ""),
        )


def worst(flags: list[Flag]) -> str | None:
    """The highest severity among `flags`, or None when there are none."""
    if not flags:
        return None
    return max((f.severity for f in flags), key=SEVERITIES.index)
