"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests and the benchmark.

It answers like a small, well-behaved model: a Python problem for "Problem number N", a
solution with tests for it (wrong on the first try for some N, so feedback matters), and
sensible replies for the optional steps. A script of faults (429 with Retry-After, 500,
slow replies, non-JSON bodies, truncated replies) is served first, one per request.

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
    ):
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
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
            entry = {"body": body, "headers": headers, "status": 200, "billed": False}
            self.requests.append(entry)
            hold = self.hold_after is not None and len(self.requests) > self.hold_after
            self.held += hold
        if hold:
            self.released.wait()
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
        prompt_tokens = max(1, len(json.dumps(body.get("messages", []))) // 4)
        completion_tokens = max(1, len(content) // 4)
        entry["usage"] = (prompt_tokens, completion_tokens)
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
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return 200, {}, json.dumps(completion), delay

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
        if status == 200:
            self.fake.bill(body)

    def _send(self, status: int, headers: dict[str, str], text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeOpenAI(latency=args.latency).start(args.port)
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
