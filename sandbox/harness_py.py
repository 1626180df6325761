"""Python items, child side: runs inside a forked, isolated child of a warm worker.

It executes the solution and the rewritten tests and writes one JSON record per
event to the channel fd. It never decides a verdict: check records carry the
evaluated values and the parent compares them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
import time
import traceback
from typing import Any

from sandbox.pyplan import CHECK_FN, SOLUTION_FILE, TESTS_FILE
from sandbox.values import encode


def run(payload: dict[str, Any], channel: int, coverage: bool) -> None:
    """Run one item and exit the process; never returns."""
    write = _writer(channel)
    hit: set[int] = set()
    if coverage:
        _trace_solution_lines(hit)

    ns: dict[str, Any] = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(compile(payload["solution"], SOLUTION_FILE, "exec", dont_inherit=True), ns)
    except BaseException as exc:  # SystemExit too: the solution must not end the run
        write({"e": "solution_error", "m": "the solution raised at import: " + _tail(exc)})

    def check(cid: int, *thunks: Any) -> None:
        values = []
        for thunk in thunks:
            try:
                value = thunk()
            except BaseException as exc:
                values.append([0, f"{type(exc).__name__}: {exc}"[:1000]])
                continue
            try:
                values.append([1, encode(value)])
            except BaseException as exc:
                values.append([0, f"value could not be sent: {type(exc).__name__}: {exc}"[:500]])
        write({"e": "check", "c": cid, "v": values})

    ns[CHECK_FN] = check
    for index, segment in enumerate(payload["segments"]):
        test = segment["test"]
        code = compile(segment["code"], TESTS_FILE, "exec", dont_inherit=True)
        if test is not None:
            write({"e": "begin", "t": test})
        started = time.perf_counter()
        error = None
        try:
            exec(code, ns)
        except BaseException as exc:
            error = exc
        if test is not None:
            write({"e": "end", "t": test, "d": time.perf_counter() - started, "x": _exc(error)})
        elif error is not None:
            write({"e": "setup_error", "s": index, "m": "test setup raised: " + _tail(error)})

    for test, name, _is_async in payload["functions"]:
        write({"e": "begin", "t": test})
        started = time.perf_counter()
        error = None
        try:
            _call_test(ns.get(name))
        except BaseException as exc:
            error = exc
        write({"e": "end", "t": test, "d": time.perf_counter() - started, "x": _exc(error)})

    sys.settrace(None)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    write({"e": "done", "lines": sorted(hit)})
    os._exit(0)


def _call_test(fn: Any) -> None:
    if not callable(fn):
        raise TypeError("the test function was replaced by a non-callable")
    required = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if required:
        raise TypeError(f"fixtures are not supported (needs {', '.join(p.name for p in required)})")
    outcome = fn()
    if inspect.iscoroutine(outcome):
        asyncio.run(outcome)


def _writer(fd: int) -> Any:
    dumps, write = json.dumps, os.write

    def send(record: dict[str, Any]) -> None:
        data = (dumps(record) + "\n").encode()
        while data:
            data = data[write(fd, data) :]

    return send


def _trace_solution_lines(hit: set[int]) -> None:
    def lines(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            hit.add(frame.f_lineno)
        return lines

    def calls(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == SOLUTION_FILE:
            hit.add(frame.f_lineno)
            return lines
        return None

    sys.settrace(calls)


def _exc(exc: BaseException | None) -> dict[str, str] | None:
    if exc is None:
        return None
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    return {"type": type(exc).__name__, "m": message[:1000]}


def _tail(exc: BaseException) -> str:
    try:
        lines = traceback.format_exception(exc)
    except BaseException:
        return type(exc).__name__
    return "".join(lines[-3:])[-1500:]
