"""Run untrusted, LLM-written code and judge it. Imports nothing from `core`.

    import sandbox
    result = sandbox.run("Python", solution, tests, timeout=10)
    for index, result in sandbox.run_many(requests): ...
    sandbox.doctor()

Names are loaded on first use: the warm workers import `sandbox.zygote` only,
and every module they do not import makes their per-run fork cheaper.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~1.8 MB per worker fork)
if TYPE_CHECKING:  # the lazy exports below, as mypy should see them
    from typing import Any

    from sandbox.api import doctor as doctor
    from sandbox.api import execute as execute
    from sandbox.api import run as run
    from sandbox.api import run_many as run_many
    from sandbox.result import RunRequest as RunRequest
    from sandbox.result import RunResult as RunResult
    from sandbox.result import StrictModeError as StrictModeError
    from sandbox.result import TestResult as TestResult

_EXPORTS = {
    "doctor": "sandbox.api",
    "execute": "sandbox.api",
    "run": "sandbox.api",
    "run_many": "sandbox.api",
    "RunRequest": "sandbox.result",
    "RunResult": "sandbox.result",
    "StrictModeError": "sandbox.result",
    "TestResult": "sandbox.result",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
