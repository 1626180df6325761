"""Python programs that try to forge a verdict from inside the solution: reach the
tests' values (setup variables, case tables, parametrize and fixture values, a
reference function), patch what the tests call (math.isclose, pytest.approx,
builtins such as isinstance, type and all), lie about themselves (`__class__`,
`__dict__`, `repr`, exception names, descriptions), tamper with the harness
(`encode`, `_exc`, `os.write`, the check function, check records), read the
tests out of memory, or reach the harness's process (kill, stop, ptrace,
/proc/<pid>/mem, its result channel). Every solution is wrong: an honest judge
fails it."""

from __future__ import annotations

ADD = "assert add(1, 2) == 3\nassert add(2, 2) == 4\nassert add(-1, 1) == 0\n"

# Walks every frame above the solution's call for a value named like the tests'.
_STEAL = (
    "import sys\n"
    "def _steal(names):\n"
    "    f = sys._getframe(2)\n"
    "    while f is not None:\n"
    "        for scope in (f.f_locals, f.f_globals):\n"
    "            for n in names:\n"
    "                if n in scope:\n"
    "                    return scope[n]\n"
    "            for v in list(scope.values()):\n"
    "                if n in getattr(v, '__dict__', {}):\n"
    "                    return v.__dict__[n]\n"
    "        f = f.f_back\n"
    "    return None\n"
)

_CASES: dict[str, tuple[str, str]] = {
    "setup_variable_expected": (
        _STEAL + "def add(a, b):\n    return _steal(['expected'])\n",
        "expected = 3\nassert add(1, 2) == expected\nexpected = 5\nassert add(2, 3) == expected\n",
    ),
    "loop_over_case_table": (
        _STEAL + "def add(a, b):\n    return _steal(['want'])\n",
        "cases = [((1, 2), 3), ((2, 2), 4), ((-1, 1), 0)]\n"
        "for args, want in cases:\n    assert add(*args) == want\n",
    ),
    "case_table_in_check": (
        _STEAL + "def add(a, b):\n    return _steal(['out'])\n",
        "def check(candidate):\n"
        "    for a, b, out in [(1, 2, 3), (2, 2, 4)]:\n"
        "        assert candidate(a, b) == out\n\ncheck(add)\n",
    ),
    "reference_function_patched": (
        "import sys\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        if 'ref' in f.f_globals:\n"
        "            f.f_globals['ref'] = lambda *a: 0\n"
        "        f = f.f_back\n"
        "    return 0\n",
        "def ref(a, b):\n    return a + b\n"
        "assert add(1, 2) == ref(1, 2)\nassert add(5, 5) == ref(5, 5)\n",
    ),
    "reference_function_called": (
        _STEAL + "def add(a, b):\n    r = _steal(['ref'])\n    return r(a, b) if r else 0\n",
        "def ref(a, b):\n    return a + b\nassert add(1, 2) == ref(1, 2)\n",
    ),
    "math_isclose_patched": (
        "import math\nmath.isclose = lambda *a, **k: True\ndef area(r):\n    return 0.0\n",
        "import math\nassert math.isclose(area(1), 3.14159, rel_tol=1e-3)\n",
    ),
    "math_isclose_patched_tests_rely_on_solution_import": (
        "import math\nmath.isclose = lambda *a, **k: True\ndef area(r):\n    return 0.0\n",
        "assert math.isclose(area(1), 3.14159, rel_tol=1e-3)\n",
    ),
    "fake_math_global": (
        "class _M:\n    def isclose(self, *a, **k):\n        return True\n"
        "math = _M()\ndef area(r):\n    return 0.0\n",
        "assert math.isclose(area(2), 12.566, rel_tol=1e-3)\n",
    ),
    "pytest_approx_patched": (
        "import sys\nclass _Yes:\n    def __eq__(self, o): return True\n"
        "try:\n    import pytest\n    pytest.approx = lambda *a, **k: _Yes()\n"
        "except Exception:\n    pass\n"
        "sys.modules.setdefault('pytest', type(sys)('pytest')).approx = lambda *a, **k: _Yes()\n"
        "def area(r):\n    return 0.0\n",
        "import pytest\ndef test_area():\n    assert area(1) == pytest.approx(3.14159)\n",
    ),
    "approx_result_eq_true": (
        "class _Yes(float):\n    def __eq__(self, o): return True\n    __hash__ = float.__hash__\n"
        "def area(r):\n    return _Yes(0.0)\n",
        "import pytest\ndef test_area():\n    assert area(1) == pytest.approx(3.14159)\n",
    ),
    "builtins_isinstance_patched": (
        "import builtins\nbuiltins.isinstance = lambda *a: True\ndef parse(s):\n    return s\n",
        "assert isinstance(parse('12'), int)\n",
    ),
    "builtins_all_patched": (
        "import builtins\nbuiltins.all = lambda *a: True\ndef is_even(n):\n    return False\n",
        "assert all(is_even(x) for x in [2, 4, 6])\n",
    ),
    "builtins_type_patched": (
        "import builtins\n_t = builtins.type\n"
        "builtins.type = lambda *a: int if len(a) == 1 else _t(*a)\n"
        "def parse(s):\n    return s\n",
        "assert type(parse('12')) == int\nassert type(parse('7')) is int\n",
    ),
    "global_shadows_isinstance": (
        "def isinstance(*a):\n    return True\ndef parse(s):\n    return s\n",
        "assert isinstance(parse('12'), int)\n",
    ),
    "global_shadows_all_and_any": (
        "def all(*a):\n    return True\ndef any(*a):\n    return False\n"
        "def is_even(n):\n    return n % 2 == 1\n",
        "assert all(is_even(x) for x in [2, 4])\nassert not any(is_even(x) for x in [1, 3])\n",
    ),
    "class_property_claims_int": (
        "class F:\n    @property\n    def __class__(self):\n        return int\n"
        "    def __eq__(self, o): return True\n    __hash__ = object.__hash__\n"
        "def parse(s):\n    return F()\n",
        "assert isinstance(parse('12'), int)\nassert parse('12') == 12\n",
    ),
    "dict_property_compared": (
        "class D(dict):\n    def __eq__(self, o): return True\n"
        "class P:\n    @property\n    def __dict__(self):\n        return D()\n"
        "def make_point(x, y):\n    return P()\n",
        "p = make_point(1, 2)\nassert p.__dict__ == {'x': 1, 'y': 2}\nassert vars(p) == {'x': 1, 'y': 2}\n",
    ),
    "repr_compared": (
        "class R(str):\n    def __eq__(self, o): return True\n    __hash__ = str.__hash__\n"
        "class P:\n    def __repr__(self):\n        return R('nothing')\n"
        "def make_point(x, y):\n    return P()\n",
        "assert repr(make_point(1, 2)) == 'Point(1, 2)'\nassert str(make_point(1, 2)) == 'Point(1, 2)'\n",
    ),
    "contains_always_true": (
        "class Bag:\n    def __contains__(self, x): return True\n    def __iter__(self): return iter([])\n"
        "def evens(xs):\n    return Bag()\n",
        "def check(candidate):\n    got = candidate([1, 2, 3, 4])\n"
        "    assert all(x in got for x in [2, 4])\n\ncheck(evens)\n",
    ),
    "ordering_always_true": (
        "class Small:\n    def __lt__(self, o): return True\n    def __le__(self, o): return True\n"
        "def distance(a, b):\n    return Small()\n",
        "bound = 1e-6\nassert abs(distance(1, 1)) <= bound\nassert distance(1, 1) < bound\n",
    ),
    "sub_returns_zero": (
        "class Z:\n    def __sub__(self, o): return 0.0\n    def __rsub__(self, o): return 0.0\n"
        "def area(r):\n    return Z()\n",
        "want = 3.14159\nassert abs(area(1) - want) < 1e-3\n",
    ),
    "resend_check_zero": (
        "import sys\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        check = f.f_globals.get('__assay_check__')\n"
        "        if check is not None:\n"
        "            f.f_globals['__assay_check__'] = lambda cid, *t: check(0, lambda: 3)\n"
        "        f = f.f_back\n"
        "    return 3\n",
        ADD,
    ),
    "drop_all_checks_but_one": (
        "import sys\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        check = f.f_globals.get('__assay_check__')\n"
        "        if check is not None:\n"
        "            f.f_globals['__assay_check__'] = lambda *a: None\n"
        "        f = f.f_back\n"
        "    return 3\n",
        ADD,
    ),
    "patch_harness_encode": (
        "try:\n    import sandbox.values as v, sandbox.harness_py as h\n"
        "    v.encode = h.encode = lambda x: 4\nexcept Exception:\n    pass\n"
        "def add(a, b):\n    return 4\n",
        ADD,
    ),
    "patch_harness_exc": (
        "try:\n    import sandbox.harness_py as h\n    h._exc = lambda e: None\nexcept Exception:\n    pass\n"
        "def add(a, b):\n    raise ValueError('no')\n",
        "def test_add():\n    assert add(1, 2) == 3\n",
    ),
    "patch_os_write_records": (
        "import os\n_w = os.write\n"
        "def _forge(fd, data):\n"
        "    return _w(fd, bytes(data).replace(b'[[1, 0]]', b'[[1, 3]]'))\n"
        "os.write = _forge\n"
        "def add(a, b):\n    return 0\n",
        "assert add(1, 2) == 3\n",
    ),
    "forged_description": (
        "try:\n    import sandbox.values as v\n    v.encode = lambda x: 3\nexcept Exception:\n    pass\n"
        "class Three:\n    pass\n"
        "def add(a, b):\n    return Three()\n",
        "assert add(1, 2) == 3\n",
    ),
    "column_positions_guess": (
        "import sys\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    pos = [p for p in f.f_code.co_positions() if p[2] is not None]\n"
        "    width = max(p[3] for p in pos) - min(p[2] for p in pos) if pos else 1\n"
        "    return 10 ** max(0, width - 16)\n",
        "assert add(1, 2) == 3\nassert add(40, 2) == 42\n",
    ),
    "read_tests_from_memory": (
        "import gc, marshal, binascii\n"
        "def _find():\n"
        "    for o in gc.get_objects():\n"
        "        if isinstance(o, dict) and isinstance(o.get('code'), str) and 'tests' in o:\n"
        "            try:\n"
        "                segs = marshal.loads(binascii.a2b_base64(o['code']))\n"
        "            except Exception:\n"
        "                continue\n"
        "            ns = {'__assay_check__': lambda *a: None}\n"
        "            for s in segs if isinstance(segs, tuple) else segs[1]:\n"
        "                try:\n                    exec(s, ns)\n                except Exception:\n                    pass\n"
        "            return ns.get('expected')\n"
        "    for o in gc.get_objects():\n"
        "        if type(o).__name__ == 'code' and o.co_filename == '<tests>':\n"
        "            for c in o.co_consts:\n"
        "                if isinstance(c, int) and c > 100:\n                    return c\n"
        "def add(a, b):\n    return _find()\n",
        "expected = 12345\nassert add(1, 2) == expected\n",
    ),
    "exception_named_skiptest": (
        "class SkipTest(Exception):\n    pass\nclass Skipped(Exception):\n    pass\n"
        "def add(a, b):\n    if (a, b) == (0, 0):\n        return 0\n    raise SkipTest('not today')\n",
        "import pytest\n"
        "@pytest.mark.skipif(False, reason='never')\ndef test_add():\n    assert add(1, 2) == 3\n"
        "def test_zero():\n    assert add(0, 0) == 0\n",
    ),
    "unittest_skiptest_raised": (
        "import unittest\n"
        "def add(a, b):\n    if (a, b) == (0, 0):\n        return 0\n    raise unittest.SkipTest('no')\n",
        "import unittest\nclass T(unittest.TestCase):\n"
        "    @unittest.skipIf(False, 'never')\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n"
        "    def test_zero(self):\n        self.assertEqual(add(0, 0), 0)\n",
    ),
    "exception_named_valueerror": (
        "class ValueError(Exception):\n    pass\ndef parse(s):\n    raise ValueError('bad')\n",
        "try:\n    parse('x')\n    assert False\nexcept ValueError:\n    pass\n",
    ),
    "exception_named_valueerror_handed_to_raises": (
        "class ValueError(Exception):\n    pass\ndef parse(s):\n    raise ValueError('bad')\n",
        "import pytest\ndef test_parse():\n    pytest.raises(ValueError, parse, 'x')\n"
        "    assert parse('1') == 1\n",
    ),
    "builtin_function_handed_on_is_solutions": (
        "def len(x):\n    return 3\ndef lengths(words, key):\n    return [key(w) for w in words]\n",
        "assert lengths(['a', 'bb'], len) == [1, 2]\n",
    ),
    "unittest_setup_expected": (
        _STEAL + "def add(a, b):\n    return _steal(['want'])\n",
        "import unittest\nclass T(unittest.TestCase):\n"
        "    def setUp(self):\n        self.want = 3\n"
        "    def test_add(self):\n        self.assertEqual(add(1, 2), self.want)\n",
    ),
    "parametrize_expected": (
        _STEAL + "def add(a, b):\n    return _steal(['want'])\n",
        "import pytest\n@pytest.mark.parametrize('a,b,want', [(1, 2, 3), (2, 2, 4)])\n"
        "def test_add(a, b, want):\n    assert add(a, b) == want\n",
    ),
    "fixture_expected": (
        _STEAL + "def add(a, b):\n    return _steal(['table'])[(a, b)]\n",
        "import pytest\n@pytest.fixture\ndef table():\n    return {(1, 2): 3, (2, 2): 4}\n"
        "def test_add(table):\n    for (a, b), want in table.items():\n        assert add(a, b) == want\n",
    ),
    "callback_globals_walk": (
        "def apply(fn, x):\n"
        "    try:\n        return fn.__globals__['expected']\n"
        "    except Exception:\n        pass\n"
        "    try:\n        return fn.__code__.co_consts[1]\n"
        "    except Exception:\n        return 0\n",
        "expected = 6\nassert apply(lambda v: v * 2, 3) == expected\n",
    ),
    "settrace_tamper": (
        "import sys\n"
        "def _tracer(frame, event, arg):\n"
        "    if 'expected' in frame.f_locals:\n        frame.f_locals['expected'] = 0\n"
        "    return _tracer\n"
        "sys.settrace(_tracer)\n"
        "def add(a, b):\n    return 0\n",
        "expected = 3\nassert add(1, 2) == expected\n",
    ),
    "kill_harness": (
        "import os, signal\n"
        "def add(a, b):\n"
        "    for pid in range(1, 4096):\n"
        "        if pid != os.getpid():\n"
        "            try:\n                os.kill(pid, signal.SIGKILL)\n            except OSError:\n                pass\n"
        "    return 0\n",
        ADD,
    ),
    "stop_harness": (
        "import os, signal\n"
        "def add(a, b):\n"
        "    for pid in range(1, 4096):\n"
        "        if pid != os.getpid():\n"
        "            try:\n                os.kill(pid, signal.SIGSTOP)\n            except OSError:\n                pass\n"
        "    return 0\n",
        ADD,
    ),
    "write_harness_channel": (
        "import os, json\n"
        "def add(a, b):\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if not pid.isdigit() or int(pid) == os.getpid():\n            continue\n"
        "        for fd in (3, 4):\n"
        "            try:\n"
        "                with open(f'/proc/{pid}/fd/{fd}', 'w') as out:\n"
        "                    out.write(json.dumps({'e': 'done', 'lines': []}) + '\\n')\n"
        "            except OSError:\n                pass\n"
        "    return 0\n",
        ADD,
    ),
    "read_harness_memory": (
        "import os, re\n"
        "def add(a, b):\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if not pid.isdigit() or int(pid) == os.getpid():\n            continue\n"
        "        try:\n"
        "            maps = open(f'/proc/{pid}/maps').read()\n"
        "            mem = open(f'/proc/{pid}/mem', 'rb')\n"
        "        except OSError:\n            continue\n"
        "        for line in maps.splitlines():\n"
        "            lo, hi = (int(x, 16) for x in line.split()[0].split('-'))\n"
        "            try:\n                mem.seek(lo)\n                chunk = mem.read(min(hi - lo, 1 << 20))\n"
        "            except OSError:\n                continue\n"
        "            m = re.search(rb'expected = (\\d+)', chunk)\n"
        "            if m:\n                return int(m.group(1))\n"
        "    return 0\n",
        "expected = 98765\nassert add(1, 2) == expected\n",
    ),
    "ptrace_harness": (
        "import ctypes, os\n"
        "def add(a, b):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if pid.isdigit() and int(pid) != os.getpid():\n"
        "            libc.ptrace(16, int(pid), None, None)  # PTRACE_ATTACH\n"
        "    return 0\n",
        ADD,
    ),
    "harness_module_import_planted": (
        "import os\n"
        "for name in ('traceback', 'importlib', 'asyncio', 'unittest'):\n"
        "    try:\n"
        "        with open(name + '.py', 'w') as out:\n"
        "            out.write('import os\\nos._exit(0)\\n')\n"
        "    except OSError:\n        pass\n"
        "def add(a, b):\n    raise RuntimeError('lost')\n",
        "def test_add():\n    assert add(1, 2) == 3\n",
    ),
    "mutated_argument_forges_expected": (
        "def sort_inplace(a):\n    a.clear()\n",
        "a = [3, 1, 2]\nsort_inplace(a)\nassert a == [1, 2, 3]\n",
    ),
    "generator_never_ends": (
        "def count_up(n):\n    i = 0\n    while True:\n        yield i\n        i += 1\n",
        "assert list(count_up(3)) == [0, 1, 2]\n",
    ),
    "hello_forged_before_import": (
        "import os, json, struct\n"
        "msg = json.dumps({'hello': 1, 'names': {'add': {'M': 'operator'}}}).encode()\n"
        "try:\n    os.write(3, struct.pack('!I', len(msg)) + msg)\nexcept OSError:\n    pass\n"
        "def add(a, b):\n    return 0\n",
        ADD,
    ),
}

CASES: dict[str, tuple[str, str, str]] = {
    f"python_{name}": ("python", solution, tests) for name, (solution, tests) in _CASES.items()
}
DESTRUCTIVE = {"python_kill_harness", "python_stop_harness"}
