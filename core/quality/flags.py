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

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Flag:
        return cls(code=data["code"], severity=data["severity"], message=data["message"])


def worst(flags: list[Flag]) -> str | None:
    """The highest severity among `flags`, or None when there are none."""
    if not flags:
        return None
    return max((f.severity for f in flags), key=SEVERITIES.index)
