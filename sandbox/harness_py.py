"""Python items, child side: runs inside a forked, isolated child of a warm worker.

It executes the solution and the rewritten tests and writes one JSON record per
event to the channel fd. It never decides a verdict: check records carry the
evaluated values and the parent compares them.
"""

from __future__ import annotations

import binascii
import marshal
import os
import sys
import time
from json.encoder import c_make_encoder, encode_basestring_ascii

from sandbox.values import encode

Any = object  # annotations only: importing typing makes every fork dearer

SOLUTION_FILE = "<solution>"
TESTS_FILE = "<tests>"  # the parent compiles both
CHECK_FN = "__assay_check__"


def load(payload: dict[str, Any]) -> Any:
    """The compiled solution and test segments. Called in the worker before the
    fork (the payload comes from the parent's `pyplan`, never from user code):
    unmarshalling in each child cost ~0.15 ms, most of it copy-on-write faults."""
    return marshal.loads(binascii.a2b_base64(payload["code"]))


def run(payload: dict[str, Any], program: Any, channel: int, coverage: bool) -> None:
    """Run one item (`program` from `load`) and exit the process; never returns."""
    write = _Channel(channel)
    pending = write.pending  # the hot paths below append encoded records directly:
    # each Python frame saved is also a call saved into the coverage tracer
    hit: set[int] = set()
    if coverage:
        _trace_solution_lines(hit)

    solution, segments = program
    ns: dict[str, Any] = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(solution, ns)
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
        pending.append("".join(_ENCODE({"e": "check", "c": cid, "v": values}, 0)))

    ns[CHECK_FN] = check
    for index, (code, test) in enumerate(zip(segments, payload["tests"], strict=True)):
        if test is not None:
            pending.append("".join(_ENCODE({"e": "begin", "t": test}, 0)))
            write.flush()
        started = time.perf_counter()
        error = None
        try:
            exec(code, ns)
        except BaseException as exc:
            error = exc
        if test is not None:
            end = {"e": "end", "t": test, "d": time.perf_counter() - started, "x": None}
            if error is not None:
                end["x"] = _exc(error)
            pending.append("".join(_ENCODE(end, 0)))
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
    write.flush()
    os._exit(0)


def _call_test(fn: Any) -> None:
    if not callable(fn):
        raise TypeError("the test function was replaced by a non-callable")
    code = getattr(fn, "__code__", None)
    if code is not None and code.co_argcount > len(getattr(fn, "__defaults__", None) or ()):
        names = ", ".join(code.co_varnames[: code.co_argcount])
        raise TypeError(f"test functions with arguments (fixtures) are not supported: {names}")
    outcome = fn()
    if hasattr(outcome, "__await__"):
        import asyncio  # only async tests pay for it

        asyncio.run(outcome)


# json.dumps without its three Python frames (each one a call into the coverage
# tracer): the C encoder that json.dumps itself uses, with the same settings.
_ENCODE = c_make_encoder(None, None, encode_basestring_ascii, None, ": ", ", ", False, False, True)


class _Channel:
    """Records go out in one write per test: buffered until the next "begin", so
    the parent still learns which test was running if the process hangs or dies."""

    def __init__(self, fd: int) -> None:
        self.fd, self.pending = fd, []

    def __call__(self, record: dict[str, Any]) -> None:
        self.pending.append("".join(_ENCODE(record, 0)))
        if record["e"] == "begin":
            self.flush()

    def flush(self) -> None:
        data = ("\n".join(self.pending) + "\n").encode()
        self.pending.clear()
        while data:
            data = data[os.write(self.fd, data) :]


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
    import traceback  # only failures pay for it

    try:
        lines = traceback.format_exception(exc)
    except BaseException:
        return type(exc).__name__
    return "".join(lines[-2:])[-1500:]  # the failing line and the exception
