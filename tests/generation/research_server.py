"""Server behaviours the research-control tests need, on top of openai_server.FakeOpenAI.

- `ChoicesServer`: honours `n` (several choices per call, billed for all of them), as OpenAI
  and vLLM do; the plain FakeOpenAI ignores `n`, as Ollama and llama.cpp do.
- `RepeatingResponder`: a model that writes the same problem for every slot unless it is
  sampled with a seed, so within-job duplicates happen and a resample cures them.
- `TesterResponder`: also answers the `tests` step's prompt (tests from the statement).
- `SeededResponder`: mutation and crossover variants that depend on the sampling seed, as a
  real model's do (the plain responder's depend on the prompt only).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.generation.openai_server import FakeOpenAI, Responder, problem_reply, variant_reply


class RepeatingResponder(Responder):
    """Problem statements: problem 7 for every slot without a seed; with a seed, a variant
    of its own per slot and seed."""

    def __call__(self, request: dict[str, Any]) -> str:
        messages = request.get("messages", [])
        first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
        if "Write one new programming problem" in first_user:
            seed = request.get("seed")
            if seed is None:
                return json.dumps(problem_reply(7))
            number = int(first_user.split("Problem number ", 1)[1].split()[0])
            return json.dumps(variant_reply(100 + number * 10 + int(seed)))
        return super().__call__(request)


class SeededResponder(Responder):
    """Variants that change with the request's `seed`, like a sampling model's."""

    def __call__(self, request: dict[str, Any]) -> str:
        messages = request.get("messages", [])
        first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
        variant = first_user.startswith(("Here is a programming problem", "Here are programming"))
        if variant and request.get("seed") is not None:
            return json.dumps(variant_reply(1000 + int(request["seed"]) % 100_000))
        return super().__call__(request)


class TesterResponder(Responder):
    """Answers "Write tests for this ..." with three tests of add_offset_N of its own."""

    __test__ = False  # a server's responder, not a test class (pytest collects Test*)

    def __call__(self, request: dict[str, Any]) -> str:
        messages = request.get("messages", [])
        first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
        if first_user.startswith("Write tests for this"):
            name = re.search(r"`(add_offset_(\d+))`", first_user)
            assert name, first_user
            offset = int(name.group(2))
            tests = [f"assert {name.group(1)}({x}) == {x + offset}" for x in (7, 100, -50)]
            return json.dumps({"assertions": "\n".join(tests)})
        return super().__call__(request)


class ChoicesServer(FakeOpenAI):
    """A FakeOpenAI that answers `n` > 1 with n choices (each the responder's reply)."""

    def serve(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict, str, float]:
        status, out_headers, text, delay = super().serve(body, headers)
        wanted = int(body.get("n") or 1)
        if status != 200 or wanted <= 1:
            return status, out_headers, text, delay
        completion = json.loads(text)
        first = completion["choices"][0]
        completion["choices"] = [{**first, "index": i} for i in range(wanted)]
        with self.lock:
            entry = next(r for r in reversed(self.requests) if r["body"] is body)
            prompt, completion_tokens = entry["usage"]
            entry["usage"] = (prompt, completion_tokens * wanted)
        completion["usage"]["completion_tokens"] = completion_tokens * wanted
        completion["usage"]["total_tokens"] = prompt + completion_tokens * wanted
        return status, out_headers, json.dumps(completion), delay
