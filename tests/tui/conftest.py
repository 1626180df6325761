"""A small, fixed database for the curation app's tests (built through the store API)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static
from textual.worker import WorkerFailed, WorkerState

from core.store import NewItem, Store
from tui.app import AssayApp

CURATOR = "tester"
SIZE = (140, 40)


def record(n: int, language: str = "Python", difficulty: str = "medium") -> dict:
    name = f"solve_{n}"
    if language == "Python":
        answer = (
            f"def {name}(x: int) -> int:\n    if x < 0:\n        return -x\n    return x + {n}\n"
        )
        tests = f"assert {name}(1) == {1 + n}\nassert {name}(-2) == 2\n"
    else:
        answer = f"function {name}(x: number): number {{\n  return x + {n};\n}}\n"
        tests = f"if ({name}(1) !== {1 + n}) throw new Error('bad');\n"
    return {
        "query_id": f"item-{n:03d}",
        "query_text": f"Write a {language} function named `{name}` that adds {n}.\n\n"
        f"Language: {language}. Function name: {name}",
        "reference_answer": answer,
        "assertions": tests,
        "metadata": {
            "language": language,
            "function_name": name,
            "difficulty": difficulty,
            "category": "arithmetic",
            "complexity": 0.5,
        },
    }


def check(query_id: str, status: str, flags: list[dict] | None = None, cc: int = 2) -> dict:
    passed = 2 if status == "pass" else 1
    return {
        "query_id": query_id,
        "revision": 1,
        "status": status,
        "tests": {"passed": passed, "failed": 2 - passed, "total": 2},
        "recommendation": "accept" if status == "pass" and not flags else "reject",
        "flags": flags or [],
        "metrics": {
            "cyclomatic_max": cc,
            "halstead_difficulty": 1.5,
            "maintainability_index": 80.0,
            "sloc": 4,
            "per_function": [{"name": "solve", "complexity": cc, "rank": "A"}],
        },
        "run": {
            "status": status,
            "tests": [
                {"name": "assert 1", "status": "pass", "message": "", "duration": 0.001},
                {
                    "name": "assert 2",
                    "status": "pass" if status == "pass" else "fail",
                    "message": "" if status == "pass" else "AssertionError: got 3",
                    "duration": 0.002,
                },
            ],
            "stdout_tail": "hello from the solution",
            "stderr_tail": "",
            "duration": 0.05,
        },
        "duplicates": [],
    }


PLACEHOLDER = {"code": "placeholder_solution", "severity": "reject", "message": "returns x"}


def build_db(path: Path) -> Path:
    """Ten items: 0-5 Python, 6-9 TypeScript; checks on 0-7; items 8 and 9 duplicate 7."""
    with Store(path) as store:
        store.add_items(
            [
                NewItem(
                    record(n, "Python" if n < 6 else "TypeScript", ("medium", "advanced")[n % 2])
                )
                for n in range(10)
            ],
            author="importer",
        )
        for n in range(8):
            item = store.get(f"item-{n:03d}")
            status = "fail" if n in (2, 5) else "pass"
            flags = [PLACEHOLDER] if n == 3 else None
            result = check(item.query_id, status, flags, cc=n + 1)
            if n == 7:
                result["duplicates"] = [
                    {"query_id": "item-008", "kind": "near", "similarity": 0.91},
                    {"query_id": "item-009", "kind": "near", "similarity": 0.88},
                ]
            store.save_check(item, result)
        store.set_clusters({"item-007": "item-007", "item-008": "item-007", "item-009": "item-007"})
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return build_db(tmp_path / "assay.db")


@pytest.fixture
def make_app(db_path: Path):
    def make(**kwargs) -> AssayApp:
        return AssayApp(db_path, curator=CURATOR, **kwargs)

    return make


def text_of(app, selector: str) -> str:
    """The plain text a Static shows (rich renderables rendered at 200 columns)."""
    return plain(app.screen.query_one(selector, Static).content)


def plain(content) -> str:
    if isinstance(content, str):
        return content
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


async def settle(pilot) -> None:
    """Wait until every background worker, and any worker its messages start, has finished.

    A worker's failure is not raised here: the app shows it as a modal, which tests assert."""
    app = pilot.app
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return
    raise AssertionError("background workers did not settle")
