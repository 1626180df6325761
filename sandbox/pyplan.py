"""Python items, parent side: plan the tests, then judge the records the child sent.

Every ``assert`` in the tests is rewritten into a call that evaluates the
non-literal parts in the child and sends them as plain data. Literal expected
values (``== [1, 2, 3]``) never leave the parent, so the child cannot learn what
to forge, and the comparison itself runs here, never in user code.
"""

from __future__ import annotations

import ast
import base64
import json
import marshal
from dataclasses import dataclass, field
from typing import Any

from sandbox.harness_py import CHECK_FN, SOLUTION_FILE, TESTS_FILE
from sandbox.result import RunResult, TestResult, clip
from sandbox.values import COMPARE_OPS, UntrustedTruth, decode, show, truth

_FAIL_EXCEPTIONS = {"AssertionError", "Failed"}  # Failed: pytest.fail / pytest.raises


class Unparsable(Exception):
    """The solution or the tests are not valid Python."""


@dataclass
class Check:
    """One rewritten ``assert``: an expression tree over leaves the child evaluates."""

    source: str
    tree: Any
    leaves: int


@dataclass
class TestSpec:
    name: str
    kind: str  # "statement" (top-level code holding asserts) or "function"
    asserts: int  # assert statements inside; a statement test must report a check


@dataclass
class PythonPlan:
    payload: dict[str, Any]  # what the child receives: no literal expected values
    tests: list[TestSpec]
    checks: dict[int, Check]
    executable_lines: set[int] = field(default_factory=set)


def plan(solution: str, tests: str) -> PythonPlan:
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

    rewriter = _AssertRewriter(tests.splitlines())
    segments: list[Any] = []
    tests_of_segments: list[int | None] = []
    specs: list[TestSpec] = []
    functions: list[list[Any]] = []
    for stmt in module.body:
        before = len(rewriter.checks)
        name = rewriter.source_of(stmt)
        new = rewriter.visit(stmt)
        asserts = len(rewriter.checks) - before
        is_test_fn = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and (
            stmt.name.startswith("test")
        )
        test_index = None
        if is_test_fn:
            functions.append([len(specs), stmt.name, isinstance(stmt, ast.AsyncFunctionDef)])
            specs.append(TestSpec(stmt.name, "function", asserts))
        elif asserts and not isinstance(
            stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            test_index = len(specs)
            specs.append(TestSpec(clip(name.strip(), 300), "statement", asserts))
        compiled = compile(ast.Module([new], []), TESTS_FILE, "exec", dont_inherit=True)
        segments.append(compiled)
        tests_of_segments.append(test_index)
    # Bytecode, not source: the child compiles nothing (faster) and never sees
    # the test text, so the literal expected values stay in the parent.
    blob = base64.b64encode(marshal.dumps((code, tuple(segments)))).decode("ascii")
    payload = {"code": blob, "tests": tests_of_segments, "functions": functions}
    return PythonPlan(payload, specs, rewriter.checks, _lines_of(code))


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


class _AssertRewriter(ast.NodeTransformer):
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.checks: dict[int, Check] = {}

    def source_of(self, node: ast.AST) -> str:
        """The node's source text (ast.get_source_segment re-splits the file per call)."""
        first, last = node.lineno - 1, node.end_lineno - 1
        chunk = [line.encode() for line in self.lines[first : last + 1]]
        if not chunk:
            return ast.unparse(node)
        chunk[-1] = chunk[-1][: node.end_col_offset]
        chunk[0] = chunk[0][node.col_offset :]
        return b"\n".join(chunk).decode("utf-8", "replace")

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        leaves: list[ast.expr] = []
        tree = self._tree(node.test, leaves)
        cid = len(self.checks)
        self.checks[cid] = Check(clip(self.source_of(node), 500), tree, len(leaves))
        here = {"lineno": node.lineno, "col_offset": node.col_offset}
        here.update(end_lineno=node.end_lineno, end_col_offset=node.end_col_offset)
        thunks = [
            ast.Lambda(ast.arguments([], [], None, [], [], None, []), leaf, **here)
            for leaf in leaves
        ]
        func = ast.Name(CHECK_FN, ast.Load(), **here)
        call = ast.Call(func, [ast.Constant(cid, **here), *thunks], [], **here)
        return ast.Expr(call, **here)

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
        leaves.append(node)  # an expression holds no assert statement: nothing to rewrite
        return ["leaf", len(leaves) - 1]


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


def verdict(p: PythonPlan, reply: dict[str, Any]) -> RunResult:
    """Turn the child's channel records and exit information into a `RunResult`."""
    result = RunResult(status="error", language="python")
    n = len(p.tests)
    begun = [False] * n
    ended: list[dict[str, Any] | None] = [None] * n
    outcomes: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    run_errors: list[str] = []
    done: dict[str, Any] | None = None
    open_test: int | None = None
    try:
        for rec in parse_records(reply.get("records", "")):
            event = rec.get("e") if isinstance(rec, dict) else None
            if event == "begin":
                t = rec["t"]
                if open_test is not None or not 0 <= t < n or begun[t]:
                    raise ProtocolError("unexpected begin")
                begun[t], open_test = True, t
            elif event == "ran":  # synchronous part done; the verdict comes with "end"
                if rec.get("t") != open_test or open_test is None:
                    raise ProtocolError("unexpected ran")
                open_test = None
            elif event == "end":
                t = rec.get("t")
                if not isinstance(t, int) or not 0 <= t < n or not begun[t] or ended[t]:
                    raise ProtocolError("unexpected end")
                if open_test not in (None, t):
                    raise ProtocolError("end of a test that is not open")
                ended[t], open_test = rec, None
            elif event == "start":
                pass
            elif event == "check":
                check = p.checks.get(rec.get("c"))
                if check is None:
                    raise ProtocolError("unknown check")
                outcome = judge_check(check, rec.get("v"))
                if open_test is not None:
                    outcomes[open_test].append(outcome)
                elif outcome[0] != "pass":
                    run_errors.append(f"assertion outside a test: {outcome[1]}")
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
    for i, spec in enumerate(p.tests):
        result.tests.append(_test_result(spec, begun[i], ended[i], outcomes[i], timed_out))

    if done is not None and p.executable_lines:
        lines = done.get("lines")
        if isinstance(lines, list):
            hit = p.executable_lines.intersection(x for x in lines if isinstance(x, int))
            result.coverage = round(len(hit) / len(p.executable_lines), 4)

    exit_code = reply.get("exit")
    if timed_out:
        result.status, result.reason = "timeout", f"exceeded {reply.get('timeout')} s"
    elif run_errors:
        result.status, result.reason = "error", run_errors[0]
    elif done is None or exit_code != 0:
        result.status = "error"
        result.reason = f"the program ended before reporting every test ({_exit_text(reply)})"
    elif not all(begun) or any(e is None for e in ended):
        result.status, result.reason = "error", "the program did not report every test"
    elif not p.tests:
        result.status, result.reason = "error", "no tests found"
    elif all(t.status == "pass" for t in result.tests):
        result.status = "pass"
    else:
        result.status = "fail"
    return result


def _test_result(
    spec: TestSpec,
    begun: bool,
    end: dict[str, Any] | None,
    outcomes: list[tuple[str, str]],
    timed_out: bool,
) -> TestResult:
    cut = "timeout" if timed_out else "error"
    if not begun:
        return TestResult(spec.name, cut, "not reached")
    if end is None:
        return TestResult(spec.name, cut, "the program stopped during this test")
    duration = end.get("d") if isinstance(end.get("d"), int | float) else 0.0
    exc = end.get("x")
    if exc:
        kind = str(exc.get("type", "")) if isinstance(exc, dict) else ""
        message = clip(f"{kind}: {exc.get('m', '')}" if isinstance(exc, dict) else str(exc))
        # A failed check does not stop the child, so it came first: report it.
        first = next(((s, m) for s, m in outcomes if s != "pass"), None)
        if first is not None:
            return TestResult(spec.name, first[0], first[1], duration)
        fails = kind in _FAIL_EXCEPTIONS or (isinstance(exc, dict) and exc.get("k") == "fail")
        status = "fail" if fails else "error"
        return TestResult(spec.name, status, message, duration)
    for status, message in outcomes:
        if status != "pass":
            return TestResult(spec.name, status, message, duration)
    if spec.asserts and not outcomes:
        return TestResult(spec.name, "error", "no assertion was evaluated", duration)
    return TestResult(spec.name, "pass", "", duration)


def _exit_text(reply: dict[str, Any]) -> str:
    code = reply.get("exit")
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"
