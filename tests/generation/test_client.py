"""The real `openai` client against a real local server: faults, retries, accounting."""

from __future__ import annotations

import json
import time

from typer.testing import CliRunner

from core.cli import app
from core.generation import run_job
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI, Fault


def call_outcomes(db_path) -> list[str]:
    with Store(db_path) as store:
        return [r[0] for r in store.conn.execute("SELECT outcome FROM llm_calls ORDER BY id")]


def test_good_replies_make_passing_items_and_totals_match_server_usage(
    server, db_path, isolated_user
):
    (isolated_user / "config.toml").write_text(
        '[prices."test-model"]\ninput = 2.0\noutput = 8.0\n', encoding="utf-8"
    )
    summary = run_job(db_path, quick_config(server, n=5))
    assert summary.state == "done"
    assert (summary.items, summary.passed) == (5, 5)
    assert summary.prompt_tokens == server.prompt_tokens
    assert summary.completion_tokens == server.completion_tokens
    expected_cost = (server.prompt_tokens * 2.0 + server.completion_tokens * 8.0) / 1e6
    assert abs(summary.cost - expected_cost) < 1e-6
    with Store(db_path) as store:
        assert store.count() == 5
        item = store.get("gen-1-0001")
        assert item.source_format == "generated" and item.job_id == summary.job_id
        assert store.history("gen-1-0001")[0].author == "generator:test-model"


def test_429_waits_as_long_as_retry_after_says(db_path):
    faults = [Fault(status=429, headers={"Retry-After": "1"})]
    with FakeOpenAI(faults=faults) as server:
        started = time.monotonic()
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
    assert time.monotonic() - started >= 1.0  # backoff alone would have waited ~10 ms
    assert summary.passed == 1
    assert call_outcomes(db_path)[0] == "rate_limited"


def test_server_errors_timeouts_and_non_json_bodies_are_retried(db_path):
    faults = [
        Fault(status=500),
        Fault(status=503),
        Fault(delay=6.0),  # far longer than the client's timeout
        Fault(body="<html>bad gateway</html>"),
    ]
    with FakeOpenAI(faults=faults) as server:
        # 2 s: an answer that is not held back arrives well inside it, even on a busy machine
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1, timeout=2.0))
    assert summary.state == "done" and summary.passed == 1
    outcomes = call_outcomes(db_path)
    assert outcomes[:4] == ["server_error", "server_error", "timeout", "bad_response"]
    assert summary.prompt_tokens == server.prompt_tokens  # failed calls are not billed


def test_a_truncated_reply_is_fed_back_not_fatal(db_path):
    faults = [
        Fault(),  # the problem statement is fine
        Fault(
            content='{"reference_answer": "def add_offset_1(x):\\n    return',
            finish_reason="length",
        ),
    ]
    with FakeOpenAI(faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
        repair = server.requests[-1]["body"]["messages"]
    assert summary.passed == 1
    assert "cut off" in repair[-1]["content"]
    with Store(db_path) as store:
        from core.generation import attempts_for

        statuses = [a.status for a in attempts_for(store, "gen-1-0001")]
    assert statuses == ["unreadable", "pass"]  # the reply, not the code
    assert "truncated" in call_outcomes(db_path)


def test_a_reasoning_model_reply_with_a_draft_object_still_makes_the_item(db_path):
    answer = {
        "reference_answer": "def add_offset_1(x: int) -> int:\n    return x + 1\n",
        "assertions": "assert add_offset_1(1) == 2\nassert add_offset_1(-1) == 0\n",
    }
    faults = [
        Fault(),  # the problem statement is fine
        Fault(
            content='<think>I could return {"reference_answer": "pass"} but no.</think>\n'
            'Draft: {"reference_answer": "def add_offset_1(x): pass"}\n'
            f"Final answer:\n```json\n{json.dumps(answer)}\n```\n"
        ),
    ]
    with FakeOpenAI(faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
    assert summary.passed == 1
    with Store(db_path) as store:
        from core.generation import attempts_for

        item = store.get("gen-1-0001")
        statuses = [a.status for a in attempts_for(store, "gen-1-0001")]
    assert item.reference_answer.strip() == answer["reference_answer"].strip()
    assert statuses == ["pass"]


def test_servers_without_structured_outputs_get_plain_json_requests(db_path):
    # The server refuses any response_format with a 400 that names no parameter: the first
    # call tries a strict schema, then json_object, then the prompt alone; later calls and
    # later jobs send the prompt alone at once.
    with FakeOpenAI(structured=False) as server:
        summary = run_job(db_path, quick_config(server, n=2, concurrency=1))
        second = run_job(db_path, quick_config(server, n=2, concurrency=1, seed=1))
    assert summary.passed == second.passed == 2
    assert call_outcomes(db_path)[:3] == ["capability_probe", "capability_probe", "ok"]
    formats = [r["body"].get("response_format", {}).get("type") for r in server.requests]
    assert formats[:3] == ["json_schema", "json_object", None]
    assert set(formats[3:]) == {None}
    assert server.requests[0]["body"]["response_format"]["json_schema"]["strict"] is True


def generate_argv(db_path, base_url: str, n: int, *extra: str, model: str = "test-model"):
    """`assay generate` for one Python slot per item against `base_url`."""
    return [
        "generate",
        "--n",
        str(n),
        "--model",
        model,
        "--base-url",
        base_url,
        "--db",
        str(db_path),
        "--languages",
        "python=1",
        *extra,
    ]


def test_an_unreachable_server_is_one_sentence_not_a_traceback(db_path):
    argv = generate_argv(db_path, "http://127.0.0.1:9/v1", 1, "--timeout", "0.5", model="m")
    result = CliRunner().invoke(app, [*argv, "--max-retries", "1"])
    assert result.exit_code == 1
    assert "cannot be reached" in result.output
    assert "Traceback" not in result.output


def test_no_api_key_and_no_local_server_is_a_clear_error(db_path):
    result = CliRunner().invoke(app, ["generate", "--n", "1", "--db", str(db_path)])
    assert result.exit_code == 1
    assert "No API key" in result.output and "Traceback" not in result.output


def test_an_unknown_pipeline_is_a_clear_error(db_path):
    result = CliRunner().invoke(app, ["generate", "--pipeline", "magic", "--db", str(db_path)])
    assert result.exit_code == 1
    assert "Unknown pipeline 'magic'" in result.output


def test_the_api_key_reaches_the_server_but_never_the_database_or_logs(
    server, db_path, caplog, monkeypatch
):
    secret = "sk-assay-test-0123456789-SECRET"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    caplog.set_level("DEBUG")
    server.faults.append(
        Fault(status=500, body=json.dumps({"error": {"message": f"echo {secret}"}}))
    )
    result = CliRunner().invoke(app, generate_argv(db_path, server.url, 2, "--json"))
    assert result.exit_code == 0, result.output
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {secret}"
    assert secret not in result.output
    assert secret not in caplog.text
    for path in db_path.parent.glob("gen.db*"):
        assert secret.encode() not in path.read_bytes()


def test_a_job_that_ends_short_exits_non_zero_with_one_sentence(server, db_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    argv = generate_argv(db_path, server.url, 8, "--concurrency", "1")
    stopped = CliRunner().invoke(app, [*argv, "--budget-tokens", "1500", "--json"])
    assert stopped.exit_code == 1
    summary = json.loads(stopped.stdout)
    assert summary["state"] == "stopped" and 0 < summary["items"] < 8
    [sentence] = stopped.stderr.strip().splitlines()
    assert f"ended stopped with {summary['items']} of 8 items" in sentence
    assert "token budget" in sentence
    finished = CliRunner().invoke(app, argv)
    assert finished.exit_code == 0, finished.output
    assert "done" in finished.stdout


def test_a_job_that_made_nothing_passing_exits_non_zero_and_says_what_became_of_its_slots(
    db_path, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    junk = Fault(content="Sorry, I cannot help with that.")
    with FakeOpenAI(faults=[Fault(), junk, junk, junk, junk]) as junk_server:
        argv = generate_argv(db_path, junk_server.url, 1, "--concurrency", "1")
        result = CliRunner().invoke(app, [*argv, "--iterations", "2"])
    assert result.exit_code == 1, result.output
    assert "ended done with 1 of 1 items, none passing its tests (slots: unreadable 1)." in (
        result.stderr
    )
