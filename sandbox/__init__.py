"""Run untrusted, LLM-written code and judge it. Imports nothing from `core`.

import sandbox
result = sandbox.run("Python", solution, tests, timeout=10)
for index, result in sandbox.run_many(requests): ...
sandbox.doctor()
"""

from sandbox.api import doctor, execute, run, run_many
from sandbox.result import RunRequest, RunResult, StrictModeError, TestResult

__all__ = [
    "RunRequest",
    "RunResult",
    "StrictModeError",
    "TestResult",
    "doctor",
    "execute",
    "run",
    "run_many",
]
