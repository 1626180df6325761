"""`assay jobs export ID [--calls|--attempts] [--out FILE]`: a real job's log as JSONL."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.cli import app
from core.generation import run_job
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI, Fault

KEY = "sk-test-" + "Q7w9E2r4T6y8U1i3O5p7A9s2D4f6G8h0"


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def test_calls_and_attempts_export_as_jsonl_with_the_key_nowhere(db_path, tmp_path):
    echoed = json.dumps({"error": {"message": f"Invalid value for 'seed' with key {KEY}"}})
    # One retried 500, then a refused call that quotes the key (problem 2's statement).
    faults = [Fault(status=500, body="{}"), Fault(), Fault(), Fault(status=400, body=echoed)]
    with FakeOpenAI(faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=2, concurrency=1), api_key=KEY)
        sent = len(server.requests)
    env = {"OPENAI_API_KEY": KEY}

    calls = invoke("jobs", "export", summary.job_id, "--db", db_path, env=env)
    assert calls.exit_code == 0, calls.output
    rows = [json.loads(line) for line in calls.stdout.splitlines()]
    assert len(rows) == sent
    assert [r["outcome"] for r in rows][:2] == ["server_error", "ok"]
    assert "rejected" in [r["outcome"] for r in rows]
    assert KEY not in calls.stdout and KEY[:12] not in calls.stdout

    out = tmp_path / "attempts.jsonl"
    written = invoke("jobs", "export", summary.job_id, "--attempts", "--out", out, "--db", db_path)
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert written.stderr.strip().startswith("Wrote ")
    attempts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    with Store(db_path) as store:
        assert attempts == store.jobs.job_attempts(summary.job_id)
    assert {a["status"] for a in attempts} >= {"rejected"}
    assert KEY[:12] not in out.read_text(encoding="utf-8")


def test_export_of_a_job_that_does_not_exist_is_one_sentence_and_writes_nothing(db_path, tmp_path):
    out = tmp_path / "calls.jsonl"
    result = invoke("jobs", "export", "9", "--out", out, "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: There is no generation job 9."
    assert not out.exists()


def test_export_into_a_missing_folder_is_one_sentence(server, db_path, tmp_path):
    summary = run_job(db_path, quick_config(server, n=1))
    result = invoke(
        "jobs", "export", summary.job_id, "--out", tmp_path / "nope" / "c.jsonl", "--db", db_path
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: The folder {tmp_path / 'nope'} does not exist."
