"""Run untrusted, LLM-written code and judge it. Imports nothing from `core`.

    import sandbox
    result = sandbox.run("Python", solution, tests, timeout=10)
    for index, result in sandbox.run_many(requests): ...
    sandbox.doctor()

Names are loaded on first use: the warm workers import `sandbox.zygote` only,
and every module they do not import makes their per-run fork cheaper.
"""

from __future__ import annotations

Any = object  # annotations only: importing typing would add ~1.8 MB to every worker

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
