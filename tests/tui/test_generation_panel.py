"""Live generation from the app, on the real engine replaying the recorded demo replies.

The demo app's generate dialog offers `core.generation.demo_config()`: a `spec` job that replays
`core/data/demo_replies.jsonl` through the response cache (no network, no key) and runs every
reference solution in the real sandbox. Tests only change the pause per replayed call.

Nothing here races the job: a job that must be stopped part-way has its first item made
beforehand and waits (on a replay pause that never ends) until the stop cancels it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from textual.widgets import Input, Static

from core.generation import attempts_for, demo_config, list_jobs, run_job
from core.generation.demo import DEMO_ITEMS, DEMO_MODEL
from core.store import Store
from tests.tui.conftest import CURATOR, SIZE, plain, settle, text_of
from tui.app import AssayApp
from tui.screens.error_screen import ErrorScreen
from tui.screens.generate_screen import GenerateScreen

pytestmark = pytest.mark.asyncio

FAST = 0.01  # seconds per replayed call: a whole job in well under a second
BLOCK = 3600.0  # seconds per replayed call: the job waits until it is stopped
FIXTURE_ITEMS = 10


async def start_demo_job(pilot, *, n: int, replay_delay: float) -> None:
    """Open the generate dialog with `g`, set the item count and start the replay."""
    app = pilot.app
    # No waiting for the demo's start-up checks: the job's commits and their writes share
    # the database (store writes take the lock up front, so neither fails).
    await pilot.press("g")
    await wait_until(pilot, lambda: dialog_ready(app))
    screen = app.screen
    assert isinstance(screen, GenerateScreen)
    assert "replays recorded responses" in text_of(app, ".hint")
    screen.defaults = dataclasses.replace(screen.defaults, replay_delay=replay_delay)
    screen.query_one("#gen-n", Input).value = str(n)
    await pilot.press("ctrl+s")
    assert not isinstance(app.screen, GenerateScreen)


def dialog_ready(app) -> bool:
    """The generate dialog is up with every field mounted (its choice list last)."""
    if not isinstance(app.screen, GenerateScreen):
        return False
    overlays = app.screen.query("SelectOverlay")
    return bool(overlays) and all(overlay.is_mounted for overlay in overlays)


async def wait_until(pilot, condition: Callable[[], bool]) -> None:
    """Let the app run until `condition()` holds (a state the app reaches, not a time)."""
    while not condition():
        await pilot.pause()


async def first_item_made(db_path) -> str:
    """The demo job with its first item committed, by the real engine, before the app opens."""
    config = dataclasses.replace(demo_config(replay_delay=0), n=1)
    summary = await asyncio.to_thread(run_job, db_path, config)
    assert summary.state == "done" and summary.items == 1
    return f"gen-{summary.job_id}-0001"


def generated(db_path) -> list[str]:
    with Store(db_path) as store:
        rows = store.conn.execute(
            "SELECT query_id FROM items WHERE query_id LIKE 'gen-%' ORDER BY query_id"
        )
        return [row[0] for row in rows]


def slots_and_attempts(db_path, job_id: int) -> tuple[list[int], list[tuple[int, int]]]:
    """The job's finished slots, and (slot, iteration) of every stored attempt."""
    with Store(db_path) as store:
        slots = [
            r[0]
            for r in store.conn.execute(
                "SELECT slot FROM generation_slots WHERE job_id = ? AND outcome IS NOT NULL "
                "ORDER BY slot",
                [job_id],
            )
        ]
        attempts = [
            (r[0], r[1])
            for r in store.conn.execute(
                "SELECT slot, iteration FROM generation_attempts WHERE job_id = ?", [job_id]
            )
        ]
    return slots, attempts


def only_job(db_path) -> dict:
    with Store(db_path) as store:
        jobs = list_jobs(store)
    assert len(jobs) == 1
    return jobs[0]


async def test_generation_job_runs_in_the_background(db_path):
    app = AssayApp(db_path, curator=CURATOR, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await start_demo_job(pilot, n=3, replay_delay=FAST)
        await settle(pilot)
        assert not isinstance(app.screen, ErrorScreen), plain(
            app.screen.query_one("#error-message", Static).content
        )
        assert app.queue.count == FIXTURE_ITEMS + 3  # the new items landed in the queue
        numbers = text_of(app, "#generation-numbers")
        job = only_job(db_path)
        assert "produced 3/3" in numbers and f"passed {job['passed']}" in numbers
        assert f"tokens {job['tokens']:,}" in numbers and "replay: no model called" in numbers
        assert "done" in text_of(app, "#generation-title")
    assert job["state"] == "done" and job["replay"]
    assert generated(db_path) == [f"gen-{job['job_id']}-{k:04d}" for k in (1, 2, 3)]
    with Store(db_path) as store:
        for query_id in generated(db_path):
            item = store.get(query_id)
            assert item.model == DEMO_MODEL
            assert item.metadata["generation"]["replay"] is True
            # New items get the same sandbox and quality checks as imported ones.
            assert store.check_result(item).status == "pass"


async def test_generation_stop_and_resume(db_path):
    first = await first_item_made(db_path)
    app = AssayApp(db_path, curator=CURATOR, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        # The same job, grown to every demo item: it resumes after its first item and waits.
        await start_demo_job(pilot, n=DEMO_ITEMS, replay_delay=BLOCK)
        await wait_until(pilot, lambda: app.generation_running)
        await pilot.press("S")
        await settle(pilot)
        assert "stopped" in text_of(app, "#generation-title")
        stopped = generated(db_path)
        assert stopped == [first]
        assert app.queue.count == FIXTURE_ITEMS + 1
        job = only_job(db_path)
        assert job["state"] == "stopped" and job["produced"] == 1

        # Starting it again with the same options resumes it, now without the long pause.
        await start_demo_job(pilot, n=DEMO_ITEMS, replay_delay=FAST)
        await settle(pilot)
        assert "done" in text_of(app, "#generation-title")
        assert f"produced {DEMO_ITEMS}/{DEMO_ITEMS}" in text_of(app, "#generation-numbers")
        assert app.queue.count == FIXTURE_ITEMS + DEMO_ITEMS
    job = only_job(db_path)  # resumed the same job rather than starting another
    assert job["state"] == "done"
    items = generated(db_path)
    assert items == [f"gen-{job['job_id']}-{k:04d}" for k in range(1, DEMO_ITEMS + 1)]
    assert set(stopped) <= set(items)
    slots, attempts = slots_and_attempts(db_path, job["job_id"])
    assert slots == list(range(DEMO_ITEMS))
    assert len(attempts) == len(set(attempts))  # no slot was made twice


@pytest.fixture
def generated_db(db_path):
    """The fixture database plus the whole recorded demo job, run by the real engine."""
    summary = run_job(db_path, demo_config(replay_delay=0))
    assert summary.state == "done" and summary.items == DEMO_ITEMS
    return db_path


async def test_generation_attempts_tab(generated_db, make_app):
    with Store(generated_db) as store:
        retried = [
            (query_id, attempts)
            for query_id in generated(generated_db)
            if len(attempts := attempts_for(store, query_id)) > 1
        ]
    # The recording holds one item whose first solution fails and is fixed after feedback.
    assert len(retried) == 1
    query_id, attempts = retried[0]
    first, second = attempts
    assert (first.status, second.status) == ("fail", "pass") and first.feedback
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.queue.move_to(app.queue.index_of(query_id))
        await pilot.press("5")
        await pilot.pause()
        text = text_of(app, "#gen-attempts")
    assert "attempt 1 fail" in text and "attempt 2 pass" in text
    assert "feedback given next:" in text
    assert first.feedback.splitlines()[0] in text
    assert first.prompt_summary in text


async def test_resume_a_job_an_earlier_session_left_unfinished(db_path):
    # An earlier session's job, stopped as soon as its first item landed (the engine asks
    # `should_stop` before each slot, so at most the slots already in flight finish too).
    produced: list[int] = []
    await asyncio.to_thread(
        run_job,
        db_path,
        demo_config(replay_delay=0),
        on_progress=lambda progress: produced.append(progress.produced),
        should_stop=lambda: bool(produced) and produced[-1] >= 1,
    )
    left = generated(db_path)
    assert 1 <= len(left) < DEMO_ITEMS and only_job(db_path)["state"] == "stopped"

    app = AssayApp(db_path, curator=CURATOR)  # a later, ordinary session
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G")
        await settle(pilot)
        assert "done" in text_of(app, "#generation-title")
        assert app.queue.count == FIXTURE_ITEMS + DEMO_ITEMS
    job = only_job(db_path)
    assert job["state"] == "done" and job["produced"] == DEMO_ITEMS
    assert generated(db_path) == [f"gen-{job['job_id']}-{k:04d}" for k in range(1, 9)]
    slots, attempts = slots_and_attempts(db_path, job["job_id"])
    assert slots == list(range(DEMO_ITEMS)) and len(attempts) == len(set(attempts))


async def test_the_generate_dialog_starts_from_the_configured_model(db_path, isolated_user):
    # The same `[generation]` table `assay generate` reads (ASSAY_CONFIG points here).
    (isolated_user / "config.toml").write_text(
        '[generation]\nmodel = "qwen2.5-coder:7b"\nbase_url = "http://localhost:8000/v1"\n'
    )
    app = AssayApp(db_path, curator=CURATOR)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await wait_until(pilot, lambda: dialog_ready(app))
        assert app.screen.query_one("#gen-model", Input).value == "qwen2.5-coder:7b"
        assert app.screen.query_one("#gen-url", Input).value == "http://localhost:8000/v1"
        await pilot.press("escape")
    assert app.new_job().model == "qwen2.5-coder:7b"
