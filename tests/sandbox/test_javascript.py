"""JavaScript and TypeScript test shapes through the real sandbox and a real Node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sandbox
from sandbox.languages import toolchains

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _node() -> None:
    status = toolchains()["typescript"]
    if not status["available"]:
        pytest.skip(f"node toolchain missing: {status['reason']}")


def statuses(result: sandbox.RunResult) -> list[str]:
    return [t.status for t in result.tests]


ADD = "const add = (a, b) => a + b;"
WRONG_ADD = "const add = (a, b) => a - b;"


# ------------------------------------------------------------------ shapes


def test_tests_in_a_function_then_called_count_each_console_assert() -> None:
    tests = (
        "const testAdd = () => {\n"
        "  console.assert(add(1, 2) === 3)\n"
        "  console.assert(add(2, 2) === 4)\n"
        "}\n\ntestAdd()\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert result.status == "pass", result.reason
    assert [(t.name, t.message) for t in result.tests] == [("testAdd()", "2 assertions")]
    # console.assert only prints in Node: a failed one must still fail the test.
    result = sandbox.run("javascript", WRONG_ADD, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail"])
    assert "console.assert failed" in result.tests[0].message


def test_bare_statements_with_brackets_in_strings() -> None:
    tests = (
        "const open = '(';\n"
        'if (add(1, 2) !== 3) throw new Error("wrong ) " + open)\n'
        "if (add(\"{\", \"[\") !== '{[') { throw new Error('}') }\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    assert result.tests[0].name == 'if (add(1, 2) !== 3) throw new Error("wrong ) " + open)'
    result = sandbox.run("javascript", WRONG_ADD, tests)
    assert result.status == "fail" and result.tests[0].status == "fail"


def test_a_nul_character_inside_a_string_parses() -> None:
    solution = 'const nul = () => "\0";'
    result = sandbox.run("javascript", solution, 'console.assert(nul() === "\x00")')
    assert result.status == "pass", result.reason


def test_thrown_string_is_a_failure() -> None:
    tests = "var x0 = add(1, 2);\nif (x0 !== 4) {\n  throw 'Error at 1th assert statement'\n}\n"
    result = sandbox.run("javascript", ADD, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail"])
    assert "Error at 1th assert statement" in result.tests[0].message


def test_typescript_arrow_with_object_literal_return_type_and_assert_module() -> None:
    solution = "export const f = (x: number): {a: number} => ({a: x});\n"
    tests = (
        "import * as assert from 'assert'\n"
        "let actual_1 = f(1);\n"
        "assert.deepEqual(actual_1, {a: 1}, 'case 0');\n"
        "assert.deepStrictEqual(f(2), {a: 2});\n"
    )
    result = sandbox.run("typescript", solution, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    result = sandbox.run("typescript", solution.replace("a: x", "a: x + 1"), tests)
    assert (result.status, statuses(result)) == ("fail", ["fail", "fail"])
    assert "case 0" in result.tests[0].message


def test_typescript_enums_namespaces_and_parameter_properties() -> None:
    solution = (
        "enum Color { Red, Green }\n"
        "namespace Geometry { export const two = 2; }\n"
        "class Box { constructor(public size: number) {} }\n"
        "function area(b: Box): number { return b.size * Geometry.two + Color.Green; }\n"
    )
    tests = "const assert = require('node:assert');\nassert.strictEqual(area(new Box(3)), 7);\n"
    result = sandbox.run("ts", solution, tests)
    assert result.status == "pass", (result.reason, result.stderr_tail)


def test_require_of_assert_strict_and_nested_asserts() -> None:
    tests = (
        "const { strictEqual, throws } = require('node:assert/strict');\n"
        "strictEqual(add(1, 2), 3);\n"
        "throws(() => strictEqual(add(1, 1), 3));\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.tests


def test_solution_with_exports_imports_and_sloppy_mode() -> None:
    solution = (
        "import { join } from 'node:path';\n"
        "import fs from 'fs';\n"
        "export default function joined(a, b) { total = 0; return join(a, b); }\n"
        "export { joined as j };\n"
    )
    tests = (
        "import assert from 'node:assert';\n"
        "assert.equal(joined('a', 'b'), 'a/b');\n"
        "assert.equal(typeof fs.readFileSync, 'function');\n"
    )
    result = sandbox.run("javascript", solution, tests)
    assert result.status == "pass", (result.reason, result.stderr_tail)


def test_tests_that_require_the_solution_by_a_relative_path() -> None:
    cjs = "function add(a, b) { return a + b; }\nmodule.exports = { add };"
    tests = "const { add } = require('./solution');\nconsole.assert(add(1, 2) === 3);"
    assert sandbox.run("javascript", cjs, tests).status == "pass"
    esm = "export const add = (a: number, b: number) => a + b;\nexport default add;"
    tests = (
        "import { add } from './solution';\nimport * as sol from '../src/solution';\n"
        "import plus from './solution';\n"
        "console.assert(add(1, 2) === 3);\nconsole.assert(sol.add(2, 2) === 4 && plus === add);"
    )
    result = sandbox.run("typescript", esm, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    # A solution importing a file of its own that the item does not hold cannot run.
    result = sandbox.run("javascript", "import h from './helper';\n" + cjs, tests)
    assert result.status == "unsupported" and "./helper" in result.reason


def test_top_level_await_in_tests() -> None:
    solution = "async function later(x) { return new Promise(r => setTimeout(() => r(x), 5)); }"
    tests = "const v = await later(2);\nif (v !== 2) throw new Error('x');\n"
    result = sandbox.run("javascript", solution, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass"]), result.reason
    result = sandbox.run("javascript", solution, tests.replace("!== 2", "!== 3"))
    assert result.status == "fail"


def test_top_level_await_in_the_solution_and_assert_imported_twice() -> None:
    solution = (
        "const assert = require('node:assert');\n"
        "const base = await Promise.resolve(10);\n"
        "function plus(x) { assert.ok(x >= 0); return base + x; }\n"
    )
    tests = "import * as assert from 'assert';\nassert.strictEqual(plus(1), 11);\n"
    result = sandbox.run("javascript", solution, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass"]), result.reason


def test_async_failure_after_the_test_returned_is_attributed() -> None:
    tests = (
        "if (add(1, 2) !== 3) throw new Error('sync');\n"
        "setTimeout(() => { if (add(2, 2) !== 5) throw new Error('late'); }, 5);\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert statuses(result) == ["pass", "fail"]
    assert "late" in result.tests[1].message


# --------------------------------------------------------------- node:test


def test_node_test_each_test_is_a_test_with_async_and_done_callbacks() -> None:
    tests = (
        "const test = require('node:test');\n"
        "const assert = require('node:assert');\n"
        "test('adds', () => { assert.strictEqual(add(1, 2), 3); });\n"
        "test('async', async () => {\n"
        "  await new Promise((r) => setTimeout(r, 5));\n"
        "  assert.strictEqual(add(2, 2), 4);\n"
        "});\n"
        "test('callback', (t, done) => { setTimeout(() => { t.assert.ok(add(0, 1)); done(); }, 5); });\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert [(t.name, t.status) for t in result.tests] == [
        ("adds", "pass"),
        ("async", "pass"),
        ("callback", "pass"),
    ], result.reason
    assert result.status == "pass"
    result = sandbox.run("javascript", WRONG_ADD, tests)
    assert statuses(result) == ["fail", "fail", "pass"]


def test_node_test_describe_it_hooks_and_subtests() -> None:
    tests = (
        "import { describe, it, beforeEach } from 'node:test';\n"
        "import assert from 'node:assert/strict';\n"
        "let base;\n"
        "describe('add', () => {\n"
        "  beforeEach(() => { base = 10; });\n"
        "  it('small', () => assert.equal(add(base, 1), 11));\n"
        "  describe('nested', () => {\n"
        "    it('zero', async (t) => {\n"
        "      await t.test('inner', () => assert.equal(add(base, 0), 10));\n"
        "    });\n"
        "  });\n"
        "});\n"
    )
    result = sandbox.run("typescript", ADD, tests)
    names = [(t.name, t.status) for t in result.tests]
    assert names == [
        ("add > small", "pass"),
        ("add > nested > zero", "pass"),
        ("add > nested > zero > inner", "pass"),
    ], (names, result.reason)
    assert result.status == "pass"


def test_node_test_that_never_settles_is_not_a_pass() -> None:
    tests = (
        "const { test } = require('node:test');\n"
        "const assert = require('node:assert');\n"
        "test('hangs', async () => { assert.ok(true); await new Promise(() => {}); });\n"
        "test('after', () => assert.ok(true));\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert result.status != "pass"
    assert [(t.name, t.status) for t in result.tests] == [("hangs", "error"), ("after", "error")]
    assert "never settled" in result.tests[0].message


def test_node_test_without_assertion_is_an_error() -> None:
    tests = "const test = require('node:test');\ntest('nothing', () => { add(1, 2); });\n"
    result = sandbox.run("javascript", ADD, tests)
    assert result.status == "fail"
    assert (result.tests[0].status, result.tests[0].message) == (
        "error",
        "no assertion was evaluated",
    )


# ------------------------------------------------------- no assertion ran


@pytest.mark.parametrize(
    ("tests", "reason"),
    [
        ("// add(1, 2) should be 3\n", "no assertion"),
        ("console.log('assert')\n", "no assertion"),
        ("const testAdd = () => { console.assert(add(1, 2) === 3) }\n", "never call"),
        ("", "no assertion"),
    ],
)
def test_tests_without_an_assertion_are_an_error(tests: str, reason: str) -> None:
    result = sandbox.run("javascript", ADD, tests)
    assert result.status == "error" and reason in result.reason, result.reason


def test_a_statement_whose_assertion_never_ran_is_an_error() -> None:
    tests = "const check = (x) => { if (x) throw new Error('bad'); };\nif (false) check(true);\n"
    result = sandbox.run("javascript", ADD, tests)
    assert result.status == "fail"
    assert (result.tests[0].status, result.tests[0].message) == (
        "error",
        "no assertion was evaluated",
    )


def test_tests_that_fail_by_exiting_non_zero() -> None:
    tests = (
        "if (add(1, 2) !== 3) { console.error('wrong'); process.exit(1); }\n"
        "if (add(2, 2) !== 4) process.exit(2);\n"
        "process.exit(0);\n"
    )
    result = sandbox.run("javascript", ADD, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    result = sandbox.run("javascript", WRONG_ADD, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail", "error"])
    assert "process.exit(1)" in result.tests[0].message


def test_exit_before_the_tests_end_is_not_a_pass() -> None:
    solution = "const add = (a, b) => { process.exit(0); };"
    result = sandbox.run("javascript", solution, "console.assert(add(1, 2) === 3)")
    assert result.status != "pass" and statuses(result) == ["error"]
    assert "process.exit(0)" in result.tests[0].message


# ------------------------------------------------------- parse and deps


def test_syntax_errors_are_unparsable_from_tree_sitter_and_node() -> None:
    result = sandbox.run("typescript", "function f( {", "if (f() !== 1) throw new Error('x');")
    assert result.status == "unparsable" and "line 1" in result.reason
    result = sandbox.run("javascript", ADD, "if (add(1, 2) !== 3 throw new Error('x');")
    assert result.status == "unparsable" and "test code" in result.reason
    # tree-sitter accepts it, Node does not: a duplicate declaration.
    result = sandbox.run("javascript", "let a = 1;\nlet a = 2;", "console.assert(a === 2)")
    assert result.status == "unparsable" and "SyntaxError" in result.reason


def test_missing_npm_package_is_unsupported_and_named() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ASSAY_NODE_MODULES"}
    runs = [
        ("javascript", ADD, "const _ = require('lodash')\nif (!_.isEqual(add(1, 2), 3)) throw 'x'"),
        ("typescript", "import {Heap} from 'heap-js'\nconst f = () => 1;", "console.assert(f())"),
    ]
    assert [(r.status, r.reason) for r in _run_elsewhere(runs, env)] == [
        ("unsupported", "needs the npm package lodash"),
        ("unsupported", "needs the npm package heap-js"),
    ]


def test_packages_from_assay_node_modules_are_found(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    cjs, esm = modules / "tiny-sum", modules / "tiny-double"  # CommonJS, ES-module-only
    cjs.mkdir(parents=True)
    esm.mkdir()
    (cjs / "package.json").write_text('{"name": "tiny-sum", "main": "index.js"}')
    (cjs / "index.js").write_text("module.exports = { sum: (xs) => xs.reduce((a, b) => a + b) };")
    (esm / "package.json").write_text(
        '{"name": "tiny-double", "type": "module", "exports": "./i.js"}'
    )
    (esm / "i.js").write_text("export default function double(x) { return 2 * x; }")
    solution = (
        "import { sum } from 'tiny-sum';\nimport double from 'tiny-double';\n"
        "const total = (xs: number[]): number => double(sum(xs));\n"
    )
    tests = "import assert from 'assert';\nassert.equal(total([1, 2, 3]), 12);\n"
    env = {**os.environ, "ASSAY_NODE_MODULES": str(modules)}
    (result,) = _run_elsewhere([("typescript", solution, tests)], env)
    assert result.status == "pass", (result.reason, result.stderr_tail)


# ------------------------------------------------------------- forgery


def test_records_the_solution_writes_on_the_channel_make_the_run_an_error() -> None:
    solution = (
        "const fs = require('fs');\nlet k = '';\n"
        "try { k = fs.readFileSync('.assay-nonce', 'utf8'); } catch {}\n"
        "const rec = (q, r) => JSON.stringify({ k, q, ...r }) + '\\n';\n"
        "fs.writeSync(3, rec(0, { e: 'begin', t: 0 }) + rec(1, { e: 'end', t: 0, n: 1, x: null })"
        " + rec(2, { e: 'done' }));\nprocess.reallyExit(0);\n" + WRONG_ADD
    )
    result = sandbox.run("javascript", solution, "if (add(1, 2) !== 3) throw new Error('x');")
    assert result.status == "error"
    assert result.reason == "the result channel holds a record the harness did not write"


def test_the_solution_cannot_reach_the_harness_that_counts() -> None:
    # A console.assert that never fails would need the harness to count it.
    solution = "console.assert = () => { eval('__as' + 'say').hit(); };\n" + WRONG_ADD
    result = sandbox.run("javascript", solution, "console.assert(add(1, 2) === 3)")
    assert (result.status, statuses(result)) == ("fail", ["fail"])
    # The program's own hand-over, called from the solution, makes the run an error.
    solution = "try { eval('__assay_' + 'run')(); } catch {}\n" + ADD
    result = sandbox.run("javascript", solution, "if (add(1, 2) !== 3) throw new Error('x');")
    assert (result.status, result.reason) == (
        "error",
        "the sandbox harness was called by item code",
    )
    result = sandbox.run(
        "javascript", "const __assay = 1;\n" + ADD, "console.assert(add(1, 2) === 3)"
    )
    assert result.status == "error" and "reserves" in result.reason


def test_builtins_the_solution_patches_or_shadows_do_not_reach_the_tests() -> None:
    tests = "if (JSON.stringify(pair(1)) !== JSON.stringify([1, 1])) throw new Error('x');"
    wrong = "function pair(x) { return [x, 0]; }\n"
    shadowed = sandbox.run("javascript", "var JSON = { stringify: () => 's' };\n" + wrong, tests)
    assert (shadowed.status, statuses(shadowed)) == ("fail", ["fail"])
    # Out of sight of the static check, the frozen intrinsic refuses the change.
    patched = sandbox.run(
        "javascript", "const J = JSON;\nJ.stringify = () => 's';\n" + wrong, tests
    )
    assert (patched.status, statuses(patched)) == ("fail", ["fail"])
    # Intrinsics are frozen: code that extends one is told so instead of failing later.
    extends = sandbox.run(
        "typescript", "String.prototype.twice = function () { return 1; };", tests
    )
    assert extends.status == "unsupported" and "String.prototype" in extends.reason
    # Objects of the code's own keep their overrides (no "override mistake").
    solution = (
        "function Box(v) { this.v = v; }\nBox.prototype.toString = function () { return 'box'; };\n"
    )
    honest = sandbox.run("javascript", solution, "console.assert(String(new Box(1)) === 'box')")
    assert honest.status == "pass", honest.reason


def test_a_late_failure_counts_when_the_solution_swallows_rejections() -> None:
    solution = (
        "process.removeAllListeners('unhandledRejection');\n"
        "process.on('unhandledRejection', () => {});\nprocess.on('uncaughtException', () => {});\n"
        "try { process.setUncaughtExceptionCaptureCallback(null); } catch {}\n"
        "async function add(a, b) { return a - b; }\n"
    )
    tests = "add(1, 2).then((r) => { if (r !== 3) throw new Error('late'); });"
    result = sandbox.run("javascript", solution, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail"])
    assert "late" in result.tests[0].message


def test_a_test_waiting_on_a_promise_that_never_settles_is_an_error() -> None:
    solution = "function add(a, b) { return new Promise(() => {}); }"
    tests = "if ((await add(1, 2)) !== 3) throw new Error('x');"
    result = sandbox.run("typescript", solution, tests)
    assert statuses(result) == ["error"] and "never settled" in result.tests[0].message


def test_tests_get_their_own_copy_of_modules_the_solution_patches() -> None:
    solution = "require('util').isDeepStrictEqual = () => true;\n" + WRONG_ADD
    tests = "const util = require('util');\nif (!util.isDeepStrictEqual(add(1, 2), 3)) throw 'x';"
    result = sandbox.run("javascript", solution, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail"])
    # Tests that use the solution's assert binding get the counting one.
    solution = "const assert = require('assert');\n" + ADD
    result = sandbox.run("javascript", solution, "assert.strictEqual(add(1, 2), 3);")
    assert (result.status, statuses(result)) == ("pass", ["pass"]), result.reason


def _run_elsewhere(runs: list[tuple[str, str, str]], env: dict[str, str]) -> list:
    """Run items in a fresh process, as a user starting Assay with that environment."""
    code = (
        "import json, sys, sandbox\n"
        "runs = json.load(sys.stdin)\n"
        "print(json.dumps([sandbox.run(*r).to_dict() for r in runs]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [sandbox.RunResult.from_dict(r) for r in json.loads(proc.stdout.splitlines()[-1])]
