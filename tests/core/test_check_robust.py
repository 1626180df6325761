"""`assay check` never falls over: an item that breaks a parser, a decoder or an analyser
is that item's `error`, and every other item of the batch is still judged and stored."""

import json
import sqlite3

from typer.testing import CliRunner

from core.cli import app
from tests.conftest import make_record, write_jsonl

runner = CliRunner()

SUM = "+".join(["1"] * 2000)  # 2,000 terms: CPython's compiler and radon recurse per term

DEEP_TESTS = make_record(
    "deep-tests",
    function_name="two_thousand",
    query_text="Write a Python function named `two_thousand` that returns the number of items "
    "in a batch of two thousand. Language: Python. Function name: two_thousand",
    reference_answer="def two_thousand(batch):\n    return 2000\n",
    assertions=f"assert two_thousand([]) == {SUM}\n",
)
DEEP_SOLUTION = make_record(
    "deep-solution",
    function_name="count_up",
    query_text="Write a Python function named `count_up` that returns two thousand plus its "
    "argument. Language: Python. Function name: count_up",
    reference_answer=f"def count_up(x):\n    return x + {SUM}\n",
    assertions="assert count_up(0) == 2000\nassert count_up(5) == 2005\n",
)
DEEP_VALUE = make_record(  # a value nested 5,000 deep crosses from the run to the parent
    "deep-value",
    function_name="nest",
    query_text="Write a Python function named `nest` that wraps an empty list in n lists. "
    "Language: Python. Function name: nest",
    reference_answer="def nest(n):\n    r = []\n    for _ in range(n):\n        r = [r]\n"
    "    return r\n",
    assertions="assert nest(5000) == 1\nassert nest(1) == [[]]\n",
)
JS_FLOOD = make_record(  # 4 million values written straight to the result channel (fd 3)
    "js-flood",
    function_name="addNumbers",
    query_text="Write a JavaScript function named `addNumbers` that returns the sum of two "
    "numbers. Language: JavaScript. Function name: addNumbers",
    reference_answer="function addNumbers(a, b) {\n"
    "  require('fs').writeSync(3, '[' + '[],'.repeat(4000000) + '[]]\\n');\n"
    "  return a + b + 1;\n}\n",
    assertions="if (addNumbers(1, 2) !== 3) throw new Error('1 + 2');\n",
)
JS_FLOOD["metadata"] = {**JS_FLOOD["metadata"], "language": "JavaScript"}
JS_SURROGATE = {  # a failure message with a lone surrogate, which SQLite cannot store
    **JS_FLOOD,
    "query_id": "js-surrogate",
    "reference_answer": "function addNumbers(a, b) {\n  return a + b + 1;\n}\n",
    "assertions": "if (addNumbers(1, 2) !== 3) throw new Error('bad \\udcff here');\n",
}


def test_one_broken_item_leaves_the_batch_judged_and_stored(tmp_path):
    records = [make_record("before"), DEEP_TESTS, DEEP_SOLUTION, DEEP_VALUE, JS_FLOOD, JS_SURROGATE]
    records.append(make_record("after", function_name="add_up"))
    db = tmp_path / "robust.db"
    source = write_jsonl(tmp_path / "items.jsonl", records)
    imported = runner.invoke(app, ["import", str(source), "--db", str(db)])
    assert imported.exit_code == 0, imported.output

    checked = runner.invoke(app, ["check", "--json", "--db", str(db)], catch_exceptions=False)

    assert checked.exit_code == 0, checked.output
    assert "Traceback" not in checked.output
    lines = {line["query_id"]: line for line in map(json.loads, checked.stdout.splitlines())}
    assert set(lines) == {r["query_id"] for r in records}
    assert lines["before"]["status"] == "pass", checked.output
    assert lines["after"]["status"] == "pass"
    assert lines["deep-solution"]["status"] == "pass"  # a right solution still passes
    assert lines["deep-value"]["status"] in ("fail", "error")  # `nest(5000) == 1` is wrong
    assert lines["js-flood"]["status"] == "error"

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT i.query_id, c.status, c.result FROM check_results c "
            "JOIN items i ON i.id = c.item_id"
        ).fetchall()
    stored = {query_id: (status, json.loads(result)) for query_id, status, result in rows}
    assert set(stored) == set(lines)
    deep = stored["deep-tests"][1]["run"]
    # a right solution: judged, or (while the planner cannot compile 2,000 terms) an error
    # that says why, never a crash of the batch
    assert deep["status"] == "pass" or "nests too deeply" in deep["reason"]
    assert "values on its result channel" in stored["js-flood"][1]["run"]["reason"]
    assert stored["js-surrogate"][0] == "fail"
    assert "bad \\udcff here" in stored["js-surrogate"][1]["run"]["tests"][0]["message"]
    # radon recursed too deep on the 2,000-term solution: its metrics say why, not a crash
    metrics = stored["deep-solution"][1]["metrics"]
    assert metrics["unavailable_reason"] == "the code nests too deeply to analyse"


def test_human_output_survives_the_same_batch(tmp_path):
    db = tmp_path / "robust.db"
    source = write_jsonl(tmp_path / "items.jsonl", [DEEP_TESTS, make_record("fine")])
    assert runner.invoke(app, ["import", str(source), "--db", str(db)]).exit_code == 0

    checked = runner.invoke(app, ["check", "--db", str(db)], catch_exceptions=False)

    assert checked.exit_code == 0, checked.output
    assert "2 item(s) checked" in checked.output
    assert "Traceback" not in checked.output
