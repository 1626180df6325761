"""Python items, child side: runs inside a forked, isolated child of a warm worker.

It executes the solution and the rewritten tests and writes one JSON record per
event to the channel fd. It never decides a verdict: check records carry the
evaluated values and the parent compares them.
"""

from __future__ import annotations

import binascii
import builtins
import marshal
import os
import sys
import time
from json.encoder import (  # type: ignore[attr-defined]  # C encoder: real, not in typeshed
    c_make_encoder,
    encode_basestring_ascii,
)

from sandbox.pyrpc import HarnessLink, LinkBroken, Proxy
from sandbox.values import encode

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~1.8 MB per worker fork)
if TYPE_CHECKING:
    from typing import Any, Literal

    # a test's parameter values, keyed by argument name or ("fixture", name) for a parametrized fixture
    _Params = dict[Any, Any]

SOLUTION_FILE = "<solution>"
TESTS_FILE = "<tests>"  # the parent compiles both
CHECK_FN = "__assay_check__"


# Modules a payload may ask the worker to import before forking (the worker keeps them).
PRELOADABLE = ("unittest", "pathlib", "asyncio")


def load(payload: dict[str, Any]) -> Any:
    """The compiled test segments. Called in the worker before the harness's fork
    (the payload comes from the parent's `pyplan`, never from user code), after the
    solution's: unmarshalling in each child cost ~0.15 ms, most of it copy-on-write
    faults. A module the tests use that is dear to import (unittest, pathlib,
    asyncio: 30-40 ms each) is imported here once, for this and every later run."""
    for name in payload.get("preload", ()):
        if name in PRELOADABLE and name not in sys.modules:
            __import__(name)
    return marshal.loads(binascii.a2b_base64(payload["code"]))


def load_solution(payload: dict[str, Any]) -> Any:
    """The compiled solution, for the solution's own process."""
    return marshal.loads(binascii.a2b_base64(payload["solution"]))


def run(payload: dict[str, Any], program: Any, channel: int, link_fd: int) -> None:
    """Run the tests of one item (`program` from `load`) against the solution's
    process on `link_fd`, and exit the process; never returns. This process is
    the trusted harness: no solution code runs here."""
    import _signal

    _signal.signal(_signal.SIGPIPE, _signal.SIG_IGN)  # a dead solution is an error, not our death
    # The work dir is the solution's too: nothing is imported from it.
    sys.path[:] = [p for p in sys.path if p and p != "." and os.path.isabs(p)]
    write = _Channel(channel)
    pending = write.pending  # the hot paths below append encoded records directly
    clock = time.perf_counter
    sys.modules["pytest"] = PYTEST
    link = HarnessLink(link_fd)

    segments = program
    ns: dict[str, Any] = {"__name__": "solution", "__builtins__": __builtins__}
    _bind_solution(link, payload, ns, write)

    def check(cid: int, *thunks: Any) -> None:
        values = []
        for thunk in thunks:
            try:
                value = thunk()
            except BaseException as exc:
                if type(exc) is ModuleNotFoundError:
                    _note_missing(exc, pending)
                values.append([0, f"{type(exc).__name__}: {_message(exc)}"[:1000]])
                continue
            try:
                values.append([1, encode(value)])
            except BaseException as exc:
                values.append([0, f"value could not be sent: {type(exc).__name__}: {exc}"[:500]])
        pending.append("".join(_ENCODE({"e": "check", "c": cid, "v": values, "w": clock()}, 0)))

    ns[CHECK_FN] = check
    for name in payload.get("solution_modules", ()):
        _bind_solution_module(name, ns, link)
    for index, (code, test) in enumerate(zip(segments, payload["tests"], strict=True)):
        if test is not None:
            pending.append("".join(_ENCODE({"e": "begin", "t": test}, 0)))
            write.flush()
        started = clock()
        error = None
        try:
            exec(code, ns)
        except BaseException as exc:
            error = exc
            _note_missing(exc, pending)
        if test is not None:
            end = {"e": "end", "t": test, "d": clock() - started, "s": started, "x": None}
            if error is not None:
                end["x"] = _exc(error)
            pending.append("".join(_ENCODE(end, 0)))
        elif error is not None:
            write({"e": "setup_error", "s": index, "m": "test setup raised: " + _tail(error)})

    if payload["functions"]:
        _run_functions(payload["functions"], ns, write)

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    try:
        lines = link.request({"op": "bye", "h": 0})
    except BaseException:
        lines = []
    lines = [x for x in lines if type(x) is int] if type(lines) is list else []
    write({"e": "done", "lines": lines[:100_000]})
    write.flush()
    os._exit(0)


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:
        return "<unprintable>"


def _bind_solution(
    link: HarnessLink, payload: dict[str, Any], ns: dict[str, Any], write: _Channel
) -> None:
    """The solution's top-level names, as its process reported them once it ran:
    plain data copied, the rest proxies. A name that shadows a builtin is not
    bound (the tests' `all` or `isinstance` stay the harness's own) unless it is
    the item's function or the tests hand it on as a value (`check(sum)`), nor one
    the tests use as a standard module (the tests get the harness's own `math`)."""
    try:
        hello = link.receive()
    except LinkBroken as exc:
        write(
            {"e": "solution_error", "m": f"the solution's process ended before it was ready: {exc}"}
        )
        return
    if not isinstance(hello, dict) or hello.get("hello") != 1:
        write({"e": "solution_error", "m": "the solution's process broke the protocol"})
        link.broken = "the solution's process broke the protocol"
        return
    error = hello.get("error")
    if isinstance(error, dict):
        module = error.get("mod")
        if error.get("builtin") == "ModuleNotFoundError" and isinstance(module, str):
            _note_missing(ModuleNotFoundError(name=module), write.pending)
        write(
            {
                "e": "solution_error",
                "m": "the solution raised at import: " + str(hello.get("tail"))[:1500],
            }
        )
    names = hello.get("names")
    if not isinstance(names, dict):
        return
    shadowed = (set(dir(builtins)) - set(payload.get("bind_builtins", ()))) | {CHECK_FN}
    for name, data in names.items():
        if not isinstance(name, str) or not name.isidentifier() or name in shadowed:
            continue
        try:
            ns[name] = link.decode(data)
        except BaseException:
            continue
    for name in payload.get("module_names", ()):
        if name in ns:
            try:
                ns[name] = __import__(name)
            except BaseException:
                ns.pop(name, None)


def _bind_solution_module(name: str, ns: dict[str, Any], link: HarnessLink) -> None:
    """`from solution import add` in the tests: a module of that name is the solution,
    unless this Python has a real one."""
    try:
        import importlib.util

        if name in sys.modules or importlib.util.find_spec(name) is not None:
            return
    except BaseException:
        return
    module = type(sys)(name)
    module.__dict__.update(
        {k: v for k, v in ns.items() if not k.startswith("__") and k != CHECK_FN}
    )
    sys.modules[name] = module


def _note_missing(exc: BaseException, pending: list[str]) -> None:
    """Record a module the code imports that this Python cannot find at all (not
    an ImportError of a module that exists, nor a missing submodule)."""
    if not isinstance(exc, ModuleNotFoundError) or not isinstance(exc.name, str):
        return
    top = exc.name.partition(".")[0]
    try:
        import importlib.util  # only failures pay for it

        absent = importlib.util.find_spec(top) is None
    except BaseException:
        absent = False
    if absent:
        pending.append("".join(_ENCODE({"e": "missing", "n": top[:100]}, 0)))


def _run_functions(runs: list[Any], ns: dict[str, Any], write: Any) -> None:
    """Run the collected test functions and methods, one run per parameter set."""
    fixtures = _Fixtures(ns)
    suite = None
    for test, owner, name in runs:
        if suite is None or suite.name != owner:
            if suite is not None:
                suite.close()
            suite = _Suite(owner, ns)
        target = suite.target(name, ns)
        marks = getattr(target, "pytestmark", None)
        marks = marks if isinstance(marks, list) else []
        cases: list[Any]  # (id, values, marks) per parameter set
        problem: BaseException | None
        try:
            cases = _cases(marks)
            problem = None
        except BaseException as exc:
            cases, problem = [(None, {}, [])], FixtureError(f"bad parametrize: {exc}")
        if problem is None:
            cases = fixtures.expand(target, cases)
        if not cases:
            cases, problem = [(None, {}, [])], Skipped("got empty parameter set")
        for param, values, case_marks in cases:
            write({"e": "begin", "t": test, "p": param})
            started = time.perf_counter()
            error: BaseException | None = problem
            all_marks = marks + case_marks
            expected_failure = _expects_failure(target, all_marks)
            if error is None:
                try:
                    _skip_by_marks(all_marks)
                    suite.call(name, target, values, fixtures)
                except BaseException as exc:
                    error = exc
            if error is not None:
                _note_missing(error, write.pending)
            end = {"e": "end", "t": test, "d": time.perf_counter() - started, "x": _exc(error)}
            if expected_failure:
                end["xf"] = 1
            write(end)
    if suite is not None:
        suite.close()
    fixtures.close()


# json.dumps without its three Python frames (each one a call into the coverage
# tracer): the C encoder that json.dumps itself uses, with the same settings.
_ENCODE = c_make_encoder(None, None, encode_basestring_ascii, None, ": ", ", ", False, False, True)


class _Channel:
    """Records go out in one write per test: buffered until the next "begin", so
    the parent still learns which test was running if the process hangs or dies."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending: list[str] = []

    def __call__(self, record: dict[str, Any]) -> None:
        self.pending.append("".join(_ENCODE(record, 0)))
        if record["e"] == "begin":
            self.flush()

    def flush(self) -> None:
        data = ("\n".join(self.pending) + "\n").encode()
        self.pending.clear()
        while data:
            data = data[os.write(self.fd, data) :]


def _exc(exc: BaseException | None) -> dict[str, str] | None:
    if exc is None:
        return None
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    record = {"type": type(exc).__name__, "m": message[:1000]}
    if isinstance(exc, FixtureError):
        record["k"] = "setup"
    elif isinstance(exc, Proxy) or getattr(type(exc), "_assay_remote", False):
        record["k"] = "solution"  # named by the solution: never a skip, whatever its name
    return record


def _tail(exc: BaseException) -> str:
    import traceback  # only failures pay for it

    try:
        lines = traceback.format_exception(exc)
    except BaseException:
        return type(exc).__name__
    return "".join(lines[-2:])[-1500:]  # the failing line and the exception


# ------------------------------------------------------------ test runners


class FixtureError(Exception):
    """A test asks for what the sandbox cannot provide: the tests' problem, not the solution's."""


class _Suite:
    """Where a collected test lives: the tests' top level, or a test class (a
    unittest.TestCase or a pytest ``Test*`` class), set up once for its methods."""

    def __init__(self, owner: str | None, ns: dict[str, Any]) -> None:
        self.name = owner
        self.cls: type | None = None
        self.error: BaseException | None = None
        self.case = False
        if owner is None:
            return
        cls = ns.get(owner)
        if not isinstance(cls, type):
            self.error = TypeError("the test class was replaced by something else")
            return
        self.cls = cls
        unittest = sys.modules.get("unittest")
        self.case = unittest is not None and issubclass(cls, unittest.TestCase)
        try:
            if self.case and unittest is not None and getattr(cls, "__unittest_skip__", False):
                raise unittest.SkipTest(getattr(cls, "__unittest_skip_why__", ""))
            setup = getattr(cls, "setUpClass" if self.case else "setup_class", None)
            if setup is not None:
                setup()
        except BaseException as exc:
            self.error = exc

    def target(self, name: str, ns: dict[str, Any]) -> Any:
        return ns.get(name) if self.name is None else getattr(self.cls, name, None)

    def call(self, name: str, target: Any, values: _Params, fixtures: _Fixtures) -> None:
        if self.error is not None:
            raise self.error
        if not callable(target):
            raise TypeError("the test function was replaced by a non-callable")
        if self.cls is None:
            fixtures.call(target, values)
        elif self.case:
            case = self.cls(name)
            case.setUp()
            try:
                _await(getattr(case, name)())
            finally:
                try:
                    case.tearDown()
                finally:
                    case.doCleanups()
        else:
            instance = self.cls()
            method = getattr(instance, name)
            setup = getattr(instance, "setup_method", None)
            if setup is not None:
                setup(method)
            try:
                fixtures.call(method, values)
            finally:
                teardown = getattr(instance, "teardown_method", None)
                if teardown is not None:
                    teardown(method)

    def close(self) -> None:
        if self.cls is not None and self.error is None:
            teardown = getattr(self.cls, "tearDownClass" if self.case else "teardown_class", None)
            try:
                if teardown is not None:
                    teardown()
            except BaseException:
                pass  # every test of the class has reported already


def _await(outcome: Any) -> None:
    if hasattr(outcome, "__await__"):
        import asyncio  # only async tests pay for it

        asyncio.run(outcome)


def _argnames(fn: Any) -> list[str]:
    """The arguments a test or fixture needs filled: those without defaults."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    positional = list(code.co_varnames[: code.co_argcount])
    if getattr(fn, "__self__", None) is not None:
        positional = positional[1:]
    defaults = len(getattr(fn, "__defaults__", None) or ())
    if defaults:
        positional = positional[:-defaults]
    kwonly = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    given = getattr(fn, "__kwdefaults__", None) or {}
    return positional + [n for n in kwonly if n not in given]


class _Fixtures:
    """pytest's fixtures as far as a single test file needs them: the module's
    ``@pytest.fixture`` functions (yield for teardown, scopes, autouse) and a few
    built-ins (tmp_path, capsys, monkeypatch)."""

    def __init__(self, ns: dict[str, Any]) -> None:
        self.defined: dict[str, tuple[Any, dict[str, Any]]] = {}
        for value in list(ns.values()):
            meta = getattr(value, "_assay_fixture", None) if callable(value) else None
            if isinstance(meta, dict):
                self.defined[str(meta.get("name"))] = (value, meta)
        self.wide: dict[str, Any] = {}  # values of fixtures scoped wider than a test
        self.wide_teardowns: list[Any] = []

    def call(self, fn: Any, params: _Params) -> None:
        teardowns: list[Any] = []
        error = None
        try:
            cache: dict[str, Any] = {}
            for name, (_, meta) in self.defined.items():
                if meta.get("autouse"):
                    self._value(name, params, cache, teardowns, ())
            names = _argnames(fn)
            wanted = names + [p for p in params if isinstance(p, str) and p not in names]
            kwargs = {n: self._value(n, params, cache, teardowns, ()) for n in wanted}
            _await(fn(**kwargs))
        except BaseException as exc:
            error = exc
        for teardown in reversed(teardowns):
            try:
                teardown()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error

    def _value(
        self,
        name: str,
        params: _Params,
        cache: dict[str, Any],
        teardowns: list[Any],
        stack: tuple,
    ) -> Any:
        if name in params:
            return params[name]
        if name in cache:
            return cache[name]
        if name in self.wide:
            return self.wide[name]
        if name in self.defined:
            fn, meta = self.defined[name]
            if name in stack:
                raise FixtureError(f"fixture {name!r} depends on itself")
            request = _Request(params.get(("fixture", name), _NOTSET))
            kwargs = {
                a: request
                if a == "request"
                else self._value(a, params, cache, teardowns, (*stack, name))
                for a in _argnames(fn)
            }
            value = fn(**kwargs)
            wide = meta.get("scope", "function") != "function"
            if hasattr(value, "__next__") and hasattr(value, "send"):  # a yield fixture
                generator = value
                value = next(generator)
                (self.wide_teardowns if wide else teardowns).append(lambda: _finish(generator))
            (self.wide if wide else cache)[name] = value
            return value
        builtin = _BUILTIN_FIXTURES.get(name)
        if builtin is None:
            raise FixtureError(f"fixture {name!r} is not available in the sandbox")
        value, teardown = builtin()
        if teardown is not None:
            teardowns.append(teardown)
        cache[name] = value
        return value

    def expand(self, fn: Any, cases: list[Any]) -> list[Any]:
        """Multiply a test's parameter sets by those of the parametrized fixtures it takes."""
        for arg in _argnames(fn):
            meta = self.defined.get(arg, (None, {}))[1]
            if meta.get("params") is None:
                continue
            ids, sets = meta.get("ids"), []
            for index, value in enumerate(meta["params"]):
                case_id = None
                if isinstance(value, _ParameterSet):
                    case_id, value = value.id, value.values[0]
                if case_id is None and ids is not None:
                    case_id = str(ids(value) if callable(ids) else ids[index])
                sets.append((case_id or _idval(value, arg, index), value))
            cases = [  # pytest puts a fixture's parameters outermost and first in the id
                (
                    pid if name is None else f"{pid}-{name}",
                    {**given, ("fixture", arg): value},
                    marks,
                )
                for pid, value in sets
                for name, given, marks in cases
            ]
        return cases

    def close(self) -> None:
        for teardown in reversed(self.wide_teardowns):
            try:
                teardown()
            except BaseException:
                pass


class _Request:
    """The `request` a fixture may take: `request.param` of a parametrized fixture."""

    def __init__(self, param: Any) -> None:
        if param is not _NOTSET:
            self.param = param


def _finish(generator: Any) -> None:
    try:
        next(generator)
    except StopIteration:
        return
    raise FixtureError("a fixture yielded more than once")


_TMP_COUNTER = [0]


def _tmp_path() -> tuple[Any, None]:
    import pathlib

    _TMP_COUNTER[0] += 1
    path = os.path.join(os.getcwd(), f"tmp_path{_TMP_COUNTER[0]}")
    os.mkdir(path)
    return pathlib.Path(path), None


class _CaptureResult(tuple):
    """What ``capsys.readouterr()`` returns: ``.out`` and ``.err``."""

    out = property(lambda self: self[0])
    err = property(lambda self: self[1])


class _Capsys:
    def __init__(self) -> None:
        import io

        self.saved = sys.stdout, sys.stderr
        self.out, self.err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = self.out, self.err

    def readouterr(self) -> _CaptureResult:
        taken = _CaptureResult((self.out.getvalue(), self.err.getvalue()))
        for buffer in (self.out, self.err):
            buffer.seek(0)
            buffer.truncate()
        return taken

    def close(self) -> None:
        sys.stdout, sys.stderr = self.saved


def _capsys() -> tuple[Any, Any]:
    capture = _Capsys()
    return capture, capture.close


_NOTSET = object()


class _MonkeyPatch:
    """pytest's ``monkeypatch``: every change is undone after the test."""

    def __init__(self) -> None:
        self.undo_stack: list[Any] = []

    def setattr(
        self, target: Any, name: Any = _NOTSET, value: Any = _NOTSET, raising: bool = True
    ) -> None:
        if value is _NOTSET:  # setattr("module.attr", value)
            if not isinstance(target, str):
                raise TypeError("use setattr(target, name, value) or setattr('module.attr', value)")
            target, name, value = *_resolve(target), name
        old = (
            target.__dict__.get(name, _NOTSET)
            if isinstance(target, type)
            else getattr(target, name, _NOTSET)
        )
        if raising and old is _NOTSET:
            raise AttributeError(f"{target!r} has no attribute {name!r}")
        self.undo_stack.append(lambda: _restore_attr(target, name, old))
        setattr(target, name, value)

    def delattr(self, target: Any, name: Any = _NOTSET, raising: bool = True) -> None:
        if name is _NOTSET:
            target, name = _resolve(target)
        if not hasattr(target, name):
            if raising:
                raise AttributeError(name)
            return
        old = (
            target.__dict__.get(name, _NOTSET)
            if isinstance(target, type)
            else getattr(target, name)
        )
        self.undo_stack.append(lambda: _restore_attr(target, name, old))
        delattr(target, name)

    def setitem(self, mapping: Any, key: Any, value: Any) -> None:
        old = mapping.get(key, _NOTSET) if hasattr(mapping, "get") else _NOTSET
        self.undo_stack.append(lambda: _restore_item(mapping, key, old))
        mapping[key] = value

    def delitem(self, mapping: Any, key: Any, raising: bool = True) -> None:
        if key not in mapping:
            if raising:
                raise KeyError(key)
            return
        old = mapping[key]
        self.undo_stack.append(lambda: _restore_item(mapping, key, old))
        del mapping[key]

    def setenv(self, name: str, value: Any, prepend: str | None = None) -> None:
        value = str(value)
        if prepend and name in os.environ:
            value = value + prepend + os.environ[name]
        self.setitem(os.environ, name, value)

    def delenv(self, name: str, raising: bool = True) -> None:
        self.delitem(os.environ, name, raising)

    def syspath_prepend(self, path: Any) -> None:
        saved = list(sys.path)
        self.undo_stack.append(lambda: sys.path.__setitem__(slice(None), saved))
        sys.path.insert(0, str(path))

    def chdir(self, path: Any) -> None:
        saved = os.getcwd()
        self.undo_stack.append(lambda: os.chdir(saved))
        os.chdir(path)

    def undo(self) -> None:
        while self.undo_stack:
            self.undo_stack.pop()()


def _resolve(dotted: str) -> tuple[Any, str]:
    import importlib

    module_name, _, attr = dotted.rpartition(".")
    parts = module_name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            target = getattr(target, part)
        return target, attr
    raise AttributeError(f"cannot resolve {dotted!r}")


def _restore_attr(target: Any, name: str, old: Any) -> None:
    if old is _NOTSET:
        delattr(target, name)
    else:
        setattr(target, name, old)


def _restore_item(mapping: Any, key: Any, old: Any) -> None:
    if old is _NOTSET:
        mapping.pop(key, None)
    else:
        mapping[key] = old


def _monkeypatch() -> tuple[Any, Any]:
    patch = _MonkeyPatch()
    return patch, patch.undo


_BUILTIN_FIXTURES = {
    "tmp_path": _tmp_path,
    "tmpdir": _tmp_path,  # a pathlib.Path, not py.path: enough for open() and joining
    "capsys": _capsys,
    "monkeypatch": _monkeypatch,
}


# ------------------------------------------------------------ parametrize


def _cases(marks: list[Any]) -> list[tuple[str | None, dict[str, Any], list[Any]]]:
    """(id, arguments, marks) per parameter set of a test's `parametrize` marks,
    in pytest's order (the mark nearest the function varies slowest) and ids."""
    combos: list[tuple[list[str], dict[str, Any], list[Any]]] = [([], {}, [])]
    parametrized = False
    for mark in marks:
        if getattr(mark, "name", None) != "parametrize":
            continue
        parametrized = True
        args, kwargs = mark.args, mark.kwargs
        argnames = args[0] if args else kwargs["argnames"]
        argvalues = args[1] if len(args) > 1 else kwargs["argvalues"]
        ids = args[2] if len(args) > 2 else kwargs.get("ids")
        if isinstance(argnames, str):
            names = [n.strip() for n in argnames.split(",") if n.strip()]
        else:
            names = list(argnames)
        sets = []
        for index, value in enumerate(argvalues):
            case_marks, case_id = [], None
            if isinstance(value, _ParameterSet):
                case_marks, case_id = list(value.marks), value.id
                value = value.values[0] if len(names) == 1 else value.values
            values = (value,) if len(names) == 1 else tuple(value)
            if len(values) != len(names):
                raise ValueError(f"{len(names)} names but {len(values)} values in set {index}")
            if case_id is None and ids is not None:
                if callable(ids):
                    made = [ids(v) for v in values]
                    if all(m is not None for m in made):
                        case_id = "-".join(str(m) for m in made)
                elif index < len(ids) and ids[index] is not None:
                    case_id = str(ids[index])
            if case_id is None:
                case_id = "-".join(_idval(v, n, index) for v, n in zip(values, names, strict=True))
            sets.append((case_id, dict(zip(names, values, strict=True)), case_marks))
        combos = [
            ([*ids_, case_id], {**given, **more}, [*m, *case_marks])
            for ids_, given, m in combos
            for case_id, more, case_marks in sets
        ]
    if not parametrized:
        return [(None, {}, [])]
    names = _unique(["-".join(c[0]) for c in combos])
    return [(name, c[1], c[2]) for name, c in zip(names, combos, strict=True)]


def _idval(value: Any, argname: str, index: int) -> str:
    """pytest's id for one parameter value."""
    if isinstance(value, str):
        return value.encode("unicode_escape").decode("ascii")
    if isinstance(value, bytes):
        return value.decode("ascii", "backslashreplace")
    if value is None or isinstance(value, int | float | complex):
        return str(value)
    pattern = getattr(value, "pattern", None)
    if type(value).__name__ == "Pattern" and isinstance(pattern, str):
        return pattern.encode("unicode_escape").decode("ascii")
    if isinstance(getattr(value, "__name__", None), str) and (
        isinstance(value, type) or callable(value)
    ):
        return value.__name__
    return f"{argname}{index}"


def _unique(ids: list[str]) -> list[str]:
    """pytest 8's suffixes for repeated ids: `a0`, `a1`; `1_0`, `1_1`."""
    counts: dict[str, int] = {}
    for name in ids:
        counts[name] = counts.get(name, 0) + 1
    if all(c == 1 for c in counts.values()):
        return ids
    taken, suffixes, out = set(ids), dict.fromkeys(counts, 0), []
    for name in ids:
        if counts[name] == 1:
            out.append(name)
            continue
        sep = "_" if name and name[-1].isdigit() else ""
        new = f"{name}{sep}{suffixes[name]}"
        while new in taken:
            suffixes[name] += 1
            new = f"{name}{sep}{suffixes[name]}"
        taken.add(new)
        suffixes[name] += 1
        out.append(new)
    return out


def _skip_by_marks(marks: list[Any]) -> None:
    for mark in marks:
        name = getattr(mark, "name", None)
        if name == "skip":
            raise Skipped(mark.kwargs.get("reason") or (mark.args[0] if mark.args else "skipped"))
        if (
            name == "skipif"
            and any(mark.args)
            or name == "xfail"
            and mark.kwargs.get("run") is False
        ):
            raise Skipped(mark.kwargs.get("reason", "skipped"))


def _expects_failure(target: Any, marks: list[Any]) -> bool:
    if getattr(target, "__unittest_expecting_failure__", False):
        return True
    for mark in marks:
        if getattr(mark, "name", None) == "xfail":
            condition = mark.args[0] if mark.args else mark.kwargs.get("condition", True)
            if condition:
                return True
    return False


# ------------------------------------------------------------ the pytest shim
# The child imports this as `pytest`: the real one is a dev dependency that may
# be absent, and importing it costs ~150 ms per run. Only what a test file uses.


class Failed(BaseException):
    """pytest.fail and a pytest.raises that saw nothing (BaseException, as in pytest)."""


class Skipped(BaseException):
    """pytest.skip."""


class _ParameterSet:
    def __init__(self, values: tuple, marks: Any, id: str | None) -> None:  # noqa: A002
        self.values = values
        self.marks = marks if isinstance(marks, list | tuple) else [marks]
        self.id = id


def _param(*values: Any, marks: Any = (), id: str | None = None) -> _ParameterSet:  # noqa: A002
    return _ParameterSet(values, marks, id)


class _Mark:
    def __init__(self, name: str, args: tuple, kwargs: dict[str, Any]) -> None:
        self.name, self.args, self.kwargs = name, args, kwargs


class _MarkDecorator:
    def __init__(self, name: str, args: tuple = (), kwargs: dict[str, Any] | None = None) -> None:
        self.mark = _Mark(name, args, kwargs or {})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):  # pytest's rule, too
            target = args[0]
            existing = getattr(target, "pytestmark", None)
            target.pytestmark = [*(existing if isinstance(existing, list) else []), self.mark]
            return target
        return _MarkDecorator(self.mark.name, args, kwargs)


class _MarkGenerator:
    def __getattr__(self, name: str) -> _MarkDecorator:
        if name.startswith("_"):
            raise AttributeError(name)
        return _MarkDecorator(name)


def _fixture(
    fn: Any = None,
    *,
    scope: Any = "function",
    params: Any = None,
    autouse: bool = False,
    ids: Any = None,
    name: str | None = None,
) -> Any:
    if isinstance(fn, str):  # the old positional scope
        scope, fn = fn, None

    def apply(f: Any) -> Any:
        f._assay_fixture = {
            "name": name or f.__name__,
            "scope": scope,
            "autouse": autouse,
            "params": params,
            "ids": ids,
        }
        return f

    return apply(fn) if fn is not None else apply


class _ExceptionInfo:
    """What `pytest.raises` gives: the exception that was raised."""

    type: Any = None
    value: Any = None
    tb: Any = None

    @property
    def typename(self) -> str:
        return self.type.__name__ if self.type else ""

    def match(self, regexp: Any) -> bool:
        import re

        if not re.search(regexp, str(self.value)):
            raise AssertionError(
                f"Regex pattern did not match.\n Regex: {regexp!r}\n Input: {str(self.value)!r}"
            )
        return True

    def errisinstance(self, exc: Any) -> bool:
        return isinstance(self.value, exc)


def _describe_expected(expected: Any) -> str:
    if isinstance(expected, tuple):
        return " or ".join(getattr(e, "__name__", str(e)) for e in expected)
    return getattr(expected, "__name__", str(expected))


class _Raises:
    def __init__(self, expected: Any, match: Any) -> None:
        self.expected, self.match, self.info = expected, match, _ExceptionInfo()

    def __enter__(self) -> _ExceptionInfo:
        return self.info

    def __exit__(self, tp: Any, value: Any, tb: Any) -> bool:
        if tp is None:
            raise Failed(f"DID NOT RAISE {_describe_expected(self.expected)}")
        if not issubclass(tp, self.expected):
            return False
        self.info.type, self.info.value, self.info.tb = tp, value, tb
        if self.match is not None:
            self.info.match(self.match)
        return True


def _raises(expected: Any, *args: Any, match: Any = None, **kwargs: Any) -> Any:
    if not args:
        return _Raises(expected, match)
    func, *rest = args
    with _Raises(expected, match) as info:
        func(*rest, **kwargs)
    return info


class _Warns:
    def __init__(self, expected: Any, match: Any) -> None:
        import warnings

        self.expected, self.match = expected, match
        self.recorder = warnings.catch_warnings(record=True)

    def __enter__(self) -> list:
        import warnings

        self.caught = self.recorder.__enter__()
        warnings.simplefilter("always")
        return self.caught

    def __exit__(self, tp: Any, value: Any, tb: Any) -> Literal[False]:
        import re

        self.recorder.__exit__(tp, value, tb)
        if tp is not None:
            return False
        for warning in self.caught:
            if issubclass(warning.category, self.expected) and (
                self.match is None or re.search(self.match, str(warning.message))
            ):
                return False
        raise Failed(f"DID NOT WARN: no {_describe_expected(self.expected)} was emitted")


def _warns(expected: Any = Warning, *args: Any, match: Any = None, **kwargs: Any) -> Any:
    if not args:
        return _Warns(expected, match)
    func, *rest = args
    with _Warns(expected, match):
        return func(*rest, **kwargs)


def _deprecated_call(*args: Any, **kwargs: Any) -> Any:
    return _warns((DeprecationWarning, PendingDeprecationWarning), *args, **kwargs)


def _fail(reason: str = "", pytrace: bool = True) -> None:
    raise Failed(reason)


def _skip(reason: str = "", allow_module_level: bool = False) -> None:
    raise Skipped(reason)


def _xfail(reason: str = "") -> None:
    raise Skipped(f"xfail: {reason}")


def _importorskip(modname: str, minversion: Any = None, reason: str | None = None) -> Any:
    try:
        __import__(modname)
    except ModuleNotFoundError:
        raise  # a package the sandbox lacks: the item is unsupported, not skipped
    except ImportError as exc:
        raise Skipped(reason or f"could not import {modname!r}: {exc}") from None
    return sys.modules[modname]


def _make_pytest() -> Any:
    from sandbox.values import Approx

    module = type(sys)("pytest")
    module.__doc__ = (
        "The sandbox's pytest: raises, warns, approx, mark, fixture, param, fail, skip."
    )
    _fail.Exception = Failed  # type: ignore[attr-defined]
    _skip.Exception = Skipped  # type: ignore[attr-defined]
    module.__dict__.update(
        raises=_raises,
        warns=_warns,
        deprecated_call=_deprecated_call,
        approx=Approx,
        mark=_MarkGenerator(),
        fixture=_fixture,
        param=_param,
        fail=_fail,
        skip=_skip,
        xfail=_xfail,
        importorskip=_importorskip,
        Failed=Failed,
        Skipped=Skipped,
        ExceptionInfo=_ExceptionInfo,
        __version__="8.0.0+assay-sandbox",
    )
    return module


PYTEST = _make_pytest()
