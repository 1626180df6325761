"""The app's generation panel shows what the engine reports: estimated tokens when a server
reports no usage, retries and 429s, and a failed job's one-sentence reason. The progress
comes from real jobs against real servers on 127.0.0.1 (no hand-made progress)."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.errors import AssayError
from core.generation import run_job
from core.generation.config import JobProgress
from tests.generation.conftest import quick_config
from tests.generation.openai_server import Behaviour, FakeOpenAI, Fault, solution_reply
from tests.tui.conftest import CURATOR, SIZE, text_of
from tui.app import AssayApp
from tui.widgets.generation_panel import GenerationPanel

pytestmark = pytest.mark.asyncio


async def last_progress(db_path, server: FakeOpenAI) -> JobProgress:
    """The last progress a real job reported (run on a thread, as the app runs it)."""
    seen: list[JobProgress] = []
    await asyncio.to_thread(run_job, db_path, quick_config(server, n=2), on_progress=seen.append)
    return seen[-1]


async def test_the_panel_marks_estimated_tokens_and_counts_429s(tmp_path):
    rate_limited = [Fault(status=429, headers={"retry-after-ms": "10"})]
    with FakeOpenAI(behaviour=Behaviour(usage=False), faults=rate_limited) as server:
        progress = await last_progress(tmp_path / "gen.db", server)
    assert progress.estimated_calls and progress.rate_limited == 1
    app = AssayApp(tmp_path / "app.db", curator=CURATOR, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(GenerationPanel)
        panel.update_progress(progress)
        await pilot.pause()
        numbers = text_of(app, "#generation-numbers")
    assert f"tokens {progress.tokens:,} (~{progress.estimated_calls} calls estimated)" in numbers
    assert "retries 1" in numbers and "429s 1" in numbers


async def test_a_failed_job_shows_its_reason(tmp_path):
    with FakeOpenAI() as server:
        url, config = server.url, quick_config(server)
    with pytest.raises(AssayError) as failure:  # the server has stopped listening
        await asyncio.to_thread(run_job, tmp_path / "gen.db", config)
    app = AssayApp(tmp_path / "app.db", curator=CURATOR, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(GenerationPanel).finish(None, str(failure.value), stopped=False)
        await pilot.pause()
        assert "failed" in text_of(app, "#generation-title")
        assert f"The server at {url} cannot be reached" in text_of(app, "#generation-numbers")


async def test_a_job_that_made_nothing_passing_ends_short_not_done(tmp_path):
    # Every reply is prose, not a problem: the job finishes its slots with no item that
    # passes, and the panel says so in words instead of a green "done".
    junk = Fault(content="Sorry, I cannot help with that.")
    with FakeOpenAI(faults=[Fault(), junk, junk, junk, junk]) as server:
        config = quick_config(server, n=1, concurrency=1, iterations=2)
        summary = await asyncio.to_thread(run_job, tmp_path / "gen.db", config)
    assert summary.state == "done" and summary.passed == 0
    app = AssayApp(tmp_path / "app.db", curator=CURATOR, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(GenerationPanel)
        panel.start(config)
        panel.finish(summary, None, stopped=False)
        await pilot.pause()
        title = text_of(app, "#generation-title")
        numbers = text_of(app, "#generation-numbers")
    assert "ended short" in title and "done" not in title
    assert f"Job {summary.job_id} ended done with {summary.items} of 1 items" in numbers
    assert "none passing its tests (slots: unreadable 1)" in numbers


async def test_the_panel_shows_the_rate_and_the_repairs_the_sandbox_asked_for(tmp_path):
    # The first solution fails its tests; the sandbox's feedback gets a repair that passes.
    wrong = json.dumps(solution_reply("add_offset_1", 1, wrong=True))
    with FakeOpenAI(faults=[Fault(), Fault(content=wrong)]) as server:
        seen: list[JobProgress] = []
        config = quick_config(server, n=1, concurrency=1)
        summary = await asyncio.to_thread(
            run_job, tmp_path / "gen.db", config, on_progress=seen.append
        )
    assert summary.passed == 1
    progress = seen[-1]
    assert progress.repairs == 1 and progress.rate > 0
    app = AssayApp(tmp_path / "app.db", curator=CURATOR, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(GenerationPanel).update_progress(progress)
        await pilot.pause()
        numbers = text_of(app, "#generation-numbers")
    assert f"rate {progress.rate:.1f}/min" in numbers and "repairs 1" in numbers
