"""One job, one runner: a lease in the database, held by a real second process.

Two `assay generate` processes resuming the same job against a real server on 127.0.0.1:
the second says who runs it and stops (or waits with --wait); after `kill -9` the job
reads as interrupted, not running, and a resume finishes it without paying twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.generation import list_jobs
from core.store import Store
from tests.generation.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
RUNNER = "from core.cli import main; main()"


def generate(db_path: Path, server: FakeOpenAI, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        RUNNER,
        "generate",
        "--n",
        "6",
        "--model",
        "test-model",
        "--languages",
        "python=1",
        "--concurrency",
        "2",
        "--db",
        str(db_path),
        "--base-url",
        server.url,
        "--json",
        *extra,
    ]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-test-lease"}


def stalled_runner(db_path: Path, server: FakeOpenAI) -> subprocess.Popen:
    """A first runner, started and stalled on held calls (so it holds the job's lease)."""
    first = subprocess.Popen(
        generate(db_path, server), cwd=ROOT, env=env(), stdout=subprocess.PIPE, text=True
    )
    while server.held < 2 and first.poll() is None:
        time.sleep(0.05)  # waits for the stall, whatever the machine's speed
    assert first.poll() is None, "the first runner ended before it stalled"
    return first


def jobs(db_path: Path) -> list[dict]:
    with Store(db_path) as store:
        return list_jobs(store)


def test_a_second_runner_is_refused_naming_the_first_and_kill_9_reads_interrupted(db_path):
    with FakeOpenAI(latency=0.02, hold_after=4) as server:
        first = stalled_runner(db_path, server)
        try:
            [job] = jobs(db_path)
            assert job["state"] == "running" and f"process {first.pid}" in job["runner"]
            second = subprocess.run(
                generate(db_path, server), cwd=ROOT, env=env(), capture_output=True, text=True
            )
            assert second.returncode != 0
            message = second.stderr.strip()
            assert f"Job {job['job_id']} is being run by process {first.pid}" in message
            assert "Traceback" not in message and len(message.splitlines()) == 1
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        [job] = jobs(db_path)
        assert (job["state"], job["runner"]) == ("interrupted", None)
        server.release()
        paid_before = len(server.answered())
        resumed = subprocess.run(
            generate(db_path, server), cwd=ROOT, env=env(), capture_output=True, text=True
        )
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout)["state"] == "done"
        assert jobs(db_path)[0]["state"] == "done"
        # The calls the first runner had answered come from the cache, not the server.
        assert len(server.answered()) - paid_before < 6 * 4


def test_wait_starts_when_the_first_runner_ends_and_pays_for_nothing_again(db_path):
    with FakeOpenAI(latency=0.02, hold_after=4) as server:
        first = stalled_runner(db_path, server)
        waiting = subprocess.Popen(
            generate(db_path, server, "--wait"),
            cwd=ROOT,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        server.release()  # the first runner finishes the job; the second one then starts
        first_out, _ = first.communicate()
        assert first.returncode == 0 and json.loads(first_out)["state"] == "done"
        paid = len(server.answered())
        out, err = waiting.communicate()
        assert waiting.returncode == 0, err
        summary = json.loads(out)
        assert (summary["state"], summary["items"]) == ("done", 6)
        assert len(server.answered()) == paid  # everything was done and paid for already
