"""Python items: the link between the trusted harness and the solution's process.

The tests run in a harness process; the solution runs in a process of its own
and is reached only through this link, a socket of plain length-prefixed JSON
(never pickle). Values cross as tagged plain data (numbers, strings, lists,
dicts, sets ...); anything else stays where it was made and crosses as a
*handle*: the other side gets a proxy whose calls, attributes, items and
iteration are sent back as requests. Both sides serve requests while they wait
for a reply, so a solution may call back a function the tests gave it.

What the harness never does with a handle: hand a value of its own to the
solution's ``__eq__`` (or ``__contains__``, ordering, arithmetic): a handle is
equal to plain data never, to another handle when their described states are;
``x in handle`` iterates the handle here and compares here.
"""

from __future__ import annotations

import builtins
import collections
import json
import os
import struct
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~1.8 MB per worker fork)
if TYPE_CHECKING:
    from typing import Any

MAX_MESSAGE = 64 << 20
MAX_NODES = 2_000_000
MAX_DEPTH = 200
_BIG_INT = 10**4000
_HEADER = struct.Struct("!I")
# A module name the solution may bind that the harness then imports itself: never
# one that reaches into the harness's own interpreter or the judge.
_PRIVATE_MODULES = {"sys", "gc", "inspect", "ctypes", "_ctypes", "builtins", "importlib"}
_PRIVATE_MODULES |= {"sandbox", "marshal", "pickle", "types", "traceback", "os", "posix"}


# Builtins that cross by name (`remove_type(xs, int)`, `sorted_by(xs, key=len)`). What
# the solution may name for the harness: types and functions that read only their
# arguments, never eval, open, globals or vars.
_BUILTIN_NAMES = {id(getattr(builtins, n)): n for n in dir(builtins) if not n.startswith("_")}
_SAFE_BUILTINS = {
    n for n in dir(builtins) if isinstance(getattr(builtins, n), type) and not n.startswith("_")
} | set(
    "abs all any ascii bin callable chr divmod enumerate filter format hash hex isinstance "
    "issubclass iter len map max min next oct ord pow repr reversed round sorted sum zip".split()
)


class LinkBroken(Exception):
    """The other process ended, or broke the protocol: nothing it says is believed."""


class TooLarge(Exception):
    """A value is too big or too deeply nested to cross."""


# ------------------------------------------------------------------ framing


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        try:
            data = os.read(fd, min(n, 1 << 20))
        except InterruptedError:
            continue
        except OSError as exc:
            raise LinkBroken(f"the solution's process is gone ({exc})") from None
        if not data:
            raise LinkBroken("the solution's process ended")
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except InterruptedError:
            continue
        except OSError as exc:
            raise LinkBroken(f"the solution's process is gone ({exc})") from None


# ----------------------------------------------------------------- encoding

_PLAIN_TAGS: dict[type, str] = {
    list: "L",
    tuple: "T",
    set: "S",
    frozenset: "F",
    collections.deque: "DQ",
}
_PAIR_TAGS: dict[type, str] = {dict: "D", collections.OrderedDict: "OD", collections.Counter: "CT"}
_COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")
_MUTABLE = (list, dict, set, bytearray, collections.deque)


def _plain_base(tp: type) -> type | None:
    """The builtin a subclass of one behaves like, if it redefines no comparison."""
    for index, base in enumerate(tp.__mro__[1:], 1):
        if base in _PLAIN_TAGS or base in _PAIR_TAGS or base in (int, float, str, bytes):
            if any(d in k.__dict__ for k in tp.__mro__[:index] for d in _COMPARISONS):
                return None
            return base
    return None


class Link:
    """One side of the link. ``exports`` are this side's objects the other side
    holds handles to; ``proxies`` the other side's objects this side holds."""

    def __init__(self, fd: int, side: str) -> None:
        self.fd = fd
        self.side = side  # "harness" or "solution"
        self.exports: dict[int, Any] = {}
        self.export_ids: dict[int, int] = {}  # id(object) -> handle
        self.proxies: dict[int, Any] = {}
        self.classes: dict[int, type] = {}
        self.broken: str | None = None
        self.remote_tag = "H" if side == "harness" else "h"  # the tag of the other side's objects
        self.own_tag = "h" if side == "harness" else "H"
        self.pending_args: list[tuple[list[Any], dict[str, Any]]] = []
        self.builtin_names: set[str] = _SAFE_BUILTINS if side == "harness" else set(dir(builtins))

    # ------------------------------------------------------------ messages

    def send(self, message: Any) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        if len(data) > MAX_MESSAGE:
            raise TooLarge(f"a message of {len(data) >> 20} MB")
        _write_all(self.fd, _HEADER.pack(len(data)) + data)

    def receive(self) -> Any:
        if self.broken:
            raise LinkBroken(self.broken)
        try:
            size = _HEADER.unpack(_read_exact(self.fd, _HEADER.size))[0]
            if size > MAX_MESSAGE:
                raise LinkBroken("the solution's process sent an oversized message")
            message = json.loads(_read_exact(self.fd, size))
        except LinkBroken as exc:
            self.broken = str(exc)
            raise
        except (ValueError, RecursionError) as exc:
            self.broken = f"the solution's process broke the protocol ({type(exc).__name__})"
            raise LinkBroken(self.broken) from None
        if not isinstance(message, dict):
            self.broken = "the solution's process broke the protocol"
            raise LinkBroken(self.broken)
        return message

    def request(self, message: dict[str, Any]) -> Any:
        """Send a request and serve the other side's requests until its reply comes."""
        if self.broken:
            raise LinkBroken(self.broken)
        self.send(message)
        while True:
            reply = self.receive()
            if "op" in reply:
                self.serve(reply)
                continue
            if "err" in reply:
                raise self.decode_error(reply["err"])
            if "ok" not in reply:
                self.broken = "the solution's process broke the protocol"
                raise LinkBroken(self.broken)
            self.after_reply(reply)
            return self.decode(reply["ok"])

    def after_reply(self, reply: dict[str, Any]) -> None:
        """Hook: the harness copies back arguments the solution mutated."""

    def call(self, ref: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call the other side's object `ref`; list, dict and set arguments it
        mutated are copied back into ours."""
        message = {
            "op": "call",
            "h": ref,
            "a": [self.encode(a) for a in args],
            "k": {str(k): self.encode(v) for k, v in kwargs.items()},
        }
        self.pending_args.append((list(args), dict(kwargs)))
        try:
            return self.request(message)
        finally:
            self.pending_args.pop()

    def serve(self, message: dict[str, Any]) -> None:
        try:
            reply = self.dispatch(message)
        except LinkBroken:
            raise
        except BaseException as exc:
            self.send({"err": self.encode_error(exc)})
            return
        self.send(reply)

    def dispatch(self, message: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------- values

    def encode(self, value: Any) -> Any:
        tp = type(value)
        if tp is str or tp is bool or value is None or (tp is int and -_BIG_INT < value < _BIG_INT):
            return value
        return self._encode(value, 0, [MAX_NODES])

    def _encode(self, v: Any, depth: int, budget: list[int]) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise TooLarge(f"a value of more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise TooLarge(f"a value nested deeper than {MAX_DEPTH}")
        tp = type(v)
        if v is None or tp is bool or tp is str:
            return v
        if tp is int:
            return v if -_BIG_INT < v < _BIG_INT else {"i": hex(v)}
        if tp is float:
            return v if v == v and v not in (float("inf"), float("-inf")) else {"f": repr(v)}
        tag = _PLAIN_TAGS.get(tp)
        if tag is not None:
            return {tag: [self._encode(x, depth + 1, budget) for x in v]}
        tag = _PAIR_TAGS.get(tp)
        if tag is not None:
            return {
                tag: [
                    [self._encode(k, depth + 1, budget), self._encode(x, depth + 1, budget)]
                    for k, x in v.items()
                ]
            }
        if tp is bytes:
            return {"B": v.hex()}
        if tp is bytearray:
            return {"BA": v.hex()}
        if tp is complex:
            return {"C": [repr(v.real), repr(v.imag)]}
        name = _BUILTIN_NAMES.get(id(v))
        if name is not None and getattr(builtins, name, None) is v:
            return {"G": name}  # int, str, len ... as themselves: each side has its own
        if isinstance(v, Proxy) and object.__getattribute__(v, "_assay_link") is self:
            return {self.remote_tag: object.__getattribute__(v, "_assay_ref")}
        special = _SPECIAL.get(f"{tp.__module__}.{tp.__qualname__}")
        if special is not None:
            return special(v)
        if tp is type(sys):
            name = getattr(v, "__name__", None)
            if isinstance(name, str) and sys.modules.get(name) is v:
                return {"M": name}
        fields = getattr(tp, "_fields", None)
        if isinstance(v, tuple) and isinstance(fields, tuple) and self.side == "solution":
            return {
                "NT": [
                    tp.__name__,
                    [str(f) for f in fields],
                    [self._encode(x, depth + 1, budget) for x in v],
                ]
            }
        if tp.__module__ != "builtins" or tp.__name__ == "defaultdict":
            base = _plain_base(tp)
            if base is not None:
                if base is str:
                    plain: Any = str.__str__(v)
                elif base in (int, float, bytes):
                    plain = base(v)
                elif base in _PAIR_TAGS:
                    plain = base(dict.items(v))
                else:
                    plain = base(iter(v))
                return self._encode(plain, depth, budget)
        return self.export(v)

    def export(self, v: Any) -> dict[str, Any]:
        """A handle to one of this side's objects, with its class for the other side."""
        ref = self.export_ids.get(id(v))
        if ref is None or self.exports.get(ref) is not v:
            ref = len(self.exports) + 1
            self.exports[ref] = v
            self.export_ids[id(v)] = ref
        record: dict[str, Any] = {self.own_tag: ref}
        if self.side == "solution":
            tp = type(v)
            if isinstance(v, type):
                record["k"] = [_name(v), _exception_base(v)]
            else:
                record["t"] = [self.export(tp)[self.own_tag], _name(tp), _exception_base(tp)]
        return record

    def decode(self, data: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise LinkBroken("a value nested too deeply")
        if not isinstance(data, dict):
            if isinstance(data, list):
                raise LinkBroken("an untagged list")
            return data
        if len(data) != 1 and self.remote_tag not in data and self.own_tag not in data:
            raise LinkBroken("a malformed value")
        if self.remote_tag in data:
            return self.proxy(data)
        if self.own_tag in data:
            ref = data[self.own_tag]
            if ref not in self.exports:
                raise LinkBroken("a handle to nothing")
            return self.exports[ref]
        ((tag, body),) = data.items()
        d = depth + 1
        if tag in ("L", "T", "S", "F", "DQ"):
            items = [self.decode(x, d) for x in body]
            maker = {"L": list, "T": tuple, "S": set, "F": frozenset, "DQ": collections.deque}
            return maker[tag](items)
        if tag in ("D", "OD", "CT"):
            pairs = [(self.decode(k, d), self.decode(x, d)) for k, x in body]
            if tag == "CT":
                return collections.Counter(dict(pairs))
            return (dict if tag == "D" else collections.OrderedDict)(pairs)
        if tag == "NT":
            name, fields, values = body
            return _namedtuple(str(name), tuple(str(f) for f in fields))(
                *(self.decode(x, d) for x in values)
            )
        if tag == "M":
            return self.module(str(body))
        if tag == "J":  # plain JSON as it came (an object's description)
            return body
        if tag == "G":
            if body not in self.builtin_names:
                raise LinkBroken("a reference to no builtin")
            return getattr(builtins, body)
        decoder = _SIMPLE_DECODERS.get(tag)
        if decoder is None:
            raise LinkBroken(f"an unknown value tag {str(tag)[:20]}")
        return decoder(body)

    def module(self, name: str) -> Any:
        import importlib

        return importlib.import_module(name)

    def proxy(self, data: dict[str, Any]) -> Any:
        ref = data[self.remote_tag]
        if not isinstance(ref, int):
            raise LinkBroken("a malformed handle")
        known = self.proxies.get(ref)
        if known is not None:
            return known
        if "k" in data:
            name, exc_base = data["k"]
            made: Any = self.proxy_class(ref, str(name), exc_base)
        else:
            cls: Any = Proxy
            if "t" in data:
                cref, name, exc_base = data["t"]
                cls = self.proxy_class(cref, str(name), exc_base)
            made = cls.__new__(cls)
            object.__setattr__(made, "_assay_link", self)
            object.__setattr__(made, "_assay_ref", ref)
        self.proxies[ref] = made
        return made

    def proxy_class(self, ref: int, name: str, exc_base: Any) -> type:
        known = self.classes.get(ref)
        if known is not None:
            return known
        bases: tuple[type, ...] = (Proxy,)
        body: dict[str, Any] = {"__qualname__": name, "__module__": "solution"}
        base = getattr(builtins, exc_base, None) if isinstance(exc_base, str) else None
        if isinstance(base, type) and issubclass(base, BaseException):
            if not issubclass(base, Exception):
                base = Exception  # SystemExit and friends are not raised here as themselves
            bases = (Proxy, base)
            # raised and caught here: their message and identity are this side's
            body.update(
                __str__=BaseException.__str__,
                __repr__=BaseException.__repr__,
                __eq__=object.__eq__,
                __ne__=object.__ne__,
                __hash__=object.__hash__,
                __bool__=lambda self: True,
                __setattr__=object.__setattr__,
            )
        short = name.rpartition(".")[2] or "object"
        cls = ProxyMeta(short, bases, body)
        type.__setattr__(cls, "_assay_link", self)
        type.__setattr__(cls, "_assay_ref", ref)
        self.classes[ref] = cls
        self.proxies.setdefault(ref, cls)
        return cls

    # ---------------------------------------------------------- exceptions

    def encode_error(self, exc: BaseException) -> dict[str, Any]:
        tp = type(exc)
        try:
            message = str(exc)[:2000]
        except BaseException:
            message = "<unprintable>"
        record: dict[str, Any] = {"n": _name(tp), "m": message, "b": _exception_base(tp)}
        if tp.__module__ == "builtins":
            record["builtin"] = tp.__name__
        elif self.side == "solution":
            try:
                record["t"] = self.export(tp)
                record["v"] = self.export(exc)[self.own_tag]
            except BaseException:
                pass
        if isinstance(exc, ModuleNotFoundError) and isinstance(exc.name, str):
            record["mod"] = exc.name[:200]
        try:
            args = [a for a in exc.args if type(a) in (str, int, float, bool) or a is None]
            if len(args) == len(exc.args):
                record["a"] = args[:20]
        except BaseException:
            pass
        return record

    def decode_error(self, record: Any) -> BaseException:
        if not isinstance(record, dict):
            return LinkBroken("a malformed error")
        message = str(record.get("m", ""))
        args = record.get("a")
        args = tuple(args) if isinstance(args, list) else (message,)
        builtin = getattr(builtins, str(record.get("builtin")), None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            if builtin in (SystemExit, KeyboardInterrupt, GeneratorExit):
                return RemoteError(f"{builtin.__name__}: {message}")
            try:
                exc = builtin(*args)
            except Exception:
                exc = builtin(message)
            if isinstance(exc, ModuleNotFoundError) and isinstance(record.get("mod"), str):
                exc.name = record["mod"]
            return exc
        cls = None
        if isinstance(record.get("t"), dict) and self.remote_tag in record["t"]:
            try:
                cls = self.decode(record["t"])
            except LinkBroken:
                cls = None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            made = cls.__new__(cls)
            BaseException.__init__(made, *args)
            object.__setattr__(made, "_assay_link", self)
            object.__setattr__(
                made, "_assay_ref", record.get("v") if isinstance(record.get("v"), int) else 0
            )
            return made
        name = str(record.get("n", "Exception"))
        return _remote_exception_class(name, record.get("b"))(*args)


class RemoteError(Exception):
    """An exception of the solution that cannot be raised here as itself."""


_REMOTE_EXCEPTIONS: dict[tuple[str, Any], type] = {}


def _remote_exception_class(name: str, base_name: Any) -> type:
    """A class named like the solution's exception, under the builtin it derives from."""
    key = (name, base_name)
    known = _REMOTE_EXCEPTIONS.get(key)
    if known is None:
        base = getattr(builtins, str(base_name), None)
        if not (isinstance(base, type) and issubclass(base, Exception)):
            base = Exception
        short = name.rpartition(".")[2] or "Exception"
        known = type(short, (base,), {"__qualname__": name, "__module__": "solution"})
        known._assay_remote = True  # type: ignore[attr-defined]
        _REMOTE_EXCEPTIONS[key] = known
    return known


def _name(tp: type) -> str:
    try:
        return f"{tp.__qualname__}"[:200]
    except BaseException:
        return "object"


def _exception_base(tp: type) -> str | None:
    """The nearest builtin exception class of an exception class, by name."""
    try:
        if not (isinstance(tp, type) and issubclass(tp, BaseException)):
            return None
        for base in tp.__mro__:
            if base.__module__ == "builtins":
                return base.__name__
    except BaseException:
        pass
    return None


_NAMEDTUPLES: dict[tuple[str, tuple[str, ...]], Any] = {}


def _namedtuple(name: str, fields: tuple[str, ...]) -> Any:
    key = (name, fields)
    known = _NAMEDTUPLES.get(key)
    if known is None:
        if not name.isidentifier():
            name = "namedtuple"
        known = collections.namedtuple(name, fields, rename=True)  # type: ignore[misc,no-redef]
        _NAMEDTUPLES[key] = known
    return known


def _decimal(text: str) -> Any:
    import decimal

    return decimal.Decimal(text)


def _fraction(body: list[str]) -> Any:
    import fractions

    return fractions.Fraction(int(body[0]), int(body[1]))


def _datetime(kind: str, body: Any) -> Any:
    import datetime

    if kind == "TD":
        return datetime.timedelta(days=body[0], seconds=body[1], microseconds=body[2])
    return getattr(datetime, {"DT": "datetime", "DA": "date", "TI": "time"}[kind]).fromisoformat(
        body
    )


_SIMPLE_DECODERS: dict[str, Any] = {
    "f": lambda b: float(b),
    "i": lambda b: int(b, 16),
    "B": lambda b: bytes.fromhex(b),
    "BA": lambda b: bytearray.fromhex(b),
    "C": lambda b: complex(float(b[0]), float(b[1])),
    "DEC": _decimal,
    "FR": _fraction,
    "R": lambda b: range(int(b[0]), int(b[1]), int(b[2])),
    "DT": lambda b: _datetime("DT", b),
    "DA": lambda b: _datetime("DA", b),
    "TI": lambda b: _datetime("TI", b),
    "TD": lambda b: _datetime("TD", b),
}
_SPECIAL: dict[str, Any] = {
    "decimal.Decimal": lambda v: {"DEC": str(v)},
    "fractions.Fraction": lambda v: {"FR": [str(v.numerator), str(v.denominator)]},
    "builtins.range": lambda v: {"R": [v.start, v.stop, v.step]},
    "datetime.datetime": lambda v: {"DT": v.isoformat()},
    "datetime.date": lambda v: {"DA": v.isoformat()},
    "datetime.time": lambda v: {"TI": v.isoformat()},
    "datetime.timedelta": lambda v: {"TD": [v.days, v.seconds, v.microseconds]},
    "numpy.float64": lambda v: float(v) if v == v else {"f": repr(float(v))},
    "numpy.float32": lambda v: float(v) if v == v else {"f": repr(float(v))},
    "numpy.int64": lambda v: int(v),
    "numpy.int32": lambda v: int(v),
    "numpy.bool_": lambda v: bool(v),
}


# ------------------------------------------------------------------ proxies


def _op(proxy: Any, op: str, **fields: Any) -> Any:
    link = object.__getattribute__(proxy, "_assay_link")
    fields["op"] = op
    fields["h"] = object.__getattribute__(proxy, "_assay_ref")
    return link.request(fields)


def _described(proxy: Any) -> Any:  # Proxy._assay_describe
    """The solution's own description of an object (class, fields, repr), as plain
    data that `sandbox.values.decode` turns into an `Opaque`."""
    cache = object.__getattribute__(proxy, "__dict__")
    if "_assay_state" not in cache:
        cache["_assay_state"] = _clean_description(_op(proxy, "describe"))
    return cache["_assay_state"]


def _clean_description(data: Any) -> Any:
    """The solution's description of its object, as an object record only (it may
    not pass for plain data) and within the size the verdict reads."""
    if not isinstance(data, dict) or not isinstance(data.get("o"), str):
        return {"o": "object", "r": "<object of the solution>"}
    try:
        text = json.dumps(data)
    except (ValueError, TypeError, RecursionError):
        return {"o": data["o"][:200], "r": "<object of the solution>"}
    if len(text) > 1 << 20 or _depth(data, 0) > MAX_DEPTH:
        return {"o": data["o"][:200], "r": "<object of the solution>"}
    return data


def _depth(data: Any, depth: int) -> int:
    if depth > MAX_DEPTH:
        return depth
    if isinstance(data, dict):
        return max((_depth(v, depth + 1) for v in data.values()), default=depth)
    if isinstance(data, list):
        return max((_depth(v, depth + 1) for v in data), default=depth)
    return depth


class ProxyMeta(type):
    """The class of a proxy of the other side's class: calls and class attributes cross."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_assay_") or name in ("__wrapped__", "__signature__"):
            raise AttributeError(name)
        link = type.__getattribute__(cls, "_assay_link")
        return link.request(
            {"op": "getattr", "h": type.__getattribute__(cls, "_assay_ref"), "n": name}
        )

    def __instancecheck__(cls, instance: Any) -> bool:
        if type.__instancecheck__(cls, instance):
            return True
        if not isinstance(instance, Proxy):
            return False  # plain data of this side is never of the other side's class
        link = type.__getattribute__(cls, "_assay_link")
        ref = type.__getattribute__(cls, "_assay_ref")
        return link.request({"op": "isinstance", "h": ref, "v": link.encode(instance)}) is True

    def __subclasscheck__(cls, sub: Any) -> bool:
        return type.__subclasscheck__(cls, sub)


def _binary(name: str) -> Any:
    def method(self: Any, other: Any) -> Any:
        if not isinstance(other, Proxy):
            return NotImplemented  # a value of ours never reaches the solution's operators
        return _op(
            self, "binop", n=name, v=object.__getattribute__(self, "_assay_link").encode(other)
        )

    method.__name__ = name
    return method


def _unary(name: str) -> Any:
    def method(self: Any) -> Any:
        return _op(self, "unop", n=name)

    method.__name__ = name
    return method


class Proxy:
    """An object of the other process: every use of it is a request across the link."""

    # `sandbox.values.encode` asks the solution to describe it through this hook (set
    # below, once `_described` exists), so that values never imports this module.
    _assay_describe: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_assay_"):
            raise AttributeError(name)
        return _op(self, "getattr", n=name)

    def __setattr__(self, name: str, value: Any) -> None:
        link = object.__getattribute__(self, "_assay_link")
        _op(self, "setattr", n=name, v=link.encode(value))

    def __delattr__(self, name: str) -> None:
        _op(self, "delattr", n=name)

    def __iter__(self) -> Any:
        return _op(self, "iter")

    def __next__(self) -> Any:
        return _op(self, "next")

    def __len__(self) -> int:
        n = _op(self, "unop", n="__len__")
        if type(n) is not int or n < 0:
            raise TypeError("__len__ gave no length")
        return n

    def __bool__(self) -> bool:
        return _op(self, "unop", n="__bool__") is True

    def __getitem__(self, key: Any) -> Any:
        link = object.__getattribute__(self, "_assay_link")
        return _op(self, "getitem", v=link.encode(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        link = object.__getattribute__(self, "_assay_link")
        _op(self, "setitem", v=link.encode(key), w=link.encode(value))

    def __delitem__(self, key: Any) -> None:
        link = object.__getattribute__(self, "_assay_link")
        _op(self, "delitem", v=link.encode(key))

    def __contains__(self, item: Any) -> bool:
        # Compared here, element by element: the solution never sees what is looked for.
        return any(item is x or item == x for x in iter(self))

    def __repr__(self) -> str:
        text = _op(self, "unop", n="__repr__")
        return text if type(text) is str else "<object of the solution>"

    def __str__(self) -> str:
        text = _op(self, "unop", n="__str__")
        if type(text) is not str:
            raise TypeError("__str__ returned a non-string")
        return text

    def __hash__(self) -> int:
        value = _op(self, "unop", n="__hash__")
        if type(value) is not int:
            raise TypeError("unhashable")
        return value

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Proxy):
            return NotImplemented
        from sandbox.values import decode

        return bool(decode(_described(self)) == decode(_described(other)))

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __await__(self) -> Any:
        # The solution's coroutine runs to its end in the solution's own event loop.
        return _op(self, "await")
        yield  # unreachable: makes this a generator, as __await__ must be

    def __enter__(self) -> Any:
        return _op(self, "unop", n="__enter__")

    def __exit__(self, *exc: Any) -> Any:
        return _op(self, "unop", n="__exit__")

    def __index__(self) -> int:
        value = _op(self, "unop", n="__index__")
        if type(value) is not int:
            raise TypeError("__index__ returned a non-int")
        return value

    __lt__ = _binary("__lt__")
    __le__ = _binary("__le__")
    __gt__ = _binary("__gt__")
    __ge__ = _binary("__ge__")
    __add__ = _binary("__add__")
    __sub__ = _binary("__sub__")
    __mul__ = _binary("__mul__")
    __truediv__ = _binary("__truediv__")
    __floordiv__ = _binary("__floordiv__")
    __mod__ = _binary("__mod__")
    __pow__ = _binary("__pow__")
    __matmul__ = _binary("__matmul__")
    __and__ = _binary("__and__")
    __or__ = _binary("__or__")
    __xor__ = _binary("__xor__")
    __lshift__ = _binary("__lshift__")
    __rshift__ = _binary("__rshift__")
    __neg__ = _unary("__neg__")
    __pos__ = _unary("__pos__")
    __abs__ = _unary("__abs__")
    __invert__ = _unary("__invert__")
    __int__ = _unary("__int__")
    __float__ = _unary("__float__")
    __round__ = _unary("__round__")
    __reversed__ = _unary("__reversed__")


# What the solution may ask of the harness's objects (functions and objects the
# tests handed it): public attributes, calls, items, iteration. Never a name with
# an underscore, so no walk to a function's globals or a frame.
_UNARY: dict[str, Any] = {
    "__len__": len,
    "__bool__": bool,
    "__repr__": repr,
    "__str__": str,
    "__hash__": hash,
    "__neg__": lambda v: -v,
    "__pos__": lambda v: +v,
    "__abs__": abs,
    "__invert__": lambda v: ~v,
    "__int__": int,
    "__float__": float,
    "__round__": round,
    "__index__": lambda v: v.__index__(),
    "__reversed__": reversed,
    "__enter__": lambda v: v.__enter__(),
    "__exit__": lambda v: v.__exit__(None, None, None),
}


def _binop(name: str, a: Any, b: Any) -> Any:
    import operator

    fn = _BINARY.get(name)
    if fn is None:
        raise TypeError(f"unsupported operation {name}")
    return getattr(operator, fn)(a, b)


_BINARY = {
    f"__{n}__": n.rstrip("_") + ("_" if n in ("and", "or") else "")
    for n in "lt le gt ge add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split()
}


class _Served(Link):
    """The requests both sides serve on their own objects."""

    def check_name(self, name: Any) -> str:
        if not isinstance(name, str):
            raise TypeError("attribute names are strings")
        return name

    def dispatch(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        ref = message.get("h")
        if ref not in self.exports:
            raise ReferenceError("a request on no object")
        target = self.exports[ref]
        if op == "call":
            raw_args = message.get("a") or []
            raw_kwargs = message.get("k") or {}
            args = [self.decode(a) for a in raw_args]
            kwargs = {str(k): self.decode(v) for k, v in raw_kwargs.items()}
            result = target(*args, **kwargs)
            reply = {"ok": self.encode(result)}
            changed = self.mutated(raw_args, args, raw_kwargs, kwargs)
            if changed:
                reply["m"] = changed
            return reply
        if op == "getattr":
            return {"ok": self.encode(getattr(target, self.check_name(message.get("n"))))}
        if op == "setattr":
            setattr(target, self.check_name(message.get("n")), self.decode(message.get("v")))
            return {"ok": None}
        if op == "delattr":
            delattr(target, self.check_name(message.get("n")))
            return {"ok": None}
        if op == "iter":
            return {"ok": self.encode(iter(target))}
        if op == "next":
            return {"ok": self.encode(next(target))}
        if op == "getitem":
            return {"ok": self.encode(target[self.decode(message.get("v"))])}
        if op == "setitem":
            target[self.decode(message.get("v"))] = self.decode(message.get("w"))
            return {"ok": None}
        if op == "delitem":
            del target[self.decode(message.get("v"))]
            return {"ok": None}
        if op == "unop":
            fn = _UNARY.get(str(message.get("n")))
            if fn is None:
                raise TypeError("unsupported operation")
            return {"ok": self.encode(fn(target))}
        if op == "binop":
            return {
                "ok": self.encode(
                    _binop(str(message.get("n")), target, self.decode(message.get("v")))
                )
            }
        return self.dispatch_more(op, target, message)

    def dispatch_more(self, op: Any, target: Any, message: dict[str, Any]) -> dict[str, Any]:
        raise TypeError(f"an unknown request {str(op)[:20]}")

    def mutated(
        self,
        raw_args: list[Any],
        args: list[Any],
        raw_kwargs: dict[str, Any],
        kwargs: dict[str, Any],
    ) -> list[Any]:
        return []


class HarnessLink(_Served):
    """The harness's side: decodes the solution's values, serves the callbacks of
    objects the tests handed over, copies back arguments the solution mutated."""

    def __init__(self, fd: int) -> None:
        super().__init__(fd, "harness")

    def check_name(self, name: Any) -> str:
        if not isinstance(name, str) or name.startswith("_"):
            raise AttributeError("the tests' objects show the solution public attributes only")
        return name

    def module(self, name: str) -> Any:
        top = name.partition(".")[0]
        if top in _PRIVATE_MODULES or name.startswith("_"):
            return None
        import importlib

        try:
            return importlib.import_module(name)
        except BaseException:
            return None

    def after_reply(self, reply: dict[str, Any]) -> None:
        changed = reply.get("m")
        if not changed or not self.pending_args:
            return
        args, kwargs = self.pending_args[-1]
        for key, data in changed:
            target = args[key] if isinstance(key, int) and 0 <= key < len(args) else kwargs.get(key)
            if isinstance(target, _MUTABLE):
                _copy_into(target, self.decode(data))


def _copy_into(target: Any, new: Any) -> None:
    """Make a harness container equal to what the solution left in its copy, in place."""
    if isinstance(target, list | bytearray):
        if isinstance(new, list | bytearray | tuple):
            target[:] = new
    elif isinstance(target, dict):
        if isinstance(new, dict):
            target.clear()
            target.update(new)
    elif isinstance(target, set):
        if isinstance(new, set | frozenset):
            target.clear()
            target.update(new)
    elif isinstance(target, collections.deque) and isinstance(new, collections.deque):
        target.clear()
        target.extend(new)


def _proxy_call(self: Any, *args: Any, **kwargs: Any) -> Any:
    link = object.__getattribute__(self, "_assay_link")
    return link.call(object.__getattribute__(self, "_assay_ref"), args, kwargs)


def _class_call(cls: Any, *args: Any, **kwargs: Any) -> Any:
    link = type.__getattribute__(cls, "_assay_link")
    return link.call(type.__getattribute__(cls, "_assay_ref"), args, kwargs)


Proxy.__call__ = _proxy_call  # type: ignore[method-assign]
ProxyMeta.__call__ = _class_call  # type: ignore[method-assign,assignment]


class SolutionLink(_Served):
    """The solution's side (runs in the untrusted process: nothing here is trusted
    by the harness, it only serves)."""

    def __init__(self, fd: int) -> None:
        super().__init__(fd, "solution")
        self.lines: set[int] = set()

    def dispatch_more(self, op: Any, target: Any, message: dict[str, Any]) -> dict[str, Any]:
        if op == "describe":
            from sandbox.values import encode

            return {"ok": {"J": encode(target)}}
        if op == "await":
            import asyncio

            async def wait() -> Any:
                return await target

            return {"ok": self.encode(asyncio.run(wait()))}
        if op == "isinstance":
            return {"ok": isinstance(self.decode(message.get("v")), target)}
        raise TypeError(f"an unknown request {str(op)[:20]}")

    def mutated(
        self,
        raw_args: list[Any],
        args: list[Any],
        raw_kwargs: dict[str, Any],
        kwargs: dict[str, Any],
    ) -> list[Any]:
        changed: list[Any] = []
        for index, (raw, value) in enumerate(zip(raw_args, args, strict=False)):
            if isinstance(raw, dict) and isinstance(value, _MUTABLE):
                now = self.encode(value)
                if now != raw:
                    changed.append([index, now])
        for key, value in kwargs.items():
            raw = raw_kwargs.get(key)
            if isinstance(raw, dict) and isinstance(value, _MUTABLE):
                now = self.encode(value)
                if now != raw:
                    changed.append([key, now])
        return changed


def describe_globals(link: SolutionLink, ns: dict[str, Any]) -> dict[str, Any]:
    """The solution's top-level names as the harness binds them: plain data by
    value, modules by name, everything else as handles."""
    out: dict[str, Any] = {}
    for name, value in list(ns.items()):
        if not isinstance(name, str) or name.startswith("__"):
            continue
        try:
            out[name] = link.encode(value)
        except BaseException:
            try:
                out[name] = link.export(value)
            except BaseException:
                pass
    return out


def solution_main(fd: int, code: Any, coverage: bool) -> None:
    """The solution's process: run the solution, then serve the harness; never returns."""
    link = SolutionLink(fd)
    # The run ends with os._exit or a SIGKILL: what the solution prints must not wait in
    # a buffer (curators and the repair loop read it).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    if coverage:
        _trace_lines(link.lines)
    ns: dict[str, Any] = {"__name__": "solution", "__builtins__": builtins}
    hello: dict[str, Any] = {"hello": 1}
    try:
        exec(code, ns)
    except BaseException as exc:  # SystemExit too: the solution must not end the run
        hello["error"] = link.encode_error(exc)
        hello["tail"] = _tail(exc)
    try:
        hello["names"] = describe_globals(link, ns)
        link.send(hello)
        while True:
            message = link.receive()
            if message.get("op") == "bye":
                sys.settrace(None)
                link.send({"ok": link.encode(sorted(link.lines))})
                break
            link.serve(message)
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(0)


# Line events traced per run: tracing made a hot loop ~11x slower (HumanEval/75's
# canonical solution, 1.1 s plain, timed out at 10 s); past this, coverage is a lower bound.
TRACE_BUDGET = 300_000
SOLUTION_FILE = "<solution>"


def _trace_lines(hit: set[int]) -> None:
    budget = [TRACE_BUDGET]

    def lines(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            hit.add(frame.f_lineno)
            budget[0] -= 1
            if budget[0] < 0:
                return None
        return lines

    def calls(frame: Any, event: str, arg: Any) -> Any:
        if budget[0] < 0:
            sys.settrace(None)
            return None
        if frame.f_code.co_filename == SOLUTION_FILE:
            hit.add(frame.f_lineno)
            return lines
        return None

    sys.settrace(calls)


def _tail(exc: BaseException) -> str:
    import traceback

    try:
        lines = traceback.format_exception(exc)
    except BaseException:
        return type(exc).__name__
    return "".join(lines[-2:])[-1500:]


Proxy._assay_describe = staticmethod(_described)
