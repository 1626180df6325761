"""The run API on small items in every language, with real toolchains."""

from __future__ import annotations

import json
import threading

import pytest

import sandbox
from sandbox import values
from sandbox.languages import normalise, toolchains
from sandbox.languages.split import split_statements


def needs(language: str) -> None:
    status = toolchains()[language]
    if not status["available"]:
        pytest.skip(f"{language} toolchain missing: {status['reason']}")


PY_SOLUTION = "def add(a, b):\n    if a < 0:\n        return 0\n    return a + b\n"


def test_python_pass_with_per_test_results_and_coverage() -> None:
    res = sandbox.run("Python", PY_SOLUTION, "assert add(1, 2) == 3\nassert add(2, 2) == 4\n")
    assert res.status == "pass"
    assert (res.passed, res.failed, res.total) == (2, 0, 2)
    assert [t.name for t in res.tests] == ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]
    assert 0 < res.coverage < 1  # the a < 0 branch never ran
    assert "network-namespace" in res.isolation or not sandbox.doctor()["strict_ok"]


def test_python_fail_names_the_values() -> None:
    res = sandbox.run("python", PY_SOLUTION, "assert add(1, 2) == 3\nassert add(2, 2) == 5\n")
    assert res.status == "fail"
    assert res.tests[1].status == "fail"
    assert "got 4, expected 5" in res.tests[1].message


def test_python_crash_inside_test_and_outside() -> None:
    res = sandbox.run(
        "python", "def f(x):\n    return 1 // x\n", "assert f(1) == 1\nassert f(0) == 0\n"
    )
    assert res.status == "fail"
    assert res.tests[1].status == "error" and "ZeroDivisionError" in res.tests[1].message
    res = sandbox.run("python", "import not_a_module_xyz\n", "assert 2 + 2 == 4\n")
    assert res.status == "unsupported"
    assert res.reason == "needs the Python package not_a_module_xyz"
    res = sandbox.run("python", "raise RuntimeError('at import')\n", "assert 2 + 2 == 4\n")
    assert res.status == "error" and "at import" in res.reason


def test_python_unparsable_and_timeout() -> None:
    assert sandbox.run("python", "def f(:\n", "assert f() == 1\n").status == "unparsable"
    assert sandbox.run("python", "def f(): return 1\n", "assert f( == 1\n").status == "unparsable"
    res = sandbox.run("python", "def f():\n    while True: pass\n", "assert f() == 1\n", timeout=1)
    assert res.status == "timeout" and res.duration < 3


def test_pytest_style_functions_and_rich_assertions() -> None:
    tests = (
        "import math\n"
        "CASES = [(1, 2, 3), (0, 0, 0)]\n"
        "def test_cases():\n"
        "    for a, b, want in CASES:\n"
        "        assert add(a, b) == want\n"
        "def test_shapes():\n"
        "    assert isinstance(add(1, 1), int)\n"
        "    assert add(1, 1) in (2, 3) and not add(-1, 5)\n"
        "    assert math.isclose(add(0.1, 0.2), 0.3)\n"
        "    assert 1 < add(1, 1) <= 2\n"
        "def test_broken():\n"
        "    assert add(1, 1) == 3\n"
        "def test_needs_fixture(tmp_path):\n"
        "    pass\n"
    )
    res = sandbox.run("python", PY_SOLUTION, tests)
    statuses = {t.name: t.status for t in res.tests}
    assert statuses == {
        "test_cases": "pass",
        "test_shapes": "pass",
        "test_broken": "fail",
        "test_needs_fixture": "error",
    }


def test_python_values_compared_like_python() -> None:
    solution = (
        "from collections import namedtuple, OrderedDict\n"
        "from dataclasses import dataclass\n"
        "P = namedtuple('P', 'x y')\n"
        "@dataclass\nclass D:\n    a: int\n"
        "def f(): return P(1, 2)\n"
        "def g(): return D(1)\n"
        "def h(): return {'b': [1.0, (2, 3)], 'a': {1, 2}}\n"
    )
    tests = (
        "assert f() == (1, 2)\n"
        "assert g() == D(1)\n"
        "assert g() != D(2)\n"
        "assert h() == {'a': {2, 1}, 'b': [1, (2, 3)]}\n"
        "assert float('nan') != float('nan')\n"
    )
    res = sandbox.run("python", solution, tests)
    assert res.status == "pass", [t.message for t in res.tests]


def test_values_round_trip_without_user_code() -> None:
    for value in [1, 2.5, "s", None, True, [1, (2, {3})], {"a": b"x"}, 10**5000, float("inf")]:
        assert values.decode(json.loads(json.dumps(values.encode(value)))) == value


@pytest.mark.parametrize(
    ("language", "solution", "tests"),
    [
        (
            "TypeScript",
            "function add(a: number, b: number): number { return a + b; }",
            "if (add(1, 2) !== 3) throw new Error('Failed');\n"
            "const r: number = add(2, 2);\nif (r !== 4) throw new Error('Failed');",
        ),
        (
            "JavaScript",
            "export function add(a, b) { return a + b; }",
            "if (add(1, 2) !== 3) throw new Error('Failed');\n"
            "setTimeout(() => { if (add(2, 2) !== 4) throw new Error('late'); }, 10);",
        ),
        (
            "Go",
            'package main\nimport "fmt"\nfunc Add(a, b int) int { _ = fmt.Sprint(); return a + b }',
            'if Add(1, 2) != 3 { panic("Failed") }\nif Add(2, 2) != 4 { panic("Failed") }',
        ),
        (
            "Rust",
            "pub fn add(a: i32, b: i32) -> i32 { a + b }",
            "assert_eq!(add(1, 2), 3);\nlet r = add(2, 2);\nassert_eq!(r, 4);",
        ),
        (
            "Java",
            "public class Solution { public static int add(int a, int b) { return a + b; } }",
            'if (Solution.add(1, 2) != 3) throw new RuntimeException("Failed");\n'
            "int r = Solution.add(2, 2);\nassert r == 4;",
        ),
        (
            "C++",
            "int add(int a, int b) { return a + b; }",
            'if (add(1, 2) != 3) throw std::runtime_error("Failed");\nassert(add(2, 2) == 4);',
        ),
    ],
)
def test_other_languages_pass_and_fail(language: str, solution: str, tests: str) -> None:
    needs(normalise(language))
    res = sandbox.run(language, solution, tests, timeout=10)
    assert res.status == "pass", (res.reason, [t.message for t in res.tests], res.stderr_tail)
    assert res.total == 2
    broken = solution.replace("a + b", "a - b")
    res = sandbox.run(language, broken, tests, timeout=10)
    assert res.status == "fail", (res.reason, res.stderr_tail)
    assert res.passed == 0


def test_async_failure_is_attributed_to_its_test() -> None:
    needs("typescript")
    tests = (
        "if (add(1, 2) !== 3) throw new Error('Failed');\n"
        "Promise.resolve(1).then(() => { if (add(2, 2) !== 5) throw new Error('async'); });"
    )
    res = sandbox.run("typescript", "function add(a: number, b: number) { return a + b; }", tests)
    assert [t.status for t in res.tests] == ["pass", "fail"]


def test_compile_errors_are_unparsable() -> None:
    needs("go")
    res = sandbox.run(
        "go", "package main\nfunc Add(a int) int { return a +", 'if Add(1) != 1 { panic("x") }'
    )
    assert res.status == "unparsable" and res.reason
    needs("typescript")
    res = sandbox.run("typescript", "function f( {", "if (f() !== 1) throw new Error('x');")
    assert res.status == "unparsable"


def test_go_single_line_imports_with_and_without_alias() -> None:
    needs("go")
    solution = (
        'import m "math"\nimport "strings"\n\n'
        "func F(s string) float64 { return m.Sqrt(float64(len(strings.TrimSpace(s)))) }"
    )
    result = sandbox.run("Go", solution, 'if F(" abcd ") != 2 { panic("x") }')
    assert (result.status, result.passed) == ("pass", 1), result.reason


def test_unknown_language_is_unsupported() -> None:
    res = sandbox.run("Kotlin", "fun f() = 1", "check(f() == 1)")
    assert res.status == "unsupported" and "Kotlin" in res.reason
    res = sandbox.run("Brainfuck", "+", "-")
    assert res.status == "unsupported" and "Brainfuck" in res.reason


def test_result_round_trips_through_json() -> None:
    res = sandbox.run("python", PY_SOLUTION, "assert add(1, 2) == 3\n")
    data = json.loads(json.dumps(res.to_dict()))
    assert data["passed"] == 1 and data["total"] == 1
    assert sandbox.RunResult.from_dict(data) == res


def test_run_many_yields_every_index_once() -> None:
    requests = [
        sandbox.RunRequest("python", PY_SOLUTION, f"assert add({i}, 1) == {i + 1}\n")
        for i in range(20)
    ]
    requests.append(sandbox.RunRequest("cobol", "", ""))
    seen = []
    results = dict(sandbox.run_many(requests, workers=2, on_result=lambda i, r: seen.append(i)))
    assert sorted(results) == list(range(21)) == sorted(seen)
    assert all(results[i].status == "pass" for i in range(20))
    assert results[20].status == "unsupported"


def test_strict_mode_runs_when_network_isolation_exists() -> None:
    if not sandbox.doctor()["strict_ok"]:
        with pytest.raises(sandbox.StrictModeError):
            sandbox.run("python", "x = 1", "assert x == 1", strict=True)
    else:
        assert sandbox.run("python", "x = 1", "assert x == 1", strict=True).status == "pass"


def test_doctor_reports_layers_and_toolchains() -> None:
    report = sandbox.doctor()
    for name in ("network-namespace", "readonly-fs", "fork-bomb", "clean-env", "rlimits"):
        assert set(report["layers"][name]) == {"available", "detail"}
    for language in ("python", "typescript", "go", "rust", "java", "cpp"):
        entry = report["toolchains"][language]
        assert entry["available"] in (True, False)
        assert ("version" if entry["available"] else "reason") in entry
    # compilers outside the runs are said to be sandboxed exactly where they are used
    assert ("compilers-outside-runs" in report["layers"]) == (report["launcher"] == "bwrap")


def test_statement_splitter_handles_blocks_strings_and_asi() -> None:
    code = "const a = '}';\nif (a !== '}') { throw new Error('x'); }\nfoo()\n  .bar()\nlet b = 1"
    assert split_statements(code, newline_ends=True) == [
        "const a = '}';",
        "if (a !== '}') { throw new Error('x'); }",
        "foo()\n  .bar()",
        "let b = 1",
    ]


def test_workers_outlive_the_run_many_call_that_started_them() -> None:
    # Regression: bwrap's parent-death signal fired when a run_many thread exited.
    request = sandbox.RunRequest("python", PY_SOLUTION, "assert add(1, 2) == 3\n")
    for _ in range(3):
        results = [r for _, r in sandbox.run_many([request] * 4, workers=2)]
        for thread in threading.enumerate():  # the call's threads have ended, not slept on
            if thread.name.removeprefix("sandbox-").isdigit():  # run_many's, not the spawner
                thread.join()
        assert [r.status for r in results] == ["pass"] * 4, [r.reason for r in results]


def test_each_run_starts_in_an_empty_work_dir_with_home_and_tmpdir_there() -> None:
    """Runs on one worker may reuse the work dir's path (a fresh tmpfs each time):
    nothing one run leaves there is visible to the next."""
    leave = "open('left_by_run_1', 'w').write('x')\ndef f(): return 1\n"
    look = (
        "import os\n"
        "def seen(): return sorted(os.listdir('.'))\n"
        "def env(): return os.environ['HOME'] == os.environ['TMPDIR'] == os.getcwd()\n"
    )
    for _ in range(3):  # the pool hands the idle worker back: the same one, in practice
        assert sandbox.run("python", leave, "assert f() == 1\n").status == "pass"
        res = sandbox.run("python", look, "assert seen() == []\nassert env() is True\n")
        assert res.status == "pass", (res.reason, [t.message for t in res.tests])


def test_run_many_reads_requests_lazily_and_stops_when_abandoned() -> None:
    pulled = []

    def requests():
        for k in range(100):
            pulled.append(k)
            yield sandbox.RunRequest("python", "def f(): return 1\n", "assert f() == 1\n")

    runs = sandbox.run_many(requests(), workers=2)
    index, result = next(runs)
    assert result.status == "pass"
    runs.close()  # returns once the runs already handed out are done
    assert len(pulled) <= 1 + 2 * 2


def test_modules_solutions_usually_import_are_loaded_before_the_fork() -> None:
    # Imported in each forked child instead, `from typing import List` costs a run milliseconds.
    from sandbox.zygote import PRELOAD

    solution = (
        f"import sys\ndef missing(): return [m for m in {PRELOAD!r} if m not in sys.modules]\n"
    )
    res = sandbox.run("python", solution, "assert missing() == []\n")
    assert res.status == "pass", [t.message for t in res.tests]


def test_a_run_killed_at_its_deadline_still_names_the_test_it_was_in() -> None:
    # The worker reads the channel lazily; what the child wrote before it was killed counts.
    tests = "assert f(0) == 0\nassert f(1) == 1\nassert f(2) == 2\n"
    solution = "import time\ndef f(x):\n    if x == 1:\n        time.sleep(60)\n    return x\n"
    res = sandbox.run("python", solution, tests, timeout=1)
    assert res.status == "timeout"
    assert [t.status for t in res.tests] == ["pass", "timeout", "timeout"]
    assert res.tests[1].message == "the program stopped during this test"
    assert res.tests[2].message == "not reached"


def test_a_big_value_goes_through_the_channel() -> None:
    # More than a pipe's worth of records: the worker starts polling the channel.
    n = 200_000
    res = sandbox.run(
        "python", f"def f(): return list(range({n}))\n", f"assert f() == list(range({n}))\n"
    )
    assert res.status == "pass"
