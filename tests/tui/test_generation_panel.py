"""Live generation from the app: start, progress, new items in the queue, stop and resume."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from textual.widgets import Input, Static

from core.generation import JobProgress
from core.store import NewItem, Store
from tests.tui.conftest import SIZE, record, text_of
from tui.screens.error_screen import ErrorScreen
from tui.screens.generate_screen import GenerateScreen

pytestmark = pytest.mark.asyncio


def progress(done: int, target: int) -> JobProgress:
    return JobProgress(
        job_id=7,
        state="running",
        target=target,
        produced=done,
        passed=done,
        failed=0,
        errors=0,
        tokens=100 * done,
        cost=0.001 * done,
        elapsed=1.0,
        eta_seconds=2.0,
    )


class FakeJob:
    """Stands in for `core.generation.run_job`: inserts items one by one, honours stop."""

    def __init__(self, *, wait_for_stop: bool = False):
        self.calls: list[tuple[int, int | None]] = []
        self.wait_for_stop = wait_for_stop

    def __call__(self, db_path, config, *, job_id=None, on_progress=None, should_stop=None):
        self.calls.append((config.n, job_id))
        start = 100 + 10 * len(self.calls)
        done = 0
        with Store(db_path) as store:
            for k in range(config.n):
                if should_stop():
                    break
                store.insert_item(
                    NewItem(record(start + k), job_id=7, model=config.model), author="generator"
                )
                done += 1
                on_progress(progress(done, config.n))
                if self.wait_for_stop and job_id is None:
                    deadline = time.monotonic() + 5
                    while not should_stop() and time.monotonic() < deadline:
                        time.sleep(0.01)
        state = "stopped" if should_stop() else "done"
        return SimpleNamespace(
            job_id=7,
            state=state,
            produced=done,
            passed=done,
            failed=0,
            tokens=100 * done,
            cost=0.001 * done,
        )


async def test_generation_job_runs_in_the_background(make_app, monkeypatch, fake_checks):
    job = FakeJob()
    monkeypatch.setattr("core.generation.run_job", job)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GenerateScreen)
        app.screen.query_one("#gen-n", Input).value = "3"
        app.screen.query_one("#gen-model", Input).value = "test-model"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.queue.count == 13  # the new items landed in the queue
        numbers = text_of(app, "#generation-numbers")
        assert "produced 3/3" in numbers and "tokens 300" in numbers and "$0.0030" in numbers
        assert "done" in text_of(app, "#generation-title")
    assert job.calls == [(3, None)]
    assert fake_checks == [["item-110", "item-111", "item-112"]]  # new items get checked
    with Store(make_app().db_path) as store:
        assert store.get("item-111").model == "test-model"


async def test_generation_stop_and_resume(make_app, monkeypatch):
    job = FakeJob(wait_for_stop=True)
    monkeypatch.setattr("core.generation.run_job", job)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        app.screen.query_one("#gen-n", Input).value = "4"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert app.generation_running
        await pilot.press("S")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "stopped" in text_of(app, "#generation-title")
        assert app.queue.count == 11
        await pilot.press("G")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.queue.count == 15
    assert job.calls == [(4, None), (4, 7)]


async def test_generation_not_ready_explains_itself(make_app, monkeypatch):
    monkeypatch.delattr("core.generation.run_job")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, ErrorScreen)
        assert "run_job" in str(app.screen.query_one("#error-message", Static).content)


async def test_generation_attempts_tab(make_app, monkeypatch):
    attempts = [
        {
            "iteration": 1,
            "status": "fail",
            "prompt_summary": "spec python medium",
            "feedback": "assert 2 failed: got 3",
            "run_result": None,
            "created_at": "t1",
        },
        {
            "iteration": 2,
            "status": "pass",
            "prompt_summary": "retry",
            "feedback": None,
            "run_result": None,
            "created_at": "t2",
        },
    ]
    monkeypatch.setattr("core.generation.attempts_for", lambda store, qid: attempts)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        text = text_of(app, "#gen-attempts")
        assert "attempt 1" in text and "assert 2 failed: got 3" in text and "attempt 2" in text


async def test_resume_a_job_an_earlier_session_left_unfinished(make_app, monkeypatch):
    job = FakeJob()
    monkeypatch.setattr("core.generation.run_job", job)
    jobs = [{"job_id": 3, "state": "stopped", "config": {"pipeline": "spec", "n": 2}}]
    monkeypatch.setattr("core.generation.list_jobs", lambda store: jobs)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.queue.count == 12
    assert job.calls == [(2, 3)]
