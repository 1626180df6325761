"""Items read on real syntax trees: tree-sitter grammars reached through the language registry.

`read_code(language, code)` gives a `Code` (tree + source) for every language whose
registry entry names a grammar, and None otherwise: a check that gets None says nothing
about the item (see `core/quality/README.md`). The functions here answer the questions the
item checks ask, in the same way for every grammar:

- `definitions`: the functions, methods and types a solution defines;
- `references`: every name the tests mention (calls, methods, constructors, callbacks);
- `test_checks`: the checks of a test block (assert calls and macros, throw / raise /
  panic / `t.Errorf` under the condition that guards them), each with what it depends on
  (`live`: does it reach the solution through the tests' variables and helpers?) and
  whether it only compares `f(x)` with `x` (`identity`);
- `solution_kind`: `stub`, `identity`, `constant` or None for the named function.

Node types differ per grammar; the tables below list them once. Anything a table does not
know is read as "not a check" / "not a literal", which makes a flag less likely, never more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox import languages
from sandbox.languages import syntax

Node = Any  # tree_sitter.Node

# --- what the grammars call things ---------------------------------------------------

_FUNCTION_TYPES = frozenset(
    {
        "function_declaration",  # js, ts, go
        "generator_function_declaration",
        "function_definition",  # python, cpp, php
        "function_item",  # rust
        "method_declaration",  # go, java, php
        "method_definition",  # js, ts
        "method",  # ruby
        "singleton_method",
        "constructor_declaration",  # java
    }
)
_TYPE_TYPES = frozenset(
    {
        "class_declaration",
        "abstract_class_declaration",
        "interface_declaration",
        "class_definition",
        "class_specifier",
        "struct_specifier",
        "struct_item",
        "enum_item",
        "trait_item",
        "union_item",
        "type_spec",
        "class",
        "module",
        "record_declaration",
        "enum_declaration",
        "type_alias_declaration",
        "impl_item",
    }
)
# `const f = (x) => ...`, `f = function () {...}`, a class field holding an arrow
_VALUE_DEFINITION_TYPES = frozenset(
    {"variable_declarator", "public_field_definition", "field_definition"}
)
_FUNCTION_VALUE_TYPES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function", "lambda"}
)
_NAME_TYPES = frozenset(
    {
        "identifier",
        "property_identifier",
        "field_identifier",
        "type_identifier",
        "shorthand_property_identifier",
        "constant",
        "name",
        "simple_identifier",
    }
)
# names that hold a value (not a type): what an identity solution returns
_VALUE_NAME_TYPES = frozenset(
    {"identifier", "property_identifier", "field_identifier", "shorthand_property_identifier"}
    | {"name", "variable_name"}
)
_SELF_TYPES = frozenset({"this", "self", "super"})
_COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment", "doc_comment"})
_STRING_TYPES = frozenset(
    {
        "string",
        "string_literal",
        "raw_string_literal",
        "interpreted_string_literal",
        "template_string",
        "encapsed_string",
        "chained_string",
        "concatenated_string",
        "heredoc",
    }
)
_BLOCK_TYPES = frozenset(
    {
        "block",
        "statement_block",
        "compound_statement",
        "body_statement",
        "statement_list",
        "program",
        "source_file",
        "translation_unit",
        "module",
        "then",
        "else",
        "do_block",
        "declaration_list",
        "class_body",
        "constructor_body",
        "switch_block",
        "try_statement",
    }
)
_IF_TYPES = frozenset(
    {
        "if_statement",
        "if_expression",
        "if",
        "unless",
        "if_modifier",
        "unless_modifier",
        "elsif",
        "while_statement",
        "conditional_expression",
        "ternary_expression",
        "match_expression",
        "switch_statement",
        "expression_switch_statement",
    }
)
_THROW_TYPES = frozenset({"throw_statement", "throw_expression", "raise_statement"})
_CALL_TYPES = frozenset(
    {
        "call_expression",  # js, ts, go, rust, cpp
        "call",  # python, ruby
        "method_invocation",  # java
        "function_call_expression",  # php
        "member_call_expression",
        "scoped_call_expression",
        "nullsafe_member_call_expression",
        "macro_invocation",  # rust
    }
)
_NEW_TYPES = frozenset(
    {"new_expression", "object_creation_expression", "composite_literal", "struct_expression"}
)
_BINDING_FIELDS = (
    ("variable_declarator", "name", "value"),
    ("assignment_expression", "left", "right"),
    ("augmented_assignment_expression", "left", "right"),
    ("assignment", "left", "right"),
    ("short_var_declaration", "left", "right"),
    ("assignment_statement", "left", "right"),
    ("var_spec", "name", "value"),
    ("const_spec", "name", "value"),
    ("let_declaration", "pattern", "value"),
    ("init_declarator", "declarator", "value"),
    ("property_declaration", "name", "value"),
)
# calls that compare their first two arguments: assertEquals, deepEqual, assert_eq!,
# testify's Equal, MBXP's compare(x, v), issame(a, b)
_EQUALITY_CALL = re.compile(r"(?i)equal|compare|same|^(?:debug_)?assert_(?:eq|ne)$|^eq$|^ne$")
_MUTATION_TYPES = frozenset(
    {"update_expression", "augmented_assignment_expression", "augmented_assignment"}
    | {"compound_assignment_expr", "inc_statement", "dec_statement", "operator_assignment"}
)
CALL_TYPES = _CALL_TYPES  # what the tampering check counts as calling the code under test
_EQUALITY_OPERATORS = frozenset({"==", "!=", "===", "!==", "eq", "ne", "<=>"})
# calls that fail a test when reached (inside an `if`, they make the `if` a check)
_FAIL_CALLS = frozenset(
    {"panic", "raise", "fail", "abort", "exit", "Error", "Errorf", "Fatal", "Fatalf"}
    | {"Fail", "FailNow", "unreachable", "die", "trigger_error"}
)
_ASSERT_OBJECTS = frozenset({"assert", "require", "expect", "Assert", "Assertions", "chai"})
_STUB_CALLS = frozenset(
    {"todo", "unimplemented", "panic", "raise", "fail", "NotImplementedError"}
    | {"UnsupportedOperationException", "NotImplementedException", "unreachable"}
)
_LITERAL_TEXT = re.compile(
    r"""-?\d+(?:\.\d+)?[a-zA-Z0-9_]*|"[^"]*"|'[^']*'|true|false|True|False|None|null|nil
    |undefined|nullptr|NULL|\[\s*\]|\{\s*\}|\(\s*\)|vec!\[\s*\]|Vec::new\(\)|String::new\(\)
    |HashMap::new\(\)|""\.to_string\(\)|String::from\(""\)|new\s+\w+(?:<[^>]*>)?\(\s*\)
    |\w+\{\s*\}|Ok\(\(\)\)|\[\]\w+\{\s*\}|make\([^()]*\)|array\(\s*\)""",
    re.X,
)


# --- reading ------------------------------------------------------------------------


@dataclass
class Code:
    """One parsed block of code: the tree's root and the bytes it was parsed from."""

    root: Node
    source: bytes
    grammar: str

    def text(self, node: Node) -> str:
        return syntax.text(node, self.source)

    @property
    def clean(self) -> bool:
        """True when the grammar read the whole block without an error."""
        return not self.root.has_error


def grammar_of(language: str | None) -> str | None:
    """The tree-sitter grammar for a language id, or None when none is installed."""
    known = languages.get(language) if language else None
    return known.grammar if known is not None else None


# bare test statements (`if F(x) != y { panic(..) }`, the native format's Go) are not a
# valid file in these languages: they are read as the body of a function
_STATEMENT_WRAPPERS = {
    "go": ("func __assay_tests() {\n", "\n}\n"),
    "rust": ("fn __assay_tests() {\n", "\n}\n"),
    "java": ("class __AssayTests {\nvoid __assay_tests() throws Exception {\n", "\n}\n}\n"),
    "cpp": ("void __assay_tests() {\n", "\n}\n"),
}


def read_code(language: str | None, code: str, *, statements: bool = False) -> Code | None:
    """The syntax tree of `code`, or None when its language has no grammar.

    With `statements`, code that does not parse as a file is read as a function body
    when that parses cleanly (a test block of bare statements).
    """
    grammar = grammar_of(language)
    if grammar is None or not code:
        return None
    code = code.replace("\0", " ")
    if grammar == "php" and "<?php" not in code:
        code = "<?php\n" + code  # the grammar reads text before the tag as HTML
    candidates = [code if code.endswith("\n") else code + "\n"]
    if statements and grammar in _STATEMENT_WRAPPERS:
        before, after = _STATEMENT_WRAPPERS[grammar]
        candidates.append(before + code + after)
    reads = []
    for text in candidates:
        try:
            tree = syntax.parse(grammar, text)
        except (ValueError, RecursionError, MemoryError):
            return None
        reads.append(Code(tree.root_node, text.encode("utf-8"), grammar))
        if reads[-1].clean:
            return reads[-1]
    return reads[0]  # with its errors: the checks that need a clean tree say nothing


def _leaves(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.child_count == 0 or current.type in _NAME_TYPES:
            yield current
        else:
            stack.extend(reversed(current.children))


def normal_text(code: Code, node: Node) -> str:
    """A node's text with layout and comments ignored: its leaves joined by one space."""
    return " ".join(code.text(leaf) for leaf in _leaves(node) if leaf.type not in _COMMENT_TYPES)


def _names(code: Code, node: Node) -> set[str]:
    return {code.text(leaf) for leaf in _leaves(node) if leaf.type in _NAME_TYPES}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- definitions --------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    name: str
    node: Node
    kind: str  # "function" or "type"
    inside_type: bool


def _declarator_name(code: Code, node: Node | None) -> str | None:
    """The name inside a C++ declarator chain (`Sol::f(...)`, `*f(...)`, `&operator==`)."""
    while node is not None:
        if node.type in {"identifier", "field_identifier", "destructor_name", "operator_name"}:
            return code.text(node)
        if node.type == "qualified_identifier":
            node = node.child_by_field_name("name")
            continue
        inner = node.child_by_field_name("declarator")
        node = inner if inner is not None else (node.named_children or [None])[-1]
    return None


def _definition_name(code: Code, node: Node) -> str | None:
    if node.type == "function_definition" and code.grammar == "cpp":
        return _declarator_name(code, node.child_by_field_name("declarator"))
    if node.type == "impl_item":
        target = node.child_by_field_name("type")
        return code.text(target).split("<")[0] if target is not None else None
    name = node.child_by_field_name("name")
    if name is None:
        return None
    if name.type in _NAME_TYPES or name.type in {"constant", "scope_resolution"}:
        return code.text(name).split("::")[-1]
    return None


def definitions(code: Code) -> list[Definition]:
    """Every function, method and type `code` defines, in source order."""
    found: list[Definition] = []
    stack: list[tuple[Node, bool]] = [(code.root, False)]
    while stack:
        node, inside = stack.pop()
        kind = None
        if node.type in _FUNCTION_TYPES:
            kind = "function"
        elif node.type in _TYPE_TYPES:
            kind = "type"
        elif node.type in _VALUE_DEFINITION_TYPES:
            value = node.child_by_field_name("value")
            if value is not None and value.type in _FUNCTION_VALUE_TYPES:
                kind = "function"
        if kind is not None:
            name = _definition_name(code, node)
            if name:
                found.append(Definition(name, node, kind, inside))
        child_inside = inside or kind == "type"
        stack.extend((child, child_inside) for child in reversed(node.named_children))
    return found


def defined_names(code: Code) -> set[str]:
    return {d.name for d in definitions(code)}


# --- calls and references -----------------------------------------------------------


def macro_arguments(code: Code, node: Node) -> list[tuple[Code, Node]]:
    """The arguments of a Rust macro call, parsed as expressions (a token tree is not)."""
    tree = next((c for c in node.named_children if c.type == "token_tree"), None)
    if tree is None:
        return []
    inner = code.text(tree)[1:-1]
    wrapped = read_code("rust", f"fn __assay() {{ __assay({inner}); }}")
    if wrapped is None:
        return []
    call = next((n for n in syntax.walk(wrapped.root) if n.type == "call_expression"), None)
    arguments = call.child_by_field_name("arguments") if call is not None else None
    if arguments is None:
        return []
    return [(wrapped, arg) for arg in arguments.named_children]


def _callee(node: Node) -> Node | None:
    for name in ("function", "method", "name", "macro", "constructor", "type"):
        callee = node.child_by_field_name(name)
        if callee is not None:
            return callee
    return node.named_children[0] if node.named_children else None


def callee_name(code: Code, node: Node) -> str | None:
    """The last name of what a call calls: `f` for `f(x)`, `a.b.f(x)`, `F::<T>(x)`, `f!()`."""
    callee = _callee(node)
    if callee is None:
        return None
    names = [code.text(leaf) for leaf in _leaves(callee) if leaf.type in _NAME_TYPES]
    if node.type == "call" and code.grammar == "ruby":
        method = node.child_by_field_name("method")
        return code.text(method) if method is not None else None
    return names[-1] if names else None


def _arguments(code: Code, node: Node) -> list[tuple[Code, Node]]:
    if node.type == "macro_invocation":
        return macro_arguments(code, node)
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        arguments = next(
            (c for c in node.named_children if c.type in {"arguments", "argument_list"}), None
        )
    if arguments is None:
        return []
    out = []
    for arg in arguments.named_children:
        if arg.type in _COMMENT_TYPES:
            continue
        if arg.type == "argument" and arg.named_children:  # php wraps each argument
            arg = arg.named_children[-1]
        out.append((code, arg))
    return out


def references(code: Code) -> set[str]:
    """Every name the code mentions, macro arguments included (a callback counts too)."""
    names = _names(code, code.root)
    for node in syntax.walk(code.root):
        if node.type == "macro_invocation":
            for sub, arg in macro_arguments(code, node):
                names |= _names(sub, arg)
    return names


def called_names(code: Code) -> set[str]:
    """The names of what `code` calls or constructs."""
    names: set[str] = set()
    for node in syntax.walk(code.root):
        if node.type in _CALL_TYPES:
            name = callee_name(code, node)
            if name:
                names.add(name)
            if node.type == "macro_invocation":
                for sub, arg in macro_arguments(code, node):
                    names |= {
                        n
                        for call in syntax.walk(arg)
                        if call.type in _CALL_TYPES and (n := callee_name(sub, call))
                    }
        elif node.type in _NEW_TYPES:
            names |= _names(code, _callee(node) or node) & _names(code, node)
    return names


# --- checks -------------------------------------------------------------------------


@dataclass
class Check:
    """One check of a test block: the node that fails, and what decides whether it fails."""

    node: Node
    conditions: list[tuple[Code, Node]]
    comparisons: list[tuple[tuple[Code, Node], tuple[Code, Node]]] = field(default_factory=list)


def _is_assert_call(code: Code, node: Node) -> bool:
    if node.type not in _CALL_TYPES:
        return False
    callee = _callee(node)
    if callee is None:
        return False
    text = code.text(callee)
    first = re.match(r"[A-Za-z_$][\w$]*", text)
    last = callee_name(code, node) or ""
    return (
        last.lower().startswith("assert")
        or last in {"expect", "check_eq"}
        or (first is not None and first.group(0) in _ASSERT_OBJECTS)
        or text.replace(" ", "") == "console.assert"
    )


def _is_fail(code: Code, node: Node) -> bool:
    if node.type in _THROW_TYPES:
        return True
    if node.type in _CALL_TYPES:
        name = callee_name(code, node)
        if name in _FAIL_CALLS:
            return True
    return False


def _condition_of(code: Code, node: Node) -> list[tuple[Code, Node]]:
    """What decides whether a throw / panic is reached: the guarding `if`, else its block."""
    block = None
    current = node.parent
    while current is not None:
        if current.type in _IF_TYPES:
            parts = [
                current.child_by_field_name(f)
                for f in ("condition", "initializer", "value", "subject")
            ]
            found = [(code, p) for p in parts if p is not None]
            return found or [(code, current)]
        if current.type in _FUNCTION_TYPES or current.type in _FUNCTION_VALUE_TYPES:
            break
        if block is None and current.type in _BLOCK_TYPES and current.type not in _ROOT_TYPES:
            block = current
        current = current.parent
    return [(code, block if block is not None else node)]


_ROOT_TYPES = frozenset({"program", "source_file", "translation_unit", "module"})


def _comparisons(
    code: Code, node: Node, pairs: list[tuple[tuple[Code, Node], tuple[Code, Node]]]
) -> None:
    """Collect (left, right) of every equality under `node` (operators and equality calls)."""
    for sub in syntax.walk(node):
        if sub.named_child_count == 2 and any(
            code.text(c) in _EQUALITY_OPERATORS for c in sub.children if not c.is_named
        ):
            left, right = sub.named_children
            pairs.append(((code, left), (code, right)))
        elif sub.type in _CALL_TYPES:
            args = [
                (c, a)
                for c, a in _arguments(code, sub)
                if a.type not in _STRING_TYPES and a.type not in _COMMENT_TYPES
            ]
            if (
                len(args) >= 3
                and args[0][1].type == "identifier"
                and args[0][0].text(args[0][1]) in {"t", "self"}
            ):
                args = args[1:]
            callee = _callee(sub)
            if len(args) >= 2 and _EQUALITY_CALL.search(callee_name(code, sub) or ""):
                pairs.append((args[0], args[1]))
            elif (
                len(args) == 1
                and callee is not None
                and callee.named_children
                and (callee_name(code, sub) or "").lower() in {"equals", "eq", "toequal", "tobe"}
            ):
                pairs.append(((code, callee.named_children[0]), args[0]))
            if sub.type == "macro_invocation":
                for sub_code, arg in args:
                    _comparisons(sub_code, arg, pairs)


def test_checks(code: Code) -> list[Check]:
    """The checks of a test block, outermost only (`expect(f(x)).toBe(y)` is one)."""
    checks: list[Check] = []
    stack = [code.root]
    while stack:
        node = stack.pop()
        if _is_assert_call(code, node) or (
            node.type == "macro_invocation"
            and (callee_name(code, node) or "").startswith(("assert", "debug_assert"))
        ):
            args = list(_arguments(code, node))
            callee = _callee(node)
            if callee is not None and node.type != "macro_invocation":
                for inner in syntax.walk(callee):  # `expect(f(x))` in `expect(f(x)).toBe(y)`
                    if inner.type in _CALL_TYPES:
                        args += _arguments(code, inner)
            check = Check(node, args)
            _comparisons(code, node, check.comparisons)
            checks.append(check)
            continue
        if node.type == "assert_statement":
            check = Check(node, [(code, c) for c in node.named_children])
            _comparisons(code, node, check.comparisons)
            checks.append(check)
            continue
        if _is_fail(code, node):
            conditions = _condition_of(code, node)
            check = Check(node, conditions)
            for sub, cond in conditions:
                if cond is not node:
                    _comparisons(sub, cond, check.comparisons)
            checks.append(check)
            continue
        stack.extend(reversed(node.named_children))
    return checks


@dataclass
class Bindings:
    """What each name of a test block stands for: assigned values, helper bodies, the
    arguments a helper is called with (so `check(candidate)` called as `check(f)` reaches f)."""

    values: dict[str, list[tuple[Code, Node]]] = field(default_factory=dict)
    mutated: set[str] = field(default_factory=set)  # `n++`, `n += 1`: value not known here

    def add(self, name: str, code: Code, node: Node) -> None:
        self.values.setdefault(name, []).append((code, node))


def bindings(code: Code) -> Bindings:
    found = Bindings()
    fields = {t: (left, right) for t, left, right in _BINDING_FIELDS}
    helpers: dict[str, list[str]] = {}
    for d in definitions(code):
        found.add(d.name, code, d.node)
        params = d.node.child_by_field_name("parameters")
        if params is None and d.node.type in _VALUE_DEFINITION_TYPES:
            value = d.node.child_by_field_name("value")
            if value is not None:
                params = value.child_by_field_name("parameters") or value.child_by_field_name(
                    "parameter"
                )
        if params is not None:
            helpers[d.name] = [
                code.text(leaf)
                for leaf in _leaves(params)
                if leaf.type in {"identifier", "name"} and leaf.parent.type != "type_identifier"
            ]
    for node in syntax.walk(code.root):
        if node.type in _MUTATION_TYPES:
            target = node.child_by_field_name("argument") or node.child_by_field_name("left")
            if target is None and node.named_children:
                target = node.named_children[0]
            for leaf in _leaves(target) if target is not None else ():
                if leaf.type in {"identifier", "name"}:
                    found.mutated.add(code.text(leaf))
        if node.type in _CALL_TYPES:  # `vals.append(x)`, `sort(arr)`: may change them
            callee = _callee(node)
            if callee is not None and callee.named_children:
                receiver = next(_leaves(callee), None)
                if receiver is not None and receiver.type in {"identifier", "name"}:
                    found.mutated.add(code.text(receiver))
            for _, arg in _arguments(code, node):
                if arg.type in {"identifier", "variable_name"} or arg.type.endswith(
                    ("reference_expression", "pointer_expression", "unary_expression")
                ):
                    found.mutated |= {
                        code.text(leaf) for leaf in _leaves(arg) if leaf.type in _NAME_TYPES
                    }
        if node.type in fields:
            left_field, right_field = fields[node.type]
            left = node.child_by_field_name(left_field)
            right = node.child_by_field_name(right_field)
            if left is None or right is None:
                continue
            lefts = [n for n in _leaves(left) if n.type in {"identifier", "name"}]
            rights = right.named_children if right.type == "expression_list" else [right]
            if len(lefts) == len(rights) and len(lefts) > 1:
                for name_node, value in zip(lefts, rights, strict=True):
                    found.add(code.text(name_node), code, value)
            else:
                for name_node in lefts[:1] if len(lefts) == 1 else lefts:
                    found.add(code.text(name_node), code, right)
        elif node.type in _CALL_TYPES:
            name = callee_name(code, node)
            if name in helpers:
                for param in helpers[name]:
                    for sub, arg in _arguments(code, node):
                        found.add(param, sub, arg)
    return found


def depends(
    start: Iterable[tuple[Code, Node]], targets: set[str], binds: Bindings, limit: int = 2000
) -> bool:
    """Whether what is under `start` may depend on the solution.

    Names are followed through `binds`; the answer is yes when one of `targets` is reached,
    and also when a name is reached whose value the tests do not show (a callback's
    parameter, a library call, a variable a closure mutates): only a check built from
    literals alone is known not to depend on the solution.
    """
    seen: set[str] = set()
    todo = list(start)
    steps = 0
    while todo:
        steps += 1
        if steps > limit:
            return True  # too tangled to follow: it may depend
        code, node = todo.pop()
        names = _names(code, node)
        for sub in syntax.walk(node):
            if sub.type == "macro_invocation":
                for sub_code, arg in macro_arguments(code, sub):
                    names |= _names(sub_code, arg)
        if names & targets or names & binds.mutated:
            return True
        for name in names - seen:
            seen.add(name)
            values = binds.values.get(name)
            if not values:
                return True
            todo.extend(values)
    return False


def count_calls(
    start: Iterable[tuple[Code, Node]], targets: set[str], binds: Bindings, limit: int = 2000
) -> int:
    """How many calls of `targets` the names under `start` lead to (`correct` holding seven
    `s.f(...)` results is seven test cases behind one check)."""
    seen_names: set[str] = set()
    seen_calls: set[tuple[int, int, int]] = set()
    todo = list(start)
    steps = 0
    while todo and steps < limit:
        code, node = todo.pop()
        steps += 1
        for sub in syntax.walk(node):
            if sub.type in _CALL_TYPES and callee_name(code, sub) in targets:
                seen_calls.add((id(code), sub.start_byte, sub.end_byte))
        for name in _names(code, node) - seen_names:
            seen_names.add(name)
            values = binds.values.get(name, ())
            todo.extend(v for v in values if v[1].type not in _FUNCTION_TYPES)
    return len(seen_calls)


def aliases(name: str, binds: Bindings) -> set[str]:
    """`name` and the helper parameters it is passed as (HumanEval's `candidate`)."""
    found = {name}
    for param, values in binds.values.items():
        if any(node.type == "identifier" and code.text(node) == name for code, node in values):
            found.add(param)
    return found


def _resolve(code: Code, node: Node, binds: Bindings) -> tuple[Code, Node]:
    for _ in range(5):
        if node.type not in _VALUE_NAME_TYPES and not (
            node.type == "variable_name" or node.type == "identifier"
        ):
            break
        values = binds.values.get(code.text(node), [])
        if len(values) != 1 or values[0][1].type in _FUNCTION_TYPES:
            break
        code, node = values[0]
    return code, node


def _normal(code: Code, node: Node, binds: Bindings, replace: dict, depth: int = 0) -> str:
    """The text of `node` with spacing removed and single-value variables replaced."""
    key = (id(code), node.start_byte, node.end_byte)
    if key in replace:
        sub_code, sub_node = replace[key]
        return _normal(sub_code, sub_node, binds, {}, depth + 1)
    if depth < 6 and node.type in {"identifier", "variable_name"}:
        values = binds.values.get(code.text(node), [])
        if len(values) == 1 and values[0][1].type not in _FUNCTION_TYPES:
            return _normal(*values[0], binds, {}, depth + 1)
    if node.type in _STRING_TYPES or "string" in node.type or "char" in node.type:
        return code.text(node)  # spacing inside a string is data
    if node.child_count == 0:
        return _norm(code.text(node))
    return "".join(_normal(code, c, binds, replace, depth) for c in node.children)


def _identity_positions(
    side: tuple[Code, Node], other: tuple[Code, Node], names: set[str], binds: Bindings
) -> set[tuple[int, int]]:
    """(i, arity) for each call of `names` in `side` that, replaced by its i-th argument,
    reads the same as `other`: the function returning its i-th parameter passes there."""
    try:
        return _positions(side, other, names, binds)
    except RecursionError:  # an expression nested thousands deep: not judged
        return set()


def _positions(
    side: tuple[Code, Node], other: tuple[Code, Node], names: set[str], binds: Bindings
) -> set[tuple[int, int]]:
    code, node = _resolve(*side, binds)
    target = _normal(*other, binds, {})
    found = set()
    for call in syntax.walk(node):
        if call.type not in _CALL_TYPES or callee_name(code, call) not in names:
            continue
        key = (id(code), call.start_byte, call.end_byte)
        args = _arguments(code, call)
        for i, arg in enumerate(args):
            if _normal(code, node, binds, {key: arg}) == target:
                found.add((i, len(args)))
    return found


def identity_positions(check: Check, names: set[str], binds: Bindings) -> set[tuple[int, int]]:
    """(i, arity) such that returning the i-th argument passes this check
    (`f(x) == x`, `JSON.stringify(f(x)) === JSON.stringify(x)`, `f(xs, n) == xs`)."""
    found: set[tuple[int, int]] = set()
    for left, right in check.comparisons:
        found |= _identity_positions(left, right, names, binds)
        found |= _identity_positions(right, left, names, binds)
    return found


# --- solutions ----------------------------------------------------------------------


def _function_node(d: Definition) -> Node:
    if d.node.type in _VALUE_DEFINITION_TYPES:
        return d.node.child_by_field_name("value") or d.node
    return d.node


def _parameters(code: Code, func: Node) -> set[str]:
    params = func.child_by_field_name("parameters") or func.child_by_field_name("parameter")
    if params is None:
        declarator = func.child_by_field_name("declarator")
        while declarator is not None and params is None:
            params = declarator.child_by_field_name("parameters")
            declarator = declarator.child_by_field_name("declarator")
    if params is None:
        return set()
    if params.type in {"identifier", "name"}:
        return {code.text(params)}
    return {code.text(leaf).lstrip("$") for leaf in _leaves(params) if leaf.type in _NAME_TYPES}


def _parameter_count(code: Code, func: Node) -> int:
    params = func.child_by_field_name("parameters") or func.child_by_field_name("parameter")
    declarator = func.child_by_field_name("declarator")
    while params is None and declarator is not None:  # C++: `int f(int a)` nests it
        params = declarator.child_by_field_name("parameters")
        declarator = declarator.child_by_field_name("declarator")
    if params is None:
        return 0  # Ruby's `def f` takes none
    if params.type in _NAME_TYPES:  # a JavaScript arrow's `x => ...`
        return 1
    count = 0
    for child in params.named_children:
        if child.type == "comment":
            continue
        # Go's `a, b int` is one declaration of two parameters
        count += max(1, len(child.children_by_field_name("name")))
    return count


def arity(code: Code, name: str | None) -> int | None:
    """How many parameters the function `name` takes (else the only top-level function);
    None when there is no such function or its definitions disagree (overloads)."""
    functions = [d for d in definitions(code) if d.kind == "function"]
    targets = [d for d in functions if d.name == name]
    if not targets:
        top = [d for d in functions if not d.inside_type]
        targets = top if len(top) == 1 else []
    counts = {_parameter_count(code, _function_node(d)) for d in targets}
    return counts.pop() if len(counts) == 1 else None


def _statements(code: Code, body: Node) -> list[Node]:
    nodes = list(body.named_children)
    while len(nodes) == 1 and nodes[0].type in {"statement_list", "block", "body_statement"}:
        nodes = list(nodes[0].named_children)
    out: list[Node] = []
    for node in nodes:
        if node.type in _COMMENT_TYPES or node.type in {"empty_statement", "pass_statement"}:
            continue
        inner = node.named_children[0] if node.type == "expression_statement" else node
        if (
            node.type == "expression_statement" or code.grammar == "ruby"
        ) and node.named_child_count <= 1:
            if inner is not None and inner.type in _STRING_TYPES and not out:
                continue  # a docstring
        out.append(node)
    return out


def _unwrap(node: Node) -> Node:
    while (
        node.type
        in {
            "parenthesized_expression",
            "expression_list",
            "argument_list",
            "expression_statement",
        }
        and node.named_child_count == 1
    ):
        node = node.named_children[0]
    return node


def _expression_kind(
    code: Code, node: Node, params: set[str], types: frozenset[str] = frozenset()
) -> str | None:
    node = _unwrap(node)
    text = code.text(node)
    if _names(code, node) & types:
        return None  # builds a type of the solution (`return &Stack{}`): a constructor
    if node.type in _VALUE_NAME_TYPES or node.type == "variable_name":
        return "identity" if text.lstrip("$") in params else None
    if _is_stub(code, node):
        return "stub"
    leaves = list(_leaves(node))
    has_value_name = any(
        leaf.type in _VALUE_NAME_TYPES or leaf.type in _SELF_TYPES for leaf in leaves
    )
    if not has_value_name and node.type not in _CALL_TYPES and node.type not in _NEW_TYPES:
        if node.type not in {"template_string", "encapsed_string"} or not node.named_children:
            return "constant"
    if _LITERAL_TEXT.fullmatch(text.strip()):
        return "constant"
    return None


def _is_stub(code: Code, node: Node) -> bool:
    node = _unwrap(node)
    if node.type in _THROW_TYPES:
        return True
    if node.type in _CALL_TYPES:
        name = callee_name(code, node)
        return name in _STUB_CALLS
    return False


def _body_kind(code: Code, func: Node, types: frozenset[str] = frozenset()) -> str | None:
    params = _parameters(code, func)
    body = func.child_by_field_name("body")
    if body is None:
        if func.type in {"method", "singleton_method"}:
            return "stub"  # an empty Ruby method
        return None  # a declaration without a body (interface, abstract)
    if body.type not in _BLOCK_TYPES and body.type not in {"block", "statement_block"}:
        return _expression_kind(code, body, params, types)  # an arrow function's expression
    statements = _statements(code, body)
    if not statements:
        return "stub"
    if len(statements) != 1:
        return None
    stmt = statements[0]
    if stmt.type in {"return_statement", "return", "return_expression"}:
        if not stmt.named_children:
            return "constant"
        return _expression_kind(code, stmt.named_children[0], params, types)
    if _is_stub(code, stmt):
        return "stub"
    implicit = code.grammar in {"rust", "ruby"} and stmt.type != "expression_statement"
    if implicit and not stmt.type.endswith(("_declaration", "_statement", "_item")):
        return _expression_kind(code, stmt, params, types)
    return None


_CONSTRUCTORS = frozenset({"constructor", "__init__", "initialize", "__construct", "new"})


def solution_kind(code: Code, name: str | None) -> str | None:
    """`stub`, `identity`, `constant`, or None (a real solution, or one not understood).

    The functions looked at: those named `name`; else, when `name` is a type, its methods
    (constructors aside); else the solution's only top-level function.
    """
    defs = definitions(code)
    targets = [d for d in defs if d.kind == "function" and d.name == name]
    if not targets:
        named_types = [d for d in defs if d.kind == "type" and d.name == name]
        if named_types:
            inner = {id(n) for t in named_types for n in syntax.walk(t.node)}
            targets = [
                d
                for d in defs
                if d.kind == "function"
                and id(d.node) in inner
                and d.name not in _CONSTRUCTORS
                and d.name != name
            ]
            if not targets:
                return None
    if not targets:
        top = [d for d in defs if d.kind == "function" and not d.inside_type]
        if len(top) != 1:
            return None
        targets = top
    solution_types = frozenset(d.name for d in defs if d.kind == "type")
    kinds = {_body_kind(code, _function_node(d), solution_types) for d in targets}
    return kinds.pop() if len(kinds) == 1 else None


def comments_text(code: Code) -> str:
    """The prose of a code block: its comments and docstrings."""
    parts = []
    for node in syntax.walk(code.root):
        if node.type in _COMMENT_TYPES:
            parts.append(code.text(node))
        elif node.type == "expression_statement" and node.named_child_count == 1:
            if node.named_children[0].type in _STRING_TYPES:
                parts.append(code.text(node))
    return "\n".join(parts)


_IMPORT_TYPES = frozenset(
    {
        "import_statement",
        "import_declaration",
        "import_from_statement",
        "preproc_include",
        "using_declaration",
        "use_declaration",
        "package_clause",
        "namespace_use_declaration",
    }
)


def looks_like_code(code: Code) -> bool:
    """Whether a statement is a code prompt: it defines or imports something at top level.

    Prose parsed by a grammar recovers into errors and stray expressions, not these.
    """
    for node in code.root.named_children:
        if node.type in _IMPORT_TYPES:
            return True
        if (node.type in _FUNCTION_TYPES or node.type in _TYPE_TYPES) and not node.has_error:
            return True
    return False
