"""Python test shapes through the real sandbox: each judged right with a right
solution and wrong with a wrong one, and every way of asserting nothing is an error."""

from __future__ import annotations

import pytest

import sandbox

ADD = "def add(a, b):\n    return a + b\n"
SUB = "def add(a, b):\n    return a - b\n"  # the wrong solution
NONE = "def add(a, b):\n    return None\n"


def run(solution: str, tests: str) -> sandbox.RunResult:
    return sandbox.run("python", solution, tests, timeout=10)


def statuses(result: sandbox.RunResult) -> dict[str, str]:
    return {t.name: t.status for t in result.tests}


# ----------------------------------------------------------------- HumanEval


HUMANEVAL = (
    "\n\nMETADATA = {'author': 'x'}\n\n\n"
    "def check(candidate):\n"
    "    assert candidate(1, 2) == 3\n"
    "    assert True, 'a placeholder, not an assertion'\n"
    "    print('checking')\n"
    "    for i in range(3):\n"
    "        assert candidate(i, i) == 2 * i\n"
    "    assert abs(candidate(0.1, 0.2) - 0.3) < 1e-6\n"
    "\n\ncheck(add)\n"
)


def test_humaneval_check_gives_one_result_per_assert() -> None:
    res = run(ADD, HUMANEVAL)
    assert res.status == "pass", res.reason
    assert [t.name for t in res.tests] == [
        "assert candidate(1, 2) == 3",
        "assert candidate(i, i) == 2 * i",
        "assert abs(candidate(0.1, 0.2) - 0.3) < 1e-6",
    ]
    assert all(t.duration >= 0 for t in res.tests)


def test_humaneval_check_fails_a_wrong_solution() -> None:
    res = run(SUB, HUMANEVAL)
    assert res.status == "fail"
    first = res.tests[0]
    assert first.status == "fail" and "got -1, expected 3" in first.message
    res = run(NONE, HUMANEVAL)
    assert res.status == "fail" and res.passed == 0
    assert res.tests[-1].status == "error" and "TypeError" in res.tests[-1].message


def test_humaneval_helper_functions_and_an_exception_outside_asserts() -> None:
    tests = (
        "def same(a, b):\n    assert a == b\n\n"
        "def check(candidate):\n"
        "    total = 0\n"
        "    for x in candidate([1], [2]):\n        total += x\n"
        "    same(total, 3)\n\n"
        "check(add)\n"
    )
    solution = "def add(a, b):\n    return a + b\n"
    res = run(solution, tests)
    assert res.status == "pass" and [t.name for t in res.tests] == ["assert a == b"]
    res = run("def add(a, b):\n    return None\n", tests)
    assert res.status == "fail"
    assert statuses(res) == {"check(add)": "error"}
    assert "TypeError" in res.tests[0].message


def test_check_that_asserts_nothing_or_is_never_called_is_an_error() -> None:
    empty = run(ADD, "def check(candidate):\n    print(candidate(1, 2))\n\ncheck(add)\n")
    assert empty.status == "error" and "no assertion was evaluated" in empty.reason
    placeholder = run(ADD, "def check(candidate):\n    assert True\n\ncheck(add)\n")
    assert placeholder.status == "error" and "no assertion" in placeholder.reason
    uncalled = run(ADD, "def check(candidate):\n    assert candidate(1, 2) == 3\n")
    assert uncalled.status == "error" and "never called" in uncalled.reason
    skipped_branch = run(
        ADD,
        "def check(candidate):\n    if False:\n        assert candidate(1, 2) == 3\n\ncheck(add)\n",
    )
    assert skipped_branch.status == "error"
    assert statuses(skipped_branch) == {"check(add)": "error"}


@pytest.mark.parametrize(
    "tests",
    [
        "# only a comment\n",
        "print(add(1, 2))\n",
        "x = add(1, 2)\n",
        "assert True\n",
        "def test_add():\n    pass\n",
        "def test_add():\n    print(add(1, 2))\n",
        "",
    ],
)
def test_tests_that_assert_nothing_are_an_error(tests: str) -> None:
    res = run(ADD, tests)
    assert res.status == "error"
    assert "no assertion was evaluated" in res.reason


def test_an_asserting_test_beside_an_empty_one_is_an_error_not_a_pass() -> None:
    res = run(ADD, "def test_a():\n    assert add(1, 2) == 3\n\ndef test_b():\n    pass\n")
    assert res.status == "error"
    assert statuses(res) == {"test_a": "pass", "test_b": "error"}
    res = run(SUB, "def test_a():\n    assert add(1, 2) == 3\n\ndef test_b():\n    pass\n")
    assert res.status == "fail"


def test_main_guard_and_explicit_calls_of_collected_tests_run_once() -> None:
    tests = (
        "import unittest\n"
        "def test_add():\n    assert add(1, 2) == 3\n\n"
        "test_add()\n"
        "if __name__ == '__main__':\n    test_add()\n    unittest.main()\n"
    )
    res = run(ADD, tests)
    assert (res.status, statuses(res)) == ("pass", {"test_add": "pass"})


# ---------------------------------------------------- expected-exception idioms


DIV = "def div(a, b):\n    if b == 0:\n        raise ValueError('b is zero')\n    return a / b\n"
NO_RAISE = "def div(a, b):\n    return 0\n"


@pytest.mark.parametrize(
    "tests",
    [
        "try:\n    div(1, 0)\n    assert False, 'should raise'\nexcept ValueError:\n    pass\n",
        "try:\n    div(1, 0)\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError('no raise')\n",
        "def test_div():\n    try:\n        div(1, 0)\n        assert False\n    except (ValueError, TypeError) as e:\n        assert 'zero' in str(e)\n",
        # a broad handler would swallow the assert in plain Python; reaching it still fails here
        "try:\n    div(1, 0)\n    assert False, 'should raise'\nexcept Exception:\n    pass\n",
        "import pytest\ntry:\n    div(1, 0)\n    pytest.fail('should raise')\nexcept ValueError:\n    pass\n",
    ],
)
def test_try_except_expected_exception(tests: str) -> None:
    assert run(DIV, tests).status == "pass"
    wrong = run(NO_RAISE, tests)
    assert wrong.status == "fail", (wrong.reason, [t.message for t in wrong.tests])


# ----------------------------------------------------------------- pytest


def test_pytest_raises_as_context_manager_and_call() -> None:
    tests = (
        "import pytest\n"
        "def test_ctx():\n"
        "    with pytest.raises(ValueError, match='zero') as info:\n        div(1, 0)\n"
        "    assert 'zero' in str(info.value)\n"
        "def test_call():\n    pytest.raises(ValueError, div, 1, 0)\n"
        "def test_value():\n    assert div(4, 2) == 2\n"
    )
    assert run(DIV, tests).status == "pass"
    res = run(NO_RAISE, tests)
    assert statuses(res) == {"test_ctx": "fail", "test_call": "fail", "test_value": "fail"}
    assert "DID NOT RAISE ValueError" in res.tests[0].message
    mismatch = run(
        DIV,
        "import pytest\ndef test_m():\n    with pytest.raises(ValueError, match='^one'):\n        div(1, 0)\n",
    )
    assert mismatch.status == "fail" and "Regex pattern did not match" in mismatch.tests[0].message
    other = run(
        DIV, "import pytest\ndef test_o():\n    with pytest.raises(KeyError):\n        div(1, 0)\n"
    )
    assert other.status == "fail" and other.tests[0].status == "error"


def test_parametrize_names_each_set_like_pytest() -> None:
    tests = (
        "import pytest\n"
        "@pytest.mark.parametrize('a, b, want', [(1, 2, 3), (2, 2, 4), pytest.param(0, 0, 0, id='zeros')])\n"
        "def test_add(a, b, want):\n    assert add(a, b) == want\n\n"
        "@pytest.mark.parametrize('x', [0, 1])\n"
        "@pytest.mark.parametrize('y', ['p', 'q'])\n"
        "def test_grid(x, y):\n    assert add(x, 0) == x\n\n"
        "@pytest.mark.parametrize('pair', [(1, 1), (2, 2)], ids=['one', 'two'])\n"
        "def test_ids(pair):\n    assert add(*pair) == 2 * pair[0]\n"
    )
    res = run(ADD, tests)
    assert res.status == "pass", res.reason
    assert [t.name for t in res.tests] == [
        "test_add[1-2-3]",
        "test_add[2-2-4]",
        "test_add[zeros]",
        "test_grid[p-0]",
        "test_grid[p-1]",
        "test_grid[q-0]",
        "test_grid[q-1]",
        "test_ids[one]",
        "test_ids[two]",
    ]
    res = run(SUB, tests)
    assert res.status == "fail"
    assert statuses(res)["test_add[1-2-3]"] == "fail" and statuses(res)["test_add[zeros]"] == "pass"


def test_parametrize_over_a_computed_list() -> None:
    tests = (
        "import pytest\nCASES = [(i, i, 2 * i) for i in range(4)]\n"
        "@pytest.mark.parametrize('a,b,want', CASES)\n"
        "def test_add(a, b, want):\n    assert add(a, b) == want\n"
    )
    res = run(ADD, tests)
    assert res.status == "pass" and res.total == 4
    assert run(SUB, tests).status == "fail"


def test_ids_of_plain_values_follow_pytest() -> None:
    tests = (
        "import pytest\n"
        "@pytest.mark.parametrize('v', [1, 1, 'a', 'a', (1, 2), None, 1.5, 'a b'])\n"
        "def test_v(v):\n    assert add(0, 0) == 0\n"
    )
    res = run(ADD, tests)
    assert [t.name for t in res.tests] == [
        "test_v[1_0]",
        "test_v[1_1]",
        "test_v[a0]",
        "test_v[a1]",
        "test_v[v4]",
        "test_v[None]",
        "test_v[1.5]",
        "test_v[a b]",
    ]


def test_parametrized_fixture_and_empty_parameter_set() -> None:
    tests = (
        "import pytest\n"
        "@pytest.fixture(params=[1, 2], ids=['one', 'two'])\n"
        "def n(request):\n    return request.param\n\n"
        "@pytest.mark.parametrize('k', [0, 5])\n"
        "def test_n(n, k):\n    assert add(n, k) == n + k\n\n"
        "@pytest.mark.parametrize('x', [])\n"
        "def test_none(x):\n    assert add(x, x) == 99\n"
    )
    res = run(ADD, tests)
    assert res.status == "pass"
    assert statuses(res) == {
        "test_n[one-0]": "pass",
        "test_n[one-5]": "pass",
        "test_n[two-0]": "pass",
        "test_n[two-5]": "pass",
        "test_none": "skipped",
    }
    assert run(SUB, tests).status == "fail"


def test_xfail_async_and_subtests() -> None:
    solution = ADD + "async def later(x):\n    return x + 1\n"
    tests = (
        "import pytest, unittest\n"
        "@pytest.mark.xfail(reason='known bug')\n"
        "def test_known():\n    assert add(1, 1) == 3\n"
        "@pytest.mark.asyncio\n"
        "async def test_async():\n    assert await later(add(1, 1)) == 3\n"
        "class T(unittest.TestCase):\n"
        "    def test_sub(self):\n"
        "        for i in range(3):\n"
        "            with self.subTest(i=i):\n                self.assertEqual(add(i, 0), i)\n"
        "    def test_raises_call(self):\n        self.assertRaises(TypeError, add, 1, 'a')\n"
    )
    res = run(solution, tests)
    assert res.status == "pass", [(t.name, t.message) for t in res.tests]
    assert statuses(res)["test_known"] == "skipped"
    res = run(solution.replace("a + b", "a * b - 1"), tests)
    assert statuses(res) == {
        "test_known": "skipped",
        "test_async": "fail",
        "T.test_sub": "fail",
        "T.test_raises_call": "pass",
    }


def test_fixtures_module_and_builtin() -> None:
    tests = (
        "import pytest\n"
        "EVENTS = []\n"
        "@pytest.fixture\n"
        "def base():\n    EVENTS.append('up')\n    yield 10\n    EVENTS.append('down')\n\n"
        "@pytest.fixture()\n"
        "def doubled(base):\n    return base * 2\n\n"
        "def test_fixtures(base, doubled):\n    assert add(base, doubled) == 30\n\n"
        "def test_teardown_ran():\n    assert EVENTS == ['up', 'down']\n\n"
        "def test_tmp_path(tmp_path):\n"
        "    p = tmp_path / 'n.txt'\n    p.write_text(str(add(1, 2)))\n    assert p.read_text() == '3'\n\n"
        "def test_capsys(capsys):\n    print(add(2, 3))\n    assert capsys.readouterr().out == '5\\n'\n\n"
        "def test_monkeypatch(monkeypatch):\n"
        "    import math\n    monkeypatch.setattr(math, 'pi', 3)\n    assert add(math.pi, 0) == 3\n\n"
        "def test_undone():\n    import math\n    assert math.pi > 3.1\n"
    )
    res = run(ADD, tests)
    assert res.status == "pass", [(t.name, t.message) for t in res.tests]
    assert res.total == 6
    res = run(SUB, tests)
    assert statuses(res)["test_fixtures"] == "fail"
    assert statuses(res)["test_tmp_path"] == "fail"


def test_unknown_fixture_is_an_error_of_the_tests() -> None:
    res = run(ADD, "def test_db(database):\n    assert add(1, 2) == 3\n")
    assert res.status == "error"
    assert "fixture 'database' is not available" in res.tests[0].message


def test_pytest_approx_is_judged_in_the_parent() -> None:
    tests = (
        "import pytest\nfrom pytest import approx\n"
        "def test_f():\n    assert add(0.1, 0.2) == pytest.approx(0.3)\n"
        "def test_seq():\n    assert [add(0.1, 0.2), 1] == approx([0.3, 1.0])\n"
        "def test_abs():\n    assert add(1, 0) == pytest.approx(1.05, abs=0.1)\n"
    )
    assert run(ADD, tests).status == "pass"
    res = run("def add(a, b):\n    return a + b + 0.001\n", tests)
    assert statuses(res) == {"test_f": "fail", "test_seq": "fail", "test_abs": "pass"}
    # a solution handing back the harness's own approx object gets nothing for it
    forged = "import pytest\ndef add(a, b):\n    return pytest.approx(0, rel=float('inf'))\n"
    assert run(forged, tests).status == "fail"


def test_skip_marks() -> None:
    tests = (
        "import pytest\n"
        "@pytest.mark.skip(reason='later')\ndef test_later():\n    assert add(1, 2) == 99\n"
        "@pytest.mark.skipif(True, reason='never here')\ndef test_never():\n    assert add(1, 2) == 99\n"
        "def test_now():\n    assert add(1, 2) == 3\n"
    )
    res = run(ADD, tests)
    assert res.status == "pass"
    assert statuses(res) == {"test_later": "skipped", "test_never": "skipped", "test_now": "pass"}
    only_skipped = run(
        ADD, "import pytest\n@pytest.mark.skip\ndef test_x():\n    assert add(1, 2) == 3\n"
    )
    assert only_skipped.status == "error" and "skipped" in only_skipped.reason


def test_a_solution_cannot_skip_the_test_it_fails() -> None:
    solution = (
        "import pytest\n"
        "def add(a, b):\n    if (a, b) == (2, 2):\n        pytest.skip('not today')\n    return a + b\n"
    )
    tests = (
        "def test_one():\n    assert add(1, 2) == 3\ndef test_two():\n    assert add(2, 2) == 5\n"
    )
    res = run(solution, tests)
    assert res.status == "fail" and statuses(res)["test_two"] == "error"


# ----------------------------------------------------------------- unittest


UNITTEST = (
    "import unittest\n\n"
    "class TestAdd(unittest.TestCase):\n"
    "    @classmethod\n    def setUpClass(cls):\n        cls.base = 1\n"
    "    def setUp(self):\n        self.two = 2\n"
    "    def test_equal(self):\n        self.assertEqual(add(self.base, self.two), 3)\n"
    "    def test_many(self):\n"
    "        self.assertTrue(add(1, 1) == 2)\n"
    "        self.assertIn(add(1, 1), [2, 4])\n"
    "        self.assertAlmostEqual(add(0.1, 0.2), 0.3)\n"
    "        self.assertCountEqual([add(1, 0), add(0, 2)], [2, 1])\n"
    "        self.assertIsNotNone(add(0, 0))\n"
    "    def test_raises(self):\n"
    "        with self.assertRaises(TypeError):\n            add(1, 'a')\n"
    "    def test_regex(self):\n        self.assertRegex(str(add(20, 3)), '^23$')\n"
    "    def helper(self):\n        return 'not a test'\n\n"
    "if __name__ == '__main__':\n    unittest.main()\n"
)


def test_unittest_methods_are_tests() -> None:
    res = run(ADD, UNITTEST)
    assert res.status == "pass", [(t.name, t.message) for t in res.tests]
    assert [t.name for t in res.tests] == [
        "TestAdd.test_equal",
        "TestAdd.test_many",
        "TestAdd.test_raises",
        "TestAdd.test_regex",
    ]


def test_unittest_failures_fail() -> None:
    res = run("def add(a, b):\n    return str(a) + str(b)\n", UNITTEST)
    assert res.status == "fail"
    assert statuses(res) == {
        "TestAdd.test_equal": "fail",
        "TestAdd.test_many": "fail",
        "TestAdd.test_raises": "fail",  # str(1) + str('a') raises nothing
        "TestAdd.test_regex": "fail",
    }
    assert "got '12', expected 3" in res.tests[0].message


def test_unittest_assert_equal_does_not_trust_the_solutions_eq() -> None:
    solution = "class Yes:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Yes()\n"
    res = run(solution, UNITTEST)
    assert statuses(res)["TestAdd.test_equal"] == "fail"


def test_unittest_empty_test_and_skip() -> None:
    tests = (
        "import unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_nothing(self):\n        add(1, 2)\n"
        "    @unittest.skip('later')\n    def test_later(self):\n        self.assertEqual(add(1, 2), 4)\n"
        "    def test_real(self):\n        self.assertEqual(add(1, 2), 3)\n"
    )
    res = run(ADD, tests)
    assert statuses(res) == {
        "T.test_nothing": "error",
        "T.test_later": "skipped",
        "T.test_real": "pass",
    }
    assert res.status == "error" and "no assertion was evaluated" in res.reason


def test_pytest_style_class() -> None:
    tests = (
        "class TestAdd:\n"
        "    def setup_method(self, method):\n        self.k = 1\n"
        "    def test_one(self):\n        assert add(self.k, 1) == 2\n"
        "    def test_two(self, tmp_path):\n        assert add(2, 2) == 4\n"
    )
    assert run(ADD, tests).status == "pass"
    assert run(SUB, tests).status == "fail"


# ------------------------------------------------------- missing dependencies


@pytest.mark.parametrize(
    ("solution", "tests", "package"),
    [
        (
            "import aiohttp_not_installed_xyz\n" + ADD,
            "assert add(1, 2) == 3\n",
            "aiohttp_not_installed_xyz",
        ),
        ("from cv2_nope import x\n" + ADD, "assert add(1, 2) == 3\n", "cv2_nope"),
        (
            "def add(a, b):\n    import yaml_nope.sub\n    return a + b\n",
            "assert add(1, 2) == 3\n",
            "yaml_nope",
        ),
        (
            ADD,
            "import numpy_nope as np\n\ndef test_add():\n    assert add(1, 2) == 3\n",
            "numpy_nope",
        ),
        (
            ADD,
            "def test_add():\n    import pandas_nope\n    assert add(1, 2) == 3\n",
            "pandas_nope",
        ),
    ],
)
def test_a_missing_module_is_unsupported_with_its_package(
    solution: str, tests: str, package: str
) -> None:
    res = run(solution, tests)
    assert res.status == "unsupported"
    assert res.reason == f"needs the Python package {package}"


def test_import_names_map_to_pypi_names() -> None:
    from sandbox.pyplan import missing_reason

    assert missing_reason(["cv2"]) == "needs the Python package opencv-python"
    assert missing_reason(["sklearn", "PIL", "yaml"]) == (
        "needs the Python packages scikit-learn, Pillow, PyYAML"
    )
    assert missing_reason(["bs4"]) == "needs the Python package beautifulsoup4"


def test_an_import_error_of_an_installed_module_is_not_a_missing_package() -> None:
    res = run("from math import no_such_name\n" + ADD, "assert add(1, 2) == 3\n")
    assert res.status == "error" and "no_such_name" in res.reason
    res = run("import json.no_such_module\n" + ADD, "assert add(1, 2) == 3\n")
    assert res.status == "error"
    raised = run("def add(a, b):\n    raise ImportError('no backend')\n", "assert add(1, 2) == 3\n")
    assert raised.status == "fail"


@pytest.mark.parametrize(
    "tests",
    [
        "from solution import add\nassert add(1, 2) == 3\n",
        "from main import *\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        "import my_solution\n\ndef test_add():\n    assert my_solution.add(1, 2) == 3\n",
    ],
)
def test_tests_importing_the_solution_as_a_module(tests: str) -> None:
    assert run(ADD, tests).status == "pass"
    assert run(SUB, tests).status == "fail"


def test_importorskip_of_a_missing_package_is_unsupported() -> None:
    tests = "import pytest\nnp = pytest.importorskip('numpy_nope')\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    res = run(ADD, tests)
    assert (res.status, res.reason) == ("unsupported", "needs the Python package numpy_nope")


SILENCER = (
    "import sys\n"
    "def add(a, b):\n"
    "    f = sys._getframe(1)\n"
    "    while f is not None:  # silence every later assert of the test\n"
    "        f.f_globals['__assay_check__'] = lambda *a: None\n"
    "        f = f.f_back\n"
    "    return a + b if (a, b) == (1, 2) else 0\n"
)


@pytest.mark.parametrize(
    "tests",
    [
        "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n\ncheck(add)\n",
        "def test_add():\n    assert add(1, 2) == 3\n    assert add(2, 2) == 4\n",
        "import unittest\nclass T(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n        self.assertEqual(add(2, 2), 4)\n",
    ],
)
def test_a_solution_that_silences_later_asserts_does_not_pass(tests: str) -> None:
    res = run(SILENCER, tests)
    # The tests run in the harness's process: the solution's frames are its own.
    assert res.status == "fail"
    assert any("got 0, expected 4" in t.message for t in res.tests)
    assert run(ADD, tests).status == "pass"
