"""Shared fixtures: every test gets its own config, database path and curator name."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def isolated_user(tmp_path_factory, monkeypatch):
    """Point config, database and curator at throwaway values (as simonw/llm's conftest does)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ASSAY_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("ASSAY_DB", str(home / "assay.db"))
    monkeypatch.setenv("ASSAY_CURATOR", "tester")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return home


@pytest.fixture(scope="session")
def built_once(tmp_path_factory, worker_id: str) -> Callable[[str, Callable[[Path], None]], Path]:
    """`built_once(name, build)`: a file made once per test run, however many xdist workers
    ask: the first builds it under a lock, the others wait for it and read the same file."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the run's dir, not the user's

    def get(name: str, build: Callable[[Path], None]) -> Path:
        target = shared / name
        with open(shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.exists():
                partial = shared / f"{name}.{os.getpid()}.partial"
                build(partial)
                partial.rename(target)
        return target

    return get


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is absent (third-party items live outside the repo)")
    return SHARED_FIXTURES


def make_record(query_id: str = "t-001", **overrides) -> dict:
    """A small, well-formed native item written by us."""
    name = overrides.pop("function_name", "add_numbers")
    record = {
        "query_id": query_id,
        "query_text": f"Write a Python function named `{name}` that returns the sum of two "
        f"integers. Language: Python. Function name: {name}",
        "reference_answer": f"def {name}(a: int, b: int) -> int:\n    return a + b\n",
        "assertions": f"assert {name}(1, 2) == 3\nassert {name}(-1, 1) == 0\n"
        f"assert {name}(0, 0) == 0",
        "metadata": {
            "language": "Python",
            "function_name": name,
            "difficulty": "medium",
            "category": "math",
            "complexity": 0.2,
        },
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    return path
