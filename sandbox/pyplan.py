"""Python items, parent side: plan the tests, then judge the records the child sent.

Every ``assert`` in the tests is rewritten into a call that evaluates the
non-literal parts in the child and sends them as plain data. Literal expected
values (``== [1, 2, 3]``) never leave the parent, so the child cannot learn what
to forge, and the comparison itself runs here, never in user code. unittest's
``self.assertEqual(a, b)`` and friends, and ``pytest.approx``, are rewritten the
same way.

Test shapes: bare top-level statements holding asserts (one test each); calls of
a function of the tests that asserts, such as HumanEval's ``check(candidate)``
(one test per assert evaluated, named by its source); ``def test_*`` functions
(pytest parametrize, fixtures, raises, skip marks: the child's pytest shim);
``unittest.TestCase`` and pytest ``Test*`` classes (one test per method).

What counts as an assertion: an ``assert`` whose condition is not a literal (an
``assert True`` placeholder is none; reaching ``assert False``, ``raise
AssertionError``, ``pytest.fail`` or ``self.fail`` is a failed one, even when the
test catches it), a unittest ``self.assert*`` call, a ``pytest.raises``/``warns``
or ``self.assertRaises`` block or call that completed, and reaching an ``except``
handler of a ``try`` whose body fails if nothing is raised (the expected-exception
idiom). A test that evaluated none is an error, never a pass.
"""

from __future__ import annotations

import ast
import base64
import builtins
import json
import marshal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TypeGuard, cast

from sandbox.harness_py import CHECK_FN, PRELOADABLE, SOLUTION_FILE, TESTS_FILE
from sandbox.result import RunResult, TestResult, clip
from sandbox.values import (
    COMPARE_OPS,
    Approx,
    UntrustedTruth,
    almost_equal,
    count_equal,
    decode,
    show,
    truth,
)

_FAIL_EXCEPTIONS = {"AssertionError", "Failed"}  # Failed: pytest.fail / pytest.raises
_SKIP_EXCEPTIONS = {"Skipped", "SkipTest"}
NO_ASSERTION = "no assertion was evaluated"

# Import names whose PyPI distribution is called something else.
PYPI_NAMES = {
    "attr": "attrs",
    "Bio": "biopython",
    "bs4": "beautifulsoup4",
    "bson": "pymongo",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "discord": "discord.py",
    "docx": "python-docx",
    "dotenv": "python-dotenv",
    "faiss": "faiss-cpu",
    "fitz": "PyMuPDF",
    "gi": "PyGObject",
    "git": "GitPython",
    "github": "PyGithub",
    "jose": "python-jose",
    "jwt": "PyJWT",
    "kafka": "kafka-python",
    "magic": "python-magic",
    "mpl_toolkits": "matplotlib",
    "multipart": "python-multipart",
    "MySQLdb": "mysqlclient",
    "nacl": "PyNaCl",
    "OpenSSL": "pyOpenSSL",
    "osgeo": "GDAL",
    "PIL": "Pillow",
    "pkg_resources": "setuptools",
    "pptx": "python-pptx",
    "serial": "pyserial",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "slugify": "python-slugify",
    "socketio": "python-socketio",
    "telegram": "python-telegram-bot",
    "usb": "pyusb",
    "websocket": "websocket-client",
    "win32api": "pywin32",
    "yaml": "PyYAML",
    "zmq": "pyzmq",
}


class Unparsable(Exception):
    """The solution or the tests are not valid Python."""


@dataclass
class Check:
    """One rewritten assertion: an expression tree over leaves the child evaluates."""

    source: str
    tree: Any
    leaves: int


@dataclass
class TestSpec:
    """One test as planned. ``kind``: "statement" (top-level code holding asserts),
    "calls" (a top-level call of an asserting function: one result per assert),
    "function" (a test function or method, run by the harness), "uncalled" (an
    asserting function nothing calls: an error, nothing runs)."""

    name: str
    kind: str
    asserts: int  # assertion sites inside
    cases: int | None = 1  # runs a function test reports (parameter sets); None: any >= 1
    may_skip: bool = False  # the test holds a skip or xfail mark: a skip is believed
    needs_assertion: bool = False  # Python tests: evaluating no assertion is an error
    # Checks a run that returned normally must have evaluated: the top-level asserts
    # of a test function (or a called check()) that cannot return early.
    required: frozenset[int] = frozenset()


@dataclass
class PythonPlan:
    payload: dict[str, Any]  # what the child receives: no literal expected values
    tests: list[TestSpec]
    checks: dict[int, Check]
    executable_lines: set[int] = field(default_factory=set)


# CPython 3.11 can fail ast.parse/compile run from several threads at once ("AST
# constructor recursion depth mismatch"): every parse of a process that runs run_many
# (its threads plan here; core's checks parse in the caller's thread) holds this lock.
PARSING = threading.RLock()


def plan(solution: str, tests: str, function_name: str | None = None) -> PythonPlan:
    """Parse and rewrite an item; raise `Unparsable` with a readable reason."""
    with PARSING:
        made = _plan(solution, tests)
    bound = set(made.payload.get("bind_builtins", ()))
    if function_name and function_name in _BUILTIN_FUNCTIONS:
        bound.add(function_name)
    if bound:
        made.payload["bind_builtins"] = sorted(bound)
    return made


# Builtins a solution may define for the tests under the same name: functions only.
_BUILTIN_FUNCTIONS = {n for n in dir(builtins) if not isinstance(getattr(builtins, n), type)}


def _plan(solution: str, tests: str) -> PythonPlan:
    """Parse and rewrite an item; raise `Unparsable` with a readable reason."""
    try:
        code = compile(solution, SOLUTION_FILE, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise Unparsable(f"solution: {_syntax_message(exc)}") from exc
    try:
        module = ast.parse(tests, TESTS_FILE)
        compile(module, TESTS_FILE, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise Unparsable(f"tests: {_syntax_message(exc)}") from exc
    return _Planner(tests, module).plan(code)


def _syntax_message(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"{exc.msg} (line {exc.lineno})"
    return str(exc)


def _lines_of(code: Any) -> set[int]:
    lines = {line for _, _, line in code.co_lines() if line is not None}
    for const in code.co_consts:
        if hasattr(const, "co_lines"):
            lines |= _lines_of(const)
    return lines


_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_Located = ast.stmt | ast.expr | ast.excepthandler  # the nodes that carry source positions
_PRELOAD_WORDS = (("pathlib", "tmp_path"), ("pathlib", "tmpdir"), ("asyncio", "async def"))
_SKIP_NAMES = {"skip", "skipif", "xfail", "importorskip", "skipTest", "skipIf", "skipUnless"}
_SKIP_NAMES |= {"SkipTest", "expectedFailure"}


def _is_main_guard(stmt: ast.stmt) -> TypeGuard[ast.If]:
    """`if __name__ == "__main__":`: the tests' own entry point, run as top level."""
    test = stmt.test if isinstance(stmt, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _names_loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _attribute_names(node: ast.AST) -> set[str]:
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            found.add(n.attr)
        elif isinstance(n, ast.Name):
            found.add(n.id)
    return found


def _is_test_class(stmt: ast.ClassDef, known: set[str]) -> bool:
    for base in stmt.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("TestCase") or name in known:
            return True
    has_init = any(isinstance(n, _FUNCTION_DEFS) and n.name == "__init__" for n in stmt.body)
    return stmt.name.startswith("Test") and not has_init  # pytest collects no class with __init__


def _parametrize_count(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """Parameter sets of a test from its `parametrize` marks, if the parent can count them."""
    count = 1
    for deco in fn.decorator_list:
        if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
            continue
        if deco.func.attr != "parametrize":
            continue
        values = deco.args[1] if len(deco.args) > 1 else None
        for kw in deco.keywords:
            if kw.arg == "argvalues":
                values = kw.value
        if not isinstance(values, ast.List | ast.Tuple) or any(
            isinstance(e, ast.Starred) for e in values.elts
        ):
            return None
        count *= len(values.elts)
    return count


class _Planner:
    def __init__(self, tests: str, module: ast.Module) -> None:
        body: list[ast.stmt] = []
        for stmt in module.body:  # the tests' own `__main__` block is part of their top level
            body.extend(stmt.body if _is_main_guard(stmt) and not stmt.orelse else [stmt])
        self.body = body
        pytest_names = {
            alias.asname or alias.name
            for stmt in body
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "pytest"
            for alias in stmt.names
        }
        self.rewriter = _AssertRewriter(tests.splitlines(), pytest_names)
        # Cheap text tests first: most items have no skip mark and no await, and the
        # AST walks that would find them doubled the planning time.
        self.rewriter.eager_possible = any(w in tests for w in ("await", "yield", ":="))
        self.skips_possible = any(w in tests for w in _SKIP_NAMES)
        self.text = tests

    def plan(self, code: Any) -> PythonPlan:
        rewriter = self.rewriter
        rewritten: list[tuple[ast.stmt, list[ast.stmt], int]] = []
        for stmt in self.body:
            before = len(rewriter.checks)
            new = rewriter.visit(stmt)
            new = new if isinstance(new, list) else [new]
            rewritten.append((stmt, new, len(rewriter.checks) - before))

        functions = {s.name: s for s, _, _ in rewritten if isinstance(s, _FUNCTION_DEFS)}
        direct = {s.name for s, _, n in rewritten if n and isinstance(s, _FUNCTION_DEFS)}
        refs = {name: _names_loaded(fn) - {name} for name, fn in functions.items()}
        asserting = set(direct)
        grew = True
        while grew:  # functions that assert, or call one that does
            more = {name for name, r in refs.items() if r & asserting} - asserting
            asserting |= more
            grew = bool(more)
        collected = {n for n in functions if n.startswith("test")}
        self.param_fixtures = {
            name
            for name, fn in functions.items()
            for deco in fn.decorator_list
            if isinstance(deco, ast.Call) and any(k.arg == "params" for k in deco.keywords)
        }
        used: set[str] = set()  # names the tests refer to, a function's own recursion aside
        for stmt, _, _ in rewritten if direct - collected else ():
            if isinstance(stmt, _FUNCTION_DEFS) and functions.get(stmt.name) is stmt:
                used |= refs[stmt.name]
            else:
                used |= _names_loaded(stmt)
        test_classes: set[str] = set()

        specs: list[TestSpec] = []
        segments: list[Any] = []
        tests_of_segments: list[int | None] = []
        runs: list[list[Any]] = []
        preload: list[str] = []
        for stmt, new, asserts in rewritten:
            test_index = None
            may_skip = self.skips_possible and bool(_attribute_names(stmt) & _SKIP_NAMES)
            if isinstance(stmt, _FUNCTION_DEFS) and stmt.name in collected:
                runs.append([len(specs), None, stmt.name])
                specs.append(self._function_spec(stmt.name, stmt, asserts, may_skip))
            elif isinstance(stmt, ast.ClassDef) and _is_test_class(stmt, test_classes):
                test_classes.add(stmt.name)
                for method in self._test_methods(stmt, rewritten):
                    runs.append([len(specs), stmt.name, method.name])
                    name = f"{stmt.name}.{method.name}"
                    specs.append(self._function_spec(name, method, asserts, may_skip))
                if any("TestCase" in ast.unparse(b) for b in stmt.bases):
                    preload.append("unittest")
            elif isinstance(stmt, (*_FUNCTION_DEFS, ast.ClassDef)):
                pass  # setup: a definition runs nothing
            elif self._calls_a_test(stmt, collected):
                continue  # the harness runs collected tests itself, once
            else:
                calls = _names_loaded(stmt) & asserting if asserting else set()
                if calls or asserts:
                    test_index = len(specs)
                    name = clip(rewriter.source_of(stmt).strip(), 300)
                    kind = "calls" if calls else "statement"
                    spec = TestSpec(name, kind, asserts + len(calls), 1, may_skip, True)
                    call = stmt.value if isinstance(stmt, ast.Expr) else None
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                        if call.func.id in functions:
                            spec.required = _required_checks(functions[call.func.id])
                    specs.append(spec)
            compiled = compile(ast.Module(new, []), TESTS_FILE, "exec", dont_inherit=True)
            segments.append(compiled)
            tests_of_segments.append(test_index)

        if runs:  # what the harness imports for collected tests, dear in each child (~40 ms)
            preload += [m for m, word in _PRELOAD_WORDS if word in self.text]
        for name in sorted(direct - collected - used, key=lambda n: functions[n].lineno):
            if not _is_fixture(functions[name]):
                specs.append(TestSpec(f"{name}()", "uncalled", 0, needs_assertion=True))

        # Bytecode, not source: the child compiles nothing (faster) and never sees
        # the test text, so the literal expected values stay in the parent.
        # The solution's process gets the solution's code only; the harness the tests'.
        blob = base64.b64encode(marshal.dumps(tuple(segments))).decode("ascii")
        own = base64.b64encode(marshal.dumps(code)).decode("ascii")
        payload: dict[str, Any] = {
            "code": blob,
            "solution": own,
            "tests": tests_of_segments,
            "functions": runs,
        }
        module_names = self._module_names()
        if module_names:
            payload["module_names"] = module_names
        handed_on = self._builtins_handed_on()
        if handed_on:
            payload["bind_builtins"] = handed_on
        if preload:
            payload["preload"] = [m for m in dict.fromkeys(preload) if m in PRELOADABLE]
        modules = self._solution_modules(code)
        if modules:
            payload["solution_modules"] = modules
        return PythonPlan(payload, specs, rewriter.checks, _lines_of(code))

    def _builtins_handed_on(self) -> list[str]:
        """Builtin function names the tests hand on as an argument or assign
        (`check(sum)`, `candidate = max`): there the tests mean the solution's
        function of that name. Never a builtin class (`except ValueError`,
        `isinstance(x, int)` mean the builtin's)."""
        found = set()
        for stmt in self.body:
            for n in ast.walk(stmt):
                values: list[ast.expr] = []
                if isinstance(n, ast.Call):
                    values = [*n.args, *(k.value for k in n.keywords)]
                elif isinstance(n, ast.Assign):
                    values = [n.value]
                found |= {
                    v.id for v in values if isinstance(v, ast.Name) and v.id in _BUILTIN_FUNCTIONS
                }
        return sorted(found)

    def _module_names(self) -> list[str]:
        """Standard modules the tests use by name (`math.isclose`) without importing
        them, relying on the solution's import: the harness binds its own."""
        found = set()
        for stmt in self.body:
            for n in ast.walk(stmt):
                if (
                    isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name)
                    and n.value.id in sys.stdlib_module_names
                ):
                    found.add(n.value.id)
        return sorted(found)

    def _solution_modules(self, code: Any) -> list[str]:
        """Modules the tests import the solution from (`from solution import add`,
        `import main` then `main.add`): the child binds them to the solution when no
        such module is installed, so they are not a missing package."""
        defined = set(code.co_names)  # every global the solution names: a cheap superset
        found = []
        for stmt in self.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
                names = {a.name for a in stmt.names}
                if "." not in stmt.module and (names == {"*"} or names <= defined):
                    found.append(stmt.module)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if "." in alias.name or alias.name in sys.stdlib_module_names:
                        continue
                    bound = alias.asname or alias.name
                    used = {
                        n.attr
                        for other in self.body
                        for n in ast.walk(other)
                        if isinstance(n, ast.Attribute)
                        and isinstance(n.value, ast.Name)
                        and n.value.id == bound
                    }
                    if used and used <= defined:
                        found.append(alias.name)
        return list(dict.fromkeys(found))

    def _function_spec(
        self, name: str, fn: ast.FunctionDef | ast.AsyncFunctionDef, asserts: int, may_skip: bool
    ) -> TestSpec:
        cases = _parametrize_count(fn)
        if {a.arg for a in fn.args.args + fn.args.kwonlyargs} & self.param_fixtures:
            cases = None  # a parametrized fixture multiplies the runs: the child counts them
        if cases == 0:  # pytest skips a test whose parameter set is empty
            cases, may_skip = 1, True
        spec = TestSpec(name, "function", asserts, cases, may_skip, needs_assertion=True)
        spec.required = _required_checks(fn)
        return spec

    @staticmethod
    def _calls_a_test(stmt: ast.stmt, collected: set[str]) -> bool:
        """`test_add()` at top level: a call of a test the harness collects anyway."""
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        call = stmt.value
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "main":  # unittest.main()
            return isinstance(func.value, ast.Name) and func.value.id in ("unittest", "pytest")
        return isinstance(func, ast.Name) and func.id in collected and not call.args

    @staticmethod
    def _test_methods(
        cls: ast.ClassDef, rewritten: list[tuple[ast.stmt, list[ast.stmt], int]]
    ) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        classes = {s.name: s for s, _, _ in rewritten if isinstance(s, ast.ClassDef)}
        methods: dict[str, Any] = {}
        pending, seen = [cls], set()
        while pending:  # the class's own methods first, then those of its bases in the tests
            current = pending.pop(0)
            if current.name in seen:
                continue
            seen.add(current.name)
            for node in current.body:
                if isinstance(node, _FUNCTION_DEFS) and node.name.startswith("test"):
                    methods.setdefault(node.name, node)
            for base in current.bases:
                if isinstance(base, ast.Name) and base.id in classes:
                    pending.append(classes[base.id])
        return list(methods.values())


def _required_checks(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[int]:
    """Checks at the top level of a (rewritten) function that cannot return early:
    each ran if the call returned normally, so a missing one means the channel was
    tampered with (a solution that silenced the check function after the first)."""
    if any(isinstance(n, ast.Return | ast.Yield | ast.YieldFrom) for n in ast.walk(fn)):
        return frozenset()
    cids: set[int] = set()
    for stmt in fn.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == CHECK_FN
        ):
            checked = cast(ast.Constant, call.args[0])  # the rewriter wrote ast.Constant(cid)
            cids.add(cast(int, checked.value))
    return frozenset(cids)


def _is_fixture(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("fixture" in _attribute_names(d) for d in fn.decorator_list)


# Node types ast.literal_eval may accept; anything else is answered without it
# (its exception path cost ~40 us per item of 8 asserts).
_MAYBE_LITERAL = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp)


def _literal(node: ast.expr) -> tuple[bool, Any]:
    if isinstance(node, ast.Call):  # literal_eval's only call is `set()`
        func = node.func
        if not (isinstance(func, ast.Name) and func.id == "set"):
            return False, None
    elif not isinstance(node, _MAYBE_LITERAL):
        return False, None
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


# unittest assertion methods the parent judges: name -> comparison (or a tree shape)
_UNITTEST_COMPARE = {
    "assertEqual": "Eq",
    "assertEquals": "Eq",
    "assertListEqual": "Eq",
    "assertTupleEqual": "Eq",
    "assertDictEqual": "Eq",
    "assertSetEqual": "Eq",
    "assertSequenceEqual": "Eq",
    "assertMultiLineEqual": "Eq",
    "assertNotEqual": "NotEq",
    "assertNotEquals": "NotEq",
    "assertIs": "Is",
    "assertIsNot": "IsNot",
    "assertIn": "In",
    "assertNotIn": "NotIn",
    "assertLess": "Lt",
    "assertLessEqual": "LtE",
    "assertGreater": "Gt",
    "assertGreaterEqual": "GtE",
}
_RAISES = {"raises", "warns", "deprecated_call"}  # pytest's, as a `with` or a call
_UNITTEST_RAISES = {"assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex"}
_UNITTEST_RAISES |= {"assertLogs", "assertNoLogs"}
_NO_ARGS = ast.arguments([], [], None, [], [], None, [])


class _AssertRewriter(ast.NodeTransformer):
    def __init__(self, lines: list[str], pytest_names: set[str]):
        self.lines = lines
        self.pytest_names = pytest_names  # names imported with `from pytest import ...`
        self.checks: dict[int, Check] = {}
        self.eager_possible = True  # may a leaf hold `await`, `yield` or `:=`?

    def source_of(self, node: _Located) -> str:
        """The node's source text (ast.get_source_segment re-splits the file per call)."""
        end_lineno = cast(int, node.end_lineno)  # set on every node ast.parse made
        first, last = node.lineno - 1, end_lineno - 1
        chunk = [line.encode() for line in self.lines[first : last + 1]]
        if not chunk:
            return ast.unparse(node)
        chunk[-1] = chunk[-1][: node.end_col_offset]
        chunk[0] = chunk[0][node.col_offset :]
        return b"\n".join(chunk).decode("utf-8", "replace")

    # -------------------------------------------------------------- sites

    def _check(self, node: _Located, source: str, tree: Any, leaves: list[ast.expr]) -> ast.stmt:
        cid = len(self.checks)
        self.checks[cid] = Check(clip(source, 500), tree, len(leaves))
        here: dict[str, Any] = {"lineno": node.lineno, "col_offset": node.col_offset}
        here.update(end_lineno=node.end_lineno, end_col_offset=node.end_col_offset)
        thunks = [self._thunk(leaf, here) for leaf in leaves]
        func = ast.Name(CHECK_FN, ast.Load(), **here)
        call = ast.Call(func, [ast.Constant(cid, **here), *thunks], [], **here)
        return ast.Expr(call, **here)

    def _thunk(self, leaf: ast.expr, here: dict[str, Any]) -> ast.expr:
        eager = self.eager_possible and any(
            isinstance(n, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr)
            for n in ast.walk(leaf)
        )
        if not eager:
            return ast.Lambda(_NO_ARGS, leaf, **here)
        # `await`/`yield`/`:=` must run in the test's own scope: a default value does
        # (its exception then ends the test instead of being reported by the check).
        arg = ast.arguments([], [ast.arg("v", **here)], None, [], [], None, [leaf])
        return ast.Lambda(arg, ast.Name("v", ast.Load(), **here), **here)

    def _marker(self, node: _Located, passed: bool, source: str) -> ast.stmt:
        """A check the parent knows the outcome of: a site was reached."""
        return self._check(node, source, ["const", passed], [])

    def _pytest_call(self, func: ast.expr, names: set[str]) -> bool:
        if isinstance(func, ast.Attribute):
            return (
                func.attr in names
                and isinstance(func.value, ast.Name)
                and func.value.id == "pytest"
            )
        return isinstance(func, ast.Name) and func.id in names and func.id in self.pytest_names

    @staticmethod
    def _self_call(func: ast.expr) -> str | None:
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id == "self":
                return func.attr
        return None

    def _is_failure(self, node: ast.AST) -> bool:
        """A statement that fails the test when reached."""
        if isinstance(node, ast.Assert):
            is_literal, value = _literal(node.test)
            return is_literal and not value
        if isinstance(node, ast.Raise):
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            return isinstance(exc, ast.Name) and exc.id == "AssertionError"
        if isinstance(node, ast.Call):
            return self._pytest_call(node.func, {"fail"}) or self._self_call(node.func) == "fail"
        return False

    # ----------------------------------------------------------- visitors

    def visit_Assert(self, node: ast.Assert) -> Any:
        is_literal, value = _literal(node.test)
        if is_literal:  # `assert True` asserts nothing; `assert False` fails when reached
            return node if value else [self._marker(node, False, self.source_of(node)), node]
        leaves: list[ast.expr] = []
        tree = self._tree(node.test, leaves)
        return self._check(node, self.source_of(node), tree, leaves)

    def visit_Raise(self, node: ast.Raise) -> Any:
        if self._is_failure(node):
            return [self._marker(node, False, self.source_of(node)), node]
        return node

    def visit_Expr(self, node: ast.Expr) -> Any:
        call = node.value
        if not isinstance(call, ast.Call):
            return node  # an expression holds no statement to rewrite
        if self._is_failure(call):
            return [self._marker(node, False, self.source_of(node)), node]
        method = self._self_call(call.func)
        if method is not None and method.startswith("assert"):
            judged = self._unittest_tree(method, call)
            if judged is not None:
                return self._check(node, self.source_of(node), *judged)
            # Judged by unittest in the child: it raises if the assertion fails.
            return [node, self._marker(node, True, self.source_of(node))]
        if self._pytest_call(call.func, _RAISES) and len(call.args) > 1:
            return [node, self._marker(node, True, self.source_of(node))]
        return node

    def _visit_with(self, node: ast.With | ast.AsyncWith) -> Any:
        self.generic_visit(node)
        for item in node.items:
            ctx = item.context_expr
            if not isinstance(ctx, ast.Call):
                continue
            if (
                self._pytest_call(ctx.func, _RAISES)
                or self._self_call(ctx.func) in _UNITTEST_RAISES
            ):
                # Reached only if the block raised what was expected (else the context fails).
                return [node, self._marker(node, True, "with " + self.source_of(ctx))]
        return node

    visit_With = visit_AsyncWith = _visit_with

    def _visit_try(self, node: ast.Try | ast.TryStar) -> Any:
        expects = any(
            self._is_failure(n) for stmt in node.body + node.orelse for n in ast.walk(stmt)
        )
        self.generic_visit(node)
        if expects:  # the expected-exception idiom: reaching a handler is the assertion
            for handler in node.handlers:
                kind = ast.unparse(handler.type) if handler.type is not None else ""
                source = f"except {kind}".strip()
                handler.body.insert(0, self._marker(handler, True, source))
        return node

    visit_Try = visit_TryStar = _visit_try

    # -------------------------------------------------------------- trees

    def _unittest_tree(self, method: str, call: ast.Call) -> tuple[Any, list[ast.expr]] | None:
        if any(kw.arg != "msg" for kw in call.keywords) and method not in (
            "assertAlmostEqual",
            "assertNotAlmostEqual",
        ):
            return None
        if any(isinstance(a, ast.Starred) for a in call.args):
            return None
        args = call.args
        leaves: list[ast.expr] = []
        if method in _UNITTEST_COMPARE and len(args) in (2, 3):
            operands = [self._tree(a, leaves) for a in args[:2]]
            return ["cmp", operands, [_UNITTEST_COMPARE[method]]], leaves
        if method in ("assertTrue", "assertFalse") and len(args) in (1, 2):
            tree = self._tree(args[0], leaves)
            return (tree if method == "assertTrue" else ["not", tree]), leaves
        if method in ("assertIsNone", "assertIsNotNone") and len(args) in (1, 2):
            op = "Is" if method == "assertIsNone" else "IsNot"
            return ["cmp", [self._tree(args[0], leaves), ["const", None]], [op]], leaves
        if method == "assertCountEqual" and len(args) in (2, 3):
            return ["counteq", [self._tree(a, leaves) for a in args[:2]]], leaves
        if method in ("assertAlmostEqual", "assertNotAlmostEqual") and 2 <= len(args) <= 4:
            options = {"places": args[2] if len(args) > 2 else None, "delta": None}
            for kw in call.keywords:
                if kw.arg in options:
                    options[kw.arg] = kw.value
                elif kw.arg != "msg":
                    return None
            parts = [self._tree(a, leaves) for a in args[:2]]
            for key in ("places", "delta"):
                value = options[key]
                parts.append(["const", None] if value is None else self._tree(value, leaves))
            tree = ["almost", parts]
            return (tree if method == "assertAlmostEqual" else ["not", tree]), leaves
        return None

    def _tree(self, node: ast.expr, leaves: list[ast.expr]) -> Any:
        is_literal, value = _literal(node)
        if is_literal:
            return ["const", value]
        if isinstance(node, ast.Compare):
            operands = [self._tree(n, leaves) for n in (node.left, *node.comparators)]
            return ["cmp", operands, [type(op).__name__ for op in node.ops]]
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return [kind, [self._tree(n, leaves) for n in node.values]]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ["not", self._tree(node.operand, leaves)]
        if isinstance(node, ast.Call) and self._pytest_call(node.func, {"approx"}):
            approx = self._approx_tree(node, leaves)
            if approx is not None:
                return approx
        leaves.append(node)  # an expression holds no assert statement: nothing to rewrite
        return ["leaf", len(leaves) - 1]

    def _approx_tree(self, node: ast.Call, leaves: list[ast.expr]) -> Any:
        """`pytest.approx(expected, rel, abs)`: compared here, not by an object of the child."""
        if (
            not node.args
            or len(node.args) > 3
            or any(isinstance(a, ast.Starred) for a in node.args)
        ):
            return None
        options: dict[str, ast.expr | None] = {"rel": None, "abs": None}
        for key, arg in zip(("rel", "abs"), node.args[1:], strict=False):
            options[key] = arg
        for kw in node.keywords:
            if kw.arg not in options:
                return None  # nan_ok and friends: not modelled, so judged as an opaque value
            options[kw.arg] = kw.value
        parts = [self._tree(node.args[0], leaves)]
        for key in ("rel", "abs"):
            value = options[key]
            parts.append(["const", None] if value is None else self._tree(value, leaves))
        return ["approx", parts]


# ------------------------------------------------------------------ verdict


class _LeafRaised(Exception):
    pass


class ProtocolError(Exception):
    """The child's channel did not follow the protocol: never a pass."""


def _evaluate(tree: Any, values: list[Any]) -> Any:
    kind = tree[0]
    if kind == "const":
        return tree[1]
    if kind == "leaf":
        ok, data = values[tree[1]]
        if not ok:
            raise _LeafRaised(str(data))
        return decode(data)
    if kind == "not":
        return not truth(_evaluate(tree[1], values))
    if kind in ("and", "or"):
        result = None
        for sub in tree[1]:
            result = _evaluate(sub, values)
            if truth(result) == (kind == "or"):
                return result
        return result
    if kind == "approx":
        return Approx(*(_evaluate(t, values) for t in tree[1]))
    if kind == "almost":
        return almost_equal(*(_evaluate(t, values) for t in tree[1]))
    if kind == "counteq":
        return count_equal(*(_evaluate(t, values) for t in tree[1]))
    operands, ops = tree[1], tree[2]
    left = _evaluate(operands[0], values)
    for op, right_tree in zip(ops, operands[1:], strict=True):
        right = _evaluate(right_tree, values)
        if not COMPARE_OPS[op](left, right):
            return False
        left = right
    return True


def _describe(check: Check, values: list[Any]) -> str:
    tree = check.tree
    if tree[0] == "cmp" and len(tree[1]) == 2:
        try:
            left, right = (_evaluate(t, values) for t in tree[1])
            return f"{check.source}  (got {show(left)}, expected {show(right)})"
        except Exception:
            pass
    return check.source


def judge_check(check: Check, values: Any) -> tuple[str, str]:
    """Decide one check from the values the child sent: (status, message)."""
    if not isinstance(values, list) or len(values) != check.leaves:
        raise ProtocolError("check record has the wrong number of values")
    if not all(isinstance(v, list) and len(v) == 2 for v in values):
        raise ProtocolError("check record is malformed")
    try:
        outcome = truth(_evaluate(check.tree, values))
    except _LeafRaised as exc:
        return "error", clip(f"{check.source}  raised {exc}")
    except UntrustedTruth as exc:
        return "fail", clip(f"{check.source}  ({exc})")
    except Exception as exc:  # comparing mismatched types, decoding a bad value
        return "error", clip(f"{check.source}  could not be compared: {type(exc).__name__}: {exc}")
    return ("pass", "") if outcome else ("fail", clip(_describe(check, values)))


def parse_records(text: str) -> list[Any]:
    """The channel's JSON lines, in one parse; a broken line is a protocol error."""
    lines = text.splitlines()
    try:
        return json.loads("[" + ",".join(lines) + "]")
    except ValueError:
        pass
    out = []
    for line in lines:  # find how far the channel was well-formed
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"e": "malformed"})
            break
    return out


@dataclass
class _Run:
    """One run of a test (a function test runs once per parameter set)."""

    param: str | None
    outcomes: list[tuple[int, str, str, float | None]] = field(default_factory=list)
    end: dict[str, Any] | None = None


def missing_reason(modules: list[str]) -> str:
    """`needs the Python package X` for modules the sandbox's Python cannot import."""
    packages = list(dict.fromkeys(PYPI_NAMES.get(m, m) for m in modules))
    plural = "s" if len(packages) > 1 else ""
    return f"needs the Python package{plural} {', '.join(packages)}"


def verdict(p: PythonPlan, reply: dict[str, Any]) -> RunResult:
    """Turn the child's channel records and exit information into a `RunResult`."""
    result = RunResult(status="error", language="python")
    n = len(p.tests)
    runs: list[list[_Run]] = [[] for _ in range(n)]
    run_errors: list[str] = []
    missing: list[str] = []
    done: dict[str, Any] | None = None
    open_test: int | None = None
    try:
        for rec in parse_records(reply.get("records", "")):
            event = rec.get("e") if isinstance(rec, dict) else None
            if event == "begin":
                t = rec["t"]
                if open_test is not None or not isinstance(t, int) or not 0 <= t < n:
                    raise ProtocolError("unexpected begin")
                spec = p.tests[t]
                if spec.kind == "uncalled" or (
                    runs[t] and (spec.cases == 1 or runs[t][-1].end is None)
                ):
                    raise ProtocolError("unexpected begin")
                param = rec.get("p")
                runs[t].append(_Run(None if param is None else clip(str(param), 200)))
                open_test = t
            elif event == "ran":  # synchronous part done; the verdict comes with "end"
                if rec.get("t") != open_test or open_test is None:
                    raise ProtocolError("unexpected ran")
                open_test = None
            elif event == "end":
                t = rec.get("t")
                if not isinstance(t, int) or not 0 <= t < n or not runs[t] or runs[t][-1].end:
                    raise ProtocolError("unexpected end")
                if open_test not in (None, t):
                    raise ProtocolError("end of a test that is not open")
                runs[t][-1].end, open_test = rec, None
            elif event == "start":
                pass
            elif event == "check":
                check = p.checks.get(rec.get("c"))
                if check is None:
                    raise ProtocolError("unknown check")
                status, message = judge_check(check, rec.get("v"))
                when = rec.get("w")
                when = when if isinstance(when, int | float) else None
                if open_test is not None:
                    runs[open_test][-1].outcomes.append((rec["c"], status, message, when))
                elif status != "pass":
                    run_errors.append(f"assertion outside a test: {message}")
            elif event == "missing":
                name = rec.get("n")
                if isinstance(name, str) and name.isidentifier():
                    missing.append(name[:100])
            elif event in ("solution_error", "setup_error"):
                run_errors.append(clip(str(rec.get("m", ""))))
            elif event == "done":
                if open_test is not None:
                    raise ProtocolError("done while a test is open")
                done = rec
                break
            else:
                raise ProtocolError(f"unknown record {str(rec)[:60]}")
    except (ProtocolError, ValueError, KeyError, TypeError) as exc:
        run_errors.append(f"malformed result channel: {exc}")
        done = None

    timed_out = bool(reply.get("timed_out"))
    defects: list[TestResult] = []  # the tests' own fault (no assertion ran), not the solution's
    for spec, spec_runs in zip(p.tests, runs, strict=True):
        for test, defect in _results(spec, spec_runs, p.checks, timed_out):
            result.tests.append(test)
            if defect:
                defects.append(test)

    if done is not None and p.executable_lines:
        lines = done.get("lines")
        if isinstance(lines, list):
            hit = p.executable_lines.intersection(x for x in lines if isinstance(x, int))
            result.coverage = round(len(hit) / len(p.executable_lines), 4)

    incomplete = any(
        spec.kind != "uncalled"
        and (
            not spec_runs
            or spec_runs[-1].end is None
            or (spec.cases is not None and len(spec_runs) != spec.cases)
        )
        for spec, spec_runs in zip(p.tests, runs, strict=True)
    )
    exit_code = reply.get("exit")
    if timed_out:
        result.status, result.reason = "timeout", f"exceeded {reply.get('timeout')} s"
    elif missing:
        result.status, result.reason = "unsupported", missing_reason(missing)
    elif run_errors:
        result.status, result.reason = "error", run_errors[0]
    elif done is None or exit_code != 0:
        result.status = "error"
        result.reason = f"the program ended before reporting every test ({_exit_text(reply)})"
    elif incomplete:
        result.status, result.reason = "error", "the program did not report every test"
    elif not p.tests:
        result.status = "error"
        result.reason = (
            f"{NO_ASSERTION}: the tests hold no assert, test or call of a checking function"
        )
    else:
        judged = [t for t in result.tests if t.status != "skipped"]
        broken = [t for t in judged if t.status != "pass"]
        if any(not any(t is d for d in defects) for t in broken):
            result.status = "fail"
        elif broken:
            result.status = "error"
            result.reason = clip(f"{broken[0].message} (test {broken[0].name!r})", 300)
        elif not judged:
            result.status, result.reason = "error", "every test was skipped"
        else:
            result.status = "pass"
    return result


def _results(
    spec: TestSpec, runs: list[_Run], checks: dict[int, Check], timed_out: bool
) -> list[tuple[TestResult, bool]]:
    """A spec's test results, each with whether it is a defect of the tests."""
    cut = "timeout" if timed_out else "error"
    if spec.kind == "uncalled":
        return [
            (
                TestResult(spec.name, "error", f"{spec.name} holds assertions but is never called"),
                True,
            )
        ]
    if not runs:
        return [(TestResult(spec.name, cut, "not reached"), False)]
    if spec.kind == "calls":
        return _call_results(spec, runs[0], checks, cut)
    out = []
    for run in runs:
        name = spec.name if run.param is None else f"{spec.name}[{run.param}]"
        out.append(_test_result(spec, name, run, cut, checks))
    return out


def _duration(end: dict[str, Any]) -> float:
    seconds = end.get("d")
    return seconds if isinstance(seconds, int | float) else 0.0


def _exception(end: dict[str, Any]) -> tuple[str, str, str]:
    """(type name, message, kind) of the exception that ended a run, or empty strings."""
    exc = end.get("x")
    if not exc:
        return "", "", ""
    if not isinstance(exc, dict):
        return "Exception", clip(str(exc)), ""
    kind = str(exc.get("type", ""))
    return kind, clip(f"{kind}: {exc.get('m', '')}"), str(exc.get("k", ""))


def _test_result(
    spec: TestSpec, name: str, run: _Run, cut: str, checks: dict[int, Check]
) -> tuple[TestResult, bool]:
    end = run.end
    if end is None:
        return TestResult(name, cut, "the program stopped during this test"), False
    duration = _duration(end)
    kind, message, flag = _exception(end)
    # A failed check does not stop the child, so it came first: report it.
    first = next(((s, m) for _, s, m, _ in run.outcomes if s != "pass"), None)
    expected_failure = spec.may_skip and bool(end.get("xf"))
    if kind in _SKIP_EXCEPTIONS and spec.may_skip and first is None and flag != "solution":
        return TestResult(name, "skipped", message, duration), False
    if expected_failure and (first is not None or kind):
        return TestResult(
            name, "skipped", "expected failure: " + (first or ("", message))[1]
        ), False
    if first is not None:
        return TestResult(name, first[0], first[1], duration), False
    if kind:
        if flag == "setup":  # a fixture the sandbox cannot provide: the tests' problem
            return TestResult(name, "error", message, duration), True
        fails = kind in _FAIL_EXCEPTIONS or flag == "fail"
        return TestResult(name, "fail" if fails else "error", message, duration), False
    if (spec.needs_assertion or spec.asserts) and not run.outcomes:
        return TestResult(name, "error", NO_ASSERTION, duration), True
    skipped = _skipped_checks(spec, run, checks)
    if skipped:
        return TestResult(name, "error", skipped, duration), False
    return TestResult(name, "pass", "", duration), False


def _skipped_checks(spec: TestSpec, run: _Run, checks: dict[int, Check]) -> str:
    """Why a run that returned normally is not believed: a check it must have evaluated is missing."""
    missing = spec.required.difference(cid for cid, _, _, _ in run.outcomes)
    if not missing:
        return ""
    source = clip(checks[min(missing)].source, 120)
    return f"returned without reporting {source!r}: the result channel was tampered with"


def _call_results(
    spec: TestSpec, run: _Run, checks: dict[int, Check], cut: str
) -> list[tuple[TestResult, bool]]:
    """A call of an asserting function: one result per assertion it evaluated, plus
    one for the call itself if it ended badly or evaluated nothing."""
    end = run.end
    groups: dict[int, list[Any]] = {}
    previous = end.get("s") if end and isinstance(end.get("s"), int | float) else None
    for cid, status, message, when in run.outcomes:
        group = groups.setdefault(cid, ["pass", "", 0.0])
        if when is not None and previous is not None:
            group[2] += max(0.0, when - previous)
        previous = when if when is not None else previous
        if group[0] == "pass" and status != "pass":
            group[0], group[1] = status, message
    out = [
        (TestResult(clip(checks[cid].source, 300), status, message, duration), False)
        for cid, (status, message, duration) in groups.items()
    ]
    if end is None:
        out.append((TestResult(spec.name, cut, "the program stopped during this test"), False))
        return out
    kind, message, flag = _exception(end)
    failed = any(group[0] != "pass" for group in groups.values())
    if kind in _SKIP_EXCEPTIONS and spec.may_skip and flag != "solution":
        out.append((TestResult(spec.name, "skipped", message, _duration(end)), False))
    elif kind and not (failed and kind in _FAIL_EXCEPTIONS):
        status = "fail" if kind in _FAIL_EXCEPTIONS or flag == "fail" else "error"
        out.append((TestResult(spec.name, status, message, _duration(end)), False))
    elif not groups and not kind:
        out.append((TestResult(spec.name, "error", NO_ASSERTION, _duration(end)), True))
    elif not kind and _skipped_checks(spec, run, checks):
        message = _skipped_checks(spec, run, checks)
        out.append((TestResult(spec.name, "error", message, _duration(end)), False))
    return out


def _exit_text(reply: dict[str, Any]) -> str:
    code = reply.get("exit")
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"
