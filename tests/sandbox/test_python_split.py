"""The tests run in a trusted harness process, the solution in a process of its own:
what crosses between them behaves as one interpreter would for honest items, and
gives a wrong solution nothing to forge with."""

from __future__ import annotations

import pytest

import sandbox


def run(solution: str, tests: str) -> sandbox.RunResult:
    return sandbox.run("python", solution, tests, timeout=10)


def messages(result: sandbox.RunResult) -> list[str]:
    return [f"{t.status}: {t.name}: {t.message}" for t in result.tests]


@pytest.mark.parametrize(
    ("solution", "tests"),
    [
        (  # in-place mutation of a plain argument is seen by the tests
            "def sort_inplace(a):\n    a.sort()\n",
            "a = [3, 1, 2]\nsort_inplace(a)\nassert a == [1, 2, 3]\n",
        ),
        (
            "def fill(d, s):\n    d['k'] = 1\n    s.add(2)\n",
            "d, s = {}, set()\nfill(d, s)\nassert d == {'k': 1} and s == {2}\n",
        ),
        (  # generators iterate across
            "def count_up(n):\n    i = 0\n    while i < n:\n        yield i\n        i += 1\n",
            "assert list(count_up(3)) == [0, 1, 2]\n"
            "g = count_up(2)\nassert next(g) == 0\nassert sum(count_up(4)) == 6\n",
        ),
        (  # builtin exceptions are caught as themselves
            "def parse(s):\n    if not s.isdigit():\n        raise ValueError('not a number')\n"
            "    return int(s)\n",
            "try:\n    parse('x')\n    assert False\nexcept ValueError as e:\n    assert 'number' in str(e)\n"
            "import pytest\ndef test_raises():\n    with pytest.raises(ValueError, match='number'):\n"
            "        parse('y')\n",
        ),
        (  # the solution's own exception classes, by name and by base
            "class EmptyError(LookupError):\n    pass\n"
            "def first(xs):\n    if not xs:\n        raise EmptyError('empty')\n    return xs[0]\n",
            "import pytest\n"
            "def test_own():\n    with pytest.raises(EmptyError):\n        first([])\n"
            "def test_base():\n    with pytest.raises(LookupError):\n        first([])\n"
            "def test_value():\n    assert first([4]) == 4\n",
        ),
        (  # classes: construct, call methods, isinstance, compare by fields
            "from dataclasses import dataclass\n"
            "@dataclass\nclass Point:\n    x: int\n    y: int\n"
            "    def moved(self, dx):\n        return Point(self.x + dx, self.y)\n"
            "class Stack:\n    def __init__(self):\n        self.items = []\n"
            "    def push(self, v):\n        self.items.append(v)\n"
            "    def pop(self):\n        return self.items.pop()\n"
            "    def __len__(self):\n        return len(self.items)\n",
            "p = Point(1, 2)\nassert p.moved(2) == Point(3, 2)\nassert p.x == 1\n"
            "assert isinstance(p, Point)\nassert type(p).__name__ == 'Point'\n"
            "s = Stack()\ns.push(1)\ns.push(2)\nassert len(s) == 2\nassert s.pop() == 2\n",
        ),
        (  # a callback the tests hand over runs in the harness
            "def apply(fn, xs):\n    return [fn(x) for x in xs]\n",
            "assert apply(lambda v: v * 2, [1, 2]) == [2, 4]\n",
        ),
        (  # objects of the tests' classes reach the solution as handles
            "def depth(node):\n    if node is None:\n        return 0\n"
            "    return 1 + max(depth(node.left), depth(node.right))\n",
            "class Node:\n    def __init__(self, left=None, right=None):\n"
            "        self.left, self.right = left, right\n"
            "assert depth(Node(Node(Node()), Node())) == 3\n",
        ),
        (  # named tuples keep their fields; a module the tests rely on is the harness's own
            "import math\nfrom collections import namedtuple\n"
            "Pair = namedtuple('Pair', 'lo hi')\n"
            "def bounds(xs):\n    return Pair(min(xs), max(xs))\n"
            "def area(r):\n    return math.pi * r * r\n",
            "assert bounds([3, 1, 2]).hi == 3\nassert bounds([1]) == (1, 1)\n"
            "assert math.isclose(area(1), 3.14159, rel_tol=1e-4)\n",
        ),
        (  # `from solution import ...` names the solution's process
            "def add(a, b):\n    return a + b\n",
            "from solution import add as plus\nassert plus(1, 2) == 3\n",
        ),
        (  # async functions of the solution are awaited across
            "async def later(x):\n    return x + 1\n",
            "async def test_later():\n    assert await later(1) == 2\n",
        ),
    ],
)
def test_honest_items_pass_across_the_process_boundary(solution: str, tests: str) -> None:
    result = run(solution, tests)
    assert result.status == "pass", messages(result)


def test_a_wrong_in_place_sort_fails() -> None:
    result = run(
        "def sort_inplace(a):\n    a.reverse()\n",
        "a = [3, 1, 2]\nsort_inplace(a)\nassert a == [1, 2, 3]\n",
    )
    assert result.status == "fail"
    assert "got [2, 1, 3]" in result.tests[0].message


def test_expected_values_computed_by_the_tests_never_reach_the_solution() -> None:
    # The solution looks for the tests' `expected`, `want` and `ref` in every frame
    # above its call and in every object of its heap: they are not in its process.
    solution = (
        "import gc, sys\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        for name in ('expected', 'want'):\n"
        "            if name in f.f_globals:\n"
        "                return f.f_globals[name]\n"
        "            if name in f.f_locals:\n"
        "                return f.f_locals[name]\n"
        "        f = f.f_back\n"
        "    for o in gc.get_objects():\n"
        "        if isinstance(o, dict) and 'expected' in o:\n"
        "            return o['expected']\n"
        "    return -1\n"
    )
    tests = (
        "expected = 3\nassert add(1, 2) == expected\n"
        "for a, b, want in [(2, 2, 4)]:\n    assert add(a, b) == want\n"
        "def ref(a, b):\n    return a + b\nassert add(5, 5) == ref(5, 5)\n"
    )
    result = run(solution, tests)
    assert result.status == "fail" and result.passed == 0, messages(result)


def test_a_solution_object_is_never_handed_the_expected_value() -> None:
    solution = (
        "class Any:\n"
        "    def __eq__(self, o): return True\n"
        "    def __contains__(self, o): return True\n"
        "    def __le__(self, o): return True\n"
        "    def __sub__(self, o): return 0\n"
        "    def __iter__(self): return iter([])\n"
        "def f(x):\n    return Any()\n"
    )
    tests = (
        "want = [1, 2]\nassert all(f(0) == w for w in [want])\n"
        "assert all(v in f(0) for v in want)\n"
        "assert f(0) <= want[0]\n"
        "assert abs(f(0) - 3) < 1e-9\n"
    )
    result = run(solution, tests)
    assert result.passed == 0, messages(result)


def test_patched_builtins_and_modules_stay_in_the_solutions_process() -> None:
    solution = (
        "import builtins, math\n"
        "math.isclose = lambda *a, **k: True\n"
        "builtins.all = lambda *a: True\n"
        "def sorted_ok(xs):\n    return False\n"
        "def area(r):\n    return 0.0\n"
    )
    tests = (
        "assert all(sorted_ok(x) for x in [1, 2])\n"
        "assert math.isclose(area(1), 3.14159, rel_tol=1e-3)\n"
    )
    result = run(solution, tests)
    assert result.status == "fail" and result.passed == 0, messages(result)


def test_an_exception_of_the_solution_named_like_a_skip_is_no_skip() -> None:
    solution = "class SkipTest(Exception):\n    pass\ndef add(a, b):\n    raise SkipTest('later')\n"
    tests = (
        "import pytest\n@pytest.mark.skipif(False, reason='never')\n"
        "def test_add():\n    assert add(1, 2) == 3\n"
    )
    result = run(solution, tests)
    assert result.status != "pass"
    assert result.tests[0].status != "skipped", messages(result)


def test_a_missing_package_of_the_solution_is_unsupported() -> None:
    result = run("import assay_no_such_pkg\ndef f():\n    return 1\n", "assert f() == 1\n")
    assert result.status == "unsupported"
    assert result.reason == "needs the Python package assay_no_such_pkg"
    lazy = run("def f():\n    import assay_no_such_pkg\n    return 1\n", "assert f() == 1\n")
    assert lazy.status == "unsupported", lazy.reason


def test_the_solution_ending_its_process_mid_test_is_an_error() -> None:
    result = run("import os\ndef add(a, b):\n    os._exit(0)\n", "assert add(1, 2) == 3\n")
    assert result.status in ("error", "fail")
    assert result.passed == 0
