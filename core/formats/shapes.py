"""Test statements from elsewhere, put in the shape a benchmark's own harness runs.

Each shape takes (solution, tests, entry point) and returns the fields it changes:
`test`, and where the harness needs it `canonical_solution` or `test_setup`. Tests
already in the shape come back unchanged.
"""

from __future__ import annotations

import re
from typing import Any


def indent(statements: str, depth: int) -> str:
    """Every non-blank line moved right by `depth` spaces."""
    return "\n".join(" " * depth + line if line.strip() else "" for line in statements.splitlines())


def go_test(solution: str | None, test: str, entry: str) -> dict[str, Any]:
    """Bare Go statements as a `func TestX` that `go test` runs (panics fail it)."""
    own: dict[str, Any] = {}
    if isinstance(solution, str):  # test_setup gives the package clause
        own["canonical_solution"] = re.sub(r"\A\s*package\s+\w+[ \t]*\n?", "", solution)
    if "func Test" not in test:
        name = entry[:1].upper() + entry[1:]
        test = f"func Test{name}(t *testing.T) {{\n{indent(test, 4)}\n}}\n"
        own["test_setup"] = 'package main\n\nimport (\n    "testing"\n)\n'
    return {**own, "test": test}


def rust_test(solution: str | None, test: str, entry: str) -> dict[str, Any]:
    """Bare Rust statements as a `#[test]` in a `#[cfg(test)]` module (`rustc --test`)."""
    if "#[test]" in test:
        return {}
    body = indent(test, 8)
    wrapped = (
        f"#[cfg(test)]\nmod tests {{\n    use super::*;\n\n    #[test]\n    fn test_{entry}() {{\n"
    )
    return {"test": wrapped + body + "\n    }\n}\n"}


def java_main(solution: str | None, test: str, entry: str) -> dict[str, Any]:
    """Bare Java statements in `public class Main`'s main, which throws on a failure."""
    own: dict[str, Any] = {}
    if isinstance(solution, str):  # one file, Main.java: only Main may be public
        own["canonical_solution"] = re.sub(r"(?m)^public\s+(?=(?:final\s+)?class\s)", "", solution)
    if "class Main" not in test:
        own["test"] = (
            "public class Main {\n    public static void main(String[] args) throws Exception {\n"
            + indent(test, 8)
            + "\n    }\n}\n"
        )
    return own


def cpp_main(solution: str | None, test: str, entry: str) -> dict[str, Any]:
    """Bare C++ statements in a `main()` with <cassert>."""
    if re.search(r"\bmain\s*\(", test):
        return {}
    return {"test": "#include <cassert>\nint main() {\n" + indent(test, 4) + "\n    return 0;\n}\n"}


def python_check(solution: str | None, test: str, entry: str) -> dict[str, Any]:
    """Bare asserts inside `def check(candidate)`, which HumanEval and mxeval call."""
    if "def check(" in test:
        return {}
    return {"test": "def check(candidate):\n" + (indent(test, 4) or "    pass") + "\n"}


def go_main(solution: str | None, test: str, entry: str) -> dict[str, Any]:
    """Bare Go statements as the `func main` that `go run` runs (mxeval)."""
    if re.search(r"\bfunc\s+main\s*\(", test):
        return {}
    own: dict[str, Any] = {"test": "func main() {\n" + indent(test, 4) + "\n}\n"}
    if isinstance(solution, str) and not re.match(r"\s*package\s", solution):
        own["canonical_solution"] = "package main\n\n" + solution
    return own
