"""A small, fixed database for the curation app's tests, built by the real producers: the
store API for items, the real sandbox and quality checks for their results."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static
from textual.worker import WorkerFailed, WorkerState

import sandbox
from core.checking import build_result, cross_item_checks, run_request
from core.store import NewItem, Store
from tui.app import AssayApp

CURATOR = "tester"
SIZE = (140, 40)


def native_item(n: int, language: str, name: str, does: str, answer: str, tests: str, level: str):
    """One native-format item: `does` finishes "Write a <language> function named ... that"."""
    return {
        "query_id": f"item-{n:03d}",
        "query_text": f"Write a {language} function named `{name}` that {does}\n\n"
        f"Language: {language}. Function name: {name}",
        "reference_answer": answer,
        "assertions": tests,
        "metadata": {
            "language": language,
            "function_name": name,
            "difficulty": level,
            "category": "strings",
            "complexity": 0.5,
        },
    }


def python_item(n: int, *fields: str) -> dict:
    return native_item(n, "Python", *fields)


def typescript_item(n: int, *fields: str) -> dict:
    return native_item(n, "TypeScript", *fields)


PREFIX_TEXT = "returns the longest prefix shared by every string in a list, or an empty string when the list is empty or nothing is shared."
PREFIX = """function longestCommonPrefix(words: string[]): string {
  if (words.length === 0) {
    return "";
  }
  let prefix = words[0];
  for (const word of words) {
    while (!word.startsWith(prefix)) {
      prefix = prefix.slice(0, -1);
      if (prefix === "") {
        return "";
      }
    }
  }
  return prefix;
}
"""
PREFIX_TESTS = """if (longestCommonPrefix(["flower", "flow", "flight"]) !== "fl") throw new Error("fl");
if (longestCommonPrefix(["dog", "racecar", "car"]) !== "") throw new Error("none");
if (longestCommonPrefix([]) !== "") throw new Error("empty");
"""

ITEMS = [
    python_item(
        0,
        "clamp_value",
        "limits a number to the closed range between a lower and an upper bound.",
        "def clamp_value(x: int, low: int, high: int) -> int:\n    return max(low, min(x, high))\n",
        "assert clamp_value(5, 0, 10) == 5\nassert clamp_value(-3, 0, 10) == 0\nassert clamp_value(42, 0, 10) == 10\n",
        "medium",
    ),
    python_item(
        1,
        "count_vowels",
        "counts the vowels (a, e, i, o, u, either case) in a string.",
        'def count_vowels(text: str) -> int:\n    return sum(1 for ch in text.lower() if ch in "aeiou")\n',
        'assert count_vowels("banana") == 3\nassert count_vowels("") == 0\nassert count_vowels("AEIOU xyz") == 5\n',
        "advanced",
    ),
    python_item(
        2,
        "reverse_words",
        "reverses the order of the words in a sentence, keeping each word intact.",
        'def reverse_words(sentence: str) -> str:\n    print("reversing", repr(sentence))\n    return " ".join(sentence.split())\n',
        'assert reverse_words("one") == "one"\nassert reverse_words("a b") == "b a"\nassert reverse_words("") == ""\nassert reverse_words("to be or") == "or be to"\n',
        "medium",
    ),
    python_item(
        3,
        "python_func_3",
        "implements a medium level algorithm.",
        "def python_func_3(x):\n    return x\n",
        "assert python_func_3(1) == 1\nassert python_func_3(2) == 2\nassert python_func_3(5) == 5\n",
        "advanced",
    ),
    python_item(
        4,
        "is_palindrome",
        "tells whether a string reads the same backwards, ignoring case and spaces.",
        'def is_palindrome(text: str) -> bool:\n    letters = [ch.lower() for ch in text if ch != " "]\n    return letters == letters[::-1]\n',
        'assert is_palindrome("Never odd or even")\nassert not is_palindrome("python")\nassert is_palindrome("")\n',
        "medium",
    ),
    python_item(
        5,
        "running_max",
        "returns the running maximum of a list of integers: element i is the largest of the first i + 1 values.",
        "def running_max(values: list[int]) -> list[int]:\n    out = []\n    for value in values:\n        if out and value < out[-1]:\n            out.append(value)\n        else:\n            out.append(value)\n    return out\n",
        "assert running_max([]) == []\nassert running_max([1, 2, 3]) == [1, 2, 3]\nassert running_max([3, 1, 2]) == [3, 3, 3]\nassert running_max([2, 5, 1]) == [2, 5, 5]\n",
        "advanced",
    ),
    typescript_item(
        6,
        "celsiusToFahrenheit",
        "converts a temperature in degrees Celsius to degrees Fahrenheit.",
        "function celsiusToFahrenheit(celsius: number): number {\n  return celsius * 9 / 5 + 32;\n}\n",
        'if (celsiusToFahrenheit(0) !== 32) throw new Error("freezing");\nif (celsiusToFahrenheit(100) !== 212) throw new Error("boiling");\nif (celsiusToFahrenheit(-40) !== -40) throw new Error("equal");\n',
        "medium",
    ),
    typescript_item(7, "longestCommonPrefix", PREFIX_TEXT, PREFIX, PREFIX_TESTS, "advanced"),
    typescript_item(
        8,
        "sharedPrefix",
        PREFIX_TEXT.replace("every string in a list", "all strings of a list"),
        PREFIX.replace("longestCommonPrefix", "sharedPrefix")
        .replace("prefix", "common")
        .replace("word", "item"),
        PREFIX_TESTS.replace("longestCommonPrefix", "sharedPrefix"),
        "medium",
    ),
    typescript_item(
        9,
        "commonPrefixOf",
        PREFIX_TEXT.replace("the longest prefix", "the longest common prefix"),
        PREFIX.replace("longestCommonPrefix", "commonPrefixOf").replace("words", "strings"),
        PREFIX_TESTS.replace("longestCommonPrefix", "commonPrefixOf"),
        "advanced",
    ),
]


def build_db(path: Path) -> Path:
    """Ten items checked by the real sandbox and quality checks: 0, 1, 4, 6 pass clean, 7
    passes with near duplicates; 2 and 5 fail half their tests; 3 is a placeholder; 8 and 9
    near-duplicate 7 and are left
    unchecked (their signatures and cluster are stored, as a check of 0-9 would store them)."""
    with Store(path) as store:
        store.add_items([NewItem(r) for r in ITEMS], author="importer")
        items = store.items()
        cross = cross_item_checks(store, items)  # in order: item-007 represents its cluster
        for index, run in sandbox.run_many([run_request(i) for i in items[:8]]):
            item = items[index]
            result = build_result(item, steady(run), *cross[item.query_id])
            store.save_check(item, result)
    return path


def steady(run: sandbox.RunResult) -> sandbox.RunResult:
    """The run with what depends on the machine (times, isolation layers) fixed, so that
    snapshots are the same everywhere."""
    tests = [replace(t, duration=(k + 1) / 1000) for k, t in enumerate(run.tests)]
    return replace(run, tests=tests, duration=0.05, isolation=[])


@pytest.fixture(scope="session")
def checked_db(built_once) -> Path:
    """The fixture database, checked once per test run (the sandbox runs take seconds)."""
    return built_once("tui-checked.db", build_db)


@pytest.fixture
def db_path(tmp_path: Path, checked_db: Path) -> Path:
    """A fresh copy of the checked database for one test."""
    path = tmp_path / "assay.db"
    source, copy = sqlite3.connect(checked_db), sqlite3.connect(path)
    source.backup(copy)
    source.close()
    copy.close()
    return path


@pytest.fixture
def make_app(db_path: Path):
    def make(**kwargs) -> AssayApp:
        return AssayApp(db_path, curator=CURATOR, **kwargs)

    return make


def text_of(app, selector: str) -> str:
    """The plain text a Static shows (rich renderables rendered at 200 columns), or what a
    line-API view says it shows (`plain_text()`)."""
    widget = app.screen.query_one(selector)
    if hasattr(widget, "plain_text"):
        return widget.plain_text()
    assert isinstance(widget, Static)
    return plain(widget.content)


def plain(content) -> str:
    if isinstance(content, str):
        return content
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


async def until(pilot, ready, what: str = "the screen to be ready", rounds: int = 400) -> None:
    """Process the app's messages until `ready()` holds: a key that opens a screen returns
    before the screen has composed its widgets, and on a loaded machine the next line can
    run first. Bounded by rounds of the app's own message processing, not by a clock."""
    for _ in range(rounds):
        if ready():
            return
        await pilot.pause()
    raise AssertionError(f"never happened: {what}")


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
