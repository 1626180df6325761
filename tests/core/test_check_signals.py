"""Generation's verifier and solver reach the recommendation: items made by the real
pipeline against the 127.0.0.1 server, then checked by the real `assay check`."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.generation import run_job
from core.store import ItemFilter, Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI, Responder

runner = CliRunner()
VAGUE = "The statement never says whether the offset is added or subtracted."


# Three unrelated problems (so no duplicate or template flag interferes), as
# (what the function does, its reference body).
PROBLEMS = {
    1: ("takes an integer x and returns the next integer after it.", "return x + 1"),
    2: ("shifts a number by a small constant amount.", "return sum([x, 2])"),
    3: (
        "adds three to its integer argument with a counting loop, negative values included.",
        "y = x\n    for _ in range(3):\n        y += 1\n    return y",
    ),
}


class Reviewers(Responder):
    """Problem 1: specified, solved by every solver attempt. Problem 2: the verifier calls
    it under-specified, and every solver attempt is wrong. Problem 3: specified, and only
    the first solver attempt (seed 0) is right."""

    def __call__(self, request: dict) -> str:
        self.seed = request.get("seed")
        return super().__call__(request)

    def reply(self, schema, first_user, last, messages):
        if "Write one new programming problem" in first_user or schema == "problem":
            number = int(re.search(r"Problem number (\d+)", first_user).group(1))
            name = f"add_offset_{number}"
            return {
                "function_name": name,
                "query_text": f"Write a Python function named `{name}` that "
                f"{PROBLEMS[number][0]} Language: Python. Function name: {name}",
            }
        reply = super().reply(schema, first_user, last, messages)
        name = re.search(r"add_offset_(\d+)", first_user)
        number = int(name.group(1)) if name else 0
        if "reference_answer" in reply:
            body = PROBLEMS[number][1]
            reply["reference_answer"] = f"def add_offset_{number}(x: int) -> int:\n    {body}\n"
        if "reviewing a benchmark item" in first_user and number == 2:
            return {"specified": False, "reason": VAGUE}
        if "solution" in reply and (number == 2 or (number == 3 and self.seed)):
            return {"solution": reply["solution"].replace("x +", "x -")}
        return reply


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    """Three items with verifier and solver results, made once for this module."""
    db = tmp_path_factory.mktemp("signals") / "gen.db"
    with FakeOpenAI(responder=Reviewers(wrong_first_every=100)) as server:
        config = quick_config(server, n=3, concurrency=1, verify=True, solver=True, solver_k=4)
        run_job(db, config)
    return str(db)


def checked(generated: str, tmp_path) -> dict[str, dict]:
    db = tmp_path / "copy.db"
    with Store(generated) as store:
        store.copy_to(db)
    result = runner.invoke(app, ["check", "--json", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {line["query_id"].rsplit("-", 1)[1]: line for line in lines} | {"db": str(db)}


def flags_of(line: dict) -> dict[str, tuple[str, str]]:
    return {f["code"]: (f["severity"], f["message"]) for f in line["flags"]}


def test_the_verifier_and_the_solver_reach_the_recommendation(generated, tmp_path):
    lines = checked(generated, tmp_path)
    easy, vague, hard = lines["0001"], lines["0002"], lines["0003"]
    assert all(line["status"] == "pass" for line in (easy, vague, hard))
    # solved by all 4 attempts: too easy, info by default, so still accepted
    assert flags_of(easy)["too_easy"] == (
        "info",
        "all 4 of the solver's attempts (test-model) solved it from the statement alone",
    )
    assert easy["recommendation"] == "accept"
    # the verifier's verdict sends the item to review, with its reason
    severity, message = flags_of(vague)["under_specified"]
    assert severity == "warn" and message.endswith(VAGUE)
    assert vague["recommendation"] == "review" and "too_easy" not in flags_of(vague)
    # solved by one attempt in four: neither flag
    assert flags_of(hard) == {} and hard["recommendation"] == "accept"


def test_too_easy_is_a_warning_when_the_config_says_so(generated, tmp_path, isolated_user):
    (isolated_user / "config.toml").write_text('[checks]\ntoo_easy = "warn"\n')
    lines = checked(generated, tmp_path)
    assert flags_of(lines["0001"])["too_easy"][0] == "warn"
    assert lines["0001"]["recommendation"] == "review"
    assert "too_easy" not in flags_of(lines["0003"])


def test_a_bad_too_easy_setting_is_one_sentence(generated, tmp_path, isolated_user):
    (isolated_user / "config.toml").write_text('[checks]\ntoo_easy = "reject"\n')
    db = tmp_path / "copy.db"
    with Store(generated) as store:
        store.copy_to(db)
    result = runner.invoke(app, ["check", "--db", str(db)])
    assert result.exit_code != 0
    assert 'must be "info" or "warn"' in result.output and "Traceback" not in result.output


def test_the_solver_pass_rate_is_the_measured_difficulty_to_filter_and_sort_on(generated):
    with Store(generated) as store:
        ordered = [i.query_id[-4:] for i in store.items(sort="solver_pass_rate")]
        rates = dict(store.conn.execute("SELECT query_id, solver_pass_rate FROM items"))
        hard = [i.query_id[-4:] for i in store.items(ItemFilter(solver_max=0.5))]
        easy = [i.query_id[-4:] for i in store.items(ItemFilter(solver_min=1.0))]
    assert sorted(rates.values()) == [0.0, 0.25, 1.0]
    assert ordered == ["0002", "0003", "0001"]  # hardest first
    # (a filter keeps import order, and the job commits its slots in the order they finish)
    assert sorted(hard) == ["0002", "0003"] and easy == ["0001"]


def test_export_selects_by_measured_difficulty(generated, tmp_path):
    out = tmp_path / "hard.jsonl"
    args = ["export", str(out), "--status", "all", "--solver-max", "0.5", "--db", generated]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    written = [json.loads(line)["query_id"][-4:] for line in out.read_text().splitlines()]
    assert sorted(written) == ["0002", "0003"]  # in the order the job committed them
    manifest = json.loads((tmp_path / "hard.jsonl.manifest.json").read_text())
    assert manifest["filters"]["solver_max"] == 0.5
    bad = runner.invoke(app, [*args[:4], "--solver-min", "2", "--db", generated])
    assert bad.exit_code != 0 and "between 0 and 1" in bad.output
    assert "Traceback" not in bad.output
