"""Rust: one program per item, built with `rustc`, tests called from our own `main`.

Test shapes, found with tree-sitter (never regular expressions over the text):

- `#[test]` functions, usually in `#[cfg(test)] mod tests { use super::*; ... }`
  (HumanEval-X). We do not build with `rustc --test`: libtest prints its per-test
  results on stdout, which the code under test can forge. Instead the program is
  compiled with `--cfg test` (so `cfg(test)` items exist, as under `cargo test`),
  the `#[test]`, `#[should_panic]` and `#[ignore]` attributes are taken off, the test
  functions (and the modules holding them) are made `pub(crate)`, and our generated
  `main` calls each one inside the runtime's `test` (`catch_unwind`, sealed begin/end
  records, see `channel`). `#[should_panic(expected = ...)]` and `#[ignore]` keep libtest's meaning; a
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

What the code under test could use to reach the judge is refused before compiling
(`_refuse`: `unsafe`, linker attributes, `global_asm!`, macros named like the tests'
asserts, the harness's names); the runtime writes its records by raw system call,
sealed with a key the code cannot read (see `RUNTIME` and sandbox/README.md).

Crates (named when missing, linked from ASSAY_RUST_CRATES): see `rust_crates`.

Speed: no libtest in the binary, std linked dynamically against the toolchain's own
(trusted, read-only) `libstd.so`, one codegen unit: see `sandbox/README.md`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.languages import channel, syntax
from sandbox.languages.base import (
    Language,
    Program,
    Refused,
    Toolchain,
    compile_step,
    not_compiled,
    on_path,
    require_toolchain,
    run_step,
)
from sandbox.languages.cpp_java import (
    Prebuilt,
    build_once,
    cache_dir,
    cache_is_safe,
    fast_linker,
)
from sandbox.languages.rust_crates import CRATES_ENV, local_roots, missing_crate, plan_crates
from sandbox.result import RunRequest, RunResult, TestResult, clip

ASSERT_MACROS = frozenset(
    ("assert", "assert_eq", "assert_ne", "debug_assert", "debug_assert_eq", "debug_assert_ne")
)
PANIC_MACROS = frozenset(("panic", "unreachable"))
UNWRAP_METHODS = frozenset(("unwrap", "expect", "unwrap_err", "expect_err"))
CHECK_MACROS = ASSERT_MACROS | PANIC_MACROS
# Generated code names std's items by absolute paths: an item cannot shadow them.
NO_ASSERTION = channel.NO_ASSERTION
OK = "::core::result::Result::Ok(())"
SOME, NONE = "::core::option::Option::Some", "::core::option::Option::None"


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
    expected: str = "::core::option::Option::None"  # a Rust `Option<&str>` expression
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
                test.expected = f"{SOME}({literal})" if literal else NONE
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
        test = RustTest(clip(tests_text.strip(), 300), "{\n" + tests_text + "\n}; " + OK)
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
                RustTest(clip(syntax.text(stmt, source), 300), "{\n" + text + "\n}; " + OK)
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


def _macros(rt: str, custom_eq: bool) -> str:
    """Counting asserts, placed after the solution: the tests' evaluations are counted.
    A placeholder of literals only (`assert!(true)`, `assert_eq!(1, 1)`) checks nothing
    and is not counted. When the solution wrote its own comparison, `assert_eq!` and
    `assert_ne!` also need the two sides' Debug output to agree."""
    lines = [f"macro_rules! assay_count {{ () => {{ {rt}::assay_count() }} }}"]
    for name in sorted(ASSERT_MACROS):
        args = "true" if name.endswith("assert") else "$a:literal, $b:literal"
        same = "true" if name.endswith("assert") else "$a, $b"
        lines += [
            f"macro_rules! {name} {{",
            f"    ({args}) => {{{{ ::core::{name}!({same}); }}}};",
            f"    ({args}, $($m:tt)*) => {{{{ ::core::{name}!({same}, $($m)*); }}}};",
        ]
        if custom_eq and not name.endswith("assert"):
            equal = "true" if name.endswith("_eq") else "false"
            debug = (
                f'{rt}::same_debug(&::std::format!("{{:?}}", l), '
                f'&::std::format!("{{:?}}", r), {equal}, '
                "::std::any::type_name_of_val(l) == ::std::any::type_name_of_val(r));"
            )
            for head, tail in (("$(,)?", ""), (", $($m:tt)+", ", $($m)+")):
                lines.append(
                    f"    ($a:expr, $b:expr {head}) => {{{{ {rt}::assay_count(); "
                    f"match (&$a, &$b) {{ (l, r) => {{ ::core::{name}!(*l, *r{tail}); {debug} }} }} }}}};"
                )
        lines += [
            f"    ($($t:tt)*) => {{{{ {rt}::assay_count(); ::core::{name}!($($t)*); }}}};",
            "}",
        ]
    return "\n".join(lines)


# ------------------------------------------------------- what an item may not do

# Identifiers that take code past the language into the judge: raw memory (`unsafe`),
# symbols and sections of the binary (a libc `write` of its own, a static constructor in
# .init_array), another allocator or entry point, assembly outside `unsafe`.
ESCAPES = frozenset(
    "unsafe no_mangle export_name link_section global_allocator link_name linkage "
    "no_main no_std no_core panic_handler global_asm naked_asm".split()
)
# Macros that read a file at compile time: in a batch, the other items' source is a file.
FILE_MACROS = frozenset(("include", "include_str", "include_bytes"))
LINKING = frozenset(("link", "used"))  # as attributes: a library's constructors linked in
COMPARISONS = frozenset(("PartialEq", "PartialOrd", "Eq", "Ord"))
COMPARING = frozenset(("==", "!=", "<", ">", "<=", ">="))
RESERVED_MACROS = ASSERT_MACROS | PANIC_MACROS | {"todo", "unimplemented", "format"}


def _leaves(node: Any, source: bytes) -> list[str]:
    """The tokens of a tree (comments and string contents left out)."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in (
            "line_comment",
            "block_comment",
            "string_literal",
            "raw_string_literal",
        ):
            continue
        if current.child_count == 0:
            out.append(syntax.text(current, source))
        else:
            stack.extend(reversed(current.children))
    return out


def _refuse(tree: Any, source: bytes, what: str) -> None:
    """Refuse an item that could reach the judge from inside the run (see ESCAPES), or
    that names the harness's items or redefines the tests' assert macros."""
    tokens = _leaves(tree.root_node, source)
    for i, token in enumerate(tokens):
        attribute = tokens[i - 2 : i] in (["#", "["], ["!", "["])
        if token in ESCAPES or (attribute and token in LINKING):
            raise Refused(f"{what} `{token}`, which could reach the judge's memory")
        if token.startswith(("assay_", "Assay")):
            raise Refused(f"{what} the reserved name {token}")
        name = ""
        if token == "macro_rules!":
            name = tokens[i + 1] if i + 1 < len(tokens) else ""
        elif token == "macro_rules" and tokens[i + 1 : i + 2] == ["!"]:
            name = tokens[i + 2] if i + 2 < len(tokens) else ""
        if name in RESERVED_MACROS:
            raise Refused(f"{what} a macro of its own named {name}!, which the tests use")


def _trait_impls(tree: Any, source: bytes) -> set[str]:
    """Traits the code implements by hand (`impl PartialEq for X`), also inside macros;
    `#[derive(...)]` is not by hand."""
    found: set[str] = set()
    for node in syntax.walk(tree.root_node):
        if node.type == "impl_item":
            trait = node.child_by_field_name("trait")
            if trait is not None:
                found.add(syntax.text(trait, source).split("<")[0].rsplit("::", 1)[-1])
        elif node.type == "macro_definition" or (
            node.type == "token_tree"
            and node.parent is not None
            and node.parent.type != "token_tree"
        ):
            tokens = _leaves(node, source)
            if "impl" in tokens:
                found |= {t for t in tokens if t in COMPARISONS or t == "Debug"}
    return found


def _compares_in_assert(tree: Any, source: bytes) -> bool:
    """Whether a test writes `assert!(a == b)` (or `<`, `!=`...): a comparison that
    runs the solution's own code when its values are of the solution's types."""
    for node in syntax.walk(tree.root_node):
        if node.type == "macro_invocation" and _macro_name(node, source) in (
            "assert",
            "debug_assert",
        ):
            args = next((c for c in node.named_children if c.type == "token_tree"), None)
            if args is not None and any(syntax.text(c, source) in COMPARING for c in args.children):
                return True
    return False


def _custom_comparison(solution: tuple[Any, bytes], tests: tuple[Any, bytes]) -> bool:
    """Whether the solution wrote its own comparison, refusing what the judge cannot
    check then: a hand-written Debug too, or a test comparing inside `assert!`."""
    impls = _trait_impls(*solution)
    compared = impls & COMPARISONS
    if not compared:
        return False
    trait = sorted(compared)[0]
    if "Debug" in impls:
        raise Refused(
            f"the solution implements both {trait} and Debug by hand: "
            "its values could be equal to anything, and the judge cannot compare them"
        )
    if _compares_in_assert(*tests):
        raise Refused(
            f"the solution implements {trait} by hand and the tests compare inside "
            "assert!(...): that comparison is the solution's own code (use assert_eq!)"
        )
    return True


# The runtime the tests call: compiled once into a trusted rlib when it can be (see
# _runtime_rlib), else inlined as `mod assay_rt`. Not generic, so an item's crate only
# compiles its own closures.
RUNTIME = r"""
use ::std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use ::std::sync::Mutex;

pub static CHECKS: AtomicUsize = AtomicUsize::new(0);
static CHANNEL: AtomicI32 = AtomicI32::new(-1);
static SEAL: Mutex<(Vec<u8>, usize)> = Mutex::new((Vec::new(), 0)); // key, next number

pub fn assay_count() {
    CHECKS.fetch_add(1, Ordering::SeqCst);
}

// Raw system calls: no libc symbol a solution could interpose.
#[cfg(target_arch = "x86_64")]
mod nr {
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const FCNTL: usize = 72;
    pub const PRCTL: usize = 157;
    pub const OPENAT: usize = 257;
    pub const EXIT_GROUP: usize = 231;
}
#[cfg(target_arch = "aarch64")]
mod nr {
    pub const WRITE: usize = 64;
    pub const CLOSE: usize = 57;
    pub const FCNTL: usize = 25;
    pub const PRCTL: usize = 167;
    pub const OPENAT: usize = 56;
    pub const EXIT_GROUP: usize = 94;
}
const LANDLOCK_CREATE_RULESET: usize = 444;
const LANDLOCK_ADD_RULE: usize = 445;
const LANDLOCK_RESTRICT_SELF: usize = 446;
const LANDLOCK_FILE_ACCESS: u64 = 1 << 1 | 1 << 2; // WRITE_FILE | READ_FILE
const O_PATH_CLOEXEC: usize = 0x200000 | 0x80000;
const AT_FDCWD: isize = -100;

#[cfg(target_arch = "x86_64")]
unsafe fn syscall(n: usize, a: usize, b: usize, c: usize, d: usize) -> isize {
    let ret: isize;
    ::core::arch::asm!(
        "syscall",
        inlateout("rax") n as isize => ret,
        in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d,
        lateout("rcx") _, lateout("r11") _,
        options(nostack)
    );
    ret
}

#[cfg(target_arch = "aarch64")]
unsafe fn syscall(n: usize, a: usize, b: usize, c: usize, d: usize) -> isize {
    let ret: isize;
    ::core::arch::asm!(
        "svc 0",
        in("x8") n,
        inlateout("x0") a as isize => ret,
        in("x1") b, in("x2") c, in("x3") d,
        options(nostack)
    );
    ret
}

#[repr(C, packed)]
struct PathBeneath {
    access: u64,
    fd: i32,
}

// Not dumpable (no other process of the run may ptrace us or read our memory) and,
// where the kernel has Landlock, no file under /proc may be read or written.
fn lockdown() {
    unsafe {
        syscall(nr::PRCTL, 4, 0, 0, 0); // PR_SET_DUMPABLE 0
        let attr: [u64; 1] = [LANDLOCK_FILE_ACCESS];
        let ruleset = syscall(LANDLOCK_CREATE_RULESET, attr.as_ptr() as usize, 8, 0, 0);
        if ruleset < 0 {
            return; // no Landlock here: a residual risk the README names
        }
        if let Ok(entries) = ::std::fs::read_dir("/") {
            for entry in entries.flatten() {
                use ::std::os::unix::ffi::OsStrExt;
                let name = entry.file_name();
                if name.as_bytes() == b"proc" {
                    continue;
                }
                let mut path = b"/".to_vec();
                path.extend_from_slice(name.as_bytes());
                path.push(0);
                let fd = syscall(nr::OPENAT, AT_FDCWD as usize, path.as_ptr() as usize, O_PATH_CLOEXEC, 0);
                if fd < 0 {
                    continue;
                }
                let rule = PathBeneath { access: LANDLOCK_FILE_ACCESS, fd: fd as i32 };
                syscall(LANDLOCK_ADD_RULE, ruleset as usize, 1, &rule as *const PathBeneath as usize, 0);
                syscall(nr::CLOSE, fd as usize, 0, 0, 0);
            }
        }
        syscall(nr::PRCTL, 38, 1, 0, 0); // PR_SET_NO_NEW_PRIVS
        syscall(LANDLOCK_RESTRICT_SELF, ruleset as usize, 0, 0, 0);
        syscall(nr::CLOSE, ruleset as usize, 0, 0, 0);
    }
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

// SHA-256 (FIPS 180-4): std has no digest, and the item may link no crate of ours.
fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [t1.wrapping_add(t2), v[0], v[1], v[2], v[3].wrapping_add(t1), v[4], v[5], v[6]];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 32];
    for i in 0..8 {
        out[4 * i..4 * i + 4].copy_from_slice(&h[i].to_be_bytes());
    }
    out
}

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&sha256(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(msg);
    let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer).iter().map(|b| format!("{:02x}", b)).collect()
}

// One sealed, numbered record (see sandbox/languages/channel.py).
fn send(fields: &str) {
    let mut seal = SEAL.lock().unwrap_or_else(|e| e.into_inner());
    let body = format!("{{\"q\":{},{}}}", seal.1, fields);
    seal.1 += 1;
    let line = format!("{} {}\n", body, hmac_hex(&seal.0, body.as_bytes()));
    let fd = CHANNEL.load(Ordering::SeqCst);
    let bytes = line.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let n = unsafe { syscall(nr::WRITE, fd as usize, bytes[at..].as_ptr() as usize, bytes.len() - at, 0) };
        if n <= 0 {
            break;
        }
        at += n as usize;
    }
}

pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\u{:04x}", c as u32)),
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

// Before any item code: the key out of the environment, the channel off fd 3.
pub fn start() {
    ::std::panic::set_hook(Box::new(|_| {}));
    let key = ::std::env::var("ASSAY_CHANNEL_KEY").unwrap_or_default();
    ::std::env::remove_var("ASSAY_CHANNEL_KEY");
    let fd = unsafe { syscall(nr::FCNTL, 3, 1030, 10, 0) }; // F_DUPFD_CLOEXEC
    if fd >= 0 {
        unsafe { syscall(nr::CLOSE, 3, 0, 0, 0) };
        CHANNEL.store(fd as i32, Ordering::SeqCst);
    }
    lockdown();
    *SEAL.lock().unwrap_or_else(|e| e.into_inner()) = (key.into_bytes(), 0);
    send("\"e\":\"start\"");
}

// The run's end: nothing of the item runs after it (no exit handlers, no destructors).
pub fn done() -> ! {
    send("\"e\":\"done\"");
    let _ = ::std::io::Write::flush(&mut ::std::io::stdout());
    unsafe { syscall(nr::EXIT_GROUP, 0, 0, 0, 0) };
    loop {}
}

fn end(i: usize, d: f64, status: &str, n: usize, m: &str) {
    let fields = format!(
        "\"e\":\"end\",\"t\":{},\"s\":\"{}\",\"n\":{},\"d\":{},\"m\":{}",
        i, status, n, d, quote(m)
    );
    send(&fields);
}

// The panic of a comparison the judge cannot check: the test is an error, not a failure.
pub struct Untrusted(pub String);

// Equal (or not) by the solution's own comparison: their Debug output must say the same.
// Between two different types it cannot: that is an error.
pub fn same_debug(left: &str, right: &str, equal: bool, same_type: bool) {
    if (left == right) == equal {
        return;
    }
    let what = if equal { "equal" } else { "not equal" };
    if !same_type {
        ::std::panic::panic_any(Untrusted(format!(
            "{} only by the solution's own comparison between two types (left: {}, right: {}): the judge cannot check it",
            what, left, right
        )));
    }
    panic!(
        "assertion failed: {} by the solution's own comparison, but their Debug output disagrees\n  left: {}\n right: {}",
        what, left, right
    );
}

pub fn test<'a>(
    i: usize,
    should_panic: bool,
    expected: Option<&str>,
    body: Box<dyn FnOnce() -> Result<(), String> + 'a>,
) {
    send(&format!("\"e\":\"begin\",\"t\":{}", i));
    CHECKS.store(0, Ordering::SeqCst);
    let begun = ::std::time::Instant::now();
    let r = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(body));
    let d = begun.elapsed().as_secs_f64();
    let n = CHECKS.load(Ordering::SeqCst);
    match r {
        Ok(Ok(())) if should_panic => end(i, d, "fail", n, "the test did not panic"),
        Ok(Ok(())) => end(i, d, "pass", n, ""),
        Ok(Err(m)) => end(i, d, "fail", n, &m),
        Err(e) => {
            if let Some(u) = e.downcast_ref::<Untrusted>() {
                return end(i, d, "error", n, &u.0);
            }
            let m = if let Some(s) = e.downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = e.downcast_ref::<String>() {
                s.clone()
            } else {
                String::from("panic")
            };
            ::std::mem::forget(e); // the payload's Drop is the item's code
            match expected {
                _ if !should_panic => end(i, d, "fail", n, &m),
                Some(x) if !m.contains(x) => {
                    end(i, d, "fail", n, &format!("the panic did not contain {:?}: {}", x, m))
                }
                _ => end(i, d, "pass", n + 1, ""),
            }
        }
    }
}

pub fn compiled_out(i: usize) {
    send(&format!("\"e\":\"begin\",\"t\":{}", i));
    end(i, 0.0, "error", 0, "the test is compiled out by its #[cfg]");
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


def _runtime_target() -> Path:
    key = hashlib.sha256("\0".join([toolchain().version, *RUNTIME_FLAGS, RUNTIME]).encode())
    return cache_dir("rust") / key.hexdigest()[:16] / "libassay_rt.rlib"


def _find_runtime(_key: Any) -> str | None:
    rlib = _runtime_target()
    return str(rlib) if rlib.is_file() else None


def _build_runtime(_key: Any) -> str | None:
    """Compile RUNTIME into `libassay_rt.rlib`, once per rustc and source; its path."""
    rlib = _runtime_target()
    if rlib.is_file():
        return str(rlib)
    argv = [_rustc(), *RUNTIME_FLAGS, "--crate-type", "rlib", "--crate-name", "assay_rt"]
    argv += ["-o", rlib.name, "assay_rt.rs"]
    built = build_once(rlib.parent, {"assay_rt.rs": RUNTIME}, argv, [rlib.name])
    return str(rlib) if built else None


_RUNTIME = Prebuilt(_build_runtime, _find_runtime)


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
            f"::std::boxed::Box::new(|| {{ {test.call} }}));"
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


@dataclass
class _Plan:
    """An item as Rust source, before it is one program or a module of a batch."""

    tests: list[RustTest]  # the tests that run, in order
    attributes: list[str]  # the solution's `#![...]`: they must open the crate
    parts: list[str]  # solution, runtime (when not linked), macros, test items
    main: str  # the body of our `main`
    rlib: str | None
    crates: dict[str, str]  # crate -> rlib path
    judge: _Judge
    reads_files: bool = False  # include!/include_str!/include_bytes!: the compiler's files

    def source(self, main: str = "fn main() {") -> str:
        return "\n".join([*self.parts, main, self.main, "}", ""])

    @property
    def batchable(self) -> bool:
        """Can it be a module of a crate of several items (see `_compile_batch`)?"""
        return bool(self.rlib) and not (self.attributes or self.crates or self.reads_files)

    @property
    def group(self) -> str | None:
        return self.rlib


def plan(request: RunRequest) -> _Plan:
    solution_src = request.solution.encode("utf-8")
    solution_tree = syntax.parse("rust", request.solution)
    trees = [(solution_tree, solution_src), _tests_tree(request.tests)]
    _refuse(solution_tree, solution_src, "the solution uses")
    _refuse(syntax.parse("rust", request.tests), request.tests.encode("utf-8"), "the tests use")
    custom_eq = _custom_comparison(trees[0], trees[1])
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
    main = "\n".join(
        [
            f"    use {rt}::AssayOutcome;",
            f"    {rt}::start();",
            body.replace("\x00RT", rt),
            f"    {rt}::done();",
        ]
    )
    judge = _Judge(shape.tests, local_roots(trees), crates.dropped, channel.new_key())
    parts = [solution.text() + closing, runtime, _macros(rt, custom_eq), shape.items]
    reads = any(
        token in FILE_MACROS for tree, source in trees for token in _leaves(tree.root_node, source)
    )
    return _Plan(run, attributes, parts, main, rlib, dict(crates.link), judge, reads)


def compiler_argv(rlib: str | None, crates: dict[str, str]) -> list[str]:
    """rustc and its flags, without input and output."""
    argv = [_rustc(), *RUNTIME_FLAGS, "--cfg", "test"]
    dylib = _std_dylib_dir()
    if dylib:
        argv += ["-C", "prefer-dynamic", "-C", f"link-arg=-Wl,-rpath,{dylib}"]
    argv += [f"-Clink-arg={flag}" for flag in fast_linker()]
    if rlib:
        argv += ["--extern", f"assay_rt={rlib}"]
    for crate, path in crates.items():
        argv += ["-L", f"dependency={Path(path).parent}", "--extern", f"{crate}={path}"]
    return argv


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    from sandbox.languages import batches

    built = batches.take(request)  # compiled with other items of its batch
    item = built.plan if built else plan(request)
    assert isinstance(item, _Plan)
    key = item.judge.key = channel.new_key()  # this run's own
    if built and built.binary is not None:
        steps = [run_step(["./prog", built.module], request.timeout, "native")]
        program = Program(language.id, [t.name for t in item.tests], {}, steps)
        program.blobs = {"prog": built.binary}
    else:
        source = "\n".join(["#![allow(unused)]", *item.attributes, item.source()])
        steps = [
            compile_step([*compiler_argv(item.rlib, item.crates), "-o", "prog", "main.rs"]),
            run_step(["./prog"], request.timeout, "native"),
        ]
        program = Program(language.id, [t.name for t in item.tests], {"main.rs": source}, steps)
    steps[-1]["env"] = {channel.KEY_ENV: key}  # the run's only: rustc cannot `env!` it
    program.judge = item.judge
    program.applies = ("landlock",)  # main denies the run /proc where the kernel can
    return program


@dataclass
class _Judge:
    """The verdict: the sealed records (`channel`), then Rust's own rules (ignored
    tests, a test set that checks nothing, missing crates)."""

    tests: list[RustTest]
    local: set[str]
    dropped: list[str]  # crates whose unused-looking imports were taken out
    key: str

    def __call__(self, program: Program, steps: list[dict[str, Any]]) -> RunResult:
        last = steps[-1]
        if program.steps[0]["phase"] == "compile" and len(steps) == 1:
            # did not compile, or the compiler ran out of time
            crate = missing_crate(last["stderr"], self.local, self.dropped, toolchain().version)
            if crate and not last["timed_out"]:
                result = RunResult("unsupported", reason=f"needs the crate {crate}")
                result.stderr_tail = last["stderr"]
                return result
            return not_compiled(program, last)
        if not self.tests:
            reason = f"{NO_ASSERTION}: the tests hold no #[test] function and no assertion"
            return RunResult("error", reason=reason, language=program.language)
        result = channel.judge_records(
            program.language, program.tests, last, self.key, channel.panic_line
        )
        results = iter(result.tests)
        result.tests = [
            TestResult(test.name, "skipped", "#[ignore]") if test.ignored else next(results)
            for test in self.tests
        ]
        ran = [t for t in result.tests if t.status != "skipped"]
        if not ran:
            result.status, result.reason = "error", f"{NO_ASSERTION}: every test is #[ignore]"
        return result


_BATCH_ERROR = re.compile(r"^batch\.rs:(\d+):\d+: error", re.MULTILINE)


def _compile_batch(items: list[Any]) -> tuple[bytes | None, set[str]]:
    """Items as modules of one crate (see `batches`): (the binary, or None; the modules
    rustc's errors point into, when it failed).

    Why one binary holding several items keeps each verdict the item's own: every item
    is refused what could reach beyond its own code before it is batched (`_refuse`:
    `unsafe`, `no_mangle`/`export_name`/`link_section`, a global allocator,
    `global_asm!`, linker attributes), so code of one module runs only when called, and
    safe Rust has no life before `main` (no static constructors). No macro lists a
    crate's modules, so no item can call, implement or shadow another's code. Items
    with crate-level attributes (`#![...]`), extern crates or a macro that reads a file
    at compile time (`include_str!`: the batch's source is a file), or without the
    prebuilt runtime, are not batched. rustc runs no code of the items (no build
    scripts, no procedural macros)."""
    from sandbox.languages import batches

    lines, spans, at = ["#![allow(unused)]"], [], 1  # `at`: the last line's number
    for built in items:
        main = "pub(super) fn assay_item_main() {"
        module = [f"mod {built.module} {{", built.plan.source(main), "}"]
        size = "\n".join(module).count("\n") + 1
        spans.append((at + 1, at + size, built.module))
        lines += module
        at += size
    arms = "".join(f'Some("{b.module}") => {b.module}::assay_item_main(),\n' for b in items)
    lines.append(
        "fn main() {\n    match ::std::env::args().nth(1).as_deref() {\n"
        f"{arms}        _ => ::std::process::exit(2),\n    }}\n}}\n"
    )
    argv = [*compiler_argv(items[0].plan.rlib, {}), "--error-format=short"]
    binary, stderr = batches.compile_in_tool_dir(
        {"batch.rs": "\n".join(lines)}, [*argv, "-o", "prog", "batch.rs"], "prog"
    )
    return binary, batches.owners(stderr, _BATCH_ERROR, spans)


def _prepare(requests: Sequence[RunRequest]) -> None:
    from sandbox.languages import batches

    batches.prepare(requests, plan, lambda items: _compile_batch(items))


def _release(requests: Sequence[RunRequest]) -> None:
    from sandbox.languages import batches

    batches.release(requests)


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
        prepare=(_prepare, _release),
    ),
]
