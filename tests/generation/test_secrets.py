"""The API key stays out: a real local server that echoes the key back in its 400 and 401
error bodies, and a sandboxed run that looks for it; the key reaches neither the database,
the logs, stderr, a job's stop reason, a prompt, nor the code under test."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app
from tests.conftest import make_record, write_jsonl
from tests.generation.openai_server import FakeOpenAI, Fault

KEY = "sk-assay-test-3f9a7c1e5b2d40686c1d"


def echoing(status: int, count: int) -> list[Fault]:
    """Errors whose body quotes the key whole and cut, as some servers do."""
    body = json.dumps(
        {
            "error": {
                "message": f"Invalid request for key {KEY} (starts {KEY[:20]})",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    )
    return [Fault(status=status, body=body) for _ in range(count)]


def generate(db: Path, server: FakeOpenAI, *extra: str, env: dict | None = None):
    argv = ["generate", "--n", "2", "--model", "test-model", "--base-url", server.url]
    argv += ["--languages", "python=1", "--max-retries", "1", "--db", str(db), *extra]
    return CliRunner().invoke(app, argv, env=env)


def stored_bytes(db: Path) -> bytes:
    """Every byte the database holds, journal and WAL included."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def assert_nowhere(db: Path, *texts: str) -> None:
    assert KEY.encode() not in stored_bytes(db)
    assert KEY[:20].encode() not in stored_bytes(db)
    for text in texts:
        assert KEY not in text and KEY[:20] not in text


@pytest.mark.parametrize("status", [400, 401])
def test_a_key_echoed_in_an_error_body_is_not_kept_anywhere(tmp_path, caplog, status):
    db = tmp_path / "gen.db"
    caplog.set_level(logging.DEBUG)
    # Every request refused (capability probes included), as a server with a bad key does.
    with FakeOpenAI(faults=echoing(status, 400)) as server:
        result = generate(db, server, env={"OPENAI_API_KEY": KEY})
        sent = server.requests
    assert sent and all(r["headers"]["authorization"] == f"Bearer {KEY}" for r in sent)
    assert "Traceback" not in result.output
    assert_nowhere(db, result.output, caplog.text)
    with sqlite3.connect(db) as conn:
        errors = [r for (r,) in conn.execute("SELECT error FROM llm_calls")]
    assert result.exit_code != 0
    if status == 400:  # the server's reason is kept, with the key cut out of it
        assert errors and all("Invalid request for key ***" in (r or "") for r in errors)
    else:
        assert "refused the API key" in result.output


def test_the_key_from_the_config_file_is_scrubbed_too(tmp_path, isolated_user):
    db = tmp_path / "gen.db"
    (isolated_user / "config.toml").write_text(
        f'[generation]\napi_key = "{KEY}"\n', encoding="utf-8"
    )
    with FakeOpenAI(faults=echoing(400, 40)) as server:
        result = generate(db, server)
        assert server.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    assert_nowhere(db, result.output)


def test_runs_see_neither_the_key_nor_the_config_file(tmp_path, isolated_user, monkeypatch):
    config = isolated_user / "config.toml"
    config.write_text(f'[generation]\napi_key = "{KEY}"\n', encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    # A wrong solution that prints whatever it finds of the key (it would reach the next
    # prompt as feedback): the environment, the config file at its real path, /proc.
    solution = (
        "const fs = require('fs');\n"
        "function addNumbers(a, b) {\n"
        "  console.log('PEEK', JSON.stringify(process.env));\n"
        "  let procs = [];\n"
        "  try { procs = fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)); }\n"
        "  catch (e) { console.log('/proc', e.code); }\n"
        f"  for (const p of [{json.dumps(str(config))}, ...procs.map((d) => `/proc/${{d}}/environ`)]) {{\n"
        "    try { console.log(p, fs.readFileSync(p, 'latin1')); }\n"
        "    catch (e) { console.log(p, e.code); }\n"
        "  }\n"
        "  return a - b;\n"
        "}\n"
    )
    record = make_record(
        "peek",
        function_name="addNumbers",
        reference_answer=solution,
        assertions="if (addNumbers(1, 2) !== 3) throw new Error('1 + 2');\n",
    )
    record["metadata"] = {**record["metadata"], "language": "JavaScript"}
    db = tmp_path / "runs.db"
    source = write_jsonl(tmp_path / "i.jsonl", [record])
    assert CliRunner().invoke(app, ["import", str(source), "--db", str(db)]).exit_code == 0
    checked = CliRunner().invoke(app, ["check", "--json", "--db", str(db)])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["status"] == "fail"
    assert_nowhere(db, checked.output)
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT result FROM check_results").fetchone()
    seen = json.loads(stored)["run"]["stdout_tail"]
    assert "PEEK" in seen and str(config) in seen  # the run did look, and got nothing
