"""The LLM client: any OpenAI-compatible chat-completions server, through the `openai` package.

Retries (exponential backoff with jitter, `Retry-After` honoured) are ours, not the package's,
so that every HTTP attempt becomes a row in `llm_calls` with what the server reported. Every
reply paid for is cached under a key of model, messages and parameters before anyone uses it.
What each server accepts is probed and remembered (`capabilities.py`); how many calls are in
flight adapts to 429s and rate-limit headers (`ratelimit.py`); a reply without usage is
counted with the model's tokenizer and marked estimated (`tokens.py`).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from core.config import load_config
from core.errors import AssayError
from core.generation import tokens
from core.generation.capabilities import OPENAI_URL, Capabilities, Probe, named_param, overrides
from core.generation.parsing import parse_json_object
from core.generation.prices import PriceTable
from core.generation.ratelimit import AdaptiveLimit
from core.store import CachedReply, CallTotals, JobStore, now

log = logging.getLogger("assay.generation")

RETRYABLE_STATUS = {408, 409, 425, 429}


class CallFailed(Exception):
    """A call that gave up (retries spent, or no recorded reply offline). The item it was for
    is left unfinished, so a later resume tries it again; the job goes on."""

    def __init__(self, outcome: str, message: str):
        super().__init__(message)
        self.outcome = outcome


class BudgetExhausted(Exception):
    """The job's token or money budget is spent: no new call may be paid for."""


@dataclass
class ClientOptions:
    """How calls are made. Tests shorten the waits; users rarely need to touch these."""

    timeout: float = 120.0
    connect_timeout: float = 5.0  # an unreachable server is known in seconds, not minutes
    connect_retries: int = 1  # more tries against a server that has not answered yet
    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_after_max: float = 600.0
    structured: bool = True
    # Capabilities fixed by the user (field -> value); None reads `[generation]` in the config.
    capabilities: dict[str, Any] | None = None


@dataclass
class Reply:
    """One completion, fresh or replayed from the cache."""

    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    model: str
    cached: bool = False
    cost: float = 0.0
    # The other choices of a call that asked for several (`samples`): (content, finish_reason).
    others: list[tuple[str, str | None]] = field(default_factory=list)
    estimated: bool = False  # the server reported no usage: the tokens are our count

    def samples(self) -> list[Reply]:
        """This reply and the call's other choices, each a Reply (tokens count on the first)."""
        extra = [Reply(text, finish, 0, 0, self.model, self.cached) for text, finish in self.others]
        return [self, *extra]

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    def data(self, *required: str) -> dict[str, Any] | None:
        """The reply's JSON object with the `required` keys; never from a cut-off reply."""
        return None if self.truncated else parse_json_object(self.content, *required)


@dataclass
class Budget:
    tokens: int | None = None
    cost: float | None = None

    def spent(self, totals: CallTotals) -> str | None:
        """Why no further call may be paid for, or None."""
        if self.tokens is not None and totals.tokens >= self.tokens:
            return f"token budget of {self.tokens} reached"
        if self.cost is not None and totals.cost >= self.cost:
            return f"cost budget of ${self.cost:g} reached"
        return None


def cache_key(model: str, messages: list[dict], params: dict[str, Any]) -> str:
    blob = json.dumps(
        {"model": model, "messages": messages, "params": params},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def prompt_hash(messages: list[dict]) -> str:
    blob = json.dumps(messages, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class Ledger:
    """Records a job's calls and the replies they paid for (on the job's thread only)."""

    def __init__(self, jobs: JobStore, job_id: int | None, prices: PriceTable, secret: str = ""):
        self.jobs = jobs
        self.job_id = job_id
        self.prices = prices
        self.secret = secret
        self.totals = self._load_totals()
        self.unpriced: set[str] = set()  # models warned about once

    def _load_totals(self) -> CallTotals:
        return CallTotals() if self.job_id is None else self.jobs.call_totals(self.job_id)

    def cached(self, key: str) -> dict[str, Any] | None:
        return self.jobs.cached_reply(key)

    def record(self, call: dict[str, Any], cache: tuple[str, dict, dict] | None = None) -> None:
        """One call row, and the reply it paid for, in one transaction."""
        if call.get("error"):
            call["error"] = scrub(call["error"], self.secret)
        call = {"job_id": self.job_id, "created_at": now(), **call}
        reply = None
        if cache is not None:
            key, request, response = cache
            reply = CachedReply(key, call["model"], request, response)
        self.jobs.record_call(call, reply)
        if call["outcome"] in ("ok", "truncated", "cache_hit"):
            self.totals.calls += 1
            self.totals.cached_calls += int(bool(call.get("cached")))
            self.totals.estimated_calls += int(bool(call.get("estimated")))
            self.totals.prompt_tokens += call.get("prompt_tokens", 0) or 0
            self.totals.completion_tokens += call.get("completion_tokens", 0) or 0
            self.totals.cost += call.get("cost", 0.0) or 0.0
        if call["outcome"] in ("ok", "truncated"):
            self.warn_unpriced(call["model"])

    def warn_unpriced(self, model: str) -> None:
        """Once per model: a model the price table lacks is counted as $0."""
        if model not in self.unpriced and not self.prices.known(model):
            self.unpriced.add(model)
            log.warning(
                "No price for model %r: its calls count as $0; give one with --price-in and "
                '--price-out, or [prices."%s"] in the config file.',
                model,
                model,
            )


@dataclass
class Answer:
    """What one HTTP exchange returned, streamed or not, before it is recorded."""

    content: str
    finish_reason: str | None
    usage: tuple[int, int, int] | None  # prompt, completion, cached prompt tokens
    reasoning: str = ""
    headers: Any = None
    streamed: bool = False
    others: list[tuple[str, str | None]] = field(default_factory=list)  # choices after the first


@dataclass
class LLMClient:
    """Adaptive-concurrency chat completions with retries, a cache and a row per call."""

    ledger: Ledger
    base_url: str | None = None
    api_key: str | None = None
    concurrency: int = 8
    options: ClientOptions = field(default_factory=ClientOptions)
    offline: bool = False
    replay_delay: float = 0.0
    budget: Budget = field(default_factory=Budget)
    sleep: Callable[[float], Any] = asyncio.sleep

    def __post_init__(self) -> None:
        self.limit = AdaptiveLimit(self.concurrency, self.pause)
        self._openai = None
        # Set when the job is asked to stop: calls in flight finish and are stored, none
        # starts, and waits (a retry's backoff, a replay's delay) end at once; the slot is
        # left unfinished and a resume replays what was paid for.
        self.stopping = False
        self._stopped = asyncio.Event()
        self.endpoint = (self.base_url or OPENAI_URL).rstrip("/")
        self._capabilities: dict[str, Capabilities] = {}  # model -> what the server takes
        self._confirmed: set[str] = set()  # models whose capabilities a reply confirmed
        self._fixed: dict[str, Any] | None = None
        self._reached = False  # whether the server has answered anything yet
        self.retries = 0  # attempts that were retried, for the progress panel

        if not self.offline:
            import openai

            self._openai = openai.AsyncOpenAI(
                api_key=self.api_key or "not-needed",
                base_url=self.base_url,
                max_retries=0,
                timeout=openai.Timeout(self.options.timeout, connect=self.options.connect_timeout),
            )

    def stop(self) -> None:
        """Let the calls in flight finish; start no other, wait for nothing more."""
        self.stopping = True
        self._stopped.set()

    async def pause(self, seconds: float) -> None:
        """`sleep(seconds)`, ended by `stop()` (then CallFailed: nothing is left to do)."""
        if not self.stopping:
            sleeper = asyncio.ensure_future(self.sleep(seconds))
            stopper = asyncio.ensure_future(self._stopped.wait())
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (sleeper, stopper):
                task.cancel()
        if self.stopping:
            raise CallFailed("stopped", "the job was stopped")

    async def close(self) -> None:
        if self._openai is not None:
            await self._openai.close()

    async def complete(
        self,
        messages: list[dict],
        *,
        model: str,
        purpose: str,
        slot: int | None = None,
        schema: dict | None = None,
        temperature: float = 0.8,
        max_tokens: int = 2048,
        seed: int | None = None,
        top_p: float | None = None,
        stop: list[str] | None = None,
        samples: int = 1,
    ) -> Reply:
        """A reply to `messages`: from the cache if this exact call was made before, else paid
        for (when the budget allows) with retries. `samples` > 1 asks for that many choices
        in one call (`n`); a server that ignores `n` returns one (see `Reply.samples`)."""
        params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            params["seed"] = seed
        # Only when set, so the cache keys of calls made without them stay as they were.
        if top_p is not None:
            params["top_p"] = top_p
        if stop:
            params["stop"] = list(stop)
        if samples > 1:
            params["n"] = samples
        if schema is not None:
            params["schema"] = schema
        key = cache_key(model, messages, params)
        base = {
            "slot": slot,
            "purpose": purpose,
            "model": model,
            "prompt_hash": prompt_hash(messages),
            "cache_key": key,
        }
        hit = self.ledger.cached(key)
        if hit is not None:
            if self.replay_delay:
                await self.pause(self.replay_delay)
            self.ledger.record({**base, "cached": 1, "outcome": "cache_hit", "latency_ms": 0})
            return Reply(
                content=hit["content"],
                finish_reason=hit.get("finish_reason"),
                prompt_tokens=hit.get("prompt_tokens", 0),
                completion_tokens=hit.get("completion_tokens", 0),
                model=model,
                cached=True,
                others=[(o["content"], o.get("finish_reason")) for o in hit.get("others", [])],
                estimated=bool(hit.get("estimated")),
            )
        if self._openai is None:
            self.ledger.record({**base, "outcome": "cache_miss"})
            raise CallFailed("cache_miss", "no recorded reply for this call (offline replay)")
        if self.stopping:
            raise CallFailed("stopped", "the job was stopped before this call")
        return await self._paid(messages, model, params, base)

    # -- capabilities ---------------------------------------------------------------------

    def fixed(self) -> dict[str, Any]:
        """Capabilities the user fixed (never probed): options, else the config file."""
        if self._fixed is None:
            given = self.options.capabilities
            if given is None:
                table = load_config().get("generation", {})
                given = overrides(table if isinstance(table, dict) else {})
            self._fixed = dict(given)
            if not self.options.structured:
                self._fixed["structured"] = "none"
        return self._fixed

    def capabilities(self, model: str) -> Capabilities:
        """What (endpoint, model) takes: learned this run, else remembered, else assumed."""
        if model not in self._capabilities:
            stored = self.ledger.jobs.capabilities(self.endpoint, model)
            caps = Capabilities.from_dict(stored) if stored else Capabilities()
            if stored:
                self._confirmed.add(model)
            self._capabilities[model] = Capabilities.from_dict({**caps.to_dict(), **self.fixed()})
        return self._capabilities[model]

    def _learn(self, model: str, caps: Capabilities) -> None:
        """A reply confirmed `caps`: use them for every later call and remember them."""
        if model in self._confirmed and self._capabilities.get(model) == caps:
            return
        if self._capabilities.get(model) != caps:
            log.info("%s at %s takes %s", model, self.endpoint, caps.to_dict())
        self._capabilities[model] = caps
        self._confirmed.add(model)
        self.ledger.jobs.save_capabilities(self.endpoint, model, caps.to_dict())

    # -- one paid call ----------------------------------------------------------------------

    async def _paid(
        self, messages: list[dict], model: str, params: dict[str, Any], base: dict[str, Any]
    ) -> Reply:
        import openai

        probe: Probe | None = None
        use = self.capabilities(model)
        last_error = "no attempt made"
        attempt = tries = 0
        while True:
            attempt += 1
            admitted = await self.limit.acquire()
            if self.stopping:  # stopped while this call waited for room: it is not sent
                await self.limit.release()
                raise CallFailed("stopped", "the job was stopped before this call")
            # The budget is checked when the call gets its turn, not when it started waiting
            # (calls queued behind a full limit would all be paid past the budget).
            spent = self.budget.spent(self.ledger.totals)
            if spent:
                await self.limit.release()
                raise BudgetExhausted(spent)
            if probe is None:  # what other calls learned while this one waited
                use = self.capabilities(model)
            request = use.request(messages, model, params)
            row: dict[str, Any] = {**base, "try": attempt}
            delay: float | None = None
            started = time.perf_counter()
            try:
                answer = await self._send(request, use)
            except openai.APIStatusError as exc:
                self._reached = True
                status = exc.status_code
                headers = exc.response.headers
                row.update(http_status=status, error=self._short(exc))
                shared = self.capabilities(model)
                if status in (400, 422) and (
                    model not in self._confirmed or use != shared or named_param(exc) in request
                ):
                    probe = probe or Probe(use, frozenset(self.fixed()))
                    changed = probe.next(use, request, exc, shared)
                    if changed is not None:
                        # Refused before any generation: nothing was paid, try what it takes.
                        self._log_failure(row, started, "capability_probe")
                        use = changed
                        continue
                if status in (401, 403):
                    self._log_failure(row, started, "rejected")
                    raise AssayError(
                        f"The server at {self.endpoint} refused the API key (HTTP {status}); "
                        "check OPENAI_API_KEY or --api-key."
                    ) from None
                if status == 404:
                    self._log_failure(row, started, "rejected")
                    raise AssayError(
                        f"The server at {self.endpoint} has no model {model!r} or no "
                        "chat-completions endpoint (HTTP 404)."
                    ) from None
                if status not in RETRYABLE_STATUS and status < 500:
                    self._log_failure(row, started, "rejected")
                    raise CallFailed(
                        "rejected", f"the server rejected the call: {self._short(exc)}"
                    ) from None
                delay = retry_after(headers)
                if status == 429:
                    outcome = "rate_limited"
                    self.limit.refused(admitted, headers, delay)
                else:
                    outcome = "server_error"
            except openai.APIConnectionError as exc:  # APITimeoutError included
                timed_out = isinstance(exc, openai.APITimeoutError)
                outcome = "timeout" if timed_out else "connection_error"
                row["error"] = self._short(exc)
                # A connect that failed or timed out (not a reply that broke off), to a
                # server that never answered.
                never_connected = "Connect" in type(exc.__cause__).__name__
                self._reached |= not never_connected
                if never_connected and not self._reached and tries >= self.options.connect_retries:
                    self._log_failure(row, started, outcome)
                    cause = self._short(exc.__cause__) if exc.__cause__ else "no connection"
                    cause = cause or "no answer to the connection"
                    raise AssayError(
                        f"The server at {self.endpoint} cannot be reached ({cause.rstrip('.')}, "
                        f"{attempt} tries); is it running, and is --base-url right?"
                    ) from None
            except (
                openai.APIResponseValidationError,
                AttributeError,
                IndexError,
                KeyError,
                TypeError,
                ValueError,  # a body that is not JSON at all
            ) as exc:
                self._reached = True
                outcome, row["error"] = "bad_response", self._short(exc)
            else:
                self._reached = True
                self.limit.succeeded(admitted, answer.headers)
                self._learn(model, replace(use, stream=True) if answer.streamed else use)
                return self._succeeded(row, started, request, messages, answer)
            finally:
                await self.limit.release()
            last_error = f"{outcome}: {row.get('error', '')}"
            self._log_failure(row, started, outcome)
            tries += 1
            if tries > self.options.max_retries:
                break
            self.retries += 1
            if delay is None:
                delay = self.backoff(tries)
            else:
                delay = min(delay, self.options.retry_after_max) + random.uniform(0, 0.1)
            log.info("%s call failed (%s); retrying in %.2fs", base["purpose"], outcome, delay)
            await self.pause(delay)
        if last_error.startswith("connection_error"):
            raise AssayError(
                f"The server at {self.endpoint} cannot be reached "
                f"({self.options.max_retries + 1} tries); is it running?"
            )
        raise CallFailed(last_error.split(":", 1)[0], f"gave up after retries ({last_error})")

    async def _send(self, request: dict[str, Any], caps: Capabilities) -> Answer:
        """One HTTP exchange. A plain request is a raw POST read as JSON, or as an SSE body
        when a streaming-only server sends one (that reply is used, not paid for again);
        a streamed request goes through the package's streaming API."""
        openai_client = self._openai
        assert openai_client is not None, "offline calls end at the cache, before any payment"
        if caps.stream:
            return await self._streamed(request)
        # The package's documented raw POST: same client, transport and errors as
        # chat.completions.create, without re-validating our plain-dict params (~2 ms of
        # event-loop time per call at concurrency 32) or the reply.
        response: Any = await openai_client.post(
            "/chat/completions", cast_to=_RESPONSE_CLASS, body=request
        )
        text = response.text
        if "event-stream" in response.headers.get("content-type", "") or text.lstrip().startswith(
            "data:"
        ):
            answer = read_sse(text)
        else:
            answer = read_completion(json.loads(text))
        answer.headers = response.headers
        return answer

    async def _streamed(self, request: dict[str, Any]) -> Answer:
        openai_client = self._openai
        assert openai_client is not None
        raw = await openai_client.chat.completions.with_raw_response.create(**request)
        stream = raw.parse()
        parts: list[str] = []
        thoughts: list[str] = []
        finish: str | None = None
        usage = None
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = _usage(chunk.usage.model_dump())
                for choice in chunk.choices[:1]:
                    delta = choice.delta
                    if delta is not None:
                        parts.append(delta.content or "")
                        thoughts.append(_reasoning(delta.model_dump()))
                    finish = choice.finish_reason or finish
        except _HTTP_ERROR as exc:  # the connection broke off mid-stream: a bad response
            raise ValueError(f"the stream broke off: {exc}") from None
        if finish is None and not parts:
            raise ValueError("an event stream with no completion in it")
        return Answer("".join(parts), finish, usage, "".join(thoughts), raw.headers, True)

    def _short(self, exc: BaseException) -> str:
        """The one place a server's error becomes text (rows, messages, stop reasons): a
        server may echo the API key in its error body, so the key is scrubbed here."""
        return " ".join(scrub(str(exc), self.api_key).split())[:300]

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half to all of base * 2^(attempt-1), capped."""
        ceiling = min(self.options.backoff_max, self.options.backoff_base * 2 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)

    def _succeeded(
        self,
        row: dict[str, Any],
        started: float,
        request: dict,
        messages: list[dict],
        answer: Answer,
    ) -> Reply:
        model = row["model"]
        content, finish_reason = answer.content, answer.finish_reason
        estimated = answer.usage is None
        if answer.usage is None:
            # No usage from the server: count with the model's tokenizer, and say so.
            prompt_tokens = tokens.count_prompt(model, messages)
            completion_tokens = tokens.count_text(model, content + answer.reasoning)
            cached_tokens = 0
        else:
            prompt_tokens, completion_tokens, cached_tokens = answer.usage
        cost = self.ledger.prices.cost(model, prompt_tokens, completion_tokens, cached_tokens)
        response: dict[str, Any] = {
            "content": content,
            "finish_reason": finish_reason,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "estimated": estimated,
        }
        if answer.others:
            response["others"] = [{"content": c, "finish_reason": f} for c, f in answer.others]
        row.update(
            outcome="truncated" if finish_reason == "length" else "ok",
            http_status=200,
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
            estimated=int(estimated),
            cost=cost,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        self.ledger.record(row, (row["cache_key"], request, response))
        return Reply(
            content,
            finish_reason,
            prompt_tokens,
            completion_tokens,
            model,
            cost=cost,
            others=list(answer.others),
            estimated=estimated,
        )

    def _log_failure(self, row: dict[str, Any], started: float, outcome: str) -> None:
        row.update(outcome=outcome, latency_ms=(time.perf_counter() - started) * 1000)
        self.ledger.record(row)


def _http_classes() -> tuple[type, type[Exception]]:
    """The HTTP response and error classes the `openai` package is built on (httpx2 from
    openai 3 on, httpx before)."""
    try:
        import httpx2

        return httpx2.Response, httpx2.HTTPError
    except ImportError:  # openai 1.x and 2.x use httpx
        import httpx

        return httpx.Response, httpx.HTTPError


_RESPONSE_CLASS, _HTTP_ERROR = _http_classes()


def _usage(raw: Any) -> tuple[int, int, int] | None:
    """(prompt, completion, cached prompt) tokens as the server reported them, or None when
    it reported none (missing, null, or all zero as some servers send)."""
    if not isinstance(raw, dict):
        return None
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int) or not prompt + completion:
        return None
    details = raw.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return prompt, completion, cached if isinstance(cached, int) else 0


def _reasoning(message: dict[str, Any]) -> str:
    """The reasoning text a server sends beside the content (vLLM, DeepSeek, Ollama)."""
    value = message.get("reasoning_content") or message.get("reasoning") or ""
    return value if isinstance(value, str) else ""


def read_completion(data: dict[str, Any]) -> Answer:
    """A chat.completion body (KeyError, IndexError or TypeError when it is not one)."""
    choice = data["choices"][0]
    message = choice["message"]
    content = message.get("content") or ""
    if not isinstance(content, str):
        raise TypeError("the reply's content is not text")
    others = [
        (c["message"].get("content") or "", c.get("finish_reason")) for c in data["choices"][1:]
    ]
    return Answer(
        content,
        choice.get("finish_reason"),
        _usage(data.get("usage")),
        _reasoning(message),
        others=others,
    )


def read_sse(text: str) -> Answer:
    """A streamed reply's whole SSE body: the content of its deltas, the last finish reason,
    and the usage of its final chunk when the server sent one."""
    parts: list[str] = []
    thoughts: list[str] = []
    finish: str | None = None
    usage = None
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if not payload or payload == "[DONE]":
            continue
        chunk = json.loads(payload)
        usage = _usage(chunk.get("usage")) or usage
        for choice in (chunk.get("choices") or [])[:1]:
            delta = choice.get("delta") or {}
            parts.append(delta.get("content") or "")
            thoughts.append(_reasoning(delta))
            finish = choice.get("finish_reason") or finish
    if not parts and finish is None:
        raise ValueError("an event stream with no completion in it")
    return Answer("".join(parts), finish, usage, "".join(thoughts), streamed=True)


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` seconds or date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# A window of the key this long is the key: servers echo it whole, cut, or masked in the
# middle ("sk-abc...wxyz" keeps too little to matter).
SECRET_WINDOW = 12


def scrub(text: str, secret: str | None) -> str:
    """`text` with every run of `SECRET_WINDOW` characters of the API key (the whole key,
    or a cut of it) replaced by `***`."""
    if not secret or not text:
        return text
    size = min(len(secret), SECRET_WINDOW)
    hidden = bytearray(len(text))
    for start in range(len(secret) - size + 1):
        window = secret[start : start + size]
        at = text.find(window)
        while at != -1:
            hidden[at : at + size] = b"\x01" * size
            at = text.find(window, at + 1)
    if not any(hidden):
        return text
    out = []
    for k, char in enumerate(text):
        if not hidden[k]:
            out.append(char)
        elif not k or not hidden[k - 1]:
            out.append("***")
    return "".join(out)
