"""Jobs against the servers people run, each a real HTTP server on 127.0.0.1 spoken to through
the real `openai` client: OpenAI's reasoning models, vLLM with a context limit, Ollama without
json_schema or usage, reasoning output, streaming-only proxies, servers that limit
concurrency. Each job completes with correct items, or fails with a non-zero exit and one
sentence; tokens equal the server's where it reports usage, and are marked estimated where
it does not."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.generation import run_job
from core.generation.ratelimit import START
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import SERVERS, Behaviour, FakeOpenAI, Fault


def generate(db: Path, server: FakeOpenAI, *extra: str, n: int = 2):
    argv = ["generate", "--n", str(n), "--model", "test-model", "--base-url", server.url]
    argv += ["--languages", "python=1", "--concurrency", "2", "--db", str(db), "--json"]
    return CliRunner().invoke(app, [*argv, *extra])


def paid_rows(db: Path) -> list[dict]:
    with Store(db) as store:
        return [c for c in store.jobs.calls(1) if c["outcome"] in ("ok", "truncated")]


def outcomes(db: Path) -> list[str]:
    with Store(db) as store:
        return [c["outcome"] for c in store.jobs.calls(1)]


def reported(server: FakeOpenAI) -> int:
    return server.prompt_tokens + server.completion_tokens


@pytest.mark.parametrize(
    "kind",
    ["openai", "openai-reasoning", "vllm", "ollama", "reasoning-think", "reasoning-field"],
)
def test_each_kind_of_server_yields_correct_items(db_path, kind):
    with FakeOpenAI(behaviour=SERVERS[kind]) as server:
        result = generate(db_path, server, "--max-tokens", "512", n=1)
        bodies = [r["body"] for r in server.requests]
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["state"], summary["items"], summary["passed"]) == ("done", 1, 1)
    with Store(db_path) as store:
        item = store.get("gen-1-0001")
    assert item is not None and "<think>" not in item.reference_answer
    assert item.reference_answer.startswith("def add_offset_1(x: int) -> int:")
    rows = paid_rows(db_path)
    if SERVERS[kind].usage:
        # Tokens are the server's, to the token, and no row says estimated.
        assert summary["tokens"] == reported(server)
        assert not any(r["estimated"] for r in rows)
    else:
        assert rows and all(r["estimated"] for r in rows)
        assert summary["estimated_calls"] == len(rows)
        assert all(r["prompt_tokens"] > 0 and r["completion_tokens"] > 0 for r in rows)
    if kind == "openai-reasoning":  # 400s naming max_tokens, then temperature
        assert all("max_completion_tokens" in b and "temperature" not in b for b in bodies[-2:])
    if kind == "ollama":  # json_schema refused (naming nothing): json_object from then on
        kinds = [b.get("response_format", {}).get("type") for b in bodies]
        assert kinds[0] == "json_schema" and set(kinds[-2:]) == {"json_object"}


def test_capabilities_are_learned_once_and_remembered_for_later_jobs(db_path):
    with FakeOpenAI(behaviour=SERVERS["openai-reasoning"]) as server:
        first = run_job(db_path, quick_config(server, n=2))
        refused = sum(r["status"] == 400 for r in server.requests)
        second = run_job(db_path, quick_config(server, n=2, seed=7))
        refused_later = sum(r["status"] == 400 for r in server.requests) - refused
    assert first.passed == second.passed == 2
    assert refused >= 2  # max_tokens, then temperature: learned from the named parameter
    assert refused_later == 0
    with Store(db_path) as store:
        caps = store.jobs.capabilities(server.url, "test-model")
    assert caps is not None
    assert (caps["token_param"], caps["temperature"]) == ("max_completion_tokens", False)


def test_capabilities_fixed_in_the_config_file_are_never_probed(db_path, isolated_user):
    (isolated_user / "config.toml").write_text(
        '[generation]\ntoken_parameter = "max_completion_tokens"\nsend_temperature = false\n'
        'structured_outputs = "json_object"\n',
        encoding="utf-8",
    )
    with FakeOpenAI(behaviour=SERVERS["openai-reasoning"]) as server:
        summary = run_job(db_path, quick_config(server, n=2))
        statuses = {r["status"] for r in server.requests}
        first = server.requests[0]["body"]
    assert summary.passed == 2
    assert statuses == {200}
    assert first["response_format"] == {"type": "json_object"}


def test_a_bad_capability_setting_is_one_sentence(db_path, isolated_user):
    (isolated_user / "config.toml").write_text(
        '[generation]\ntoken_parameter = "max_length"\n', encoding="utf-8"
    )
    with FakeOpenAI() as server:
        result = generate(db_path, server)
    assert result.exit_code != 0
    assert "`token_parameter` under [generation]" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["stream-only-sse", "stream-only-error"])
def test_a_streaming_only_proxy_is_streamed_to_and_nothing_is_paid_twice(db_path, kind):
    with FakeOpenAI(behaviour=SERVERS[kind]) as server:
        result = generate(db_path, server)
        bodies = [r["body"] for r in server.requests]
        answered = len(server.answered())
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["items"], summary["passed"]) == (2, 2)
    rows = paid_rows(db_path)
    # Every reply the server sent was used once: none retried as a bad response.
    assert len(rows) == answered
    assert "bad_response" not in outcomes(db_path)
    streamed = [b for b in bodies if b.get("stream")]
    assert streamed and all(b["stream_options"] == {"include_usage": True} for b in streamed)
    # Usage from the final chunk where the server sent it: those rows are the server's.
    counted = [r for r in rows if not r["estimated"]]
    assert len(counted) == len(streamed)
    if kind == "stream-only-sse":  # the first, plain request got an SSE body without usage
        assert not bodies[0].get("stream") and rows[0]["estimated"] == 1


def test_a_vllm_context_limit_ends_the_job_non_zero_in_one_sentence(db_path):
    with FakeOpenAI(behaviour=Behaviour(context_limit=300)) as server:
        result = generate(db_path, server, "--max-tokens", "512")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error:") and last.endswith(".")


@pytest.mark.parametrize("headers", [True, False], ids=["x-ratelimit", "429-only"])
def test_concurrency_adapts_to_a_server_that_limits_it(db_path, headers):
    behaviour = Behaviour(max_in_flight=3, ratelimit_headers=headers, retry_after_ms=20)
    with FakeOpenAI(latency=0.02, behaviour=behaviour) as server:
        summary = run_job(db_path, quick_config(server, n=8, concurrency=64))
        answered = len(server.answered())
    assert (summary.items, summary.passed) == (8, 8)
    assert summary.tokens == reported(server)
    if headers:  # once the server has said what is left, the client keeps within it
        assert server.rate_limited <= START
    else:  # 429s cut the limit; only the first overshoot is refused in bulk
        assert server.rate_limited <= START + answered // 4


def test_missing_usage_is_estimated_within_ten_percent_of_the_servers_count(tmp_path):
    with_usage, without = tmp_path / "a.db", tmp_path / "b.db"
    with FakeOpenAI(behaviour=Behaviour(tokenizer_usage=True)) as server:
        truth = run_job(with_usage, quick_config(server, n=3))
    with FakeOpenAI(behaviour=Behaviour(usage=False)) as server:
        estimate = run_job(without, quick_config(server, n=3))
    assert truth.estimated_calls == 0 and estimate.estimated_calls == estimate.calls
    assert truth.calls == estimate.calls
    for field in ("prompt_tokens", "completion_tokens"):
        real, counted = getattr(truth, field), getattr(estimate, field)
        assert abs(counted - real) <= 0.1 * real, (field, real, counted)
    jobs = CliRunner().invoke(app, ["jobs", "--json", "--db", str(without)])
    assert json.loads(jobs.stdout)[0]["estimated_calls"] == estimate.calls
    shown = CliRunner().invoke(app, ["jobs", "show", "1", "--json", "--db", str(without)])
    calls = json.loads(shown.stdout)["calls"]
    assert [c["estimated"] for c in calls if c["outcome"] == "ok"] == [1] * estimate.calls
    text = CliRunner().invoke(app, ["jobs", "--db", str(without)]).output
    assert f"{estimate.calls} estimated" in text


def test_budget_cost_refuses_a_model_without_a_price(db_path):
    with FakeOpenAI() as server:
        refused = generate(db_path, server, "--budget-cost", "1")
        assert refused.exit_code != 0
        assert "--budget-cost needs a price for model 'test-model'" in refused.output
        assert not server.requests
        priced = generate(db_path, server, "--budget-cost", "1", "--price-in", "1")
    assert priced.exit_code == 0, priced.output
    summary = json.loads(priced.stdout)
    expected = summary["prompt_tokens"] * 1 / 1_000_000
    assert summary["cost"] == pytest.approx(expected, abs=1e-6)
    with sqlite3.connect(db_path) as conn:
        jobs = conn.execute("SELECT count(*) FROM generation_jobs").fetchone()[0]
    assert jobs == 1  # the refused run started nothing


def test_a_model_without_a_price_warns_once(db_path, caplog):
    with FakeOpenAI() as server:
        run_job(db_path, quick_config(server, n=2))
    warnings = [r for r in caplog.records if "No price for model" in r.getMessage()]
    assert len(warnings) == 1


def test_an_unreachable_server_fails_in_few_tries_naming_its_url(db_path):
    with FakeOpenAI() as server:
        url = server.url
    result = CliRunner().invoke(
        app,
        ["generate", "--n", "2", "--model", "m", "--base-url", url, "--db", str(db_path)],
    )
    assert result.exit_code != 0
    assert f"The server at {url} cannot be reached" in result.output
    assert "2 tries" in result.output
    assert "Traceback" not in result.output


def test_a_flaky_server_that_truncates_still_yields_correct_items(db_path):
    cut = '{"reference_answer": "def add_offset_1(x: int) -> int:\\n    return x'
    faults = [
        Fault(status=500),
        Fault(body="<html>upstream error</html>"),  # 200 with a body that is not JSON
        Fault(content=cut, finish_reason="length"),
        Fault(status=429, headers={"retry-after-ms": "10"}),
        Fault(content=cut, finish_reason="length"),
    ]
    with FakeOpenAI(faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=2, concurrency=1))
    assert (summary.state, summary.items, summary.passed) == ("done", 2, 2)
    assert summary.tokens == reported(server)
    with Store(db_path) as store:
        answers = [store.get(f"gen-1-000{k}").reference_answer for k in (1, 2)]
    assert all(a.rstrip().endswith(("return x + 1", "return x + 2")) for a in answers)
    assert "truncated" in outcomes(db_path)


@pytest.mark.parametrize("kind", ["openai", "stream-only-error"])
def test_a_reply_cut_off_mid_body_is_retried_not_fatal(db_path, kind):
    # The streaming-only server refuses the first three requests (plain, with json_schema,
    # json_object, then none: no-op faults), so the cut lands on the first reply in both
    # cases: half a JSON body, or half an event stream.
    faults = [Fault()] * 3 + [Fault(cut=True)] if kind == "stream-only-error" else [Fault(cut=True)]
    with FakeOpenAI(behaviour=SERVERS[kind], faults=faults) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1))
    assert (summary.state, summary.items, summary.passed) == ("done", 1, 1)
    assert outcomes(db_path).count("connection_error") == 1  # the broken reply, retried once
    if kind == "stream-only-error":  # streaming found without giving up structured outputs
        with Store(db_path) as store:
            caps = store.jobs.capabilities(server.url, "test-model")
        assert caps is not None and (caps["stream"], caps["structured"]) == (True, "json_schema")
