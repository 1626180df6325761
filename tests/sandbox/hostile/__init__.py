"""The hostile corpus: programs that try to forge a pass or harm the host.

Every module of this package defines `CASES: dict[str, tuple[str, str, str]]`,
`{case_name: (language_id, solution, tests)}`: a WRONG solution (it fails on an honest
judge) and the tests an honest item would carry. A module may also name, in
`DESTRUCTIVE: set[str]`, the cases that would harm the machine's other processes if
nothing isolated them (signals to every process, fork bombs): runners leave those out
when the sandbox has no namespaces. `collect()` gathers every module present; a module
that is not written yet is simply absent.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java", "cpp")
# Names that mark a case as harmful to other processes when it runs unisolated.
_DESTRUCTIVE_WORDS = ("fork_bomb", "thread_bomb", "spawn_bomb", "kill_")

Case = tuple[str, str, str]


def modules() -> list[str]:
    """The corpus modules present in this package, sorted."""
    here = Path(__file__).parent
    found = (m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    # An empty file is a module its helper has only just created: not there yet.
    return sorted(name for name in found if (here / f"{name}.py").stat().st_size)


def collect() -> tuple[dict[str, Case], dict[str, str], set[str]]:
    """(cases, the module of each case, the destructive ones) over every module.

    Raises ValueError when two modules use one name or a case is malformed: a
    silently shadowed case is an attack nobody runs."""
    cases: dict[str, Case] = {}
    origin: dict[str, str] = {}
    destructive: set[str] = set()
    for name in modules():
        module = importlib.import_module(f"{__name__}.{name}")
        found = getattr(module, "CASES", None)
        if not isinstance(found, dict):
            raise ValueError(f"tests/sandbox/hostile/{name}.py defines no CASES dict")
        for case, value in found.items():
            if case in cases:
                raise ValueError(f"hostile case {case!r} is in both {origin[case]} and {name}")
            if not (
                isinstance(value, tuple)
                and len(value) == 3
                and all(isinstance(v, str) for v in value)
                and value[0] in LANGUAGES
            ):
                raise ValueError(
                    f"hostile case {case!r} of {name} is not (language, solution, tests)"
                )
            cases[case] = value
            origin[case] = name
        destructive |= set(getattr(module, "DESTRUCTIVE", set())) & set(found)
    destructive |= {c for c in cases if any(w in c for w in _DESTRUCTIVE_WORDS)}
    return cases, origin, destructive


LABELS = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
    "cpp": "C++",
}


def native_record(name: str, case: Case) -> dict:
    """The case as an item of Assay's native format (BRIEF.md "The item")."""
    language, solution, tests = case
    label = LABELS[language]
    return {
        "query_id": name,
        "query_text": f"Hostile corpus case {name}: solve it in {label}. Language: {label}.",
        "reference_answer": solution,
        "assertions": tests,
        "metadata": {"language": label, "category": "hostile"},
    }
