"""Rust: one program per item, built with `rustc`, tests called from our own `main`.

Test shapes, found with tree-sitter (never regular expressions over the text):

- `#[test]` functions, usually in `#[cfg(test)] mod tests { use super::*; ... }`
  (HumanEval-X). We do not build with `rustc --test`: libtest prints its per-test
  results on stdout, which the code under test can forge. Instead the program is
  compiled with `--cfg test` (so `cfg(test)` items exist, as under `cargo test`),
  the `#[test]`, `#[should_panic]` and `#[ignore]` attributes are taken off, the test
  functions (and the modules holding them) are made `pub(crate)`, and our generated
  `main` calls each one inside `assay_test` (`catch_unwind`, begin/end records on
  fd 3). `#[should_panic(expected = ...)]` and `#[ignore]` keep libtest's meaning; a
  test returning `Result` fails on `Err`. A test under a `cfg` other than `test` is
  called under the same `cfg`, so one that is compiled out is reported as such.
- A `fn main` in the tests (MultiPL-E, C++-style programs): each checking statement
  of its body is a test, as if bare (a `main` returning `Result` is one test). Tests
  that begin with the closing brace of the solution's function get it moved back.
- Bare statements (`assert_eq!(f(x), y);`, `let r = ...;`, `if ... { panic!() }`):
  each statement holding an assertion is a test; the others stay as setup in `main`.

A test that evaluated no assertion is never a pass. `assert!`, `assert_eq!`,
`assert_ne!` and their `debug_` forms are shadowed, after the solution and before the
tests, by `macro_rules!` that count each evaluation and delegate to `core` (the
solution's own asserts are not counted); a statement that can `panic!` under an `if`
or `match` counts when it is reached; a `#[should_panic]` test that panicked as
expected has checked. A test that ends with no count is `error`.

Crates (named when missing, linked from ASSAY_RUST_CRATES): see `rust_crates`.

Speed: no libtest in the binary, std linked dynamically against the toolchain's own
(trusted, read-only) `libstd.so`, one codegen unit: see `sandbox/README.md`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.languages import syntax
from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    compile_step,
    on_path,
    require_toolchain,
    run_step,
    verdict,
)
from sandbox.languages.cpp_java import Prebuilt, build_once, cache_dir, cache_is_safe
from sandbox.languages.rust_crates import CRATES_ENV, local_roots, missing_crate, plan_crates
from sandbox.result import RunRequest, RunResult, TestResult, clip

ASSERT_MACROS = frozenset(
    ("assert", "assert_eq", "assert_ne", "debug_assert", "debug_assert_eq", "debug_assert_ne")
)
PANIC_MACROS = frozenset(("panic", "unreachable"))
UNWRAP_METHODS = frozenset(("unwrap", "expect", "unwrap_err", "expect_err"))
CHECK_MACROS = ASSERT_MACROS | PANIC_MACROS
NO_ASSERTION = "no assertion was evaluated"


@functools.cache
def toolchain() -> Toolchain:
    """rustc on PATH (rustup's proxy or a system one) and its version."""
    return on_path("rustc", ["--version"])


@functools.cache
def _sysroot() -> Path | None:
    proxy = shutil.which("rustc") or "rustc"
    try:
        out = subprocess.run(
            [proxy, "--print", "sysroot"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(out) if out else None


@functools.cache
def _rustc() -> str:
    """The real rustc inside the toolchain (the rustup proxy needs a HOME we do not give)."""
    sysroot = _sysroot()
    real = sysroot / "bin" / "rustc" if sysroot else None
    return str(real) if real and real.exists() else shutil.which("rustc") or "rustc"


@functools.cache
def _std_dylib_dir() -> str | None:
    """The directory of the toolchain's own libstd-*.so, for dynamic linking."""
    sysroot = _sysroot()
    if sysroot is None:
        return None
    for lib in sorted((sysroot / "lib" / "rustlib").glob("*/lib/libstd-*.so")):
        return str(lib.parent)
    return None


# ------------------------------------------------------------------ source edits


class _Edits:
    """Byte-range replacements on one source, applied together."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.changes: list[tuple[int, int, str]] = []

    def replace(self, node: Any, text: str) -> None:
        self.changes.append((node.start_byte, node.end_byte, text))

    def blank(self, node: Any) -> None:
        """Remove a node, keeping its newlines so rustc's line numbers still match."""
        kept = "\n" * self.source[node.start_byte : node.end_byte].count(b"\n")
        self.replace(node, kept)

    def insert(self, at: int, text: str) -> None:
        self.changes.append((at, at, text))

    def text(self, start: int = 0, end: int | None = None) -> str:
        end = len(self.source) if end is None else end
        out, pos = [], start
        for a, b, new in sorted(c for c in set(self.changes) if start <= c[0] and c[1] <= end):
            if a < pos:
                continue  # inside a range already replaced
            out += [self.source[pos:a].decode("utf-8", "replace"), new]
            pos = b
        out.append(self.source[pos:end].decode("utf-8", "replace"))
        return "".join(out)


def _macro_name(node: Any, source: bytes) -> str:
    macro = node.child_by_field_name("macro")
    return syntax.text(macro, source).rsplit("::", 1)[-1] if macro is not None else ""


def _attributes(node: Any) -> list[Any]:
    """The `#[...]` items written just before an item (tree-sitter makes them siblings)."""
    found = []
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in (
        "attribute_item",
        "line_comment",
        "block_comment",
    ):
        if sibling.type == "attribute_item":
            found.append(sibling)
        sibling = sibling.prev_named_sibling
    return list(reversed(found))


def _attribute_name(attr: Any, source: bytes) -> str:
    inner = next((c for c in attr.named_children if c.type == "attribute"), None)
    head = inner.named_children[0] if inner is not None and inner.named_children else None
    return syntax.text(head, source) if head is not None else ""


def _attribute_args(attr: Any) -> Any | None:
    inner = next((c for c in attr.named_children if c.type == "attribute"), None)
    if inner is None:
        return None
    return next((c for c in inner.named_children if c.type == "token_tree"), None)


def _name(node: Any, source: bytes) -> str:
    name = node.child_by_field_name("name")
    return syntax.text(name, source) if name is not None else ""


def _has_visibility(node: Any) -> bool:
    return any(c.type == "visibility_modifier" for c in node.children)


# ---------------------------------------------------------------------- tests


@dataclass
class RustTest:
    """One test as the program runs it."""

    name: str  # as libtest names it: `tests::test_add`, or the statement
    call: str  # the Rust expression (a closure body) that runs it
    should_panic: bool = False
    expected: str = "None"  # a Rust `Option<&str>` expression
    ignored: bool = False
    cfgs: list[str] = field(default_factory=list)  # cfg predicates it is compiled under


def _count_points(body: Any, source: bytes) -> set[int]:
    """Where to count a check that is about to run: before each statement that can
    `panic!` under an `if`/`match`, or that unwraps (`.unwrap()`, `.expect(..)`, `?`).
    The assert macros count themselves."""
    points: set[int] = set()
    for node in syntax.walk(body):
        if node.type == "macro_invocation" and _macro_name(node, source) in PANIC_MACROS:
            guard = node.parent
            while guard is not None and guard is not body:
                if guard.type in ("if_expression", "match_expression"):
                    break
                if guard.type in ("closure_expression", "function_item"):
                    guard = None
                    break
                guard = guard.parent
            if guard is None or guard.type not in ("if_expression", "match_expression"):
                continue
        elif node.type == "try_expression" or _unwraps(node, source):
            guard = node
        else:
            continue
        while guard.parent is not None and guard.parent.type != "block" and guard is not body:
            guard = guard.parent
        if guard.parent is not None and guard.parent.type == "block":
            points.add(guard.start_byte)
    return points


def _unwraps(node: Any, source: bytes) -> bool:
    if node.type != "call_expression":
        return False
    function = node.child_by_field_name("function")
    if function is None or function.type != "field_expression":
        return False
    name = function.child_by_field_name("field")
    return name is not None and syntax.text(name, source) in UNWRAP_METHODS


def _checks(node: Any, source: bytes, checking: set[str]) -> bool:
    """Whether a statement holds an assertion (or calls a helper that does)."""
    for sub in syntax.walk(node):
        if sub.type == "macro_invocation" and _macro_name(sub, source) in CHECK_MACROS:
            return True
        if sub.type == "call_expression":
            function = sub.child_by_field_name("function")
            if function is not None and syntax.text(function, source) in checking:
                return True
    return False


def _checking_helpers(root: Any, source: bytes) -> set[str]:
    """Functions in the tests whose bodies assert: calling one is a check."""
    return {
        _name(node, source)
        for node in syntax.walk(root)
        if node.type == "function_item" and _checks(node, source, set())
    }


def _cfg_predicate(attr: Any, source: bytes) -> str | None:
    if _attribute_name(attr, source) != "cfg":
        return None
    args = _attribute_args(attr)
    return syntax.text(args, source)[1:-1].strip() if args is not None else None


def _test_functions(tree: Any, source: bytes) -> list[tuple[Any, list[str], list[Any]]]:
    """(function, module path, enclosing mods) for every `#[test]` fn in the tree."""
    found = []

    def visit(container: Any, path: list[str], mods: list[Any]) -> None:
        for node in container.named_children:
            if node.type == "function_item":
                if any(_attribute_name(a, source) == "test" for a in _attributes(node)):
                    found.append((node, path, mods))
            elif node.type == "mod_item":
                body = node.child_by_field_name("body")
                if body is not None:
                    visit(body, [*path, _name(node, source)], [*mods, node])

    visit(tree.root_node, [], [])
    return found


@dataclass
class _Shape:
    tests: list[RustTest]
    items: str  # Rust items placed after the harness
    main_body: str  # statements of `main` (bare-statement setup included)


def _libtest_shape(tree: Any, source: bytes) -> _Shape:
    edits = _Edits(source)
    tests: list[RustTest] = []
    opened: set[int] = set()
    for node in tree.root_node.named_children:
        if node.type == "function_item" and _name(node, source) == "main":
            edits.replace(node.child_by_field_name("name"), "assay_tests_main")
    _count_in_functions(tree, source, edits)
    for function, path, mods in _test_functions(tree, source):
        test = RustTest("::".join([*path, _name(function, source)]), "")
        for mod in mods:
            test.cfgs += [p for a in _attributes(mod) if (p := _cfg_predicate(a, source))]
            if not _has_visibility(mod) and mod.start_byte not in opened:
                opened.add(mod.start_byte)
                edits.insert(mod.start_byte, "pub(crate) ")
        for attr in _attributes(function):
            kind = _attribute_name(attr, source)
            if kind in ("test", "should_panic", "ignore"):
                edits.blank(attr)
            if kind == "ignore":
                test.ignored = True
            elif kind == "should_panic":
                test.should_panic = True
                args = _attribute_args(attr)
                literal = None
                if args is not None:
                    kids = args.named_children
                    for i, kid in enumerate(kids):
                        if syntax.text(kid, source) == "expected" and i + 1 < len(kids):
                            literal = syntax.text(kids[i + 1], source)
                    if literal is None and kids and kids[0].type.endswith("string_literal"):
                        literal = syntax.text(kids[0], source)
                test.expected = f"Some({literal})" if literal else "None"
            elif (predicate := _cfg_predicate(attr, source)) is not None:
                test.cfgs.append(predicate)
        if not _has_visibility(function):
            edits.insert(function.start_byte, "pub(crate) ")
        test.call = f"{test.name}().assay_outcome()"
        tests.append(test)
    return _Shape(tests, edits.text(), "")


def _count_in_functions(tree: Any, source: bytes, edits: _Edits) -> None:
    """Count the checks of every function of the tests (test functions and helpers)."""
    for node in syntax.walk(tree.root_node):
        body = node.child_by_field_name("body") if node.type == "function_item" else None
        if body is not None:
            for point in _count_points(body, source):
                edits.insert(point, "assay_count!(); ")


def _main_shape(tree: Any, source: bytes) -> _Shape:
    """A test program: each checking statement of its `main` is a test, as if bare; a
    `main` returning `Result` (it may use `?`) is one test."""
    edits = _Edits(source)
    main = next(
        n
        for n in tree.root_node.named_children
        if n.type == "function_item" and _name(n, source) == "main"
    )
    _count_in_functions(tree, source, edits)
    body = main.child_by_field_name("body")
    if main.child_by_field_name("return_type") is not None or body is None:
        edits.replace(main.child_by_field_name("name"), "assay_tests_main")
        test = RustTest("main", "assay_tests_main().assay_outcome()")
        return _Shape([test], edits.text(), "")
    edits.blank(main)
    inner = source[body.start_byte + 1 : body.end_byte - 1].decode("utf-8", "replace")
    statements = _statement_shape(inner, _checking_helpers(tree.root_node, source))
    return _Shape(statements.tests, edits.text(), statements.main_body)


_WRAP = b"fn assay_tests() {\n"
_SETUP_TYPES = ("let_declaration", "line_comment", "block_comment", "empty_statement")


def _statement_shape(tests_text: str, helpers: set[str] | None = None) -> _Shape:
    source = _WRAP + tests_text.encode("utf-8") + b"\n}\n"
    tree = syntax.parse("rust", source.decode("utf-8"))
    function = tree.root_node.named_children[0] if tree.root_node.named_children else None
    block = function.child_by_field_name("body") if function is not None else None
    if tree.root_node.has_error or block is None or len(tree.root_node.named_children) != 1:
        # tree-sitter cannot split it: one test, and rustc says what is wrong
        test = RustTest(clip(tests_text.strip(), 300), "{\n" + tests_text + "\n}; Ok(())")
        return _Shape([test], "", "")
    checking = _checking_helpers(block, source) | (helpers or set())
    edits = _Edits(source)
    for point in _count_points(block, source):
        edits.insert(point, "assay_count!(); ")
    tests: list[RustTest] = []
    lines = []
    for stmt in block.named_children:
        text = edits.text(stmt.start_byte, stmt.end_byte)
        is_test = (
            stmt.type not in _SETUP_TYPES
            and not stmt.type.endswith("_item")
            and stmt.type not in ("use_declaration", "macro_definition")
            and _checks(stmt, source, checking)
        )
        if is_test:
            index = len(tests)
            tests.append(
                RustTest(clip(syntax.text(stmt, source), 300), "{\n" + text + "\n}; Ok(())")
            )
            lines.append(f"\x00T{index}\x00")
        else:
            lines.append(text)
    return _Shape(tests, "", "\n".join(lines))


def _shape(tests_text: str) -> _Shape:
    """How the tests are written: #[test] functions, a test `main`, or statements."""
    tree = syntax.parse("rust", tests_text)
    source = tests_text.encode("utf-8")
    if _test_functions(tree, source):
        return _libtest_shape(tree, source)
    top = tree.root_node.named_children
    has_main = any(n.type == "function_item" and _name(n, source) == "main" for n in top)
    if has_main and not tree.root_node.has_error:
        return _main_shape(tree, source)
    return _statement_shape(tests_text)


# -------------------------------------------------------------------- harness


def _macros(rt: str) -> str:
    """Counting asserts, placed after the solution: the tests' evaluations are counted.
    A placeholder of literals only (`assert!(true)`, `assert_eq!(1, 1)`) checks nothing
    and is not counted."""
    lines = [f"macro_rules! assay_count {{ () => {{ {rt}::assay_count() }} }}"]
    for name in sorted(ASSERT_MACROS):
        args = "true" if name.endswith("assert") else "$a:literal, $b:literal"
        same = "true" if name.endswith("assert") else "$a, $b"
        lines += [
            f"macro_rules! {name} {{",
            f"    ({args}) => {{{{ ::core::{name}!({same}); }}}};",
            f"    ({args}, $($m:tt)*) => {{{{ ::core::{name}!({same}, $($m)*); }}}};",
            f"    ($($t:tt)*) => {{{{ {rt}::assay_count(); ::core::{name}!($($t)*); }}}};",
            "}",
        ]
    return "\n".join(lines)


# The runtime the tests call: compiled once into a trusted rlib when it can be (see
# _runtime_rlib), else inlined as `mod assay_rt`. Not generic, so an item's crate only
# compiles its own closures.
RUNTIME = r"""
use ::std::sync::atomic::{AtomicUsize, Ordering};

pub static CHECKS: AtomicUsize = AtomicUsize::new(0);

pub fn assay_count() {
    CHECKS.fetch_add(1, Ordering::SeqCst);
}

fn send(s: &str) {
    use ::std::io::Write;
    use ::std::os::unix::io::FromRawFd;
    let mut f = ::std::mem::ManuallyDrop::new(unsafe { ::std::fs::File::from_raw_fd(3) });
    let _ = f.write_all(s.as_bytes());
}

fn quote(s: &str) -> String {
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

pub trait AssayOutcome {
    fn assay_outcome(self) -> Result<(), String>;
}

impl AssayOutcome for () {
    fn assay_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: ::std::fmt::Debug> AssayOutcome for Result<(), E> {
    fn assay_outcome(self) -> Result<(), String> {
        self.map_err(|e| format!("Error: {:?}", e))
    }
}

pub fn start() {
    ::std::panic::set_hook(Box::new(|_| {}));
    send("{\"e\":\"start\"}\n");
}

pub fn done() {
    send("{\"e\":\"done\"}\n");
}

fn end(i: usize, d: f64, extra: &str) {
    let n = CHECKS.load(Ordering::SeqCst);
    send(&format!("{{\"e\":\"end\",\"t\":{},\"d\":{},\"n\":{}{}}}\n", i, d, n, extra));
}

fn failure(kind: &str, m: &str) -> String {
    format!(",\"x\":{{\"k\":\"fail\",\"type\":\"{}\",\"m\":{}}}", kind, quote(m))
}

pub fn test<'a>(
    i: usize,
    should_panic: bool,
    expected: Option<&str>,
    body: Box<dyn FnOnce() -> Result<(), String> + 'a>,
) {
    send(&format!("{{\"e\":\"begin\",\"t\":{}}}\n", i));
    CHECKS.store(0, Ordering::SeqCst);
    let begun = ::std::time::Instant::now();
    let r = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(body));
    let d = begun.elapsed().as_secs_f64();
    let extra = match r {
        Ok(Ok(())) if should_panic => failure("should_panic", "the test did not panic"),
        Ok(Ok(())) => String::new(),
        Ok(Err(m)) => failure("Err", &m),
        Err(e) => {
            let m = if let Some(s) = e.downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = e.downcast_ref::<String>() {
                s.clone()
            } else {
                String::from("panic")
            };
            match expected {
                _ if !should_panic => failure("panic", &m),
                Some(x) if !m.contains(x) => failure(
                    "should_panic",
                    &format!("the panic did not contain {:?}: {}", x, m),
                ),
                _ => String::from(",\"p\":1"),
            }
        }
    };
    end(i, d, &extra);
}

pub fn compiled_out(i: usize) {
    send(&format!("{{\"e\":\"begin\",\"t\":{}}}\n", i));
    CHECKS.store(0, Ordering::SeqCst);
    let m = "the test is compiled out by its #[cfg]";
    end(i, 0.0, &format!(",\"x\":{{\"k\":\"error\",\"type\":\"cfg\",\"m\":\"{}\"}}", m));
}
"""
RUNTIME_FLAGS = ["--edition", "2021", "-C", "codegen-units=1"]


def sandbox_roots() -> list[str]:
    """Directories Rust runs read besides the toolchain: the runtime and user crates."""
    try:
        roots = [str(cache_dir("rust"))]
    except OSError:  # no writable cache: runs inline the runtime instead
        roots = []
    crates = os.environ.get(CRATES_ENV, "").strip()
    if crates and Path(crates).is_dir():
        roots.append(crates)
    return roots


def _build_runtime(_key: Any) -> str | None:
    """Compile RUNTIME into `libassay_rt.rlib`, once per rustc and source; its path."""
    key = hashlib.sha256("\0".join([toolchain().version, *RUNTIME_FLAGS, RUNTIME]).encode())
    folder = cache_dir("rust") / key.hexdigest()[:16]
    rlib = folder / "libassay_rt.rlib"
    if rlib.is_file():
        return str(rlib)
    argv = [_rustc(), *RUNTIME_FLAGS, "--crate-type", "rlib", "--crate-name", "assay_rt"]
    argv += ["-o", rlib.name, "assay_rt.rs"]
    built = build_once(folder, {"assay_rt.rs": RUNTIME}, argv, [rlib.name])
    return str(rlib) if built else None


_RUNTIME = Prebuilt(_build_runtime)


def _runtime_rlib() -> str | None:
    """The compiled runtime once it is built and runs cannot replace it, else None
    (the program then inlines the runtime)."""
    if not cache_is_safe():
        return None
    path = _RUNTIME.get()
    if path is not None and not Path(path).is_file():
        _RUNTIME.forget()  # the cache was cleared
        return None
    return path


def _inner_attributes(tree: Any, edits: _Edits) -> list[str]:
    """Take the crate's `#![...]` attributes out: they must open the file."""
    found = []
    for node in tree.root_node.named_children:
        if node.type == "inner_attribute_item":
            found.append(syntax.text(node, edits.source))
            edits.blank(node)
    return found


def _calls(tests: list[RustTest]) -> tuple[list[RustTest], list[str]]:
    """The tests that run, in order, and the `main` lines that run them."""
    run: list[RustTest] = []
    lines: list[str] = []
    for test in tests:
        if test.ignored:
            continue
        index = len(run)
        run.append(test)
        call = (
            f"\x00RT::test({index}, {str(test.should_panic).lower()}, {test.expected}, "
            f"Box::new(|| {{ {test.call} }}));"
        )
        cfgs = [c for c in test.cfgs if c != "test"]  # built with --cfg test
        if cfgs:
            predicate = ", ".join(cfgs)
            call = (
                f"#[cfg(all({predicate}))] {call}\n"
                f"    #[cfg(not(all({predicate})))] \x00RT::compiled_out({index});"
            )
        lines.append(call)
    return run, lines


def _tests_tree(tests: str) -> tuple[Any, bytes]:
    """The tests' syntax tree: as items, or as statements inside a function."""
    tree = syntax.parse("rust", tests)
    if not tree.root_node.has_error:
        return tree, tests.encode("utf-8")
    wrapped = _WRAP + tests.encode("utf-8") + b"\n}\n"
    return syntax.parse("rust", wrapped.decode("utf-8")), wrapped


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    solution_src = request.solution.encode("utf-8")
    solution_tree = syntax.parse("rust", request.solution)
    trees = [(solution_tree, solution_src), _tests_tree(request.tests)]
    crates = plan_crates(trees)
    solution = _Edits(solution_src)
    attributes = _inner_attributes(solution_tree, solution)
    for node in solution_tree.root_node.named_children:
        if node.type == "function_item" and _name(node, solution_src) == "main":
            solution.replace(node.child_by_field_name("name"), "assay_solution_main")
    tests_edits = _Edits(trees[1][1])
    for index, node in crates.drop:
        (solution if index == 0 else tests_edits).blank(node)
    tests_text = tests_edits.text()
    if tests_text.startswith(_WRAP.decode()):
        tests_text = tests_text[len(_WRAP) : -3]
    closing = ""
    if tests_text.lstrip().startswith("}"):  # the solution's last brace opens the tests
        closing, tests_text = "}", tests_text.lstrip()[1:]
    shape = _shape(tests_text)
    run, calls = _calls(shape.tests)
    body = shape.main_body
    if "\x00T" in body:
        for index, line in enumerate(calls):
            body = body.replace(f"\x00T{index}\x00", line)
    else:
        body = body + "\n" + "\n    ".join(calls)
    rlib = _runtime_rlib()
    rt = "::assay_rt" if rlib else "crate::assay_rt"
    runtime = "" if rlib else "mod assay_rt {\n" + RUNTIME + "\n}\n"
    source = "\n".join(
        [
            "#![allow(unused)]",
            *attributes,
            solution.text() + closing,
            runtime,
            _macros(rt),
            shape.items,
            "fn main() {",
            f"    use {rt}::AssayOutcome;",
            f"    {rt}::start();",
            body.replace("\x00RT", rt),
            f"    {rt}::done();",
            "}",
            "",
        ]
    )
    argv = [_rustc(), *RUNTIME_FLAGS, "--cfg", "test"]
    dylib = _std_dylib_dir()
    if dylib:
        argv += ["-C", "prefer-dynamic", "-C", f"link-arg=-Wl,-rpath,{dylib}"]
    if rlib:
        argv += ["--extern", f"assay_rt={rlib}"]
    for crate, path in crates.link.items():
        argv += ["-L", f"dependency={Path(path).parent}", "--extern", f"{crate}={path}"]
    steps = [
        compile_step([*argv, "-o", "prog", "main.rs"]),
        run_step(["./prog"], request.timeout, "native"),
    ]
    program = Program(language.id, [t.name for t in run], {"main.rs": source}, steps)
    program.judge = _Judge(shape.tests, local_roots(trees), crates.dropped)
    return program


@dataclass
class _Judge:
    """The verdict: base protocol rules, then Rust's own (ignored, no assertion, crates)."""

    tests: list[RustTest]
    local: set[str]
    dropped: list[str]  # crates whose unused-looking imports were taken out

    def __call__(self, program: Program, steps: list[dict[str, Any]]) -> RunResult:
        from sandbox.pyplan import parse_records  # the Python planner, loaded when needed

        last = steps[-1]
        if len(steps) == 1 and not last["timed_out"]:  # did not compile
            crate = missing_crate(last["stderr"], self.local, self.dropped, toolchain().version)
            if crate:
                result = RunResult("unsupported", reason=f"needs the crate {crate}")
                result.stderr_tail = last["stderr"]
                return result
        result = verdict(program, steps)
        if result.status not in ("pass", "fail", "error") or len(steps) == 1:
            return result
        counts: dict[int, dict[str, Any]] = {}
        for record in parse_records(last.get("records", "")):
            if isinstance(record, dict) and record.get("e") == "end":
                if isinstance(record.get("t"), int):
                    counts[record["t"]] = record
        results = iter(result.tests)
        merged: list[TestResult] = []
        index = 0
        for test in self.tests:
            if test.ignored:
                merged.append(TestResult(test.name, "skipped", "#[ignore]"))
                continue
            outcome = next(results)
            end = counts.get(index, {})
            checked = end.get("n") or end.get("p")
            if outcome.status == "pass" and not checked:
                outcome.status, outcome.message = "error", NO_ASSERTION
            merged.append(outcome)
            index += 1
        result.tests = merged
        if result.reason == "no tests found" or not self.tests:
            result.status = "error"
            result.reason = f"{NO_ASSERTION}: the tests hold no #[test] function and no assertion"
            return result
        if result.status == "error" and result.reason:
            return result  # the protocol or the program broke: base rules decided
        ran = [t for t in merged if t.status != "skipped"]
        if not ran:
            result.status, result.reason = "error", f"{NO_ASSERTION}: every test is #[ignore]"
        elif all(t.status == "pass" for t in ran):
            result.status, result.reason = "pass", None
        elif any(t.status == "fail" for t in ran):
            result.status = "fail"
        else:
            first = next(t for t in ran if t.status != "pass")
            result.status, result.reason = "error", f"{first.name}: {first.message}"
        return result


LANGUAGES = [
    Language(
        "rust",
        "Rust",
        ("rust", "rs"),
        ".rs",
        lexer="rust",
        editor="rust",
        grammar="rust",
        short="rs",
        toolchain=toolchain,
        build=build,
        roots=sandbox_roots,
    ),
]
