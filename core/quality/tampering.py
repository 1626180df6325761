"""Test tampering: what a new revision of an item's tests took away from the previous one.

A fix that deletes the failing test, or rewrites its expected value to what the code
returned, passes its own tests and proves nothing. `compare_tests(language, before, after)`
reads both test blocks on their syntax trees (`trees.test_checks`: assert statements and
calls, Rust macros, `if (...) throw` / `panic` / `t.Errorf` under their condition) and
matches each earlier check with a later one:

- the same check (by its comparisons, else by its text with layout ignored) is kept;
- a check whose actual side (the side that calls something: `f(x)` in `f(x) == 3`) is
  still there with a different expected side had its expected value changed;
- any other earlier check was removed.

Checks the later tests add never make up for removed ones: a removed check is reported
even when another took its place. A language without a grammar, or earlier tests with no
check the trees can see, gives None: nothing is said about what cannot be read.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from .flags import Flag
from .trees import CALL_TYPES, Check, Code, Node, normal_text, read_code, test_checks


@dataclass(frozen=True)
class TestChange:
    """How a test block changed: checks removed, checks whose expected value changed."""

    __test__ = False  # not a pytest class

    before: int  # checks in the earlier tests
    after: int  # checks in the later tests
    removed: tuple[str, ...]  # earlier checks with no counterpart, as written
    changed: tuple[tuple[str, str], ...]  # (earlier, later) checks with a new expected value
    diff: str  # unified diff of the two test blocks

    @property
    def weakened(self) -> bool:
        return bool(self.removed or self.changed)

    def summary(self, what: str = "") -> str:
        """'deleted 2 of 5 tests and changed the expected value of 1 test', after `what`."""
        parts = []
        if self.removed:
            parts.append(f"deleted {len(self.removed)} of {self.before} {_tests(self.before)}")
        if self.changed:
            parts.append(
                f"changed the expected value of {len(self.changed)} {_tests(len(self.changed))}"
            )
        said = " and ".join(parts) if parts else "kept every test"
        return f"{what} {said}" if what else said


def _tests(n: int) -> str:
    return "test" if n == 1 else "tests"


@dataclass(frozen=True)
class _Read:
    text: str  # the check as written
    key: str  # what makes two checks the same check
    actual: str | None  # the side that calls the code under test, when it is a comparison
    expected: str | None


def _contains_call(node: Node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in CALL_TYPES:
            return True
        stack.extend(current.named_children)
    return False


def _read(code: Code, check: Check) -> _Read:
    sides = []
    for (left_code, left), (right_code, right) in check.comparisons:
        if _contains_call(right) and not _contains_call(left):
            left_code, left, right_code, right = right_code, right, left_code, left
        sides.append((normal_text(left_code, left), normal_text(right_code, right)))
    text = code.text(check.node)
    # a macro's arguments are read as code of their own: they are inside it, not guards
    guards = [(c, n) for c, n in check.conditions if c is code and not _within(n, check.node)]
    if guards:  # `throw` / `panic` under an `if`: the check is the condition and the throw
        text = f"if {' && '.join(c.text(n) for c, n in guards)}: {text}"
    if sides:
        actual = " && ".join(a for a, _ in sides)
        expected = " && ".join(e for _, e in sides)
        return _Read(text, f"{actual} == {expected}", actual, expected)
    parts = [normal_text(c, n) for c, n in guards]
    return _Read(text, " && ".join([*parts, normal_text(code, check.node)]), None, None)


def _within(inner: Node, outer: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _checks(language: str | None, tests: str) -> list[_Read] | None:
    code = read_code(language, tests, statements=True)
    if code is None:
        return None
    return [_read(code, check) for check in test_checks(code)]


def compare_tests(language: str | None, before: str, after: str) -> TestChange | None:
    """What `after` took away from `before` (tests of one item, in `language`), or None
    when the language cannot be read or `before` has no check the trees can see."""
    if not isinstance(before, str) or not isinstance(after, str) or before == after:
        return None
    old, new = _checks(language, before), _checks(language, after)
    if old is None or new is None or not old:
        return None
    unmatched = Counter(check.key for check in new)
    left: list[_Read] = []
    for check in old:
        if unmatched[check.key] > 0:
            unmatched[check.key] -= 1
        else:
            left.append(check)
    spare = [check for check in new if _take(unmatched, check.key)]
    removed: list[str] = []
    changed: list[tuple[str, str]] = []
    for check in left:
        partner = next(
            (c for c in spare if check.actual is not None and c.actual == check.actual), None
        )
        if partner is None:
            removed.append(check.text)
        else:
            spare.remove(partner)
            changed.append((check.text, partner.text))
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            "tests before",
            "tests after",
        )
    )
    return TestChange(len(old), len(new), tuple(removed), tuple(changed), diff)


def _take(counts: Counter, key: str) -> bool:
    if counts[key] > 0:
        counts[key] -= 1
        return True
    return False


def tampering_flag(
    language: str | None, before: str, after: str, what: str = "the change"
) -> Flag | None:
    """`tests_weakened` when `after` removed checks of `before` or changed expected values,
    with the diff of the tests in the flag's detail."""
    change = compare_tests(language, before, after)
    if change is None or not change.weakened:
        return None
    return Flag("tests_weakened", "warn", change.summary(what), detail=change.diff)
