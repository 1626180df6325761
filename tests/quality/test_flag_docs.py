"""Every flag core can raise is documented in core/quality/README.md, with its severity."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "core" / "quality" / "README.md"


def raised_flags() -> dict[str, set[str | None]]:
    """code -> severities, from every `Flag(code, severity, ...)` written under core/.

    An f-string code (`f"contamination_{self.name}"`) stands for `contamination_<name>`;
    a severity that is not a literal is None (any severity the table lists).
    """
    found: dict[str, set[str | None]] = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _called_name(node.func) == "Flag"):
                continue
            args = list(node.args) + [kw.value for kw in node.keywords if kw.arg == "code"]
            assert args, f"{path}:{node.lineno}: Flag() without a code"
            code = _code(args[0])
            assert code, f"{path}:{node.lineno}: the flag's code must be a literal or f-string"
            severity = node.args[1] if len(node.args) > 1 else None
            literal = severity.value if isinstance(severity, ast.Constant) else None
            found.setdefault(code, set()).add(literal)
    return found


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _code(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "<name>" for part in node.values
        )
    return None


def documented_flags() -> dict[str, set[str]]:
    """code -> severities, from the README's table rows `| `code` | severity | ...`."""
    found: dict[str, set[str]] = {}
    for m in re.finditer(r"^\| `([a-z_<>]+)` \| (info|warn|reject) \|", README.read_text(), re.M):
        found.setdefault(m.group(1), set()).add(m.group(2))
    return found


def test_the_scan_finds_the_flags_of_every_module():
    raised = raised_flags()
    for code in ("missing_field", "trivial_tests", "near_duplicate", "contamination_<name>"):
        assert code in raised


def test_every_flag_core_can_raise_is_documented_with_its_severity():
    documented = documented_flags()
    missing = {
        code: sorted(s or "?" for s in severities)
        for code, severities in raised_flags().items()
        if code not in documented or not {s for s in severities if s} <= documented[code]
    }
    assert missing == {}, f"document these in core/quality/README.md: {missing}"


def test_the_readme_documents_no_flag_core_cannot_raise():
    assert set(documented_flags()) - set(raised_flags()) == set()
