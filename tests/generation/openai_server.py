"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests and the benchmark.

It answers like a small, well-behaved model: a Python problem for "Problem number N", a
solution with tests for it (wrong on the first try for some N, so feedback matters), and
sensible replies for the optional steps. A script of faults (429 with Retry-After, 500,
slow replies, non-JSON bodies, truncated replies) is served first, one per request.

Behaviours of the servers people run (`Behaviour`, and the presets in `SERVERS`): OpenAI's
reasoning models (400 naming `max_tokens` / `temperature`), vLLM's context limit, Ollama's
json_object without json_schema and without usage, reasoning output (`<think>` blocks or
`reasoning_content`), a streaming-only proxy (an SSE body to a plain request, or a 400),
and a server that limits concurrency (429 with Retry-After, `x-ratelimit-*` headers).

Run standalone (the benchmark does): python -m tests.generation.openai_server --latency 0.2
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """One scripted misbehaviour, served to the next request instead of a good reply."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # raw body instead of a completion
    delay: float = 0.0
    content: str | None = None  # completion content instead of the good one
    finish_reason: str = "stop"
    cut: bool = False  # the connection closes halfway through the (good) reply


def problem_reply(number: int) -> dict[str, str]:
    name = f"add_offset_{number}"
    return {
        "function_name": name,
        "query_text": f"Write a Python function named `{name}` that takes an integer `x` and "
        f"returns `x + {number}`. Negative numbers and zero are valid inputs. "
        f"Language: Python. Function name: {name}",
    }


SCENES = (
    "A warehouse robot shifts every shelf label by this amount before printing it.",
    "Game scores are adjusted by a fixed handicap after each tournament round.",
    "Calendar days are moved forward when a festival is postponed.",
    "A thermostat calibration offset is applied to raw sensor readings.",
    "Ticket numbers are renumbered when two queues merge at a counter.",
    "Page numbers in a reprinted book start after the new preface.",
    "Elevator floor buttons are relabelled after a basement is added.",
)


def variant_reply(number: int) -> dict[str, str]:
    """A differently worded problem (what mutation and crossover return)."""
    name = f"add_offset_{number}"
    scene = SCENES[number % len(SCENES)]
    return {
        "function_name": name,
        "query_text": f"{scene} Implement `{name}(x)`, which receives that integer and gives "
        f"back the value increased by exactly {number}; zero and negatives are allowed. "
        f"Language: Python. Function name: {name}",
    }


def solution_reply(name: str, number: int, *, wrong: bool) -> dict[str, str]:
    body = f"return x + {number + 1 if wrong else number}"
    return {
        "reference_answer": f"def {name}(x: int) -> int:\n    {body}\n",
        "assertions": "\n".join(
            f"assert {name}({x}) == {x + number}" for x in (0, 1, -1, 10, -number)
        ),
    }


@dataclass
class Behaviour:
    """How a kind of server differs from the plain OpenAI-like one."""

    usage: bool = True  # False: no `usage` at all (Ollama, some proxies)
    refuses: frozenset[str] = frozenset()  # parameters answered with a 400 naming them
    json_object_only: bool = False  # response_format json_object yes, json_schema a 400
    reasoning: str | None = None  # "think": <think> blocks in content; "field": reasoning_content
    stream_only: str | None = None  # plain requests get "sse" (an SSE body) or "error" (a 400)
    context_limit: int | None = None  # prompts longer than this (in ~tokens) get a 400
    max_in_flight: int | None = None  # more requests at once than this get a 429
    ratelimit_headers: bool = False  # x-ratelimit-limit/remaining-requests on every answer
    retry_after_ms: int = 100  # on those 429s
    tokenizer_usage: bool = False  # usage counted with o200k_base, as OpenAI counts it


SERVERS: dict[str, Behaviour] = {
    "openai": Behaviour(),
    "openai-reasoning": Behaviour(refuses=frozenset({"max_tokens", "temperature"})),
    "vllm": Behaviour(context_limit=3000),
    "ollama": Behaviour(json_object_only=True, usage=False),
    "reasoning-think": Behaviour(reasoning="think"),
    "reasoning-field": Behaviour(reasoning="field", usage=False),
    "stream-only-sse": Behaviour(stream_only="sse"),
    "stream-only-error": Behaviour(stream_only="error"),
    "rate-limited": Behaviour(max_in_flight=32, ratelimit_headers=True),
    "rate-limited-bare": Behaviour(max_in_flight=32),
}

THINKING = "<think>The reply is a JSON object such as {} with the fields asked for.</think>\n"


class Responder:
    """The good replies, chosen from what the request asks for."""

    def __init__(self, *, wrong_first_every: int = 3, plain: bool = False):
        self.wrong_first_every = wrong_first_every
        self.plain = plain

    def __call__(self, request: dict[str, Any]) -> str:
        messages = request.get("messages", [])
        last = messages[-1]["content"] if messages else ""
        first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
        schema = ((request.get("response_format") or {}).get("json_schema") or {}).get("name")
        reply = self.reply(schema, first_user, last, messages)
        text = json.dumps(reply)
        if self.plain or "response_format" not in request:
            # What servers without structured outputs send: prose and a fenced block.
            return f"Here is the result:\n```json\n{text}\n```\n"
        return text

    def reply(self, schema: str | None, first_user: str, last: str, messages: list) -> dict:
        number = _number(first_user)
        if "Rewrite the statement" in first_user:
            return {
                "query_text": f"{_statement(first_user)} If x is not an integer, raise TypeError."
            }
        if (
            "Here is a programming problem" in first_user
            or "Here are programming problems" in first_user
        ):
            seed_number = _number(first_user, r"add_offset_(\d+)") or 1
            variant = seed_number * 100 + len(first_user) % 97
            return variant_reply(variant)
        if "Write one new programming problem" in first_user or schema == "problem":
            return problem_reply(number)
        name_match = re.search(r"`(add_offset_\d+)`", first_user)
        name = name_match.group(1) if name_match else "add_offset_1"
        offset = int(name.rsplit("_", 1)[1])
        if first_user.startswith("Solve this") and "write tests" in first_user:
            tries = sum(1 for m in messages if m["role"] == "assistant")
            wrong = tries == 0 and offset % self.wrong_first_every == 0
            return solution_reply(name, offset, wrong=wrong)
        if "Label this programming problem" in first_user:
            return {"topics": ["arrays", "number theory", "not in the bank"]}
        if "reviewing a benchmark item" in first_user:
            return {"specified": True, "reason": "The statement states the exact formula."}
        if first_user.startswith("Solve this"):
            return {"solution": f"def {name}(x):\n    return x + {offset}\n"}
        return {"error": "unknown request"}


def _tokenizer_usage(body: dict[str, Any], content: str) -> tuple[int, int]:
    """What an OpenAI server bills: each message's text in o200k_base plus 4 tokens of framing
    (the older cookbook's count, written apart from the client's), 2 to prime the reply."""
    import bpe_openai

    encoding = bpe_openai.get_encoding("o200k_base")
    messages = body.get("messages", [])
    prompt = 2 + sum(4 + len(encoding.encode_ordinary(m.get("content") or "")) for m in messages)
    return prompt, len(encoding.encode_ordinary(content))


def _error(message: str, *, param: str | None = None) -> str:
    return json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": param}}
    )


def _sse_chunks(
    model: str, content: str, finish: str, thinking: str | None, usage: dict | None
) -> str:
    """A streamed completion as an SSE body: a role delta, the content in pieces, the finish
    reason, the usage chunk when asked for, then [DONE]."""

    def chunk(delta: dict, finish_reason: str | None = None, **extra: Any) -> str:
        choices = (
            [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        )
        body = {
            "id": "chatcmpl-stream",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    if thinking:
        events.append(chunk({"reasoning_content": thinking}))
    events += [chunk({"content": content[i : i + 40]}) for i in range(0, len(content), 40)]
    events.append(chunk({}, finish))
    if usage is not None:
        events.append(chunk(None, usage=usage))  # type: ignore[arg-type]
    events.append("data: [DONE]\n\n")
    return "".join(events)


def _number(text: str, pattern: str = r"Problem number (\d+)") -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def _statement(prompt: str) -> str:
    match = re.search(r"Write a Python function.*?Function name: \w+", prompt, re.DOTALL)
    return match.group(0) if match else prompt


class FakeOpenAI:
    """The server: start() it, point the client at `.url`, inspect `.requests` afterwards."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        responder: Responder | None = None,
        faults: list[Fault] | None = None,
        structured: bool = True,
        model_prefix: str = "",
        hold_after: int | None = None,
        behaviour: Behaviour | None = None,
    ):
        self.behaviour = behaviour or Behaviour()
        self.in_flight = 0
        self.rate_limited = 0
        self.latency = latency
        # Requests after the first `hold_after` wait until `release()`: a job stalls there.
        self.hold_after = hold_after
        self.released = threading.Event()
        self.held = 0
        self.responder = responder or Responder()
        self.faults: deque[Fault] = deque(faults or [])
        self.structured = structured
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # every request: body, headers, status served
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self, port: int = 0) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = _Server(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def release(self) -> None:
        """Let held requests (and every later one) through."""
        self.released.set()

    def answered(self) -> list[dict[str, Any]]:
        """Requests that got a good completion (the ones a real server would bill)."""
        return [r for r in self.requests if r["status"] == 200 and r.get("billed")]

    def serve(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict, str, float]:
        cut: list[bool] = []
        status, headers, text, delay = self._serve(body, headers, cut)
        if cut and cut[0] and status == 200:
            headers = {**headers, "X-Test-Cut": "1"}
        return status, headers, text, delay

    def _serve(
        self, body: dict[str, Any], headers: dict[str, str], cut: list[bool]
    ) -> tuple[int, dict, str, float]:
        way = self.behaviour
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
            entry = {"body": body, "headers": headers, "status": 200, "billed": False}
            self.requests.append(entry)
            hold = self.hold_after is not None and len(self.requests) > self.hold_after
            self.held += hold
            self.in_flight += 1
            cut.append(bool(fault and fault.cut))
            crowded = way.max_in_flight is not None and self.in_flight > way.max_in_flight
            limits: dict[str, str] = {}
            if way.ratelimit_headers and way.max_in_flight is not None:
                limits = {
                    "x-ratelimit-limit-requests": str(way.max_in_flight),
                    "x-ratelimit-remaining-requests": str(
                        max(0, way.max_in_flight - self.in_flight)
                    ),
                }
        if hold:
            self.released.wait()
        if crowded:
            entry["status"] = 429
            self.rate_limited += 1
            retry = {"retry-after-ms": str(way.retry_after_ms), **limits}
            return 429, retry, _error("too many requests in flight"), 0.0
        refused = self.refusal(body)
        if refused is not None:
            entry["status"] = 400
            return 400, limits, refused, self.latency / 10
        delay = self.latency + (fault.delay if fault else 0.0)
        if fault and fault.status != 200:
            entry["status"] = fault.status
            error = {"error": {"message": f"scripted {fault.status}", "type": "server_error"}}
            return fault.status, fault.headers, fault.body or json.dumps(error), delay
        if fault and fault.body is not None:
            return 200, fault.headers, fault.body, delay
        if "response_format" in body and not self.structured:
            entry["status"] = 400
            error = {"error": {"message": "response_format json_schema is not supported"}}
            return 400, {}, json.dumps(error), delay
        content = fault.content if fault and fault.content is not None else self.responder(body)
        finish = fault.finish_reason if fault else "stop"
        thinking = "I should answer with the JSON object the user asked for."
        if way.reasoning == "think":
            content = THINKING + content
        prompt_tokens = max(1, len(json.dumps(body.get("messages", []))) // 4)
        completion_tokens = max(1, len(content) // 4)
        if way.tokenizer_usage:
            prompt_tokens, completion_tokens = _tokenizer_usage(body, content)
        entry["usage"] = (prompt_tokens, completion_tokens)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if body.get("stream") or way.stream_only == "sse":
            include = (body.get("stream_options") or {}).get("include_usage")
            chunks = _sse_chunks(
                body.get("model", "test-model"),
                content,
                finish,
                thinking if way.reasoning == "field" else None,
                usage if include and way.usage else None,
            )
            return 200, {"Content-Type": "text/event-stream", **limits}, chunks, delay
        completion = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "test-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                }
            ],
        }
        if way.usage:
            completion["usage"] = usage
        if way.reasoning == "field":
            completion["choices"][0]["message"]["reasoning_content"] = thinking
        return 200, limits, json.dumps(completion), delay

    def refusal(self, body: dict[str, Any]) -> str | None:
        """The 400 body this kind of server answers `body` with, or None."""
        way = self.behaviour
        for param in sorted(way.refuses):
            if param in body:
                return _error(f"Unsupported parameter: '{param}'.", param=param)
        kind = (body.get("response_format") or {}).get("type")
        if way.json_object_only and kind == "json_schema":
            return _error("invalid format")  # Ollama names nothing
        if way.stream_only == "error" and not body.get("stream"):
            return _error("this endpoint only streams")
        if way.context_limit is not None:
            size = len(json.dumps(body.get("messages", []))) // 4
            if size + int(body.get("max_tokens") or body.get("max_completion_tokens") or 0) > (
                way.context_limit
            ):
                return _error(f"This model's maximum context length is {way.context_limit} tokens.")
        return None

    def finished(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def bill(self, body: dict[str, Any]) -> None:
        """Count a reply's usage once it reached the client (a client that timed out is gone)."""
        with self.lock:
            entry = next(r for r in reversed(self.requests) if r["body"] is body)
            if "usage" in entry and not entry["billed"]:
                entry["billed"] = True
                self.prompt_tokens += entry["usage"][0]
                self.completion_tokens += entry["usage"][1]


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops connections when 32 clients connect at once
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    fake: FakeOpenAI

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length)
        if not self.path.endswith("/chat/completions"):
            self._send(404, {}, json.dumps({"error": {"message": "not found"}}))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, {}, json.dumps({"error": {"message": "bad json"}}))
            return
        try:
            status, headers, text, delay = self.fake.serve(
                body, {k.lower(): v for k, v in self.headers.items()}
            )
            if delay:
                time.sleep(delay)
            try:
                self._send(status, headers, text)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (a timeout test)
        finally:
            self.fake.finished()
        if status == 200:
            self.fake.bill(body)

    def _send(self, status: int, headers: dict[str, str], text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        headers = dict(headers)
        cut = headers.pop("X-Test-Cut", None) is not None
        if cut:  # half the reply, then the connection closes: the client sees a broken body
            data, self.close_connection = data[: len(data) // 2], True
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data) * 2 + 1 if cut else len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--behaviour", choices=sorted(SERVERS), default="openai")
    args = parser.parse_args()
    server = FakeOpenAI(latency=args.latency, behaviour=SERVERS[args.behaviour]).start(args.port)
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
