"""How many calls may be in flight: adaptive (AIMD), within the `--concurrency` ceiling.

A server that limits concurrency or rate answers 429. The limit starts low and grows by half
a call per reply (x1.5 per round: slow start) up to the ceiling; a 429 cuts it by a quarter,
and to no more than were in flight when the refused call was let in (once per round: the 429s
of calls already sent when it was cut do not cut it again), after which it grows by one per
round (additive increase). `Retry-After` on a 429 holds every new call, not just
the refused one, and `x-ratelimit-remaining-requests` / `-tokens` (OpenAI, vLLM behind a
gateway, LiteLLM) keep the limit within what the server says is left: none left holds new
calls until the matching `x-ratelimit-reset-*`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

START = 8  # calls in flight before the server has said anything
DECREASE = 0.75
SLOW_START = 0.5  # calls added per reply below the threshold


@dataclass(frozen=True)
class Admission:
    """When a call was let in, and how many were in flight then (itself included)."""

    started: float
    in_flight: int


class AdaptiveLimit:
    """Admission for calls: `async with limit.slot(): ...` and report each outcome."""

    def __init__(self, ceiling: int, pause: Callable[[float], Awaitable[None]]):
        self.ceiling = max(1, ceiling)
        self.limit = float(min(self.ceiling, START))
        self.threshold = float(self.ceiling)  # slow start below, additive increase above
        self.in_flight = 0
        self.hold_until = 0.0  # monotonic time before which no call starts
        self.cut_at = 0.0  # when the limit was last cut
        self.rate_limited = 0  # 429s seen, for the progress panel
        self._pause = pause
        self._changed = asyncio.Condition()

    async def acquire(self) -> Admission:
        """Wait for room; returns the admission the outcome is reported with."""
        while True:
            wait = self.hold_until - time.monotonic()
            if wait > 0:
                await self._pause(wait)
                continue
            async with self._changed:
                if self.in_flight < max(1, int(self.limit)):
                    self.in_flight += 1
                    return Admission(time.monotonic(), self.in_flight)
                await self._changed.wait()

    async def release(self) -> None:
        async with self._changed:
            self.in_flight -= 1
            # Wake as many waiters as there is room (the limit may have grown), not all.
            self._changed.notify(max(1, int(self.limit) - self.in_flight))

    def succeeded(self, admission: Admission, headers: Any) -> None:
        """A reply: grow (x1.5 per round below the threshold, else one per round), within
        what the server said was left when it took the call."""
        if self.limit < self.threshold:
            self.limit = min(self.threshold, self.limit + SLOW_START)
        else:
            self.limit += 1 / self.limit
        self.limit = min(self.limit, float(self.ceiling))
        self._within_remaining(admission, headers)

    def refused(self, admission: Admission, headers: Any, retry_after: float | None) -> None:
        """A 429: cut the limit (once per round) and hold new calls as the server asks."""
        self.rate_limited += 1
        if admission.started >= self.cut_at:
            # The calls in flight before this one were what the server took.
            self.limit = max(1.0, min(self.limit * DECREASE, admission.in_flight - 1.0))
            self.threshold = self.limit
            self.cut_at = time.monotonic()
        if retry_after:
            self.hold_until = max(self.hold_until, time.monotonic() + retry_after)
        self._within_remaining(admission, headers)

    def _within_remaining(self, admission: Admission, headers: Any) -> None:
        if headers is None:
            return
        for kind in ("requests", "tokens"):
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if remaining is None:
                continue
            if remaining <= 0:
                reset = reset_seconds(headers.get(f"x-ratelimit-reset-{kind}"))
                if reset:
                    self.hold_until = max(self.hold_until, time.monotonic() + reset)
                self.limit = min(self.limit, max(1.0, float(admission.in_flight)))
            elif kind == "requests":
                # No more in flight than were when the server took this call, plus what it
                # said was left then.
                self.limit = min(self.limit, max(1.0, admission.in_flight + remaining))


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def reset_seconds(value: Any) -> float | None:
    """`x-ratelimit-reset-*` as seconds: OpenAI's "1s", "6m0s", "20ms", or a bare number."""
    if value is None:
        return None
    text = str(value).strip()
    plain = _number(text)
    if plain is not None:
        return max(0.0, plain)
    parts = _DURATION.findall(text)
    return sum(float(n) * _UNIT[u] for n, u in parts) if parts else None
