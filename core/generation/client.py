"""The LLM client: any OpenAI-compatible chat-completions server, through the `openai` package.

Retries (exponential backoff with jitter, `Retry-After` honoured) are ours, not the package's,
so that every HTTP attempt becomes a row in `llm_calls` with what the server reported. Every
reply paid for is cached under a key of model, messages and parameters before anyone uses it.
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
from dataclasses import dataclass, field
from typing import Any

from core.errors import AssayError
from core.generation.parsing import parse_json_object
from core.generation.prices import PriceTable
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
    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_after_max: float = 600.0
    structured: bool = True


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
            self.totals.prompt_tokens += call.get("prompt_tokens", 0) or 0
            self.totals.completion_tokens += call.get("completion_tokens", 0) or 0
            self.totals.cost += call.get("cost", 0.0) or 0.0


@dataclass
class LLMClient:
    """Bounded-concurrency chat completions with retries, a cache and a row per call."""

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
        self._semaphore = asyncio.Semaphore(max(1, self.concurrency))
        self._openai = None
        # Set when the job is asked to stop: calls in flight finish and are stored, none
        # starts, and waits (a retry's backoff, a replay's delay) end at once; the slot is
        # left unfinished and a resume replays what was paid for.
        self.stopping = False
        self._stopped = asyncio.Event()

        if not self.offline:
            import openai

            self._openai = openai.AsyncOpenAI(
                api_key=self.api_key or "not-needed",
                base_url=self.base_url,
                max_retries=0,
                timeout=self.options.timeout,
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
            )
        if self._openai is None:
            self.ledger.record({**base, "outcome": "cache_miss"})
            raise CallFailed("cache_miss", "no recorded reply for this call (offline replay)")
        async with self._semaphore:
            if self.stopping:
                raise CallFailed("stopped", "the job was stopped before this call")
            reason = self.budget.spent(self.ledger.totals)
            if reason:
                raise BudgetExhausted(reason)
            return await self._paid(messages, model, params, base)

    async def _paid(
        self, messages: list[dict], model: str, params: dict[str, Any], base: dict[str, Any]
    ) -> Reply:
        import openai
        from openai.types.chat import ChatCompletion

        openai_client = self._openai
        assert openai_client is not None, "offline calls end at the cache, before any payment"
        last_error = "no attempt made"
        for attempt in range(1, self.options.max_retries + 2):
            request = self._request(messages, model, params)
            started = time.perf_counter()
            delay: float | None = None
            row: dict[str, Any] = {**base, "try": attempt}
            try:
                # The package's documented raw POST: same client, transport and errors as
                # chat.completions.create, without re-validating our plain-dict params, which
                # cost ~2 ms of event-loop time per call at concurrency 32.
                completion = await openai_client.post(
                    "/chat/completions", cast_to=ChatCompletion, body=request
                )
                choice = completion.choices[0]
                others: list[tuple[str, str | None]] = [
                    (c.message.content or "", c.finish_reason) for c in completion.choices[1:]
                ]
                content = choice.message.content or ""
                finish_reason = choice.finish_reason
                usage = completion.usage
            except openai.APIStatusError as exc:
                status = exc.status_code
                row.update(http_status=status, error=self._short(exc))
                if status == 400 and "response_format" in request and _mentions_format(exc):
                    # The server has no structured outputs: ask in plain JSON from now on.
                    self.options.structured = False
                    self._log_failure(row, started, "format_unsupported")
                    continue
                if status in (401, 403):
                    self._log_failure(row, started, "rejected")
                    raise AssayError(
                        f"The server refused the API key (HTTP {status}); check OPENAI_API_KEY "
                        "or --api-key."
                    ) from None
                if status == 404:
                    self._log_failure(row, started, "rejected")
                    raise AssayError(
                        f"The server has no model {model!r} or no chat-completions endpoint "
                        f"(HTTP 404 at {self.base_url or 'api.openai.com'})."
                    ) from None
                if status not in RETRYABLE_STATUS and status < 500:
                    self._log_failure(row, started, "rejected")
                    raise CallFailed(
                        "rejected", f"the server rejected the call: {self._short(exc)}"
                    ) from None
                outcome = "rate_limited" if status == 429 else "server_error"
                delay = retry_after(exc.response.headers)
            except openai.APITimeoutError as exc:
                outcome, row["error"] = "timeout", self._short(exc)
            except openai.APIConnectionError as exc:
                outcome, row["error"] = "connection_error", self._short(exc)
            except (
                openai.APIResponseValidationError,
                AttributeError,
                IndexError,
                TypeError,
                ValueError,  # a body that is not JSON at all
            ) as exc:
                outcome, row["error"] = "bad_response", self._short(exc)
            else:
                return self._succeeded(row, started, request, content, finish_reason, usage, others)
            last_error = f"{outcome}: {row.get('error', '')}"
            self._log_failure(row, started, outcome)
            if attempt > self.options.max_retries:
                break
            if delay is None:
                delay = self.backoff(attempt)
            else:
                delay = min(delay, self.options.retry_after_max) + random.uniform(0, 0.1)
            log.info("%s call failed (%s); retrying in %.2fs", base["purpose"], outcome, delay)
            await self.pause(delay)
        if last_error.startswith("connection_error"):
            raise AssayError(
                f"The server at {self.base_url or 'api.openai.com'} cannot be reached "
                f"({self.options.max_retries + 1} tries); is it running?"
            )
        raise CallFailed(last_error.split(":", 1)[0], f"gave up after retries ({last_error})")

    def _short(self, exc: Exception) -> str:
        """The one place a server's error becomes text (rows, messages, stop reasons): a
        server may echo the API key in its error body, so the key is scrubbed here."""
        return " ".join(scrub(str(exc), self.api_key).split())[:300]

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half to all of base * 2^(attempt-1), capped."""
        ceiling = min(self.options.backoff_max, self.options.backoff_base * 2 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)

    def _request(self, messages: list[dict], model: str, params: dict[str, Any]) -> dict:
        request: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": params["temperature"],
            "max_tokens": params["max_tokens"],
        }
        for name in ("seed", "top_p", "stop", "n"):
            if name in params:
                request[name] = params[name]
        schema = params.get("schema")
        if schema is not None and self.options.structured:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema.get("title", "reply"), "schema": schema},
            }
        return request

    def _succeeded(
        self,
        row: dict[str, Any],
        started: float,
        request: dict,
        content: str,
        finish_reason: str | None,
        usage: Any,
        others: list[tuple[str, str | None]] | None = None,
    ) -> Reply:
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        model = row["model"]
        cost = self.ledger.prices.cost(model, prompt_tokens, completion_tokens)
        response: dict[str, Any] = {
            "content": content,
            "finish_reason": finish_reason,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }
        if others:
            response["others"] = [{"content": c, "finish_reason": f} for c, f in others]
        row.update(
            outcome="truncated" if finish_reason == "length" else "ok",
            http_status=200,
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
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
            others=list(others or []),
        )

    def _log_failure(self, row: dict[str, Any], started: float, outcome: str) -> None:
        row.update(outcome=outcome, latency_ms=(time.perf_counter() - started) * 1000)
        self.ledger.record(row)


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


def _mentions_format(exc: Exception) -> bool:
    text = str(exc).lower()
    return "response_format" in text or "json_schema" in text or "structured" in text


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
