"""Exact and near-duplicate detection with MinHash LSH (datasketch).

Defaults follow InfoSynth: 250 permutations, Jaccard threshold 0.75. Problem text is
shingled as word 3-grams and solution code as token 5-grams with local names normalised,
so a copy with renamed variables is caught.
Signatures serialise to bytes (`ItemSignature.to_bytes`) so that the caller can store
them and rebuild an index later without rehashing (`DuplicateIndex.add_signature`).
"""

from __future__ import annotations

import ast
import hashlib
import re
import struct
from dataclasses import dataclass

import numpy as np

from core.models import normalize_language

from .flags import Flag
from .neighbours import DuplicateField, Neighbour
from .sketch import LeanMinHash, MinHash, MinHashLSH
from .trees import arity, read_code

# The codes `DuplicateIndex.flags` gives: a re-check replaces exactly these on neighbours.
DUPLICATE_CODES = frozenset({"exact_duplicate", "exact_copies", "near_duplicate"})

NUM_PERM = 250
THRESHOLD = 0.75
TEXT_SHINGLE = 3
CODE_SHINGLE = 5
_SCHEME = "affine32"
# ASG1 signatures hashed code before names were normalised; ASG2 statements before quoted
# symbols took part in the exact digest; ASG3 before the function's parameter count did.
_MAGIC = b"ASG4"

_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|[^\s\w]")
_LINE_COMMENT = re.compile(r"(?m)(?:#|//)[^\n]*$|/\*.*?\*/", re.S)


def text_tokens(text: str) -> list[str]:
    """Lower-case words of a problem statement."""
    return _WORD.findall(text.lower())


_QUOTED = re.compile(r"([\"'`])([^\"'`\n]{1,40}?)\1")


def quoted_symbols(text: str) -> list[str]:
    """The symbols a statement quotes (`"<" and ">"`, `'('`): normalising punctuation away
    must not make "a string of '<' and '>'" the same problem as "a string of '(' and ')'"."""
    return [
        symbol
        for _, quoted in _QUOTED.findall(text)
        for symbol in quoted
        if not symbol.isalnum() and not symbol.isspace()
    ]


# Keywords of the languages we see, kept as they are when identifiers are normalised.
_KEYWORDS = frozenset(
    "and as assert async await break case catch class const continue def default defer del "
    "do elif else enum except export extends false final finally fn for from func function "
    "go if impl import in interface is lambda let loop match mod mut new nil none not null "
    "of or package pass pub raise range return self static struct super switch this throw "
    "trait true try type typeof use var void where while with yield".split()
)


def code_tokens(code: str) -> list[str]:
    """Tokens of code with comments and layout removed and local names normalised.

    A renamed copy is still a copy: every identifier becomes `ID` except keywords, names
    that are called (`max(`, `findall(`) and attributes (`.get`), which carry meaning.
    """
    tokens = _TOKEN.findall(_LINE_COMMENT.sub(" ", code))
    out = []
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        if (
            (token[0].isalpha() or token[0] == "_")
            and token.lower() not in _KEYWORDS
            and not (i < last and tokens[i + 1] == "(")
            and not (i > 0 and tokens[i - 1] == ".")
        ):
            out.append("ID")
        else:
            out.append(token)
    return out


def shingles(tokens: list[str], n: int) -> set[bytes]:
    """The set of `n`-token shingles (the whole sequence when shorter than `n`)."""
    if not tokens:
        return set()
    if len(tokens) < n:
        return {" ".join(tokens).encode()}
    return {" ".join(tokens[i : i + n]).encode() for i in range(len(tokens) - n + 1)}


def normalised_digest(tokens: list[str]) -> bytes:
    """A digest that is equal for texts equal after normalisation."""
    return hashlib.blake2b(" ".join(tokens).encode(), digest_size=16).digest()


# datasketch's MinHashLSH finds its (bands, rows) by numerical integration on every
# construction, ~50 ms each; `assay check` builds four (duplicates and contamination, text
# and code) and a generation job one per round. They depend only on the threshold and the
# number of permutations: the defaults' are known (tests hold them to datasketch's own
# optimisation), others are computed once per process.
_LSH_PARAMS: dict[tuple[float, int], tuple[int, int]] = {(THRESHOLD, NUM_PERM): (20, 12)}


def lsh_index(threshold: float, num_perm: int) -> MinHashLSH:
    """An empty MinHashLSH for `threshold` and `num_perm`, without re-optimising its bands."""
    key = (float(threshold), int(num_perm))
    params = _LSH_PARAMS.get(key)
    if params is None:
        fresh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        _LSH_PARAMS[key] = (fresh.b, fresh.r)
        return fresh
    return MinHashLSH(threshold=threshold, num_perm=num_perm, params=params)


class MinHasher:
    """Builds MinHash signatures that share one set of permutations (cheap per item)."""

    def __init__(self, num_perm: int = NUM_PERM, seed: int = 1):
        template = MinHash(num_perm=num_perm, seed=seed, scheme=_SCHEME)
        self.num_perm, self.seed = num_perm, seed
        self._permutations = template.permutations

    def __call__(self, items: set[bytes]) -> LeanMinHash | None:
        if not items:
            return None
        m = MinHash(
            num_perm=self.num_perm, seed=self.seed, permutations=self._permutations, scheme=_SCHEME
        )
        m.update_batch(items)
        return LeanMinHash(m)


def _pack(m: LeanMinHash | None) -> bytes:
    if m is None:
        return struct.pack("<I", 0)
    buf = bytearray(m.bytesize("<"))
    m.serialize(buf, "<")
    return struct.pack("<I", len(buf)) + bytes(buf)


def _unpack(data: bytes, at: int) -> tuple[LeanMinHash | None, int]:
    (size,) = struct.unpack_from("<I", data, at)
    at += 4
    if size == 0:
        return None, at
    return LeanMinHash.deserialize(bytearray(data[at : at + size]), "<"), at + size


@dataclass
class ItemSignature:
    """What the duplicate index needs of one item: digests and MinHashes of text and code."""

    text_digest: bytes
    code_digest: bytes
    text_minhash: LeanMinHash | None
    code_minhash: LeanMinHash | None

    def to_bytes(self) -> bytes:
        return (
            _MAGIC
            + self.text_digest
            + self.code_digest
            + _pack(self.text_minhash)
            + _pack(self.code_minhash)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ItemSignature:
        if data[:4] != _MAGIC:
            raise ValueError("not an Assay item signature")
        text_digest, code_digest = data[4:20], data[20:36]
        text_minhash, at = _unpack(data, 36)
        code_minhash, _ = _unpack(data, at)
        return cls(text_digest, code_digest, text_minhash, code_minhash)


_FRAME = re.compile(
    r"^\s*Write an? [\w+#]+ (?:function|class|method|program)(?: (?:named|called) `?[\w$]+`?)?"
    r"\s*(?:that|which|to)?\b|\b(?:Language|Function name):\s*\S+",
    re.I | re.M,
)


def statement_core(text: str) -> str:
    """A statement without the generator's frame ("Write a Go function named `F` that ...",
    "Language: Go. Function name: F"): the frame is shared by every item and would make
    unrelated short statements look alike."""
    return _FRAME.sub(" ", text)


def _strip_name(text: str, name: str | None) -> str:
    # a renamed copy is still a copy
    return re.sub(rf"\b{re.escape(name)}\b", " ", text) if name else text


def _arity(code: str, name: str | None, language: str | None) -> int | None:
    """The parameter count of the item's function, when its language can be read."""
    if not language or not code:
        return None
    if language == "python":
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        named = [f for f in functions if f.name == name] or (
            functions if len(functions) == 1 else []
        )
        counts = {
            len(f.args.posonlyargs) + len(f.args.args) + len(f.args.kwonlyargs) for f in named
        }
        return counts.pop() if len(counts) == 1 else None
    parsed = read_code(language, code)
    return arity(parsed, name) if parsed is not None and parsed.clean else None


class DuplicateIndex:
    """Incremental exact / near-duplicate index over problem text and solution code.

    `add` returns the flags of the item just added (against everything added before),
    so adding one item costs one signature and two LSH queries, never a rebuild.
    """

    def __init__(self, num_perm: int = NUM_PERM, threshold: float = THRESHOLD, seed: int = 1):
        self.num_perm, self.threshold = num_perm, threshold
        self._hasher = MinHasher(num_perm, seed)
        self._lsh = {kind: lsh_index(threshold, num_perm) for kind in ("text", "code")}
        self._order: dict[str, int] = {}
        self._signatures: dict[str, ItemSignature] = {}
        self._exact: dict[bytes, str] = {}
        self._parent: dict[str, str] = {}
        # key -> kinds of links it has: "exact", "text", "code"
        self._edges: dict[str, set[str]] = {}
        # key -> the items it was linked to, both ways (what a curator compares it with)
        self._neighbours: dict[str, list[Neighbour]] = {}
        # hash values of the keys in each LSH, to verify candidates in one numpy comparison
        self._values: dict[str, dict[str, np.ndarray]] = {"text": {}, "code": {}}

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, key: str) -> bool:
        return key in self._order

    def signature(
        self, text: str, code: str, name: str | None = None, language: str | None = None
    ) -> ItemSignature:
        """The signature of an item (what the caller stores to rebuild the index).

        The language and the function's parameter count take part in the exact digest
        only: the same statement in two languages is a near duplicate (a translation to
        review), not an exact one, and so is the same statement over functions that take
        different parameters (HumanEval-X's Rust/45 carries Rust/71's statement over
        `triangle_area(a, h)`): one of the two is mis-stated, and which one a curator decides.
        """
        core = _strip_name(statement_core(text or ""), name)
        t_tokens = text_tokens(core)
        c_tokens = code_tokens(_strip_name(code or "", name))
        shape = _arity(code or "", name, language)
        exact = [str(language or "").lower(), *t_tokens, *quoted_symbols(core)]
        if shape is not None:
            exact.insert(1, f"\x00{shape} parameters")
        return ItemSignature(
            normalised_digest(exact),
            normalised_digest(c_tokens),
            self._hasher(shingles(t_tokens, TEXT_SHINGLE)),
            self._hasher(shingles(c_tokens, CODE_SHINGLE)),
        )

    def add(
        self, key: str, text: str, code: str, name: str | None = None, language: str | None = None
    ) -> list[Flag]:
        """Index one item; return its duplicate flags against the items already indexed."""
        return self.add_signature(key, self.signature(text, code, name, language))

    def add_item(self, key: str, item: dict) -> list[Flag]:
        """`add` for an item in the native format (bad fields count as empty)."""
        return self.add(key, *item_fields(item))

    def add_signature(self, key: str, sig: ItemSignature | bytes) -> list[Flag]:
        """Index a stored signature (bytes or `ItemSignature`) without rehashing."""
        if isinstance(sig, bytes | bytearray | memoryview):
            sig = ItemSignature.from_bytes(bytes(sig))
        if key in self._order:
            raise KeyError(f"{key!r} is already in the index")
        self._order[key] = len(self._order)
        self._signatures[key] = sig
        self._parent[key] = key
        exact_of = self._exact.get(sig.text_digest) if sig.text_minhash is not None else None
        if exact_of is not None:
            self._link(key, exact_of, "exact")
            self._meet(key, exact_of, 1.0, "statement", exact=True)
        else:
            if sig.text_minhash is not None:
                self._exact[sig.text_digest] = key
            for kind, minhash in (("text", sig.text_minhash), ("code", sig.code_minhash)):
                if minhash is None:
                    continue
                best = self._closest(kind, minhash)
                if best is None:
                    self._insert(kind, key, minhash)
                else:
                    other, similarity = best
                    self._link(key, other, kind)
                    self._meet(
                        key, other, similarity, "statement" if kind == "text" else "solution"
                    )
        return self.flags(key)

    def flags(self, key: str) -> list[Flag]:
        """`key`'s duplicate flags against everything indexed so far, computed from its links
        both ways: both members of a near-duplicate pair are flagged, each naming the other,
        whichever was added first. Of exact duplicates the earliest added is kept (an `info`
        naming its copies) and every later one is rejected against it. Each code at most once.
        """
        neighbours = self.neighbours(key)
        exact = [n.query_id for n in neighbours if n.exact]
        flags = []
        if exact:
            first = min([key, *exact], key=self._order.__getitem__)
            if first != key:
                flags.append(
                    Flag(
                        "exact_duplicate",
                        "reject",
                        f"same problem statement as {first} (after normalising case, spacing, "
                        "punctuation and the function name)",
                    )
                )
            else:
                copies = sorted(exact, key=self._order.__getitem__)
                flags.append(
                    Flag(
                        "exact_copies",
                        "info",
                        f"kept as the first of {len(copies) + 1} items with this problem "
                        f"statement; {_names(copies)} flagged exact_duplicate",
                    )
                )
        parts = []
        for what in ("statement", "solution"):
            near = [n for n in neighbours if not n.exact and n.field == what]
            if near:
                closest, others = near[0], near[1:]
                part = (
                    f"{what} is a near-duplicate of {closest.query_id} "
                    f"(estimated Jaccard {closest.similarity:.2f} >= {self.threshold})"
                )
                if others:
                    part += f", also of {_names([n.query_id for n in others])}"
                parts.append(part)
        if parts:
            flags.append(Flag("near_duplicate", "warn", "; ".join(parts)))
        return flags

    def _insert(self, kind: str, key: str, minhash: LeanMinHash) -> None:
        # Only items that are not near-duplicates enter the LSH: a cluster is found through
        # its first member, so a template repeated 10,000 times costs one bucket entry,
        # not a candidate list that grows with every copy.
        self._lsh[kind].insert(key, minhash, check_duplication=False)
        self._values[kind][key] = np.asarray(minhash.hashvalues)

    def export(self, key: str) -> bytes:
        """The stored signature of `key` as bytes."""
        return self._signatures[key].to_bytes()

    def _closest(self, kind: str, minhash: LeanMinHash) -> tuple[str, float] | None:
        candidates = self._lsh[kind].query(minhash)
        if not candidates:
            return None
        # LSH returns candidates; keep only those really above the threshold
        candidates.sort(key=self._order.__getitem__)
        values = self._values[kind]
        matrix = np.stack([values[c] for c in candidates])
        similarities = (matrix == np.asarray(minhash.hashvalues)).mean(axis=1)
        best = int(np.argmax(similarities))  # the earliest among equals
        if similarities[best] < self.threshold:
            return None
        return candidates[best], float(similarities[best])

    def _find(self, key: str) -> str:
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def _link(self, a: str, b: str, kind: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:  # the earliest-added item is the root, and so the representative
            first, second = sorted((ra, rb), key=self._order.__getitem__)
            self._parent[second] = first
        self._edges.setdefault(a, set()).add(kind)
        self._edges.setdefault(b, set()).add(kind)

    def _meet(
        self, a: str, b: str, similarity: float, what: DuplicateField, exact: bool = False
    ) -> None:
        self._neighbours.setdefault(a, []).append(Neighbour(b, similarity, what, exact))
        self._neighbours.setdefault(b, []).append(Neighbour(a, similarity, what, exact))

    def neighbours(self, key: str) -> list[Neighbour]:
        """The items `key` was found to duplicate, or that were found to duplicate it,
        closest first (one entry per item and field)."""
        return sorted(self._neighbours.get(key, []), key=lambda n: (-n.similarity, n.query_id))

    def clusters(self) -> list[dict]:
        """Groups of duplicates: `representative` (first added), `members`, `kind`.

        `kind` is `exact` when every link in the group is an exact duplicate, otherwise
        `near`.
        """
        groups: dict[str, list[str]] = {}
        for key in self._edges:
            groups.setdefault(self._find(key), []).append(key)
        out: list[dict] = []
        for root, members in groups.items():
            members.sort(key=self._order.__getitem__)
            kinds = set().union(*(self._edges[m] for m in members))
            out.append(
                {
                    "representative": root,
                    "members": members,
                    "kind": "exact" if kinds == {"exact"} else "near",
                }
            )
        out.sort(key=lambda c: self._order[c["representative"]])
        return out

    def similarity(self, a: str, b: str, kind: str = "text") -> float | None:
        """Estimated Jaccard similarity of two indexed items' text or code."""
        ma = getattr(self._signatures[a], f"{kind}_minhash")
        mb = getattr(self._signatures[b], f"{kind}_minhash")
        if ma is None or mb is None:
            return None
        return float(ma.jaccard(mb))


def _names(keys: list[str], shown: int = 3) -> str:
    """'a', 'a, b and c', 'a, b, c and 4 more'."""
    if len(keys) <= shown:
        return keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1]
    return ", ".join(keys[:shown]) + f" and {len(keys) - shown} more"


def hashvalues(m: LeanMinHash) -> np.ndarray:
    """The raw hash values of a signature (for callers that want their own storage)."""
    return np.asarray(m.hashvalues)


def item_fields(item: dict) -> tuple[str, str, str | None, str | None]:
    """(text, code, function name, language) of a native item, tolerating bad fields."""
    meta = item.get("metadata")
    meta = meta if isinstance(meta, dict) else {}

    def text_of(value: object) -> str:
        return value if isinstance(value, str) else ""

    name = meta.get("function_name")
    language = normalize_language(meta.get("language")) or None
    return (
        text_of(item.get("query_text")),
        text_of(item.get("reference_answer")),
        name if isinstance(name, str) and name else None,
        language,
    )
