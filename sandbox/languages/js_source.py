"""Reading JavaScript and TypeScript items with tree-sitter: which top-level test
statements are tests, which modules the code needs, and the source rewrites that
turn an item into one CommonJS program.

What is a test: a top-level statement of the tests that is not a declaration and
contains an assertion: a `throw`, `console.assert(...)`, a call of node's `assert`
module (any name bound to `require('assert')` / `import ... from 'node:assert'`,
and the name `assert` itself), a `node:test` registration (`test()`, `it()`,
`describe()`), or a call of a function the tests define that does one of these
(`const testX = () => { console.assert(...) }; testX()`). An `if` that guards a
`process.exit(...)` counts as one that guards a `throw`. Everything else is setup
and runs in place. What is counted at run time (see `js_prelude`): each
`console.assert` and assert-module call, and each evaluated condition of an `if`
that guards a `throw` in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.languages import syntax
from sandbox.languages.base import Unparsable

ASSERT_MODULES = {"assert", "node:assert", "assert/strict", "node:assert/strict"}
TEST_MODULES = {"node:test", "test"}  # the npm package "test" is node:test's polyfill
SHIMMED = ASSERT_MODULES | TEST_MODULES

DECLARATIONS = {
    "lexical_declaration",
    "variable_declaration",
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "abstract_class_declaration",
    "import_statement",
    "export_statement",
    "type_alias_declaration",
    "interface_declaration",
    "enum_declaration",
    "ambient_declaration",
    "module",
    "empty_statement",
}
FUNCTIONS = {
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "generator_function",
    "arrow_function",
    "method_definition",
}
# Tests that register node:test tests by these names (`import { it } from 'node:test'`).
TEST_FUNCTIONS = {"test", "it", "describe", "suite"}


@dataclass
class Statement:
    """One top-level statement of the tests, rewritten; `test` when it asserts."""

    text: str
    test: bool
    awaits: bool = False
    name: str = ""  # the statement as written, before instrumentation
    shares: list[str] = field(default_factory=list)  # names it declares that the solution uses


@dataclass
class Item:
    """An item read and rewritten: the solution, the test statements, the modules."""

    solution: str
    statements: list[Statement]
    modules: list[str] = field(default_factory=list)  # bare specifiers, in order
    local: list[str] = field(default_factory=list)  # relative imports of the solution
    exports: list[tuple[str, str]] = field(default_factory=list)  # (exported, local) names
    awaits: bool = False  # top-level await in the tests: run them in an async function
    solution_awaits: bool = False  # and in the solution: the whole program is one
    no_tests: str = ""  # why nothing asserts, when no statement is a test
    test_modules: list[str] = field(default_factory=list)  # bare specifiers of the tests
    # (name, value) bindings the tests function starts with: the standard globals and the
    # solution's module bindings the tests use, taken before the solution ran.
    scope: list[tuple[str, str]] = field(default_factory=list)
    refused: str = ""  # why the item cannot run safely (it redefines what the harness needs)
    patches: str = ""  # the built-in the code extends (frozen in the sandbox), if any
    shared: list[str] = field(default_factory=list)  # tests' functions the solution uses


def read_item(grammar: str, solution: str, tests: str) -> Item:
    """Parse and rewrite an item; `Unparsable` names the first syntax error."""
    sol_src, sol_root = _parse(grammar, solution, "the solution")
    test_src, test_root = _parse(grammar, tests, "the test code")
    modules: list[str] = []
    for src, root in ((sol_src, sol_root), (test_src, test_root)):
        for spec in _module_specifiers(root, src):
            if spec not in modules and not _relative(spec):
                modules.append(spec)
    local = [spec for spec in _module_specifiers(sol_root, sol_src) if _relative(spec)]
    declared = {n for node in sol_root.named_children for n in _declared(node, sol_src)}
    solution_text = _apply(sol_src, 0, len(sol_src), _module_edits(sol_root, sol_src, set()))
    reader = _TestReader(test_root, test_src)
    # The tests run in a function of their own: they keep their imports (a private
    # instance, not the solution's), except relative ones the solution declares.
    edits = _module_edits(test_root, test_src, declared) + reader.hit_edits()
    # Names the solution uses without declaring them (a `compare` helper of the tests):
    # the tests' declaration is shared as a global, as one shared scope had it.
    free = (
        {syntax.text(n, sol_src) for n in _walk(sol_root) if n.type == "identifier"}
        - declared
        - GLOBAL_NAMES
    )
    statements: list[Statement] = []
    early: list[str] = []
    for node in test_root.named_children:
        if node.type == "comment":
            continue
        text = _apply(test_src, node.start_byte, node.end_byte, edits).strip()
        if not text:
            continue
        is_test = node.type not in DECLARATIONS and reader.asserts(node)
        name = syntax.text(node, test_src).strip()
        shares = [n for n in _declared(node, test_src) if n in free]
        if node.type in ("function_declaration", "generator_function_declaration"):
            early, shares = early + shares, []  # hoisted: shared before any statement runs
        statements.append(Statement(text, is_test, _awaits(node), name, shares))
    item = Item(solution_text, statements, modules, awaits=any(s.awaits for s in statements))
    item.shared = early
    item.local, item.exports = local, _exports(sol_root, sol_src)
    item.solution_awaits = any(_awaits(node) for node in sol_root.named_children)
    item.test_modules = [s for s in _module_specifiers(test_root, test_src) if not _relative(s)]
    item.scope = _test_scope(test_root, test_src, _module_values(sol_root, sol_src), declared)
    item.refused = _refused(sol_root, sol_src) or _refused(test_root, test_src)
    item.patches = _patched_builtin(sol_root, sol_src) or _patched_builtin(test_root, test_src)
    item.awaits = item.awaits or item.solution_awaits
    if not any(s.test for s in statements):
        item.no_tests = reader.why_no_tests()
    return item


# ------------------------------------------------------------------- parsing


def _parse(grammar: str, code: str, part: str) -> tuple[bytes, Any]:
    # tree-sitter reads a NUL byte (legal inside a JS string) as the end of input.
    tree = syntax.parse(grammar, code.replace("\0", "\x01"))
    error = syntax.first_error(tree.root_node)
    if error is not None:
        src = code.encode("utf-8")
        line, column = error.start_point
        near = syntax.text(error, src).strip().splitlines()
        what = f"missing {error.type!r}" if error.is_missing else f"near {near[0][:60]!r}"
        if not near and not error.is_missing:
            what = "at the end"
        if error.end_point[0] > line:  # tree-sitter could not resynchronise for a while
            what += f" (unreadable up to line {error.end_point[0] + 1})"
        raise Unparsable(f"{part} does not parse: line {line + 1}, column {column + 1}, {what}")
    return code.encode("utf-8"), tree.root_node


def _walk(node: Any, stop: set[str] = frozenset()) -> Iterator[Any]:  # type: ignore[assignment]
    """Nodes under `node` (not itself), not descending into `stop` types."""
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        yield current
        if current.type not in stop:
            stack.extend(reversed(current.children))


def _string(node: Any, src: bytes) -> str | None:
    """The value of a plain string literal node, else None."""
    if node is None or node.type != "string":
        return None
    parts = [c for c in node.named_children if c.type == "string_fragment"]
    if len(parts) != len(node.named_children):
        return None  # escapes: not a specifier worth guessing
    return "".join(syntax.text(p, src) for p in parts)


def _require_of(node: Any, src: bytes) -> str | None:
    """`m` when `node` is `require('m')` (or `require('m').x`), else None."""
    while node is not None and node.type == "member_expression":
        node = node.child_by_field_name("object")
    if node is None or node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if callee is None or callee.type != "identifier" or syntax.text(callee, src) != "require":
        return None
    named = args.named_children if args is not None else []
    return _string(named[0], src) if len(named) == 1 else None


def _module_specifiers(root: Any, src: bytes) -> Iterator[str]:
    for node in _walk(root):
        if node.type in ("import_statement", "export_statement"):
            spec = _string(node.child_by_field_name("source"), src)
            if spec is not None and not _type_only(node):
                yield spec
        elif node.type == "import_require_clause":
            spec = _string(node.child_by_field_name("source"), src)
            if spec is not None:
                yield spec
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "import":
                args = node.child_by_field_name("arguments")
                if args is not None and args.named_children:
                    spec = _string(args.named_children[0], src)
                    if spec is not None:
                        yield spec
            else:
                spec = _require_of(node, src)
                if spec is not None:
                    yield spec


def _type_only(node: Any) -> bool:
    return any(c.type == "type" for c in node.children)


# ------------------------------------------------------------------ rewrites


def _apply(src: bytes, start: int, end: int, edits: list[tuple[int, int, str]]) -> str:
    """The text of src[start:end] with the edits that fall inside it applied."""
    out, at = [], start
    for e_start, e_end, text in sorted(edits):
        if e_start < start or e_end > end or e_start < at:
            continue
        out += [src[at:e_start].decode("utf-8", "replace"), text]
        at = e_end
    out.append(src[at:end].decode("utf-8", "replace"))
    return "".join(out)


def _bindings(node: Any, src: bytes) -> list[tuple[str, str]]:
    """(name, specifier) pairs a top-level import or `x = require(...)` declares."""
    if node.type == "import_statement":
        spec = _string(node.child_by_field_name("source"), src)
        names = [local for _, local in _import_names(node, src)]
        return [(n, spec) for n in names] if spec is not None else []
    if node.type in ("lexical_declaration", "variable_declaration"):
        pairs = []
        for decl in node.named_children:
            if decl.type != "variable_declarator":
                continue
            spec = _require_of(decl.child_by_field_name("value"), src)
            if spec is None:
                return []  # a declaration that does more than require: keep it
            pairs += [(n, spec) for n in _pattern_names(decl.child_by_field_name("name"), src)]
        return pairs
    return []


def _pattern_names(node: Any, src: bytes) -> list[str]:
    if node is None:
        return []
    if node.type == "identifier":
        return [syntax.text(node, src)]
    return [
        syntax.text(n, src)
        for n in _walk(node)
        if n.type in ("identifier", "shorthand_property_identifier_pattern")
    ]


def _import_names(node: Any, src: bytes) -> list[tuple[str, str]]:
    """(imported, local) pairs of an import statement: imported is "default", "*" or a name."""
    pairs: list[tuple[str, str]] = []
    if _type_only(node):
        return pairs
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    for part in clause.named_children if clause is not None else []:
        if part.type == "identifier":
            pairs.append(("default", syntax.text(part, src)))
        elif part.type == "namespace_import":
            ident = next(c for c in part.named_children if c.type == "identifier")
            pairs.append(("*", syntax.text(ident, src)))
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type != "import_specifier" or _type_only(spec):
                    continue
                name = syntax.text(spec.child_by_field_name("name"), src)
                alias = spec.child_by_field_name("alias")
                pairs.append((name, syntax.text(alias, src) if alias is not None else name))
    return pairs


def _module_edits(root: Any, src: bytes, declared: set[str]) -> list[tuple[int, int, str]]:
    """Imports become `var x = require(...)`, `export` goes: the item runs as CommonJS
    (sloppy-mode solutions keep working, NODE_PATH resolves packages). Tests that
    import from a relative path ('./solution') names the solution declares drop that
    import: they see the solution's own."""
    edits = []
    for node in root.named_children:
        start, end = node.start_byte, node.end_byte
        names = _bindings(node, src)
        same = [_relative(spec) and n in declared for n, spec in names]
        if names and all(same):
            edits.append((start, end, ""))
        elif node.type == "import_statement":
            edits.append((start, end, _import_as_require(node, src)))
        elif node.type == "export_statement":
            edits.append((start, end, _without_export(node, src)))
    return edits


def _relative(spec: str | None) -> bool:
    return spec is not None and (spec in (".", "..") or spec.startswith(("./", "../", "/")))


def _declared(node: Any, src: bytes) -> list[str]:
    """The names a top-level statement of the solution declares."""
    if node.type == "export_statement":
        inner = node.child_by_field_name("declaration") or node.child_by_field_name("value")
        return _declared(inner, src) if inner is not None else []
    if node.type in ("lexical_declaration", "variable_declaration"):
        return [
            n
            for d in node.named_children
            if d.type == "variable_declarator"
            for n in _pattern_names(d.child_by_field_name("name"), src)
        ]
    name = node.child_by_field_name("name")
    if node.type in DECLARATIONS and name is not None:
        return [syntax.text(name, src)]
    return (
        [local for _, local in _import_names(node, src)] if node.type == "import_statement" else []
    )


def _exports(root: Any, src: bytes) -> list[tuple[str, str]]:
    """(exported, local) names of the solution's `export`s, for tests that require it."""
    pairs: list[tuple[str, str]] = []
    for node in root.named_children:
        if node.type != "export_statement" or node.child_by_field_name("source") is not None:
            continue
        default = any(c.type == "default" for c in node.children)
        names = _declared(node, src)
        if default:
            pairs += [("default", names[0])] if names else []
            continue
        pairs += [(n, n) for n in names]
        for clause in (c for c in node.named_children if c.type == "export_clause"):
            for spec in clause.named_children:
                local = syntax.text(spec.child_by_field_name("name"), src)
                alias = spec.child_by_field_name("alias")
                pairs.append((syntax.text(alias, src) if alias is not None else local, local))
    return pairs


# An ES module's default export through require(), inline: the solution's imports
# cannot name anything of the harness.
DEFAULT_EXPORT = (
    "((m) => (m && (typeof m === 'object' || typeof m === 'function') && m.__esModule"
    " && 'default' in m ? m.default : m))"
)


def _import_as_require(node: Any, src: bytes) -> str:
    if _type_only(node):
        return ""
    clause = next((c for c in node.named_children if c.type == "import_require_clause"), None)
    if clause is not None:  # TypeScript's `import x = require('m')`
        name = syntax.text(clause.named_children[0], src)
        return f"var {name} = require({syntax.text(clause.child_by_field_name('source'), src)});"
    source = syntax.text(node.child_by_field_name("source"), src)
    pairs = _import_names(node, src)
    if not pairs:
        return f"require({source});"
    out, named = [], []
    for imported, local in pairs:
        if imported == "default":
            out.append(f"var {local} = {DEFAULT_EXPORT}(require({source}));")
        elif imported == "*":
            out.append(f"var {local} = require({source});")
        else:
            named.append(local if imported == local else f"{imported}: {local}")
    if named:
        out.append(f"var {{ {', '.join(named)} }} = require({source});")
    return " ".join(out)


def _without_export(node: Any, src: bytes) -> str:
    declaration = node.child_by_field_name("declaration")
    if declaration is not None:
        return syntax.text(declaration, src)
    value = node.child_by_field_name("value")
    if value is None:  # export { a }, export * from 'm': the names exist already
        return ""
    named = value.type in ("function_declaration", "class_declaration", "function", "class")
    if named and value.child_by_field_name("name") is not None:
        return syntax.text(value, src)
    return f"module.exports.default = ({syntax.text(value, src)});"


def _awaits(node: Any) -> bool:
    """Whether a top-level statement awaits outside any function of its own."""
    if node.type in FUNCTIONS:
        return False
    for n in _walk(node, FUNCTIONS | {"class_body"}):
        if n.type == "await_expression" or (n.type == "for_in_statement" and _has_await(n)):
            return True
    return False


def _branches(node: Any) -> list[Any]:
    """The statements an `if` runs (its consequence and else clause)."""
    return [c for c in node.children if c.type not in ("if", "parenthesized_expression")]


def _has_await(node: Any) -> bool:
    return any(c.type == "await" for c in node.children)


# ------------------------------------------------------------ classification


class _TestReader:
    """Which names assert in the tests, and the instrumentation that counts `if`-throws."""

    def __init__(self, root: Any, src: bytes) -> None:
        self.root, self.src = root, src
        self.assert_names = {"assert"}
        self.test_names: set[str] = set()
        self.test_objects: set[str] = set()
        self._bind_modules()
        self.functions = self._functions()
        self.checkers: set[str] = set()
        changed = True
        while changed:  # a checker may call another checker
            changed = False
            for name, body in self.functions.items():
                if name not in self.checkers and self.asserts(body):
                    self.checkers.add(name)
                    changed = True

    def _bind_modules(self) -> None:
        for node in _walk(self.root):
            if node.type == "import_statement":
                spec = _string(node.child_by_field_name("source"), self.src)
                for imported, local in _import_names(node, self.src):
                    self._bind(spec, imported, local)
            elif node.type == "variable_declarator":
                spec = _require_of(node.child_by_field_name("value"), self.src)
                target = node.child_by_field_name("name")
                if spec is None or target is None:
                    continue
                if target.type == "identifier":
                    self._bind(spec, "*", syntax.text(target, self.src))
                else:
                    for name in _pattern_names(target, self.src):
                        self._bind(spec, name, name)

    def _bind(self, spec: str | None, imported: str, local: str) -> None:
        if spec in ASSERT_MODULES:
            self.assert_names.add(local)
        elif spec in TEST_MODULES:
            if imported in ("default", "*"):
                self.test_objects.add(local)
                self.test_names.add(local)  # the default export is test() itself
            elif imported in TEST_FUNCTIONS:
                self.test_names.add(local)

    def _functions(self) -> dict[str, Any]:
        """Top-level functions of the tests by name: declarations and `const f = () => ...`."""
        found: dict[str, Any] = {}
        for node in self.root.named_children:
            if node.type in ("function_declaration", "generator_function_declaration"):
                name = node.child_by_field_name("name")
                if name is not None:
                    found[syntax.text(name, self.src)] = node
            elif node.type in ("lexical_declaration", "variable_declaration"):
                for decl in node.named_children:
                    value = decl.child_by_field_name("value")
                    name = decl.child_by_field_name("name")
                    if value is not None and value.type in FUNCTIONS and name is not None:
                        found[syntax.text(name, self.src)] = value
        return found

    def _callee_asserts(self, callee: Any) -> bool:
        text = lambda n: syntax.text(n, self.src)  # noqa: E731
        if callee.type == "identifier":
            name = text(callee)
            return name in self.assert_names or name in self.test_names or name in self.checkers
        if callee.type == "member_expression":
            obj = callee.child_by_field_name("object")
            prop = callee.child_by_field_name("property")
            if obj is None or prop is None:
                return False
            if obj.type == "identifier":
                name = text(obj)
                if name == "console" and text(prop) == "assert":
                    return True
                if name in self.assert_names or name in self.test_names:
                    return True
                return name in self.test_objects and text(prop) in TEST_FUNCTIONS
            return self._callee_asserts(obj)  # assert.strict.equal, test.skip.only
        return False

    def asserts(self, node: Any) -> bool:
        """Whether `node` holds an assertion (nested functions included)."""
        for n in [node, *_walk(node)]:
            if n.type == "throw_statement":
                return True
            if n.type == "if_statement" and any(self._owns_throw(b) for b in _branches(n)):
                return True  # a guarded process.exit(1)
            if n.type == "call_expression":
                callee = n.child_by_field_name("function")
                if callee is not None and self._callee_asserts(callee):
                    return True
        return False

    def hit_edits(self) -> list[tuple[int, int, str]]:
        """Count the condition of every `if` that guards its own `throw`."""
        edits = []
        for node in _walk(self.root):
            if node.type != "if_statement":
                continue
            if any(self._owns_throw(b) for b in _branches(node)):
                cond = node.child_by_field_name("condition")
                if cond is not None and cond.type == "parenthesized_expression":
                    at = cond.start_byte + 1
                    edits.append((at, at, "__assay.hit(), "))
        return edits

    def _owns_throw(self, node: Any) -> bool:
        stop = FUNCTIONS | {"if_statement", "class_body"}
        if node.type in stop or node.type == "throw_statement":
            return node.type == "throw_statement"
        return any(n.type == "throw_statement" or self._exits(n) for n in _walk(node, stop))

    def _exits(self, node: Any) -> bool:
        """`process.exit(...)`: tests that fail by exiting non-zero."""
        if node.type != "call_expression":
            return False
        callee = node.child_by_field_name("function")
        return callee is not None and syntax.text(callee, self.src) == "process.exit"

    def why_no_tests(self) -> str:
        uncalled = sorted(self.checkers)
        if uncalled:
            names = ", ".join(uncalled[:3])
            return f"the tests define {names} but never call it: no assertion runs"
        return (
            "the tests evaluate no assertion (no assert, console.assert, "
            "throw or node:test test at the top level)"
        )


# ------------------------------------------------------------ the tests' scope

# Standard globals (ECMAScript and Node) the tests may use: the tests function binds
# each one it uses to the value the harness took before the solution ran, so a solution
# that shadows or reassigns one (`var JSON = ...`, `globalThis.undefined`) does not reach
# the tests. `console`, `require` and `assert` are the harness's counting ones.
GLOBAL_NAMES = frozenset(
    """
    AbortController AbortSignal AggregateError Array ArrayBuffer Atomics BigInt
    BigInt64Array BigUint64Array Blob Boolean Buffer DataView Date Error EvalError
    Event EventTarget FinalizationRegistry Float32Array Float64Array Function Infinity
    Int16Array Int32Array Int8Array Intl Iterator JSON Map Math NaN Number Object Promise
    Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String Symbol
    SyntaxError TextDecoder TextEncoder TypeError URIError URL URLSearchParams Uint16Array
    Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet atob btoa
    clearImmediate clearInterval clearTimeout console decodeURI decodeURIComponent
    encodeURI encodeURIComponent escape globalThis isFinite isNaN parseFloat parseInt
    performance process queueMicrotask require setImmediate setInterval setTimeout
    structuredClone undefined unescape assert
    """.split()
)
PROTECTED = frozenset(
    """
    AggregateError Array ArrayBuffer Atomics BigInt Boolean DataView Date Error EvalError
    FinalizationRegistry Function Infinity Intl Iterator JSON Map Math NaN Number Object
    Promise Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String
    Symbol SyntaxError TypeError URIError WeakMap WeakRef WeakSet assert console globalThis
    isFinite isNaN parseFloat parseInt process require undefined
    """.split()
)
RESERVED_PREFIX = "__assay"


def _test_scope(
    root: Any, src: bytes, solution_modules: dict[str, str], solution_names: set[str]
) -> list[tuple[str, str]]:
    """The bindings the tests function starts with (see GLOBAL_NAMES). A global the
    solution declares as its own (`function escape(s)`) stays the solution's, unless no
    honest solution would redefine it (PROTECTED: `JSON`, `undefined`, `console`...)."""
    declared = {n for node in root.named_children for n in _declared(node, src)}
    used: list[str] = ["require"]  # imports become require() calls
    for node in _walk(root):
        if node.type in ("identifier", "undefined"):
            name = syntax.text(node, src)
            if name not in declared and name not in used:
                used.append(name)
    scope = []
    for name in used:
        if name in solution_modules:
            scope.append((name, solution_modules[name]))
        elif name in GLOBAL_NAMES and (name in PROTECTED or name not in solution_names):
            scope.append((name, f"__assay.g.{name}"))
    return scope


def _module_values(root: Any, src: bytes) -> dict[str, str]:
    """The solution's top-level module bindings, as the tests' harness would load them:
    {name: JS expression}. Relative modules are the solution itself: left out."""
    values: dict[str, str] = {}
    for node in root.named_children:
        if node.type == "import_statement":
            spec = _string(node.child_by_field_name("source"), src)
            if spec is None or _relative(spec):
                continue
            for imported, local in _import_names(node, src):
                module = f"__assay.require({_js_string(spec)})"
                if imported == "default":
                    values[local] = f"{DEFAULT_EXPORT}({module})"
                else:
                    values[local] = (
                        module if imported == "*" else f"{module}[{_js_string(imported)}]"
                    )
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                value = decl.child_by_field_name("value")
                target = decl.child_by_field_name("name")
                spec = _require_of(value, src)
                if spec is None or target is None or _relative(spec) or value is None:
                    continue
                if value.type != "call_expression":  # require('m').x: leave it to the solution
                    continue
                module = f"__assay.require({_js_string(spec)})"
                if target.type == "identifier":
                    values[syntax.text(target, src)] = module
                    continue
                for part in target.named_children if target.type == "object_pattern" else []:
                    if part.type == "shorthand_property_identifier_pattern":
                        name = syntax.text(part, src)
                        values[name] = f"{module}[{_js_string(name)}]"
                    elif part.type == "pair_pattern":
                        key = part.child_by_field_name("key")
                        local = part.child_by_field_name("value")
                        if key is not None and local is not None and local.type == "identifier":
                            key_text = syntax.text(key, src).strip("'\"")
                            values[syntax.text(local, src)] = f"{module}[{_js_string(key_text)}]"
    return values


def _js_string(text: str) -> str:
    import json

    return json.dumps(text)


def _identifier(node: Any, src: bytes) -> str:
    """An identifier's name, its escapes decoded (`\u0072equire` is `require`)."""
    text = syntax.text(node, src)
    if "\\" not in text:
        return text
    return re.sub(
        r"\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        text,
    )


def _refused(root: Any, src: bytes) -> str:
    """Why code cannot run with the harness: it names the harness's own bindings, or
    declares `require`/`module` as a function (hoisted above the harness's first line)."""
    for node in _walk(root):
        if node.type in ("identifier", "property_identifier", "shorthand_property_identifier"):
            name = _identifier(node, src)
            if name.startswith(RESERVED_PREFIX):
                return f"the code uses the name {name}, which the sandbox reserves"
    for node in root.named_children:
        if node.type in ("function_declaration", "generator_function_declaration"):
            ident = node.child_by_field_name("name")
            name = _identifier(ident, src) if ident is not None else ""
            if name in ("require", "module"):
                return f"the code declares a function named {name}, which the sandbox needs"
    return ""


# Built-ins whose prototype or own functions code may try to extend; they are frozen.
INTRINSICS = frozenset(
    """
    Array ArrayBuffer BigInt Boolean DataView Date Error Function JSON Map Math Number
    Object Promise Proxy Reflect RegExp Set String Symbol WeakMap WeakSet Intl Atomics
    Int8Array Uint8Array Int16Array Uint16Array Int32Array Uint32Array Float32Array
    Float64Array
    """.split()
)


def _patched_builtin(root: Any, src: bytes) -> str:
    """`String.prototype.x = ...`, `Math.clamp = ...`, `Object.defineProperty(Array.prototype,
    ...)`: the built-in it changes (frozen in the sandbox), else ''."""

    def builtin_of(node: Any) -> str:
        # X.prototype.y / X.prototype[y] / X.y, X an intrinsic
        if node is None or node.type not in ("member_expression", "subscript_expression"):
            return ""
        obj = node.child_by_field_name("object")
        if obj is not None and obj.type == "identifier" and syntax.text(obj, src) in INTRINSICS:
            return syntax.text(obj, src)
        if obj is not None and obj.type == "member_expression":
            inner = obj.child_by_field_name("object")
            prop = obj.child_by_field_name("property")
            if (
                inner is not None
                and inner.type == "identifier"
                and syntax.text(inner, src) in INTRINSICS
                and prop is not None
                and syntax.text(prop, src) == "prototype"
            ):
                return f"{syntax.text(inner, src)}.prototype"
        return ""

    for node in _walk(root):
        if node.type in ("assignment_expression", "augmented_assignment_expression"):
            name = builtin_of(node.child_by_field_name("left"))
            if name:
                return name
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            text = syntax.text(callee, src) if callee is not None else ""
            if text in ("Object.defineProperty", "Object.defineProperties", "Object.assign"):
                first = args.named_children[0] if args is not None and args.named_children else None
                target = syntax.text(first, src) if first is not None else ""
                base = target.removesuffix(".prototype")
                if base in INTRINSICS and (target != base or text != "Object.assign"):
                    return target
    return ""
