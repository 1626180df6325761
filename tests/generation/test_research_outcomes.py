"""Slot outcomes against a real server on 127.0.0.1: `unreadable` (the reply) apart from
`unparsable` (the code), statements retried within limits, and a late 400 that keeps the slot."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.cli import app
from core.generation import attempts_for, run_job
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI, Fault, solution_reply

PROBLEM = "Write one new programming problem"
CONTEXT_400 = json.dumps(
    {
        "error": {
            "message": "This model's maximum context length is 8192 tokens. However, your "
            "messages resulted in 9013 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        }
    }
)


def jobs_json(db_path) -> list[dict]:
    result = CliRunner().invoke(app, ["jobs", "--json", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def problem_calls(server: FakeOpenAI) -> list[dict]:
    return [r["body"] for r in server.requests if PROBLEM in r["body"]["messages"][1]["content"]]


def test_a_reply_that_cannot_be_read_is_unreadable_and_code_that_does_not_parse_unparsable(
    db_path,
):
    # The tests the repair will keep (a repair that drops tests is refused as a cheat).
    tests = solution_reply("add_offset_1", 1, wrong=False)["assertions"]
    broken = json.dumps(
        {"reference_answer": "def add_offset_1(x:\n    return x +", "assertions": tests}
    )
    faults = [Fault(), Fault(content="Sorry, I cannot help with that."), Fault(content=broken)]
    with FakeOpenAI(faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
    assert summary.passed == 1
    with Store(db_path) as store:
        statuses = [a.status for a in attempts_for(store, "gen-1-0001")]
    assert statuses == ["unreadable", "unparsable", "pass"]


def test_a_slot_whose_replies_were_never_readable_says_so_in_the_item_and_assay_jobs(db_path):
    junk = Fault(content="Sorry, I cannot help with that.")
    with FakeOpenAI(faults=[Fault(), junk, junk]) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1, iterations=2))
    assert (summary.unreadable, summary.unparsable, summary.passed) == (1, 0, 0)
    with Store(db_path) as store:
        item = store.get("gen-1-0001")
    assert item.metadata["generation"]["outcome"] == "unreadable"
    [job] = jobs_json(db_path)
    assert job["outcomes"] == {"unreadable": 1}
    human = CliRunner().invoke(app, ["jobs", "--db", str(db_path)])
    assert "1/1 items (unreadable 1)" in human.stdout


def test_an_unreadable_statement_is_asked_for_again_with_another_seed(db_path):
    with FakeOpenAI(faults=[Fault(content="Let me think about a good problem...")]) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
        calls = problem_calls(server)
    assert (summary.items, summary.passed) == (1, 1)
    assert [body.get("seed") for body in calls] == [None, 1]
    with Store(db_path) as store:
        attempts = attempts_for(store, "gen-1-0001")
    assert [(a.iteration, a.status) for a in attempts][:2] == [(0, "unreadable"), (1, "pass")]


def test_a_statement_unreadable_every_time_ends_its_slot_within_the_limit(db_path):
    junk = Fault(content="no JSON here")
    with FakeOpenAI(faults=[junk, junk]) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1, iterations=2))
        assert len(problem_calls(server)) == 2
        again = run_job(db_path, quick_config(server, n=1, concurrency=1, iterations=2))
        assert len(server.requests) == 2  # the slot is finished: a rerun pays for nothing
    assert (summary.items, summary.unreadable, again.job_id) == (0, 1, summary.job_id)
    [job] = jobs_json(db_path)
    assert job["outcomes"] == {"unreadable": 1}


def test_a_context_length_400_on_a_late_repair_keeps_the_slot_and_is_not_paid_again(db_path):
    wrong = json.dumps(solution_reply("add_offset_1", 1, wrong=True))
    faults = [Fault(), Fault(content=wrong), Fault(status=400, body=CONTEXT_400)]
    with FakeOpenAI(faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
        sent = len(server.requests)
        again = run_job(db_path, quick_config(server, n=1, concurrency=1))
        assert len(server.requests) == sent  # no rerun pays for the slot again
    assert (summary.state, summary.items, summary.failed) == ("done", 1, 1)
    assert again.job_id == summary.job_id
    with Store(db_path) as store:
        item = store.get("gen-1-0001")
        attempts = attempts_for(store, "gen-1-0001")
    assert [a.status for a in attempts] == ["fail", "rejected"]
    assert "maximum context length" in (attempts[1].feedback or "")
    # The item keeps the last attempt that ran: its code, its outcome.
    assert item.metadata["generation"]["outcome"] == "fail"
    assert (
        item.reference_answer
        == solution_reply("add_offset_1", 1, wrong=True)["reference_answer"].strip()
    )
