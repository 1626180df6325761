"""Every language fact comes from the sandbox's registry: one spelling, one language everywhere."""

import json

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.quality import compute_metrics
from core.store import ItemFilter, Store
from sandbox import languages
from tests.conftest import make_record, write_jsonl

runner = CliRunner()

NODE_ITEM = make_record(
    "node-001",
    query_text="Write a JavaScript function named `addNumbers` that returns the sum of two "
    "integers. Language: JavaScript. Function name: addNumbers",
    reference_answer="function addNumbers(a, b) {\n  return a + b;\n}\n",
    assertions="if (addNumbers(1, 2) !== 3) throw new Error('1 + 2');\n"
    "if (addNumbers(-1, 1) !== 0) throw new Error('-1 + 1');",
    metadata={"language": "nodejs", "function_name": "addNumbers", "difficulty": "medium"},
)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.skipif(
    not languages.get("javascript").toolchain().available, reason="node is not installed"
)
def test_an_item_marked_nodejs_is_filtered_checked_and_run_as_javascript(tmp_path):
    db = tmp_path / "node.db"
    invoke("import", write_jsonl(tmp_path / "in.jsonl", [NODE_ITEM]), "--db", db)
    with Store(db) as store:
        assert store.count(ItemFilter(language="JavaScript")) == 1
        assert store.count(ItemFilter(language="js")) == 1
        assert store.stats()["by_language"] == {"javascript": 1}
    checked = invoke("check", "--json", "--db", db)
    result = json.loads(checked.stdout)
    assert result["status"] == "pass", result
    assert result["tests"] == {"passed": 2, "failed": 0, "total": 2}
    assert "language_mismatch" not in {flag["code"] for flag in result["flags"]}


def test_metrics_pick_the_analyser_from_the_registry_suffix():
    metrics = compute_metrics("nodejs", NODE_ITEM["reference_answer"])
    assert metrics["analyser"] == "lizard" and metrics["cyclomatic_max"] == 1
    assert compute_metrics("Haskell", "f x = x")["analyser"] is None  # lizard has no reader
