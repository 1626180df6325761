"""A real chat-completions server on 127.0.0.1 per test, and job settings with short waits."""

from __future__ import annotations

import pytest

from core.generation import JobConfig
from tests.generation.openai_server import FakeOpenAI


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "gen.db"


def quick_config(server: FakeOpenAI, **overrides) -> JobConfig:
    """Python only (fast in the sandbox), retries that wait milliseconds, not seconds."""
    values = dict(
        n=4,
        model="test-model",
        base_url=server.url,
        languages={"python": 1.0},
        concurrency=4,
        timeout=5.0,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    values.update(overrides)
    return JobConfig(**values)
