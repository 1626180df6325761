"""Test tampering read on syntax trees: removed checks and changed expected values, per
language, both ways (what must be flagged, and what must not)."""

from __future__ import annotations

import pytest

from core.quality.tampering import compare_tests, tampering_flag

# language -> (three checks of f, the same three with layout changed and one more added)
KEPT = {
    "python": (
        "assert f(1) == 2\nassert f(2) == 4\nassert f([3]) == [6]\n",
        "assert f(1)==2\nassert   f(2) == 4\n# a comment\nassert 6 == f(3) or True\n"
        "assert f([3]) == [6]\n",
    ),
    "typescript": (
        'if (f([1, 2]) !== 3) throw new Error("a");\nif (f([]) !== 0) throw new Error("b");\n'
        'if (JSON.stringify(g(2)) !== "[2,2]") throw new Error("c");\n',
        'if (f([1,2]) !== 3) throw new Error("first");\nif (f([]) !== 0) throw new Error("b");\n'
        'if (JSON.stringify(g(2)) !== "[2,2]") {\n  throw new Error("c");\n}\n'
        'if (f([5]) !== 5) throw new Error("d");\n',
    ),
    "go": (
        'if F(1) != 2 { panic("a") }\nif F(2) != 4 { panic("b") }\n'
        'ms := New()\nms.Add(1)\nif ms.Median() != 1.5 { panic("c") }\n',
        'if F(1) != 2 {\n\tpanic("a")\n}\nif F(2) != 4 { panic("b") }\n'
        'ms := New()\nms.Add(1)\nif ms.Median() != 1.5 { panic("c") }\nif F(3) != 6 { panic("d") }\n',
    ),
    "rust": (
        "assert_eq!(f(1), 2);\nassert_eq!(f(2), 4);\nassert!(g(3));\n",
        "assert_eq!(f(1),  2);\nassert_eq!(f(2), 4);\nassert!(g(3));\nassert_eq!(f(5), 10);\n",
    ),
    "java": (
        "assert f(1) == 2;\nassert f(2) == 4;\nif (f(3) != 6) throw new AssertionError();\n",
        "assert f(1) == 2;\nassert f(2)==4;\nif (f(3) != 6) throw new AssertionError();\n",
    ),
}


@pytest.mark.parametrize("language", sorted(KEPT))
def test_layout_and_added_checks_are_not_tampering(language):
    before, after = KEPT[language]
    change = compare_tests(language, before, after)
    assert change is not None and change.before == 3
    assert not change.weakened, change
    assert tampering_flag(language, before, after) is None


@pytest.mark.parametrize("language", sorted(KEPT))
def test_a_deleted_check_is_flagged_with_the_diff(language):
    before, _ = KEPT[language]
    lines = before.splitlines(keepends=True)
    after = "".join(lines[1:])  # the first check goes
    flag = tampering_flag(language, before, after, "the edit")
    assert flag is not None and (flag.code, flag.severity) == ("tests_weakened", "warn")
    assert flag.message == "the edit deleted 1 of 3 tests"
    assert flag.detail.startswith("--- tests before") and f"-{lines[0]}" in flag.detail


@pytest.mark.parametrize(
    ("language", "before", "after", "old", "new"),
    [
        (
            "python",
            "assert f(1) == 2\nassert f(2) == 4\n",
            "assert f(1) == 2\nassert f(2) == 5\n",
            "4",
            "5",
        ),
        (
            "python",
            "def test_two():\n    assert f(2) == 4\n",
            "def test_two():\n    assert 5 == f(2)\n",
            "4",
            "5",
        ),
        (
            "typescript",
            'if (f([1, 2]) !== 3) throw new Error("a");\n',
            'if (f([1, 2]) !== 4) throw new Error("a");\n',
            "3",
            "4",
        ),
        ("go", 'if F(1) != 2 { panic("a") }\n', 'if F(1) != 3 { panic("a") }\n', "2", "3"),
        ("rust", "assert_eq!(f(1), 2);\n", "assert_eq!(f(1), 3);\n", "2", "3"),
    ],
)
def test_a_rewritten_expected_value_is_a_change_not_a_new_test(language, before, after, old, new):
    change = compare_tests(language, before, after)
    assert change is not None and change.removed == ()
    [(was, now)] = change.changed
    assert old in was and new in now
    assert change.summary("the repair").startswith(
        "the repair changed the expected value of 1 test"
    )


def test_deleted_and_changed_together_are_both_named():
    before = "assert f(1) == 2\nassert f(2) == 4\nassert f(3) == 6\nassert f(4) == 8\nassert f(5) == 10\n"
    after = "assert f(1) == 2\nassert f(2) == 4\nassert f(3) == 7\n"
    flag = tampering_flag("python", before, after, "the fix")
    assert flag is not None
    assert flag.message == "the fix deleted 2 of 5 tests and changed the expected value of 1 test"


def test_a_check_replaced_by_a_weaker_one_still_counts_as_deleted():
    before = "assert f(3) == 6\nassert f(1) == 2\n"
    after = "assert f(1) == 2\nassert isinstance(g(3), int)\n"
    change = compare_tests("python", before, after)
    assert change is not None and len(change.removed) == 1 and "f(3) == 6" in change.removed[0]


def test_what_cannot_be_read_says_nothing():
    assert compare_tests("kotlin", "assert(f(1) == 2)", "") is None  # no grammar
    assert compare_tests("python", "print('no checks here')\n", "") is None
    assert compare_tests("python", "assert f(1) == 2\n", "assert f(1) == 2\n") is None
