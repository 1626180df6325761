"""Go items read with tree-sitter: imports, test shapes, assertion sites, one program.

Two test shapes: bare statements (`if F(x) != y { panic("...") }`, each statement that
can fail is a test, declarations are setup) and `_test.go` programs (`func TestX(t
*testing.T)`, HumanEval-X's shape, testify included). Either way the item becomes one
`package main` file: merged imports, the solution, the tests, and a generated `main`
that runs them through the harness package. Before every statement that checks
something (the `if` guarding a `panic` or `t.Errorf`, an `assert.Equal(...)` call) the
tests get `assayharness.Mark()`, so a test that reached no check is never a pass.
`//line` directives keep compiler and panic positions in the item's own lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.languages import syntax
from sandbox.languages.base import NoTests, Refused, Unparsable, Unsupported
from sandbox.languages.syntax import walk
from sandbox.result import clip

HARNESS = "assayharness"
MARK = f"{HARNESS}.Mark(); "
TESTIFY = {
    "assert": "github.com/stretchr/testify/assert",
    "require": "github.com/stretchr/testify/require",
}
# Calls that fail a test: t.Error*, t.Fatal*, t.Fail*, and exits.
T_FAILURES = {"Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow"}
GUARDS = {"if_statement", "expression_switch_statement", "type_switch_statement"}
STATEMENT_LISTS = {
    "statement_list",
    "source_file",
    "block",
    "expression_case",
    "default_case",
    "type_case",
    "communication_case",
}
TOP_DECLARATIONS = {"function_declaration", "method_declaration", "type_declaration"}
SETUP = {"short_var_declaration", "var_declaration", "const_declaration", "type_declaration"}
FUNCTIONS = {"function_declaration", "method_declaration", "func_literal"}
# Compiler directives that only tune code generation; any other (linkname, embed,
# cgo_*) can reach the harness's variables or read files at compile time.
HARMLESS_DIRECTIVES = {"build", "generate", "noinline", "nosplit", "norace", "noescape"}
# Calls that read or write any address of the process without `unsafe` (a raw write(2)
# of a pointer from reflect, a dump of the whole heap): the harness's key is in memory.
RAW_MEMORY = {
    "Syscall",
    "Syscall6",
    "Syscall9",
    "SyscallN",
    "RawSyscall",
    "RawSyscall6",
    "RawSyscallNoError",
    "AllThreadsSyscall",
    "AllThreadsSyscall6",
    "WriteHeapDump",
}


@dataclass
class Import:
    name: str | None  # alias, "_" or "."; None: the package's own name
    path: str


@dataclass
class GoFile:
    """One parsed piece of an item (its solution or its tests)."""

    code: str
    data: bytes
    root: Any
    imports: list[Import] = field(default_factory=list)
    hidden: list[tuple[int, int]] = field(default_factory=list)  # package and import ranges

    def text(self, node: Any) -> str:
        return syntax.text(node, self.data)


def parse(code: str, what: str) -> GoFile:
    tree = syntax.parse("go", code)
    error = syntax.first_error(tree.root_node)
    if error is not None:
        line = error.start_point[0] + 1
        snippet = code.splitlines()[line - 1].strip() if code.splitlines() else ""
        raise Unparsable(clip(f"does not parse: the {what}, line {line}: {snippet}", 300))
    gofile = GoFile(code, code.encode("utf-8"), tree.root_node)
    for node in gofile.root.named_children:
        if node.type == "package_clause":
            gofile.hidden.append((node.start_byte, node.end_byte))
        elif node.type == "import_declaration":
            gofile.hidden.append((node.start_byte, node.end_byte))
            for spec in walk(node):
                if spec.type == "import_spec":
                    name = spec.child_by_field_name("name")
                    path = gofile.text(spec.child_by_field_name("path"))[1:-1]
                    gofile.imports.append(Import(gofile.text(name) if name else None, path))
    _refuse_escapes(gofile, what)
    return gofile


def _refuse_escapes(gofile: GoFile, what: str) -> None:
    """Refuse what reaches past the language into the harness: package unsafe (raw
    memory, and with it //go:linkname to the harness's variables) and directives."""
    if any(imp.path == "unsafe" for imp in gofile.imports):
        raise Refused(f"the {what} imports unsafe, which could reach the judge's memory")
    for node in walk(gofile.root):
        if node.type in ("identifier", "field_identifier") and gofile.text(node) in RAW_MEMORY:
            name = gofile.text(node)  # syscall.Syscall, or Syscall after a dot import
            raise Refused(f"the {what} calls {name}, which could read the judge's memory")
        if node.type == "comment" and gofile.text(node).startswith("//go:"):
            directive = gofile.text(node)[5:].split(" ", 1)[0].strip()
            if directive not in HARMLESS_DIRECTIVES:
                raise Refused(f"the {what} uses the compiler directive //go:{directive}")


# ---------------------------------------------------------------- names used


def declared_names(gofile: GoFile) -> set[str]:
    """Identifiers the code declares (functions, types, variables, parameters)."""
    names: set[str] = set()
    for node in walk(gofile.root):
        if node.type in (
            "function_declaration",
            "method_declaration",
            "type_spec",
            "type_alias",
            "parameter_declaration",
            "variadic_parameter_declaration",
            "var_spec",
            "const_spec",
            "type_parameter_declaration",
        ):
            for i, child in enumerate(node.children):
                if node.field_name_for_child(i) == "name":
                    names.add(gofile.text(child))
        elif node.type in ("short_var_declaration", "range_clause", "receive_statement"):
            left = node.child_by_field_name("left")
            for ident in walk(left) if left is not None else ():
                if ident.type == "identifier":
                    names.add(gofile.text(ident))
    return names


def qualifiers(gofile: GoFile) -> set[str]:
    """Identifiers used as `x.Name` or in `x.Type`: package names, or local values."""
    used: set[str] = set()
    for node in walk(gofile.root):
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                used.add(gofile.text(operand))
        elif node.type == "qualified_type":
            used.add(gofile.text(node.child_by_field_name("package")))
    return used


def package_name(path: str, std: dict[str, str]) -> str:
    """The name a package is used by: std's own, else the path's last element."""
    if path in std:
        return std[path]
    parts = path.split("/")
    last = parts[-1]
    if len(parts) > 1 and last[:1] == "v" and last[1:].isdigit():
        last = parts[-2]
    last = last.split(".")[0] if path.startswith("gopkg.in/") else last
    return last.removeprefix("go-").replace("-", "_")


def std_by_name(std: dict[str, str]) -> dict[str, str]:
    """A std import path for each package name (math/rand over crypto/rand, and so on)."""
    preferred = {"math/rand", "text/template", "text/scanner"}
    ranked = sorted(std.items(), key=lambda kv: (kv[0] not in preferred, kv[0].count("/"), kv[0]))
    table: dict[str, str] = {}
    for path, name in ranked:
        table.setdefault(name, path)
    return table


def merge_imports(files: list[GoFile], std: dict[str, str]) -> list[Import]:
    """The item's imports: both files' own, minus unused ones, plus std and testify
    packages that are used but not imported (as the HumanEval-X harness does)."""
    used, declared = set(), set()
    for gofile in files:
        used |= qualifiers(gofile)
        declared |= declared_names(gofile)
    merged: list[Import] = []
    seen: set[tuple[str | None, str]] = set()
    provided: set[str] = set()
    for gofile in files:
        for imp in gofile.imports:
            key = (imp.name, imp.path)
            name = imp.name or package_name(imp.path, std)
            if key in seen or (imp.name not in ("_", ".") and name not in used):
                continue
            seen.add(key)
            provided.add(name)
            merged.append(imp)
    by_name = std_by_name(std)
    # `assert := assert.New(t)` declares a name that is also the package's.
    for name in sorted(used - provided - (declared - set(TESTIFY))):
        path = by_name.get(name) or TESTIFY.get(name)
        if path:
            merged.append(Import(None, path))
    return merged


# ------------------------------------------------------------ assertion sites


def _call_target(gofile: GoFile, call: Any) -> tuple[str | None, str]:
    function = call.child_by_field_name("function")
    if function is None:
        return None, ""
    if function.type == "identifier":
        return None, gofile.text(function)
    if function.type == "selector_expression":
        operand = function.child_by_field_name("operand")
        name = gofile.text(function.child_by_field_name("field"))
        if operand is not None and operand.type == "identifier":
            return gofile.text(operand), name
    return None, ""


@dataclass
class Checkers:
    """What checks in the tests: testify objects and the names of `*testing.T` values."""

    objects: set[str]
    t_names: set[str]


def checkers(gofile: GoFile) -> Checkers:
    """Testify packages and `x := assert.New(t)`; parameters of type *testing.T/TB."""
    found = Checkers(set(TESTIFY), set())
    for node in walk(gofile.root):
        if node.type == "parameter_declaration":
            kind = node.child_by_field_name("type")
            if kind is not None and gofile.text(kind).replace(" ", "") in (
                "*testing.T",
                "testing.TB",
            ):
                found.t_names |= {
                    gofile.text(child)
                    for i, child in enumerate(node.children)
                    if node.field_name_for_child(i) == "name"
                }
        elif node.type == "short_var_declaration":
            right = node.child_by_field_name("right")
            left = node.child_by_field_name("left")
            if right is None or left is None:
                continue
            for value, target in zip(right.named_children, left.named_children, strict=False):
                if value.type == "call_expression":
                    owner, name = _call_target(gofile, value)
                    if owner in TESTIFY and name == "New":
                        found.objects.add(gofile.text(target))
    return found


def is_site(gofile: GoFile, call: Any, checks: Checkers) -> bool:
    """A call that checks or fails: panic, exits, t.Error*/Fatal*/Fail*, testify, or a
    package's function handed the test's *testing.T (an assertion library)."""
    owner, name = _call_target(gofile, call)
    if owner is None:
        return name == "panic"
    if owner in checks.objects:
        return name != "New"
    if owner == "os":
        return name == "Exit"
    if owner == "log":
        return name.startswith(("Fatal", "Panic"))
    if owner in checks.t_names:
        return name in T_FAILURES
    arguments = call.child_by_field_name("arguments")
    return arguments is not None and any(
        arg.type == "identifier" and gofile.text(arg) in checks.t_names
        for arg in arguments.named_children
    )


def helpers(gofile: GoFile, objects: Checkers) -> set[str]:
    """Functions of the tests that check something (directly or through another helper)."""
    bodies = {
        gofile.text(node.child_by_field_name("name")): node
        for node in gofile.root.named_children
        if node.type == "function_declaration"
    }
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, node in bodies.items():
            if name not in found and _checks(gofile, node, objects, found):
                found.add(name)
                changed = True
    return found


def _checks(gofile: GoFile, node: Any, objects: Checkers, helper_names: set[str]) -> bool:
    for call in walk(node):
        if call.type == "call_expression":
            owner, name = _call_target(gofile, call)
            if is_site(gofile, call, objects) or (owner is None and name in helper_names):
                return True
    return False


def mark_offsets(gofile: GoFile, objects: Checkers) -> set[int]:
    """Byte offsets where `Mark()` goes: before each statement that checks something."""
    offsets: set[int] = set()
    for call in walk(gofile.root):
        if call.type != "call_expression" or not is_site(gofile, call, objects):
            continue
        statement = _checking_statement(call)
        if statement is not None:
            offsets.add(statement.start_byte)
    return offsets


def _checking_statement(call: Any) -> Any | None:
    """The statement a check belongs to: the `if`/`switch` guarding it (the head of an
    else-if chain), else the statement holding the call; None at a function's edge."""
    node, guard, nearest = call, None, None
    while node.parent is not None and node.type not in FUNCTIONS:
        parent = node.parent
        if node.type in GUARDS and guard is None:
            guard = node
            while guard.parent is not None and guard.parent.type == "if_statement":
                guard = guard.parent
        if nearest is None and parent.type in STATEMENT_LISTS and node.type != "comment":
            nearest = node
        if guard is not None:
            break
        node = parent
    chosen = guard or nearest
    while chosen is not None and chosen.parent is not None:
        if chosen.parent.type in STATEMENT_LISTS:
            return chosen
        if chosen.parent.type != "labeled_statement":
            return None
        chosen = chosen.parent
    return None


# ------------------------------------------------------------------ versions


def needed_version(files: list[GoFile]) -> tuple[tuple[int, int], str] | None:
    """The newest Go release a feature of the code needs, with the feature."""
    found: list[tuple[tuple[int, int], str]] = []
    declared: set[str] = set()
    for gofile in files:
        declared |= declared_names(gofile)
    for gofile in files:
        for node in walk(gofile.root):
            if node.type == "type_parameter_list":
                found.append(((1, 18), "generics"))
            elif node.type == "call_expression":
                owner, name = _call_target(gofile, node)
                if owner is None and name in ("min", "max", "clear") and name not in declared:
                    found.append(((1, 21), f"the {name} builtin"))
            elif node.type == "range_clause":
                right = node.child_by_field_name("right")
                if right is not None and right.type == "int_literal":
                    found.append(((1, 22), "range over an integer"))
                elif right is not None and right.type == "func_literal":
                    found.append(((1, 23), "range over a function"))
    return max(found) if found else None


# ------------------------------------------------------------------- program


def test_functions(gofile: GoFile) -> list[str]:
    """Names of `func TestX(t *testing.T)` functions, in file order."""
    names = []
    for node in gofile.root.named_children:
        if node.type != "function_declaration":
            continue
        name = gofile.text(node.child_by_field_name("name"))
        if not name.startswith("Test") or name[4:5].islower():
            continue
        params = [
            p
            for p in node.child_by_field_name("parameters").named_children
            if p.type == "parameter_declaration"
        ]
        if len(params) == 1 and gofile.text(params[0].child_by_field_name("type")).endswith(".T"):
            names.append(name)
    return names


def _render(
    gofile: GoFile, start: int, end: int, marks: set[int], renames: dict[int, tuple[int, str]]
) -> str:
    """Source bytes [start, end) with hidden ranges blanked (newlines kept), marks
    inserted and renamed identifiers replaced."""
    out = bytearray()
    at = start
    cuts = sorted(
        [(a, b, "hide") for a, b in gofile.hidden if start <= a < end]
        + [(o, o, "mark") for o in marks if start <= o < end]
        + [(o, o + length, "rename") for o, (length, _) in renames.items()]
    )
    for a, b, kind in cuts:
        if a < at or a >= end:
            continue
        out += gofile.data[at:a]
        if kind == "hide":
            out += bytes(c if c == 0x0A else 0x20 for c in gofile.data[a:b])
        elif kind == "mark":
            out += MARK.encode()
        else:
            out += renames[a][1].encode()
        at = max(at, b)
    out += gofile.data[at:end]
    return out.decode("utf-8")


def _line(gofile: GoFile, offset: int, name: str) -> str:
    return f"\n//line {name}:{gofile.data[:offset].count(10) + 1}\n"


def _main_renames(gofile: GoFile) -> dict[int, tuple[int, str]]:
    """`func main` of the item becomes an ordinary function (ours runs the tests)."""
    renames = {}
    for node in gofile.root.named_children:
        if node.type == "function_declaration":
            name = node.child_by_field_name("name")
            if gofile.text(name) == "main":
                renames[name.start_byte] = (len("main"), "assayItemMain")
    return renames


@dataclass
class GoProgram:
    source: str
    tests: list[str]
    imports: list[Import]


def assemble(solution: GoFile, tests: GoFile, imports: list[Import]) -> GoProgram:
    """The item as one package main file, with the tests run through the harness."""
    if HARNESS in solution.code or HARNESS in tests.code:
        raise Unparsable(f"the code uses the reserved name {HARNESS}")
    objects = checkers(tests)
    marks = mark_offsets(tests, objects)
    head = ["package main", "", "import (", f'\t{HARNESS} "assay/harness"']
    names = test_functions(tests)
    if names:
        head.append('\tassaytesting "testing"')
    head += [f'\t{imp.name or ""} "{imp.path}"'.replace("\t ", "\t") for imp in imports] + [")"]
    parts = ["\n".join(head), _line(solution, 0, "solution.go")]
    parts.append(_render(solution, 0, len(solution.data), set(), _main_renames(solution)))
    if names:
        parts.append(_line(tests, 0, "tests.go"))
        parts.append(_render(tests, 0, len(tests.data), marks, _main_renames(tests)))
        table = ", ".join(f'{{Name: "{n}", F: {n}}}' for n in names)
        parts.append(
            f"\nfunc main() {{\n\t{HARNESS}.Tests([]assaytesting.InternalTest{{{table}}})\n}}\n"
        )
        return GoProgram("".join(parts), names, imports)
    return _bare(solution, tests, objects, marks, parts, imports)


def _bare(
    solution: GoFile,
    tests: GoFile,
    objects: Checkers,
    marks: set[int],
    parts: list[str],
    imports: list[Import],
) -> GoProgram:
    checking = helpers(tests, objects)
    has_functions = bool(checking) or any(
        n.type in TOP_DECLARATIONS - {"type_declaration"} for n in tests.root.named_children
    )
    top = TOP_DECLARATIONS | ({"var_declaration", "const_declaration"} if has_functions else set())
    body: list[str] = []
    names: list[str] = []
    for node in tests.root.named_children:
        if node.type in ("package_clause", "import_declaration", "comment"):
            continue
        text = _render(tests, node.start_byte, node.end_byte, marks, {})
        where = _line(tests, node.start_byte, "tests.go")
        if node.type in top:
            parts.append(where + text + "\n")
        elif node.type not in SETUP and _checks(tests, node, objects, checking):
            body.append(f"\t{HARNESS}.Statement({len(names)}, func() {{{where}{text}\n\t}})\n")
            names.append(clip(tests.text(node), 300))
        else:
            body.append(f"{where}{text}\n")
    if not names:
        raise NoTests("no assertion found in the tests: nothing would be checked")
    parts.append(f"\nfunc main() {{\n\t{HARNESS}.Start()\n{''.join(body)}\t{HARNESS}.Done()\n}}\n")
    return GoProgram("".join(parts), names, imports)


def check_imports(imports: list[Import]) -> None:
    """Refuse imports no run may build: cgo, internal packages, the harness itself."""
    for imp in imports:
        if imp.path == "C":
            raise Unsupported('needs cgo (import "C"), which the sandbox does not build')
        if "internal" in imp.path.split("/") or imp.path.startswith("assay/"):
            raise Unparsable(f"does not compile: use of internal package {imp.path} not allowed")
