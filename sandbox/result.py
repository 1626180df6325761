"""Data the sandbox hands back: requests in, results out, all JSON-safe."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

RUN_STATUSES = ("pass", "fail", "error", "timeout", "unparsable", "unsupported")
TEST_STATUSES = ("pass", "fail", "error", "timeout", "skipped")

# Messages from untrusted code are capped, so a chatty program cannot bloat the store.
MESSAGE_CHARS = 2000


# Caps on what the parent decodes from a run's channel (itself capped at 64 MB by the
# worker): json's decoder builds ~60 bytes of objects per `[]` and 8 per `0,`, so a
# channel of `[],` or `0,` would cost the parent gigabytes. Depth is capped by the
# decoder's own recursion limit (RecursionError, turned into an `error` by `execute`).
CHANNEL_SCAN_BYTES = 1 << 20  # below this, no channel can hold too many values
CHANNEL_VALUES = 2_000_000  # containers plus separators over a run's whole channel


def channel_problem(text: str) -> str | None:
    """Why a run's channel is too large to decode, or None: counted at C speed
    (`str.count`) before any JSON is parsed."""
    if len(text) < CHANNEL_SCAN_BYTES:
        return None
    values = text.count("[") + text.count("{") + text.count(",")
    if values > CHANNEL_VALUES:
        return f"the run sent more than {CHANNEL_VALUES:,} values on its result channel"
    return None


class StrictModeError(RuntimeError):
    """Raised when full isolation is asked for (the default) and this machine cannot
    give it; `missing` names what is missing, as a clause for the caller's sentence."""

    def __init__(self, message: str, missing: str = "") -> None:
        super().__init__(message)
        self.missing = missing or message


IsolationRefused = StrictModeError  # the name it goes by now that the level is explicit


@dataclass
class RunRequest:
    """One item to execute: its language, reference solution and tests."""

    language: str
    solution: str
    tests: str
    function_name: str | None = None
    timeout: float = 10.0


@dataclass
class TestResult:
    """The outcome of one test: an assertion statement or a `def test_*` function."""

    __test__ = False  # not a pytest class

    name: str
    status: str
    message: str = ""
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    """The verdict of one run, decided by the parent from records it received."""

    status: str
    tests: list[TestResult] = field(default_factory=list)
    stdout_tail: str = ""
    stderr_tail: str = ""
    duration: float = 0.0
    isolation: list[str] = field(default_factory=list)
    reason: str | None = None
    coverage: float | None = None
    language: str | None = None

    @property
    def passed(self) -> int:
        return sum(1 for t in self.tests if t.status == "pass")

    @property
    def failed(self) -> int:
        return sum(1 for t in self.tests if t.status != "pass")

    @property
    def total(self) -> int:
        return len(self.tests)

    def make_storable(self) -> None:
        """Make every text the run sent well-formed UTF-8 (see `well_formed`)."""
        self.stdout_tail = well_formed(self.stdout_tail)
        self.stderr_tail = well_formed(self.stderr_tail)
        if self.reason:
            self.reason = well_formed(self.reason)
        for test in self.tests:
            test.name, test.message = well_formed(test.name), well_formed(test.message)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; counts are included for readers that do not recompute them."""
        data = asdict(self)
        data.update(passed=self.passed, failed=self.failed, total=self.total)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Rebuild a result stored with `to_dict` (derived counts are ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        known.setdefault("isolation", [])
        return cls(**known)


def well_formed(text: str) -> str:
    """`text` as UTF-8 can hold it: JSON lets a run's records carry a lone surrogate
    (`"\\udcff"`, which SQLite refuses to store), shown here as its escape."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    """Shorten a message from untrusted code to a readable size."""
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"
