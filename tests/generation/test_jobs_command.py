"""`assay jobs` and `assay jobs show ID`: what a real job against a real server left."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.cli import app
from core.generation import run_job
from tests.generation.conftest import quick_config
from tests.generation.openai_server import Fault


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_jobs_lists_the_job_and_show_gives_its_calls_and_attempts(server, db_path):
    server.faults.append(Fault(status=500, body="{}"))  # one retried call in the log
    summary = run_job(db_path, quick_config(server, n=2, concurrency=1))
    listed = invoke("jobs", "--json", "--db", db_path)
    assert listed.exit_code == 0, listed.output
    [job] = json.loads(listed.stdout)
    assert (job["job_id"], job["state"], job["items"], job["target"]) == (
        summary.job_id,
        "done",
        2,
        2,
    )
    assert job["tokens"] == server.prompt_tokens + server.completion_tokens
    assert job["runner"] is None  # the runner ended and let the job go

    shown = invoke("jobs", "show", summary.job_id, "--json", "--db", db_path)
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    assert len(detail["calls"]) == len(server.requests)
    assert [c["outcome"] for c in detail["calls"]][0] == "server_error"
    assert {a["query_id"] for a in detail["attempts"]} == {"gen-1-0001", "gen-1-0002"}
    assert all(a["status"] in ("pass", "fail") for a in detail["attempts"])

    human = invoke("jobs", "--db", db_path)
    assert f"job {summary.job_id}  done" in human.stdout and "2/2 items" in human.stdout
    human = invoke("jobs", "show", summary.job_id, "--db", db_path)
    assert "server_error 1" in human.stdout and "gen-1-0001" in human.stdout


def test_show_of_a_job_that_does_not_exist_is_one_sentence(db_path):
    result = invoke("jobs", "show", "7", "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: There is no generation job 7."
