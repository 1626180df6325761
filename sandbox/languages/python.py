"""Python: items run in a forked warm interpreter; asserts are judged in the parent."""

from __future__ import annotations

from sandbox.languages.base import Language, Toolchain
from sandbox.result import RunRequest, RunResult


def toolchain() -> Toolchain:
    import sys

    return Toolchain(True, f"Python {sys.version.split()[0]} (in-process)", sys.executable)


def run(language: Language, request: RunRequest) -> RunResult:
    """Plan the tests in the parent, run them in a forked worker, judge the records here."""
    from sandbox import isolation, pyplan
    from sandbox.pool import POOL, WorkerCrashed

    try:
        plan = pyplan.plan(request.solution, request.tests, request.function_name)
    except pyplan.Unparsable as exc:
        return RunResult("unparsable", reason=str(exc))
    message = {
        "mode": "python",
        "payload": plan.payload,
        "timeout": request.timeout,
        "coverage": True,
        "profile": "native",
    }
    try:
        reply, layers = POOL.call(message, request.timeout)
    except WorkerCrashed as exc:
        return RunResult("error", reason=str(exc))
    if "worker_error" in reply:
        return RunResult("error", reason=f"sandbox worker error: {reply['worker_error']}")
    result = pyplan.verdict(plan, reply)
    if reply.get("problem") and result.status != "timeout":
        result.status, result.reason = "error", reply["problem"]
    result.stdout_tail, result.stderr_tail = reply["stdout"], reply["stderr"]
    result.isolation = isolation.layers_in_force(layers)
    return result


LANGUAGES = [
    Language(
        "python",
        "Python",
        ("python", "python3", "py"),
        ".py",
        lexer="python",
        editor="python",
        grammar="python",
        comment="#",
        short="py",
        toolchain=toolchain,
        run=run,
    ),
]
