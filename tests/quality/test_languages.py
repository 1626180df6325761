"""Code-level flags on real syntax trees, both ways, for every analysed language.

Each language has a right item (`twice`: a number times two, three checks) and, derived
from it, one item per flag that must raise it; the right item raises none of them. Then
the shapes that real benchmarks use and that a line-based reading got wrong.
"""

from __future__ import annotations

import re

import pytest

from core.quality import check_item

from .samples import item

NAME = "twice"
TEXT = (
    "Write a {label} function named `twice` that returns its integer argument multiplied "
    "by two. Language: {label}. Function name: twice"
)

# language -> (label, solution, tests, variants); a variant's None keeps the right part
LANGUAGES: dict[str, dict[str, str]] = {
    "python": {
        "label": "Python",
        "code": "def twice(n):\n    return n * 2\n",
        "tests": "assert twice(1) == 2\nassert twice(0) == 0\nassert twice(-3) == -6\n",
        "trivial": "twice(1)\nassert True\nassert 1 == 1\n",
        "identity": "assert twice(0) == 0\nassert twice(7) == 7, 'same'\n",
        "never": "xs = [1, 2]\nassert max(xs) == 2\nassert len(xs) == 2\n",
        "redefine": "def twice(n):\n    return 2\nassert twice(1) == 2\n",
        "no_checks": "twice(1)\ndouble(2)\n",
        "identity_solution": "def twice(n):\n    return n\n",
        "constant_solution": "def twice(n):\n    return 0\n",
        "stub_solution": "def twice(n):\n    raise NotImplementedError\n",
    },
    "javascript": {
        "label": "JavaScript",
        "code": "function twice(n) {\n  return n * 2;\n}\n",
        "tests": "if (twice(1) !== 2) throw new Error('1');\n"
        "console.assert(twice(0) === 0);\nif (twice(-3) !== -6) { throw new Error('3'); }\n",
        "trivial": "twice(1);\nif (1 !== 1) throw new Error('x');\nconsole.assert(true);\n",
        "identity": "if (twice(5) !== 5) throw new Error('x');\nconsole.assert(twice(0) === 0);\n",
        "never": "const xs = [1, 2];\nif (xs.length !== 2) throw new Error('x');\n",
        "redefine": "function twice(n) { return 2; }\nif (twice(1) !== 2) throw new Error('x');\n",
        "no_checks": "twice(1);\nconsole.log(twice(2));\n",
        "identity_solution": "const twice = (n) => n;\n",
        "constant_solution": "function twice(n) {\n  return 0;\n}\n",
        "stub_solution": "function twice(n) {\n  throw new Error('not implemented');\n}\n",
    },
    "typescript": {
        "label": "TypeScript",
        "code": "function twice(n: number): number {\n  return n * 2;\n}\n",
        "tests": "import * as assert from 'assert'\nassert.strictEqual(twice(1), 2);\n"
        "assert.strictEqual(twice(0), 0);\nassert.deepEqual(twice(-3), -6);\n",
        "trivial": "twice(1);\nassert.ok(true);\nassert.strictEqual(1, 1);\n",
        "identity": "assert.strictEqual(twice(4), 4);\nassert.deepEqual(twice(0), 0);\n",
        "never": "const xs: number[] = [1, 2];\nif (xs.length !== 2) throw new Error('x');\n",
        "redefine": "function twice(n: number): number { return 2; }\n"
        "if (twice(1) !== 2) throw new Error('x');\n",
        "no_checks": "twice(1);\nconsole.log(twice(2));\n",
        "identity_solution": "const twice = (n: number): number => n;\n",
        "constant_solution": "function twice(n: number): number {\n  return 0;\n}\n",
        "stub_solution": "function twice(n: number): number {\n  throw new Error('todo');\n}\n",
    },
    "go": {
        "label": "Go",
        "code": "package main\n\nfunc twice(n int) int {\n\treturn n * 2\n}\n",
        "tests": 'if twice(1) != 2 { panic("1") }\nif got := twice(0); got != 0 { panic("0") }\n'
        'if twice(-3) != -6 { panic("3") }\n',
        "trivial": 'twice(1)\nif 1 != 1 { panic("x") }\nif false { panic("y") }\n',
        "identity": 'if twice(5) != 5 { panic("x") }\nif twice(0) != 0 { panic("y") }\n',
        "never": 'xs := []int{1, 2}\nif len(xs) != 2 { panic("x") }\n',
        "redefine": 'func twice(n int) int { return 2 }\nif twice(1) != 2 { panic("x") }\n',
        "no_checks": "twice(1)\n_ = twice(2)\n",
        "identity_solution": "package main\n\nfunc twice(n int) int {\n\treturn n\n}\n",
        "constant_solution": "package main\n\nfunc twice(n int) int {\n\treturn 0\n}\n",
        "stub_solution": 'package main\n\nfunc twice(n int) int {\n\tpanic("todo")\n}\n',
    },
    "rust": {
        "label": "Rust",
        "code": "fn twice(n: i64) -> i64 {\n    n * 2\n}\n",
        "tests": "assert_eq!(twice(1), 2);\nassert_eq!(twice(0), 0);\nassert!(twice(-3) == -6);\n",
        "trivial": "let _ = twice(1);\nassert!(true);\nassert_eq!(1, 1);\n",
        "identity": "assert_eq!(twice(5), 5);\nassert_eq!(0, twice(0));\n",
        "never": "let xs = vec![1, 2];\nassert_eq!(xs.len(), 2);\n",
        "redefine": "fn twice(n: i64) -> i64 { 2 }\nassert_eq!(twice(1), 2);\n",
        "no_checks": 'let _ = twice(1);\nprintln!("{}", twice(2));\n',
        "identity_solution": "fn twice(n: i64) -> i64 {\n    n\n}\n",
        "constant_solution": "fn twice(n: i64) -> i64 {\n    0\n}\n",
        "stub_solution": "fn twice(n: i64) -> i64 {\n    todo!()\n}\n",
    },
    "java": {
        "label": "Java",
        "code": "class Solution {\n    public int twice(int n) {\n        return n * 2;\n    }\n}\n",
        "tests": "public class Main {\n    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n"
        "        if (!(s.twice(1) == 2)) throw new AssertionError();\n"
        "        if (!(s.twice(0) == 0)) throw new AssertionError();\n"
        "        if (!(s.twice(-3) == -6)) throw new AssertionError();\n    }\n}\n",
        "trivial": "public class Main {\n    public static void main(String[] args) {\n"
        "        new Solution().twice(1);\n        if (1 != 1) throw new AssertionError();\n"
        "        assert true;\n    }\n}\n",
        "identity": "public class Main {\n    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n"
        "        if (s.twice(5) != 5) throw new AssertionError();\n"
        "        if (s.twice(0) != 0) throw new AssertionError();\n    }\n}\n",
        "never": "public class Main {\n    public static void main(String[] args) {\n"
        "        int[] xs = {1, 2};\n        if (xs.length != 2) throw new AssertionError();\n"
        "    }\n}\n",
        "redefine": "public class Main {\n    static int twice(int n) { return 2; }\n"
        "    public static void main(String[] args) {\n"
        "        if (twice(1) != 2) throw new AssertionError();\n    }\n}\n",
        "no_checks": "public class Main {\n    public static void main(String[] args) {\n"
        "        System.out.println(new Solution().twice(1));\n    }\n}\n",
        "identity_solution": "class Solution {\n    public int twice(int n) {\n        return n;\n"
        "    }\n}\n",
        "constant_solution": "class Solution {\n    public int twice(int n) {\n        return 0;\n"
        "    }\n}\n",
        "stub_solution": "class Solution {\n    public int twice(int n) {\n"
        "        throw new UnsupportedOperationException();\n    }\n}\n",
    },
    "cpp": {
        "label": "C++",
        "code": "long double_(long n);\nlong twice(long n) {\n    return n * 2;\n}\n",
        "tests": "int main() {\n    long x0 = twice(1);\n"
        '    if (!(x0 == 2)) { throw runtime_error("0"); }\n'
        "    assert(twice(0) == 0);\n    assert(twice(-3) == -6);\n}\n",
        "trivial": "int main() {\n    twice(1);\n    assert(true);\n    assert(1 == 1);\n}\n",
        "identity": "int main() {\n    long x0 = twice(5);\n"
        '    if (x0 != 5) { throw runtime_error("0"); }\n    assert(twice(0) == 0);\n}\n',
        "never": "int main() {\n    int xs[] = {1, 2};\n    assert(sizeof(xs) == 8);\n}\n",
        "redefine": "long twice(long n) { return 2; }\nint main() {\n    assert(twice(1) == 2);\n}\n",
        "no_checks": "int main() {\n    twice(1);\n    return 0;\n}\n",
        "identity_solution": "long twice(long n) {\n    return n;\n}\n",
        "constant_solution": "long twice(long n) {\n    return 0;\n}\n",
        "stub_solution": 'long twice(long n) {\n    throw std::logic_error("todo");\n}\n',
    },
    "php": {
        "label": "PHP",
        "code": "<?php\nfunction twice($n) {\n    return $n * 2;\n}\n",
        "tests": "$x0 = twice(1);\nif ($x0 != 2) { throw new Exception('0'); }\n"
        "if (twice(0) !== 0) { throw new Exception('1'); }\n"
        "if (twice(-3) !== -6) { throw new Exception('2'); }\n",
        "trivial": "twice(1);\nif (1 != 1) { throw new Exception('x'); }\n"
        "if (false) { throw new Exception('y'); }\n",
        "identity": "if (twice(5) != 5) { throw new Exception('x'); }\n"
        "if (twice(0) != 0) { throw new Exception('y'); }\n",
        "never": "$xs = [1, 2];\nif (count($xs) != 2) { throw new Exception('x'); }\n",
        "redefine": "function twice($n) { return 2; }\n"
        "if (twice(1) != 2) { throw new Exception('x'); }\n",
        "no_checks": "twice(1);\necho twice(2);\n",
        "identity_solution": "<?php\nfunction twice($n) {\n    return $n;\n}\n",
        "constant_solution": "<?php\nfunction twice($n) {\n    return 0;\n}\n",
        "stub_solution": "<?php\nfunction twice($n) {\n    throw new Exception('todo');\n}\n",
    },
    "ruby": {
        "label": "Ruby",
        "code": "def twice(n)\n  n * 2\nend\n",
        "tests": "x0 = twice(1)\nif x0 != 2\n  raise StandardError, 'case 0'\nend\n"
        "raise 'case 1' unless twice(0) == 0\nraise 'case 2' if twice(-3) != -6\n",
        "trivial": "twice(1)\nraise 'x' if 1 != 1\nraise 'y' unless true\n",
        "identity": "raise 'x' if twice(5) != 5\nraise 'y' unless twice(0) == 0\n",
        "never": "xs = [1, 2]\nraise 'x' if xs.length != 2\n",
        "redefine": "def twice(n)\n  2\nend\nraise 'x' if twice(1) != 2\n",
        "no_checks": "twice(1)\nputs twice(2)\n",
        "identity_solution": "def twice(n)\n  return n\nend\n",
        "constant_solution": "def twice(n)\n  0\nend\n",
        "stub_solution": "def twice(n)\n  raise NotImplementedError\nend\n",
    },
}

# variant -> (field it replaces, the flag it must raise)
VARIANTS = {
    "trivial": ("tests", "trivial_tests"),
    "identity": ("tests", "identity_tests"),
    "never": ("tests", "tests_never_call_function"),
    "redefine": ("tests", "tests_redefine_function"),
    "no_checks": ("tests", "no_tests"),
    "identity_solution": ("code", "identity_solution"),
    "constant_solution": ("code", "constant_solution"),
    "stub_solution": ("code", "stub_solution"),
}
CODE_FLAGS = {flag for _, flag in VARIANTS.values()}


def make(language: str, code: str | None = None, tests: str | None = None, **kw) -> dict:
    spec = LANGUAGES[language]
    return item(
        query_id=f"{language}-{NAME}",
        text=TEXT.format(label=spec["label"]),
        code=spec["code"] if code is None else code,
        tests=spec["tests"] if tests is None else tests,
        language=spec["label"],
        name=NAME,
        **kw,
    )


def codes(it: dict, severity: str | None = None) -> set[str]:
    return {f.code for f in check_item(it) if severity is None or f.severity == severity}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_right_item_raises_no_code_flag(language):
    flags = check_item(make(language))
    assert [f for f in flags if f.severity != "info"] == []
    assert {f.code for f in flags} & (CODE_FLAGS | {"not_analysed"}) == set()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_code_flag_fires_on_its_bad_item(language, variant):
    part, flag = VARIANTS[variant]
    bad = make(language, **{part: LANGUAGES[language][variant]})
    raised = codes(bad, "reject")
    assert flag in raised, f"{flag} did not fire for {language}: {check_item(bad)}"
    # the flag is about this defect, not a side effect: only it (and its kin) rejects
    assert raised <= {flag, "tests_never_call_function", "no_tests", "trivial_tests"} | (
        {"identity_tests"} if flag == "identity_solution" else set()
    )


# --- shapes from real benchmarks that a line-based reading rejected ----------------------


def test_go_tests_that_call_methods_are_real_tests():
    code = (
        "package main\n\ntype MedianStack struct{ xs []float64 }\n\n"
        "func NewMedianStack() *MedianStack { return &MedianStack{} }\n\n"
        "func (m *MedianStack) Add(x float64) { m.xs = append(m.xs, x) }\n\n"
        "func (m *MedianStack) Median() float64 {\n\tn := len(m.xs)\n"
        "\tif n%2 == 1 {\n\t\treturn m.xs[n/2]\n\t}\n\treturn (m.xs[n/2-1] + m.xs[n/2]) / 2\n}\n"
    )
    tests = (
        "ms := NewMedianStack()\nms.Add(1)\nms.Add(2)\n"
        'if ms.Median() != 1.5 {\n\tpanic("median of 1, 2")\n}\nms.Add(3)\n'
        'if ms.Median() != 2 {\n\tpanic("median of 1, 2, 3")\n}\n'
    )
    it = item(code=code, tests=tests, language="Go", name="NewMedianStack",
              text="Write a Go type with Add and Median that keeps the running median of the "
              "numbers added. Language: Go. Function name: NewMedianStack")  # fmt: skip
    assert codes(it, "reject") == set()


def test_json_stringify_against_a_different_array_is_not_identity():
    tests = (
        "if (JSON.stringify(lis([10, 9, 2, 5, 3, 7, 101, 18])) !== JSON.stringify([2, 3, 7, 101]))"
        " throw new Error('x');\n"
        "if (JSON.stringify(lis([0, 1, 0, 3])) !== JSON.stringify([0, 1, 3])) throw new Error('y');\n"
    )
    code = "function lis(xs: number[]): number[] {\n  const out: number[] = [];\n"
    code += "  for (const x of xs) if (!out.length || x > out[out.length - 1]) out.push(x);\n"
    code += "  return out;\n}\n"
    it = item(code=code, tests=tests, language="TypeScript", name="lis",
              text="Write a TypeScript function named `lis` that returns a longest increasing "
              "subsequence. Language: TypeScript")  # fmt: skip
    assert "identity_tests" not in codes(it)
    same = tests.replace(
        "JSON.stringify([2, 3, 7, 101])", "JSON.stringify([10, 9, 2, 5, 3, 7, 101, 18])"
    )
    same = same.replace("JSON.stringify([0, 1, 3])", "JSON.stringify([0, 1, 0, 3])")
    assert "identity_tests" in codes(dict(it, assertions=same), "reject")


def test_a_generic_class_with_fields_is_not_a_constant_solution():
    code = (
        "class ListNode<T> {\n  val: T;\n  next: ListNode<T> | null;\n"
        "  constructor(val: T, next: ListNode<T> | null = null) {\n"
        "    this.val = val;\n    this.next = next;\n  }\n}\n"
    )
    tests = (
        "const n = new ListNode<number>(1, new ListNode<number>(2));\n"
        "if (n.val !== 1) throw new Error('head');\n"
        "if (n.next === null || n.next.val !== 2) throw new Error('next');\n"
    )
    it = item(code=code, tests=tests, language="TypeScript", name="ListNode",
              text="Write a TypeScript generic class `ListNode` holding a value and the next "
              "node. Language: TypeScript")  # fmt: skip
    assert codes(it, "reject") == set()


def test_humaneval_x_java_main_with_throw_is_real_tests():
    code = (
        "import java.util.*;\n\nclass Solution {\n"
        "    public boolean hasClose(List<Double> xs, twice t) {\n"
        "        for (int i = 0; i < xs.size(); i++)\n"
        "            for (int j = i + 1; j < xs.size(); j++)\n"
        "                if (Math.abs(xs.get(i) - xs.get(j)) < t) return true;\n"
        "        return false;\n    }\n}\n"
    )
    tests = (
        "public class Main {\n    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n        List<Boolean> correct = Arrays.asList(\n"
        "                s.hasClose(Arrays.asList(1.0, 2.0, 3.9), 0.3) == false,\n"
        "                s.hasClose(Arrays.asList(1.0, 2.8, 3.0), 0.3)\n        );\n"
        "        if (correct.contains(false)) {\n            throw new AssertionError();\n"
        "        }\n        if (!(s.hasClose(Arrays.asList(1.0, 1.1), 0.5) == true)) {\n"
        "            throw new AssertionError();\n        }\n    }\n}\n"
    )
    it = item(code=code, tests=tests, language="Java", name="hasClose",
              text="Write a Java method `hasClose` telling whether two numbers of a list are "
              "closer than a threshold. Language: Java")  # fmt: skip
    assert codes(it, "reject") == set()
    assert "single_test_case" not in codes(it)


def test_mbxp_shapes_are_real_tests():
    shapes = {
        "Ruby": (
            'def add_one(n)\n  """\n  Add one.\n  """\n  return n + 1\nend\n',
            "arg00 = 1\nx0 = add_one(arg00)\nv0 = 2\nif x0 != v0\n"
            '    raise StandardError, "Error at test case 1"\nend\n',
        ),
        "PHP": (
            "<?php\nfunction add_one($n){\n    return $n + 1;\n}\n",
            "function compare($x, $y) {\n    return $x == $y;\n}\n\n$arg00 = 1;\n"
            "$x0 = add_one($arg00);\n$v0 = 2;\nif (!compare($x0, $v0)) {\n"
            '    throw new Exception("Error at 1th assert statement.");\n}\n',
        ),
        "C++": (
            "#include <bits/stdc++.h>\nusing namespace std;\nint add_one(int n) {\n"
            "    return n + 1;\n}\n",
            "template <typename T> bool compare(T a, T b){ return a == b; }\n"
            "int main(int argc, char* argv[]) {\n    int x0 = add_one(1);\n"
            '    if (!(compare(x0, 2))) {\n        throw runtime_error("test case 0");\n    }\n'
            "    return 0;\n}\n",
        ),
        "JavaScript": (
            "function add_one(n) {\n  return n + 1;\n}\n",
            'const _ = require("lodash")\nfunction compare(a, b){ return _.isEqual(a, b) }\n'
            "var arg00 = 1;\nvar x0 = add_one(arg00);\nvar v0 = 2;\n"
            "if(!compare(x0, v0)){\n    throw 'Error at 1th assert statement.'\n}\n",
        ),
        "TypeScript": (
            "import {Heap} from 'heap-js'\n\nconst add_one = function (n: number) : number {\n"
            "    return n + 1;\n}\n",
            "import * as assert from 'assert'\nlet actual_1 = add_one(1);\nlet expected_1 = 2;\n"
            'assert.deepEqual(actual_1, expected_1, "Exception --- test case 0 failed");\n',
        ),
    }
    for label, (code, tests) in shapes.items():
        prompt = code.split("return")[0]  # MBXP's prompt: the code up to the body
        it = item(code=code, tests=tests, language=label, name="add_one", text=prompt)
        assert codes(it, "reject") == set(), (label, check_item(it))


def test_humaneval_check_candidate_calls_the_function():
    tests = (
        "def check(candidate):\n    assert candidate([1, 2]) == [1, 2, 2]\n"
        "    assert candidate([]) == []\n\ncheck(running_max)\n"
    )
    it = item(tests=tests)
    assert "tests_never_call_function" not in codes(it)
    assert "trivial_tests" not in codes(it)
    identity = "def check(candidate):\n    assert candidate([3]) == [3]\n\ncheck(running_max)\n"
    assert "identity_tests" in codes(item(tests=identity), "reject")


def test_one_argument_of_several_returned_is_a_warning_not_a_reject():
    tests = "assert smaller(1, 2) == 1\nassert smaller(-5, -4) == -5\nassert smaller(0, 0) == 0\n"
    it = item(code="def smaller(a, b):\n    return a if a < b else b\n", tests=tests,
              name="smaller", text="Write a function named `smaller` that returns the smaller "
              "of two integers.")  # fmt: skip
    flags = [f for f in check_item(it) if f.code == "identity_tests"]
    assert [f.severity for f in flags] == ["warn"]
    clamp = "assert clamp(5, 0, 9) == 5\nassert clamp(-1, 0, 9) == 0\nassert clamp(15, 0, 9) == 9\n"
    it = item(code="def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n", tests=clamp,
              name="clamp", text="Write a function named `clamp` that bounds x to [lo, hi].")  # fmt: skip
    assert "identity_tests" not in codes(it)


@pytest.mark.parametrize("label", ["Kotlin", "Haskell", "C#"])
def test_a_language_without_a_grammar_gets_no_code_flag_only_info(label):
    # code and tests that a reader would reject (no check, never calls) in any language
    it = item(code="fun twice(n: Int): Int = n", tests="println(1)", language=label,
              name="twice", text=TEXT.format(label=label))  # fmt: skip
    flags = check_item(it)
    assert {f.code for f in flags} & CODE_FLAGS == set()
    assert [f.severity for f in flags if f.code == "not_analysed"] == ["info"]
    assert "tests_never_call_function" not in {f.code for f in flags}


def test_code_that_does_not_parse_is_not_analysed():
    it = make("typescript", code="function twice(n: number {{{ return", tests="if (")
    flags = check_item(it)
    assert {f.code for f in flags} & CODE_FLAGS == set()
    assert any(f.code == "not_analysed" and f.severity == "info" for f in flags)


def test_function_name_mismatch_is_raised_once_with_every_reason():
    it = make(
        "python",
        code="def dbl(n):\n    return n * 2\n",
        tests="assert dbl(1) == 2\nassert dbl(2) == 4\n",
    )
    it["query_text"] += " Name it `twice` or `times_two`."
    flags = [f for f in check_item(it) if f.code == "function_name_mismatch"]
    assert len(flags) == 1
    assert "defines `dbl`" in flags[0].message and "tests call" in flags[0].message


def test_mbxp_item_without_a_canonical_solution_is_a_warning():
    it = make("python", code="")
    it["reference_answer"] = None
    it["metadata"]["source_format"] = "mbxp"
    flags = [f for f in check_item(it) if f.code == "missing_field"]
    assert [f.severity for f in flags if "reference_answer" in f.message] == ["warn"]
    del it["metadata"]["source_format"]
    flags = [f for f in check_item(it) if f.code == "missing_field"]
    assert [f.severity for f in flags if "reference_answer" in f.message] == ["reject"]


@pytest.mark.parametrize(
    "language,tests",
    [
        ("go", 'if twice(1) != 2 { panic("one") }\nif twice(2) != 4 { panic("two") }'),
        ("java", "if (!(Solution.twice(1) == 2)) throw new AssertionError();\n"
         "if (Solution.twice(2) != 4) { throw new AssertionError(); }"),
        ("cpp", "assert(twice(1) == 2);\nif (twice(2) != 4) { throw std::runtime_error(\"x\"); }"),
        ("rust", "let a = twice(1);\nassert_eq!(a, 2);\nassert_eq!(twice(2), 4);"),
    ],
)  # fmt: skip
def test_bare_test_statements_are_read_as_a_function_body(language, tests):
    it = make(language, tests=tests)
    flags = check_item(it)
    assert [f for f in flags if f.severity != "info"] == []
    assert "not_analysed" not in {f.code for f in flags}
    constant = re.sub(r"(?:Solution\.)?twice\((\d)\)", lambda m: str(2 * int(m[1])), tests)
    assert "trivial_tests" in codes(make(language, tests=constant), "reject")


@pytest.mark.parametrize("language", ["python", "javascript", "go", "rust"])
def test_an_expression_thousands_deep_is_read_without_raising(language):
    terms = " + ".join(["1"] * 3000)
    tests = {
        "python": f"assert twice(1) == {terms}\nassert twice(2) == 4\n",
        "javascript": f"if (twice(1) !== {terms}) throw new Error('x');\n"
        "if (twice(2) !== 4) throw new Error('y');\n",
        "go": f'if twice(1) != {terms} {{ panic("x") }}\nif twice(2) != 4 {{ panic("y") }}\n',
        "rust": f"assert_eq!(twice(1), {terms});\nassert_eq!(twice(2), 4);\n",
    }[language]
    flags = check_item(make(language, tests=tests))
    assert "trivial_tests" not in {f.code for f in flags}
