"""PHP and Ruby items (MBXP's shapes): per-test results through the real interpreters."""

from __future__ import annotations

import pytest

import sandbox
from sandbox.languages import toolchains


def needs(language: str) -> None:
    status = toolchains()[language]
    if not status["available"]:
        pytest.skip(f"{language} toolchain missing: {status['reason']}")


PHP_SOLUTION = "<?php\nfunction add($a, $b) {\n    return $a + $b;\n}\n"
PHP_TESTS = (
    "\nfunction compare($x, $y) {\n    return $x == $y;\n}\n\n"
    "$x0 = add(1, 2);\nif (!compare($x0, 3)) {\n"
    '    throw new Exception("Error at 1th assert statement.");\n}\n'
    '$x1 = add(2, 2);\nif (!compare($x1, 4)) {\n    throw new Exception("Error at 2th.");\n}\n'
)
RUBY_SOLUTION = "def add(a, b)\n  a + b\nend\n"
RUBY_TESTS = (
    'x0 = add(1, 2)\nif x0 != 3\n    raise StandardError, "Error at test case 1"\nend\n\n'
    'x1 = add(2, 2)\nif x1 != 4\n    raise StandardError, "Error at test case 2"\nend\n'
)


def test_php_right_solution_passes_each_check() -> None:
    needs("php")
    result = sandbox.run("PHP", PHP_SOLUTION, PHP_TESTS)
    assert result.status == "pass", (result.reason, result.stderr_tail)
    assert (result.passed, result.total) == (2, 2)
    assert result.tests[0].name.startswith("if (!compare($x0, 3))")


def test_php_wrong_solution_fails_the_check_it_breaks() -> None:
    needs("php")
    wrong = PHP_SOLUTION.replace("$a + $b", "$a * 2")
    result = sandbox.run("php", wrong, PHP_TESTS)
    assert result.status == "fail"
    assert [t.status for t in result.tests] == ["fail", "pass"]
    assert "1th assert" in result.tests[0].message


def test_php_syntax_error_is_unparsable_and_no_check_is_an_error() -> None:
    needs("php")
    assert sandbox.run("php", PHP_SOLUTION, "if (add(1, 2) != 3 {\n").status == "unparsable"
    broken = sandbox.run("php", "<?php\nfunction add($a, $b) { return $a + ; }\n", PHP_TESTS)
    assert broken.status in ("unparsable", "error") and broken.passed == 0
    silent = sandbox.run("php", PHP_SOLUTION, "// only a comment\necho 'assert';\n")
    assert silent.status == "error" and "no assertion" in silent.reason


def test_php_exit_before_the_last_test_is_never_a_pass() -> None:
    needs("php")
    result = sandbox.run("php", PHP_SOLUTION + "exit(0);\n", PHP_TESTS)
    assert result.status == "error"


def test_ruby_right_and_wrong_solutions() -> None:
    needs("ruby")
    result = sandbox.run("Ruby", RUBY_SOLUTION, RUBY_TESTS)
    assert result.status == "pass", (result.reason, result.stderr_tail)
    assert (result.passed, result.total) == (2, 2)
    wrong = sandbox.run("rb", RUBY_SOLUTION.replace("a + b", "a - b"), RUBY_TESTS)
    assert wrong.status == "fail"
    assert [t.status for t in wrong.tests] == ["fail", "fail"]
    assert "test case 1" in wrong.tests[0].message


def test_ruby_no_assertion_exit_and_syntax() -> None:
    needs("ruby")
    silent = sandbox.run("ruby", RUBY_SOLUTION, "# nothing here\nputs add(1, 2)\n")
    assert silent.status == "error" and "no assertion" in silent.reason
    early = sandbox.run("ruby", RUBY_SOLUTION + "exit!(0)\n", RUBY_TESTS)
    assert early.status == "error"
    assert sandbox.run("ruby", RUBY_SOLUTION, "if add(1, 2) != 3\n  raise 'x'\n").status == (
        "unparsable"
    )


def test_ruby_exit_inside_a_test_is_not_a_pass() -> None:
    needs("ruby")
    tests = "if add(1, 2) != 3 || exit(0)\n  raise 'wrong'\nend\n"
    assert sandbox.run("ruby", RUBY_SOLUTION, tests).status != "pass"
