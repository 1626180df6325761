"""Jobs: the cache, offline replay, budgets, stopping, resuming after kill -9, attempts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from core.generation import attempts_for, list_jobs, run_job
from core.generation.spec import spec_plans
from core.quotas import LANGUAGE_QUOTAS
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]


def billed_keys(server: FakeOpenAI) -> Counter:
    return Counter(json.dumps(r["body"], sort_keys=True) for r in server.answered())


def test_a_repeated_job_pays_for_nothing_and_offline_replays_only_the_cache(server, db_path):
    first = run_job(db_path, quick_config(server, n=3))
    requests = len(server.requests)
    again = run_job(db_path, quick_config(server, n=3))
    assert again.job_id == first.job_id and again.state == "done"
    assert len(server.requests) == requests

    # Two more slots offline: nothing recorded for them, so they stay unfinished, unpaid.
    offline = run_job(db_path, quick_config(server, n=5, offline=True))
    assert len(server.requests) == requests
    assert (offline.state, offline.unfinished, offline.items) == ("incomplete", 2, 3)

    online = run_job(db_path, quick_config(server, n=5))
    assert (online.state, online.items) == ("done", 5)
    assert max(billed_keys(server).values()) == 1  # no request was ever paid twice


def test_a_token_budget_stops_the_job_cleanly_and_resume_finishes_it(server, db_path):
    stopped = run_job(db_path, quick_config(server, n=8, concurrency=1, budget_tokens=1500))
    assert stopped.state == "stopped" and "token budget" in stopped.stop_reason
    assert 0 < stopped.items < 8
    finished = run_job(db_path, quick_config(server, n=8, concurrency=1))
    assert (finished.state, finished.items) == ("done", 8)
    with Store(db_path) as store:
        ids = [item.query_id for item in store.items()]
    assert len(ids) == len(set(ids)) == 8


def test_should_stop_ends_the_job_between_items(server, db_path):
    seen = []
    summary = run_job(
        db_path,
        # far more items than can be made between two polls of should_stop (every 0.1 s)
        quick_config(server, n=200, concurrency=1),
        on_progress=seen.append,
        should_stop=lambda: bool(seen) and seen[-1].produced >= 2,
    )
    assert summary.state == "stopped" and summary.stop_reason == "stopped by request"
    assert 2 <= summary.items < 200
    assert seen[-1].job_id == summary.job_id and seen[-1].target == 200


def test_a_failing_first_attempt_gets_the_sandbox_output_and_history_back(server, db_path):
    # Problem number 3's first solution is off by one (see openai_server.Responder).
    run_job(db_path, quick_config(server, n=3, concurrency=1))
    with Store(db_path) as store:
        attempts = attempts_for(store, "gen-1-0003")
        item = store.get("gen-1-0003")
    assert [a.status for a in attempts] == ["fail", "pass"]
    assert "got" in attempts[0].feedback and attempts[0].run_result.failed > 0
    assert item.metadata["generation"]["outcome"] == "pass"
    assert item.metadata["generation"]["iterations"] == 2
    repair = [r["body"]["messages"] for r in server.requests if len(r["body"]["messages"]) == 4]
    assert repair and repair[0][2]["content"] == attempts[0].reply
    assert repair[0][3]["content"] == attempts[0].feedback


def test_list_jobs_reports_totals(server, db_path):
    summary = run_job(db_path, quick_config(server, n=2))
    with Store(db_path) as store:
        (job,) = list_jobs(store)
    assert (job["job_id"], job["state"], job["items"], job["passed"]) == (
        summary.job_id,
        "done",
        2,
        2,
    )
    assert job["tokens"] == summary.tokens and "api_key" not in json.dumps(job)


def test_optional_steps_label_verify_and_estimate_difficulty(server, db_path):
    config = quick_config(
        server, n=1, edge_cases=True, topics=True, verify=True, solver=True, solver_k=3
    )
    run_job(db_path, config)
    with Store(db_path) as store:
        item = store.get("gen-1-0001")
    assert "raise TypeError" in item.query_text
    assert item.metadata["topics"] == ["arrays", "number theory"]  # only topics from the bank
    generation = item.metadata["generation"]
    assert generation["verifier"]["specified"] is True
    assert generation["solver"] == {
        "model": "test-model",
        "k": 3,
        "pass_rate": 1.0,
        "too_easy": True,
    }


def test_prompts_folder_overrides_a_template(server, db_path, tmp_path):
    folder = tmp_path / "prompts"
    folder.mkdir()
    bundled = (ROOT / "prompts" / "problem.md").read_text(encoding="utf-8")
    (folder / "problem.md").write_text("HOUSE STYLE.\n" + bundled, encoding="utf-8")
    run_job(db_path, quick_config(server, n=1, prompts_dir=str(folder)))
    assert server.requests[0]["body"]["messages"][1]["content"].startswith("HOUSE STYLE.")


def test_spec_quotas_hold_for_every_prefix():
    plans = spec_plans(100, LANGUAGE_QUOTAS)
    languages = Counter(p["language"] for p in plans)
    assert languages == {"python": 40, "typescript": 40, "go": 7, "rust": 3, "javascript": 10}
    python = Counter(p["difficulty"] for p in plans if p["language"] == "python")
    assert max(python.values()) - min(python.values()) <= 1
    assert spec_plans(30, LANGUAGE_QUOTAS) == plans[:30]


def test_kill_9_then_resume_loses_nothing_duplicates_nothing_repays_nothing(db_path):
    command = [
        sys.executable,
        "-m",
        "core.cli",
        "generate",
        "--n",
        "24",
        "--model",
        "test-model",
        "--languages",
        "python=1",
        "--concurrency",
        "4",
        "--db",
        str(db_path),
        "--json",
    ]
    runner = "from core.cli import main; main()"
    # The server answers 48 calls, then holds every call until released: the job stalls with
    # --concurrency (4) calls held, so it is unfinished, and at least 5 items are committed
    # (48 calls, at most 4 per item, at most 8 slots in flight). One slot may hold several
    # of those calls at once (its solver attempts are asked in parallel when a server answers
    # one per call), so as few as one item may be unfinished: 21 were committed once under
    # load. The kill lands mid-job, which is what this test needs.
    with FakeOpenAI(latency=0.05, hold_after=48) as server:
        command = [sys.executable, "-c", runner, *command[3:], "--base-url", server.url]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        victim = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
        while server.held < 4 and victim.poll() is None:
            time.sleep(0.05)  # waits for the stall, whatever the machine's speed
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        server.release()
        with Store(db_path) as store:
            before = store.count()
        assert 5 <= before < 24

        finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        summary = json.loads(finished.stdout)
        assert (summary["state"], summary["items"], summary["passed"]) == ("done", 24, 24)
        with Store(db_path) as store:
            ids = [item.query_id for item in store.items()]
            paid_twice = store.conn.execute(
                "SELECT count(*) FROM (SELECT cache_key FROM llm_calls WHERE cached = 0 "
                "AND outcome IN ('ok', 'truncated') GROUP BY cache_key HAVING count(*) > 1)"
            ).fetchone()[0]
        assert len(ids) == len(set(ids)) == 24
        assert paid_twice == 0
        # Only calls in flight at the kill (at most --concurrency) can reach the server twice.
        assert sum(n - 1 for n in billed_keys(server).values()) <= 4
        assert summary["prompt_tokens"] <= server.prompt_tokens
