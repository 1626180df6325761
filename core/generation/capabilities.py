"""What a server accepts, learned from its answers once per (endpoint, model), and remembered.

Servers differ: OpenAI has strict structured outputs and, for gpt-5 and the o-series, wants
`max_completion_tokens` and no `temperature`; vLLM has guided decoding; Ollama takes
`json_object` but not always a schema; some proxies only stream. Nothing here reads an error's
wording: a 400 (or 422) either names the parameter it refuses (`error.param`, or FastAPI's
`detail[].loc`), and that parameter is changed, or names none, and the request is retried with
one capability changed at a time until the server takes it. What the first accepted request
used is stored (`store.jobs.save_capabilities`); later calls and later jobs send it at once.
Once a set is confirmed, a 400 is the request's fault (a context limit), not a capability's.
A streaming-only server is recognised by its answer: an SSE body to a plain request.

Overrides (`[generation]` in the config file) fix a capability so it is never probed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.errors import AssayError

STRUCTURED_LEVELS = ("json_schema", "json_object", "none")
TOKEN_PARAMS = ("max_tokens", "max_completion_tokens")
OPENAI_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class Capabilities:
    """How requests to one (endpoint, model) are made."""

    structured: str = "json_schema"  # json_schema (strict) | json_object | none (prompt only)
    token_param: str = "max_tokens"  # or max_completion_tokens (gpt-5, o-series)
    temperature: bool = True  # reasoning models take only their default
    seed: bool = True
    stream: bool = False  # the server only answers streamed requests
    stream_usage: bool = True  # stream_options.include_usage is accepted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capabilities:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def request(self, messages: list[dict], model: str, params: dict[str, Any]) -> dict:
        """The chat-completions body for these capabilities."""
        body: dict[str, Any] = {"model": model, "messages": messages}
        body[self.token_param] = params["max_tokens"]
        if self.temperature:
            body["temperature"] = params["temperature"]
        if self.seed and "seed" in params:
            body["seed"] = params["seed"]
        for name in ("top_p", "stop", "n"):  # research controls, sent only when set
            if name in params:
                body[name] = params[name]
        schema = params.get("schema")
        if schema is not None and self.structured == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.get("title", "reply"),
                    "schema": schema,
                    "strict": True,
                },
            }
        elif schema is not None and self.structured == "json_object":
            body["response_format"] = {"type": "json_object"}
        if self.stream:
            body["stream"] = True
            if self.stream_usage:
                body["stream_options"] = {"include_usage": True}
        return body


# One change each: the capability after the server refused it, or None when there is none.
Step = Callable[[Capabilities], "Capabilities | None"]


def _less_structured(caps: Capabilities) -> Capabilities | None:
    level = STRUCTURED_LEVELS.index(caps.structured)
    return replace(caps, structured=STRUCTURED_LEVELS[level + 1]) if level < 2 else None


def _other_token_param(caps: Capabilities) -> Capabilities | None:
    other = TOKEN_PARAMS[1 - TOKEN_PARAMS.index(caps.token_param)]
    return replace(caps, token_param=other)


def _no_temperature(caps: Capabilities) -> Capabilities | None:
    return replace(caps, temperature=False) if caps.temperature else None


def _no_seed(caps: Capabilities) -> Capabilities | None:
    return replace(caps, seed=False) if caps.seed else None


def _streamed(caps: Capabilities) -> Capabilities | None:
    return replace(caps, stream=True) if not caps.stream else None


def _no_stream_usage(caps: Capabilities) -> Capabilities | None:
    return replace(caps, stream_usage=False) if caps.stream and caps.stream_usage else None


# Which capability each request parameter belongs to (the field a step changes).
PARAMS: dict[str, tuple[str, Step]] = {
    "response_format": ("structured", _less_structured),
    "max_tokens": ("token_param", _other_token_param),
    "max_completion_tokens": ("token_param", _other_token_param),
    "temperature": ("temperature", _no_temperature),
    "seed": ("seed", _no_seed),
    "stream": ("stream", _streamed),
    "stream_options": ("stream_usage", _no_stream_usage),
}
# The order capabilities are tried in when a 400 names no parameter.
ORDER: tuple[tuple[str, Step], ...] = (
    ("structured", _less_structured),
    ("stream", _streamed),
    ("token_param", _other_token_param),
    ("temperature", _no_temperature),
    ("stream_usage", _no_stream_usage),
    ("seed", _no_seed),
)
MAX_PROBES = 6  # refused requests one call may spend finding what the server takes


def named_param(exc: Any) -> str | None:
    """The request parameter a 400/422 names: OpenAI's `error.param` (a path such as
    "response_format.json_schema" counts as its head), or FastAPI's `detail[].loc`."""
    param = getattr(exc, "param", None)
    body = getattr(exc, "body", None)
    if not param and isinstance(body, dict):
        param = body.get("param")
        detail = body.get("detail")
        if not param and isinstance(detail, list):
            for entry in detail:
                loc = entry.get("loc") if isinstance(entry, dict) else None
                if isinstance(loc, list) and len(loc) >= 2 and loc[0] == "body":
                    param = str(loc[1])
                    break
    if not isinstance(param, str):
        return None
    head = param.split(".", 1)[0].split("[", 1)[0]
    return head if head in PARAMS else None


class Probe:
    """The search for what one (endpoint, model) accepts, inside one call."""

    def __init__(self, start: Capabilities, fixed: frozenset[str]):
        self.start = start
        self.fixed = fixed
        self.tried: set[Capabilities] = {start}
        self.probes = 0

    def next(
        self, refused: Capabilities, sent: dict, exc: Any, shared: Capabilities
    ) -> Capabilities | None:
        """What to send after `refused` was refused with `exc`, or None: nothing is left."""
        if self.probes >= MAX_PROBES:
            return None
        self.probes += 1
        if shared not in self.tried:  # another call already learned something
            return self._take(shared)
        param = named_param(exc)
        if param is not None and param in sent:
            field, step = PARAMS[param]
            if field not in self.fixed and (changed := step(refused)) is not None:
                if changed not in self.tried:
                    return self._take(changed)
        # No parameter named: the structured-output ladder first (the refusal servers make
        # most), then one other capability at a time from where the call started, then two
        # (so a streaming-only server keeps its structured outputs).
        ladder: list[Capabilities] = []
        rung: Capabilities | None = self.start
        while "structured" not in self.fixed and rung is not None:
            rung = _less_structured(rung)
            if rung is not None:
                ladder.append(rung)
        pairs = [c for base in self._singles(self.start) for c in self._singles(base)]
        for changed in (*ladder, *self._singles(self.start), *pairs):
            if changed not in self.tried:
                return self._take(changed)
        return None

    def _singles(self, caps: Capabilities) -> list[Capabilities]:
        out = []
        for field, step in ORDER:
            if field not in self.fixed and (changed := step(caps)) is not None:
                out.append(changed)
        return out

    def _take(self, caps: Capabilities) -> Capabilities:
        self.tried.add(caps)
        return caps


# -- overrides from the config file ----------------------------------------------------------

# [generation] key -> (capability field, accepted values -> the field's value)
OVERRIDES: dict[str, tuple[str, dict[Any, Any]]] = {
    "structured_outputs": ("structured", {v: v for v in STRUCTURED_LEVELS}),
    "token_parameter": ("token_param", {v: v for v in TOKEN_PARAMS}),
    "send_temperature": ("temperature", {True: True, False: False}),
    "send_seed": ("seed", {True: True, False: False}),
    "stream": ("stream", {True: True, False: False}),
    "stream_usage": ("stream_usage", {True: True, False: False}),
}


def overrides(table: dict[str, Any]) -> dict[str, Any]:
    """Capability field -> fixed value, from the config file's `[generation]` table ("auto"
    or an absent key leaves a capability to probing). One sentence for a bad value."""
    fixed: dict[str, Any] = {}
    for key, (field, values) in OVERRIDES.items():
        value = table.get(key, "auto")
        if value == "auto":
            continue
        if isinstance(value, bool) != isinstance(next(iter(values)), bool) or value not in values:
            shown = ", ".join(repr(v).lower() if isinstance(v, bool) else f'"{v}"' for v in values)
            raise AssayError(
                f'`{key}` under [generation] in the config file must be "auto" or one of {shown}.'
            )
        fixed[field] = values[value]
    return fixed
