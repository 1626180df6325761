"""Plain-data values: encoded in the child, decoded and compared in the parent.

The child never runs a user-defined ``__eq__`` for a verdict: it turns each value
into tagged JSON, and the parent compares the decoded values itself. Objects of
user classes become `Opaque` records compared field by field (or by identity for
classes without ``__eq__``), so an ``__eq__`` that always answers True buys nothing.
"""

from __future__ import annotations

import collections
import operator

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~1.8 MB per worker fork)
if TYPE_CHECKING:
    from typing import Any

MAX_NODES = 500_000
MAX_DEPTH = 200
_BIG_INT_DIGITS = 4000  # int(str) refuses more than 4300 digits by default
_BIG_INT = 10**_BIG_INT_DIGITS  # computed once: Python does not fold a power this large

_COMPARISON_DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")


class ValueTooLarge(Exception):
    """The value is too big or too deep to be sent to the parent."""


# ---------------------------------------------------------------- child side


def _plain_base(tp: type) -> type | None:
    """The builtin a subclass behaves like, if it does not redefine comparisons."""
    for base in tp.__mro__[1:]:
        if base in _ENCODERS:
            overriding = tp.__mro__[: tp.__mro__.index(base)]
            if any(d in k.__dict__ for k in overriding for d in _COMPARISON_DUNDERS):
                return None
            return base
    return None


def encode(value: Any) -> Any:
    """Turn a value into JSON-safe tagged data without calling its comparison methods."""
    tp = type(value)
    if tp is str or tp is bool or value is None or (tp is int and -_BIG_INT < value < _BIG_INT):
        return value  # the common case, without _encode's frame and bookkeeping
    budget = [MAX_NODES]
    return _encode(value, 0, budget, set())


def _encode(v: Any, depth: int, budget: list[int], active: set[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueTooLarge(f"value has more than {MAX_NODES} parts")
    if depth > MAX_DEPTH:
        raise ValueTooLarge(f"value is nested deeper than {MAX_DEPTH}")
    tp = type(v)
    if v is None or tp is bool or tp is str:
        return v
    if tp is float:
        return v if v == v and v not in (float("inf"), float("-inf")) else {"f": repr(v)}
    if tp is int:
        return {"i": hex(v)} if abs(v) >= _BIG_INT else v
    encoder = _ENCODERS.get(tp)
    if encoder is None:
        describe = getattr(tp, "_assay_describe", None)
        if describe is not None:  # an object of the solution's process (sandbox.pyrpc)
            return describe(v)
        special = _SPECIAL.get(f"{tp.__module__}.{tp.__qualname__}")
        if special is not None:
            return special(v)
        base = _plain_base(tp)
        if base is not None:
            plain = str.__str__(v) if base is str else base(v)
            return _encode(plain, depth, budget, active)
        return _encode_object(v, depth, budget, active)
    if id(v) in active:
        raise ValueTooLarge("value contains itself")
    active.add(id(v))
    try:
        return encoder(v, lambda x: _encode(x, depth + 1, budget, active))
    finally:
        active.discard(id(v))


def _encode_object(v: Any, depth: int, budget: list[int], active: set[int]) -> dict[str, Any]:
    tp = type(v)
    name = f"{tp.__module__}.{tp.__qualname__}"
    has_eq = any("__eq__" in k.__dict__ for k in tp.__mro__[:-1])
    record: dict[str, Any] = {"o": name}
    if not has_eq:
        record["id"] = id(v)  # Python compares these by identity
    if any(d in k.__dict__ for k in tp.__mro__[:-1] for d in ("__bool__", "__len__")):
        record["b"] = 1  # truth value is user-defined, so not trusted
    state = getattr(v, "__dict__", None)
    if isinstance(state, dict) and id(v) not in active:
        active.add(id(v))
        try:
            record["s"] = [
                [str(k), _encode(x, depth + 1, budget, active)] for k, x in sorted(state.items())
            ]
        finally:
            active.discard(id(v))
    try:
        record["r"] = repr(v)[:200]
    except Exception as exc:  # a broken __repr__ only costs the message
        record["r"] = f"<{name} (repr raised {type(exc).__name__})>"
    return record


_ENCODERS: dict[type, Any] = {
    int: None,
    float: None,
    str: None,
    bool: None,
    list: lambda v, e: {"L": [e(x) for x in v]},
    tuple: lambda v, e: {"T": [e(x) for x in v]},
    dict: lambda v, e: {"D": [[e(k), e(x)] for k, x in v.items()]},
    set: lambda v, e: {"S": [e(x) for x in v]},
    frozenset: lambda v, e: {"F": [e(x) for x in v]},
    bytes: lambda v, e: {"B": v.hex()},
    bytearray: lambda v, e: {"BA": v.hex()},
    complex: lambda v, e: {"C": [repr(v.real), repr(v.imag)]},
    collections.OrderedDict: lambda v, e: {"OD": [[e(k), e(x)] for k, x in v.items()]},
    collections.Counter: lambda v, e: {"CT": [[e(k), e(x)] for k, x in v.items()]},
    collections.deque: lambda v, e: {"DQ": [e(x) for x in v]},
}
# Keyed by name so the child imports none of these modules unless user code did.
_SPECIAL: dict[str, Any] = {
    "decimal.Decimal": lambda v: {"DEC": str(v)},
    "fractions.Fraction": lambda v: {"FR": [str(v.numerator), str(v.denominator)]},
    "builtins.range": lambda v: {"R": [v.start, v.stop, v.step]},
    "datetime.datetime": lambda v: {"DT": v.isoformat()},
    "datetime.date": lambda v: {"DA": v.isoformat()},
    "datetime.time": lambda v: {"TI": v.isoformat()},
    "datetime.timedelta": lambda v: {"TD": [v.days, v.seconds, v.microseconds]},
}

# --------------------------------------------------------------- parent side


class Opaque:
    """A value of a user class: compared by class and fields, or by identity."""

    __slots__ = ("cls", "ident", "state", "text", "custom_truth")

    def __init__(self, cls: str, ident: int | None, state: Any, text: str, custom_truth: bool):
        self.cls, self.ident, self.state = cls, ident, state
        self.text, self.custom_truth = text, custom_truth

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Opaque) or other.cls != self.cls:
            return False
        if self.ident is not None or other.ident is not None:
            return self.ident == other.ident
        return self.state == other.state

    def __hash__(self) -> int:
        return hash((self.cls, self.ident))

    def __repr__(self) -> str:
        return self.text


class UntrustedTruth(Exception):
    """The truth value of a user object was asked for; it cannot be trusted."""


def decode(data: Any) -> Any:
    """Rebuild plain Python values from `encode` output (never executes user code)."""
    if not isinstance(data, dict):
        if isinstance(data, list):
            raise ValueError("untagged list in encoded value")
        return data
    tag = "o" if "o" in data else next(iter(data)) if len(data) == 1 else None
    if tag in _DECODERS:
        return _DECODERS[tag](data[tag], data)
    raise ValueError(f"unknown encoded value {str(data)[:80]}")


def _pairs(body: list[list[Any]]) -> list[tuple[Any, Any]]:
    return [(decode(k), decode(v)) for k, v in body]


_DECODERS: dict[str, Any] = {
    "f": lambda b, d: float(b),
    "i": lambda b, d: int(b, 16),
    "L": lambda b, d: [decode(x) for x in b],
    "T": lambda b, d: tuple(decode(x) for x in b),
    "D": lambda b, d: dict(_pairs(b)),
    "S": lambda b, d: {decode(x) for x in b},
    "F": lambda b, d: frozenset(decode(x) for x in b),
    "B": lambda b, d: bytes.fromhex(b),
    "BA": lambda b, d: bytearray.fromhex(b),
    "C": lambda b, d: complex(float(b[0]), float(b[1])),
    "OD": lambda b, d: collections.OrderedDict(_pairs(b)),
    "CT": lambda b, d: collections.Counter(dict(_pairs(b))),
    "DQ": lambda b, d: collections.deque(decode(x) for x in b),
    "DEC": lambda b, d: _module("decimal").Decimal(b),
    "FR": lambda b, d: _module("fractions").Fraction(int(b[0]), int(b[1])),
    "R": lambda b, d: range(*b),
    "DT": lambda b, d: _module("datetime").datetime.fromisoformat(b),
    "DA": lambda b, d: _module("datetime").date.fromisoformat(b),
    "TI": lambda b, d: _module("datetime").time.fromisoformat(b),
    "TD": lambda b, d: _module("datetime").timedelta(days=b[0], seconds=b[1], microseconds=b[2]),
    "o": lambda b, d: Opaque(
        str(b),
        d.get("id"),
        tuple((k, decode(v)) for k, v in d.get("s", [])) if "s" in d else d.get("r"),
        str(d.get("r", b)),
        bool(d.get("b")),
    ),
}


def _module(name: str) -> Any:
    import importlib

    return importlib.import_module(name)


def truth(value: Any) -> bool:
    """Truth value of a decoded value; refuses objects with a user-defined one."""
    if isinstance(value, Opaque):
        if value.custom_truth:
            raise UntrustedTruth(f"truth value of {value.cls} is user-defined")
        return True
    return bool(value)


COMPARE_OPS: dict[str, Any] = {
    "Eq": operator.eq,
    "NotEq": operator.ne,
    "Lt": operator.lt,
    "LtE": operator.le,
    "Gt": operator.gt,
    "GtE": operator.ge,
    "In": lambda a, b: a in b,
    "NotIn": lambda a, b: a not in b,
    "Is": lambda a, b: _same(a, b),
    "IsNot": lambda a, b: not _same(a, b),
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Opaque) and isinstance(b, Opaque):
        return a.ident is not None and a.ident == b.ident
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return type(a) is type(b) and a == b  # small immutables: identity is an implementation detail


def show(value: Any, limit: int = 300) -> str:
    """A short repr for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------- tolerances, judged in the parent

_NUMBERS = (int, float, complex)


class Approx:
    """``pytest.approx(expected, rel, abs)`` as the parent judges it, on decoded values."""

    __slots__ = ("expected", "rel", "abs")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, expected: Any, rel: Any = None, abs: Any = None) -> None:  # noqa: A002
        self.expected, self.rel, self.abs = expected, rel, abs

    def __eq__(self, actual: object) -> bool:
        return _approx_equal(actual, self.expected, self.rel, self.abs)

    def __repr__(self) -> str:
        return f"approx({self.expected!r})"


def _approx_equal(actual: Any, expected: Any, rel: Any, tol: Any) -> bool:
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_approx_equal(actual[k], v, rel, tol) for k, v in expected.items())
        )
    if isinstance(expected, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(_approx_equal(a, e, rel, tol) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(actual, Opaque) or isinstance(expected, Opaque):
        return actual == expected
    if actual == expected:
        return True
    plain = (actual, expected)
    if any(isinstance(v, bool) or not isinstance(v, _NUMBERS) for v in plain):
        return False
    absolute = 1e-12 if tol is None else tol
    if rel is None and tol is not None:  # pytest: an abs alone drops the relative default
        tolerance = absolute
    else:
        tolerance = max((1e-6 if rel is None else rel) * abs(expected), absolute)
    return abs(expected - actual) <= tolerance


def almost_equal(first: Any, second: Any, places: Any = None, delta: Any = None) -> bool:
    """unittest's ``assertAlmostEqual`` on decoded values."""
    if first == second:
        return True
    if delta is not None and places is not None:
        raise TypeError("specify delta or places, not both")
    diff = abs(first - second)
    if delta is not None:
        return diff <= delta
    return round(diff, 7 if places is None else places) == 0


def count_equal(first: Any, second: Any) -> bool:
    """unittest's ``assertCountEqual``: the same elements, each as often, in any order."""
    a, b = list(first), list(second)
    try:
        return collections.Counter(a) == collections.Counter(b)
    except TypeError:  # unhashable elements: match them one by one
        rest = list(b)
        for x in a:
            for i, y in enumerate(rest):
                if x == y:
                    del rest[i]
                    break
            else:
                return False
        return not rest
