"""The sealed result channel of the compiled harnesses (Go, Rust), checked in the parent.

The harness inside a run gets a fresh key in the run step's environment (never in a
file: the compile step could embed a file) and removes it before any item code runs.
Every record it sends is one line, `<json> <hmac-sha256(key, json) in hex>`, numbered
by `"q"` from 0. The parent accepts a line only with the right seal and the next
number, so a record the code under test writes, edits, replays, reorders or drops
makes the run an `error`; the code would need the key, which it cannot read (no
`unsafe`, no /proc: see sandbox/README.md).

Records: start; begin t; end t with s (pass, fail, error, skipped), n (checks reached),
d (seconds), m (message); done. A test's success is recorded only after its body
returned; a test that began and did not end is an error, and so is a run that did not
send `done` or sent anything after it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from sandbox.result import RunResult, TestResult, clip

KEY_ENV = "ASSAY_CHANNEL_KEY"
NO_ASSERTION = "no assertion was evaluated"
MAX_RECORDS = 200_000


def new_key() -> str:
    return secrets.token_hex(16)


class ChannelError(Exception):
    """A record that the harness did not send, or not in this place."""


def sealed_records(text: str, key: str) -> list[dict[str, Any]]:
    """The channel's records after checking every seal and number; raises ChannelError."""
    secret = key.encode()
    records: list[dict[str, Any]] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > MAX_RECORDS:
        raise ChannelError("too many records on the result channel")
    for line in lines:
        body, _, seal = line.rpartition(" ")
        wanted = hmac.new(secret, body.encode("utf-8", "surrogateescape"), hashlib.sha256)
        if not hmac.compare_digest(wanted.hexdigest(), seal):
            raise ChannelError("a record on the result channel did not come from the harness")
        try:
            record = json.loads(body)
        except ValueError as exc:
            raise ChannelError("malformed result channel") from exc
        if not isinstance(record, dict) or record.get("q") != len(records):
            raise ChannelError("a record on the result channel is out of sequence")
        records.append(record)
    return records


def judge_records(
    language: str,
    tests: list[str],
    report: dict[str, Any],
    key: str,
    crash: Callable[[dict[str, Any]], str],
) -> RunResult:
    """The verdict of a run from its sealed records (the last step's report)."""
    result = RunResult("error", language=language)
    result.stdout_tail, result.stderr_tail = report["stdout"], report["stderr"]
    n = len(tests)
    begun = [False] * n
    ended: list[dict[str, Any] | None] = [None] * n
    problem = None
    started = done = False
    try:
        for record in sealed_records(report.get("records") or "", key):
            event, t = record.get("e"), record.get("t")
            if done:
                raise ChannelError("a record came after the run's end")
            if event == "tamper":
                raise ChannelError("the code called the harness itself")
            if event == "start" and not started:
                started = True
            elif event == "done" and started:
                done = True
            elif started and event in ("begin", "end") and isinstance(t, int) and 0 <= t < n:
                if event == "begin" and not begun[t]:
                    begun[t] = True
                elif event == "end" and begun[t] and ended[t] is None:
                    ended[t] = record
                else:
                    raise ChannelError(f"unexpected {event} of test {t}")
            else:
                raise ChannelError("unknown record on the result channel")
    except ChannelError as exc:
        problem = str(exc)
    message = crash(report)
    for i, name in enumerate(tests):
        result.tests.append(_test_result(name, begun[i], ended[i], report, message))
    if report["timed_out"]:
        result.status, result.reason = "timeout", f"exceeded {report['timeout']} s"
    elif report.get("problem") or problem:
        result.reason = report.get("problem") or problem
    elif not (started and done) or report["exit"] != 0:
        result.reason = clip(f"the program ended before reporting every test ({message})")
    elif any(t.status == "skipped" for t in result.tests):
        result.reason = "a test was skipped"
    elif all(t.status == "pass" for t in result.tests):
        result.status = "pass"
    elif all(t.status in ("pass", "fail") for t in result.tests):
        result.status = "fail"
    else:
        bad = next(t for t in result.tests if t.status not in ("pass", "fail"))
        result.reason = clip(f"{bad.name}: {bad.message}")
    return result


def _test_result(
    name: str, begun: bool, end: dict[str, Any] | None, report: dict[str, Any], crash: str
) -> TestResult:
    if end is None:
        if not begun:
            return TestResult(name, "error", "not run: the program stopped before this test")
        if report["timed_out"]:
            return TestResult(name, "timeout", f"exceeded {report['timeout']} s")
        return TestResult(name, "error", clip(f"the test did not finish: {crash}"))
    status = str(end.get("s"))
    status = status if status in ("pass", "fail", "error", "skipped") else "error"
    message = _tidy(str(end.get("m", "")))
    d = end.get("d")
    duration = float(d) if isinstance(d, int | float) else 0.0
    if status == "pass" and not (isinstance(end.get("n"), int) and end["n"] > 0):
        status, message = "error", NO_ASSERTION
    return TestResult(name, status, clip(message), duration)


def _tidy(message: str) -> str:
    """A message without the testing package's indentation and blank lines."""
    lines = [line.strip() for line in message.splitlines()]
    return "\n".join(line for line in lines if line)


def panic_line(report: dict[str, Any]) -> str:
    """The runtime's own last words on stderr (a Go panic, a Rust abort), else the exit."""
    stderr = report["stderr"].strip()
    found = re.search(r"^(panic: .*|fatal error: .*|thread '.*' panicked .*)$", stderr, re.M)
    if found:
        return found.group(1)
    return f"exit status {report['exit']}"
