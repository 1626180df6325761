"""Rust crates: which extern crates an item names, which can be linked, which are missing.

A path rooted at a snake_case name that is no local module, no `std`/`core`/`alloc`
and no primitive type names an extern crate. Crates come from the directory named by
`ASSAY_RUST_CRATES` (prebuilt `lib<name>.rlib` or `lib<name>-<hash>.rlib` files of
this rustc); a missing one the item uses gives `unsupported: needs the crate <name>`.
An unavailable crate that is only imported (HumanEval-X imports rand, regex and md5
in every item) has its `use` dropped. rustc's own errors are the fallback.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.languages import syntax
from sandbox.languages.base import Unsupported

CRATES_ENV = "ASSAY_RUST_CRATES"


# Path roots that never name an extern crate.
BUILTIN_ROOTS = frozenset(
    "std core alloc proc_macro test self super crate Self "
    "i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str".split()
)


def available_crates() -> dict[str, str]:
    """Crate name -> rlib path, from the directory named by ASSAY_RUST_CRATES."""
    folder = os.environ.get(CRATES_ENV, "")
    if not folder or not Path(folder).is_dir():
        return {}
    found: dict[str, str] = {}
    for rlib in sorted(Path(folder).glob("lib*.rlib")):
        name = rlib.stem[3:].split("-", 1)[0]
        found.setdefault(name, str(rlib))
    return found


def local_roots(trees: list[tuple[Any, bytes]]) -> set[str]:
    """Names a path may start with without naming a crate: modules, types, `use`d names."""
    names = set(BUILTIN_ROOTS)
    uses = []
    for tree, source in trees:
        for node in syntax.walk(tree.root_node):
            if node.type in ("mod_item", "enum_item", "struct_item", "trait_item", "type_item"):
                names.add(_name(node, source))
            elif node.type == "use_declaration":
                uses.append((node, source))
    for node, source in uses:  # names imported from std or a local module
        if _use_roots(node, source) <= names:
            names |= _use_bindings(node, source) or set()
    return names


def _path_root(node: Any, source: bytes) -> str | None:
    """The first segment of a `a::b::c` path node."""
    while node.type in ("scoped_identifier", "scoped_type_identifier", "scoped_use_list"):
        path = node.child_by_field_name("path")
        if path is None:
            return None
        node = path
    if node.type in ("identifier", "crate", "self", "super"):
        return syntax.text(node, source)
    return None


def _use_roots(use: Any, source: bytes) -> set[str]:
    """The crates (or modules) a `use` declaration or `extern crate` starts from."""
    if use.type == "extern_crate_declaration":
        name = use.child_by_field_name("name")
        return {syntax.text(name, source)} if name is not None else set()
    argument = use.child_by_field_name("argument")
    if argument is None:
        return set()
    if argument.type == "use_as_clause":
        argument = argument.child_by_field_name("path") or argument
    if argument.type == "identifier":
        return {syntax.text(argument, source)}
    if argument.type in ("use_wildcard", "use_list"):
        return {r for c in argument.named_children if (r := _path_root(c, source))}
    root = _path_root(argument, source)
    return {root} if root else set()


def _use_bindings(use: Any, source: bytes) -> set[str] | None:
    """The names a `use` (or `extern crate`) brings into scope; None for a glob."""
    if use.type == "extern_crate_declaration":
        alias = use.child_by_field_name("alias")
        return {syntax.text(alias, source)} if alias is not None else _use_roots(use, source)
    argument = use.child_by_field_name("argument")
    return _bindings(argument, source) if argument is not None else set()


def _bindings(node: Any, source: bytes, parent: str = "") -> set[str] | None:
    kind = node.type
    if kind == "identifier":
        return {syntax.text(node, source)}
    if kind == "self":
        return {parent} if parent else set()
    if kind == "scoped_identifier":
        name = node.child_by_field_name("name")
        return {syntax.text(name, source)} if name is not None else set()
    if kind == "use_as_clause":
        alias = node.child_by_field_name("alias")
        return {syntax.text(alias, source)} if alias is not None else set()
    if kind == "use_wildcard":
        return None
    if kind in ("use_list", "scoped_use_list"):
        if kind == "scoped_use_list":
            path = node.child_by_field_name("path")
            parent = syntax.text(path, source).rsplit("::", 1)[-1] if path is not None else ""
            node = node.child_by_field_name("list")
        names: set[str] = set()
        for child in node.named_children if node is not None else []:
            found = _bindings(child, source, parent)
            if found is None:
                return None
            names |= found
        return names
    return set()


@dataclass
class CratePlan:
    """Which extern crates the program names, which to link, which uses to drop."""

    link: dict[str, str] = field(default_factory=dict)
    drop: list[tuple[int, Any]] = field(default_factory=list)  # (tree index, node)
    dropped: list[str] = field(default_factory=list)  # unavailable crates only imported


def plan_crates(trees: list[tuple[Any, bytes]]) -> CratePlan:
    """Link the crates the program names; raise Unsupported for a missing one it uses."""
    local = local_roots(trees)
    available = available_crates()
    plan = CratePlan()
    imports: dict[str, list[tuple[int, Any]]] = {}  # crate -> its use declarations
    used: set[str] = set()
    for index, (tree, source) in enumerate(trees):
        for node in syntax.walk(tree.root_node):
            if node.type in ("use_declaration", "extern_crate_declaration"):
                for root in _use_roots(node, source) - local:
                    if not (root[0].islower() or root[0] == "_"):
                        continue
                    imports.setdefault(root, []).append((index, node))
        for node in syntax.walk(tree.root_node):
            if node.type in ("scoped_identifier", "scoped_type_identifier"):
                if node.parent is not None and node.parent.type in (
                    "scoped_identifier",
                    "scoped_type_identifier",
                ):
                    continue
                root = _path_root(node, source) or ""
                crate_like = root[:1].islower() or root[:1] == "_"  # crates are snake_case
                if crate_like and root not in local and not _inside_use(node):
                    used.add(root)
    for crate, uses in imports.items():
        bound: set[str] | None = set()
        for index, node in uses:
            names = _use_bindings(node, trees[index][1])
            bound = None if names is None or bound is None else bound | names
        if crate in available or bound is None or _mentions(trees, bound, uses):
            used.add(crate)
        else:
            plan.drop.extend(uses)
            plan.dropped.append(crate)
    for crate in sorted(used):
        if crate not in available:
            raise Unsupported(f"needs the crate {crate}")
        plan.link[crate] = available[crate]
    return plan


def _inside_use(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("use_declaration", "extern_crate_declaration"):
            return True
        parent = parent.parent
    return False


def _mentions(trees: list[tuple[Any, bytes]], names: set[str], uses: list[tuple[int, Any]]) -> bool:
    """Whether any of `names` occurs outside the given use declarations."""
    skip = {(i, n.start_byte) for i, n in uses}
    for index, (tree, source) in enumerate(trees):
        stack = list(tree.root_node.named_children)
        while stack:
            node = stack.pop()
            if (index, node.start_byte) in skip and node.type in (
                "use_declaration",
                "extern_crate_declaration",
            ):
                continue
            if (
                node.type in ("identifier", "type_identifier")
                and syntax.text(node, source) in names
            ):
                return True
            if node.type == "token_tree":  # macro arguments are tokens, not paths
                if any(tok in names for tok in re.findall(r"\w+", syntax.text(node, source))):
                    return True
                continue
            stack.extend(node.named_children)
    return False


_MISSING_CRATE = (
    re.compile(r"unresolved import `(\w+)"),
    re.compile(
        r"failed to resolve: use of (?:undeclared|unresolved) (?:crate or )?module"
        r"(?: or unlinked crate)? `(\w+)`"
    ),
    re.compile(r"can't find crate for `(\w+)`"),
    re.compile(r"use of unresolved module or unlinked crate `(\w+)`"),
)
# An rlib in ASSAY_RUST_CRATES that this rustc cannot use (another version, damaged).
_FOREIGN_CRATE = re.compile(
    r"found (?:crate `(\w+)` compiled by an incompatible version of rustc"
    r"|invalid metadata files for crate `(\w+)`)"
)


def missing_crate(stderr: str, local: set[str], dropped: list[str], rustc: str) -> str | None:
    """The crate a failed build needs, from rustc's errors: an unresolved crate
    (E0432/E0433/E0463), a method of a trait whose import was dropped (E0599), or an
    rlib this rustc cannot read."""
    foreign = _FOREIGN_CRATE.search(stderr)
    if foreign:
        name = foreign.group(1) or foreign.group(2)
        return f"{name} built by this rustc ({rustc})"
    for pattern in _MISSING_CRATE:
        for name in pattern.findall(stderr):
            if name not in local:
                return name
    if dropped and "error[E0599]" in stderr:
        return dropped[0]  # a method of a trait it imported is now missing
    return None


def _name(node: Any, source: bytes) -> str:
    name = node.child_by_field_name("name")
    return syntax.text(name, source) if name is not None else ""
