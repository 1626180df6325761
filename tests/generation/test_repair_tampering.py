"""The repair loop cannot cheat: against the real 127.0.0.1 server, a scripted model whose
repair deletes the failing tests, or rewrites their expected values to what its wrong code
returns, is refused as a repair (a failed attempt, told why) and never becomes the item."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.generation import attempts_for, run_job
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI, Responder

INPUTS = (0, 1, -1, 10, -4)


def checks_for(name: str, expected) -> str:
    return "\n".join(f"assert {name}({x}) == {expected(x)}" for x in INPUTS)


class Cheater(Responder):
    """First attempt: `abs(x) + n` (wrong for negatives, 2 of 5 tests fail). Its repair
    cheats (`how`), then, told why, it fixes the code and keeps every test."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how

    def reply(self, schema: str | None, first_user: str, last: str, messages: list) -> dict:
        if not (first_user.startswith("Solve this") and "write tests" in first_user):
            return super().reply(schema, first_user, last, messages)
        name = re.search(r"`(add_offset_\d+)`", first_user).group(1)  # type: ignore[union-attr]
        n = int(name.rsplit("_", 1)[1])
        wrong = f"def {name}(x: int) -> int:\n    return abs(x) + {n}\n"
        right = f"def {name}(x: int) -> int:\n    return x + {n}\n"
        honest = checks_for(name, lambda x: x + n)
        tries = sum(1 for m in messages if m["role"] == "assistant")
        if tries == 0:
            return {"reference_answer": wrong, "assertions": honest}
        if tries == 1 and self.how == "delete":  # drop the tests the wrong code fails
            kept = [line for line in honest.splitlines() if "(-" not in line]
            return {"reference_answer": wrong, "assertions": "\n".join(kept)}
        if tries == 1 and self.how == "rewrite":  # expect what the wrong code returns
            return {"reference_answer": wrong, "assertions": checks_for(name, lambda x: abs(x) + n)}
        return {"reference_answer": right, "assertions": honest}


def solution_requests(server: FakeOpenAI) -> list[list[dict[str, Any]]]:
    return [
        r["body"]["messages"]
        for r in server.requests
        if r["body"]["messages"][-1]["role"] == "user"
        and "write tests" in r["body"]["messages"][1]["content"]
    ]


CASES = {
    "delete": ("repair deleted tests", "deleted 2 of 5 tests"),
    "rewrite": ("repair changed expected values", "changed the expected value of 2 tests"),
}


@pytest.mark.parametrize("how", sorted(CASES))
def test_a_cheating_repair_is_a_failed_attempt_and_the_honest_fix_is_the_item(db_path, how):
    why, said = CASES[how]
    with FakeOpenAI(responder=Cheater(how)) as server:
        summary = run_job(db_path, quick_config(server, n=1, concurrency=1, iterations=3))
        requests = solution_requests(server)
    with Store(db_path) as store:
        [item] = store.items()
        attempts = attempts_for(store, item.query_id)
    assert [a.status for a in attempts] == ["fail", "fail", "pass"]
    refused = attempts[1]
    assert refused.prompt_summary == f"repair 1: {why} ({said})"
    assert refused.run_result is None  # never run: it is not a repair
    assert f"Your repair was refused: it {said}" in refused.feedback
    assert "-assert" in refused.feedback  # the model sees how its tests changed
    # the model is told why, in the conversation of its next attempt
    assert requests[-1][-1]["content"] == refused.feedback
    # the item is the honest fix, with every original test
    assert item.metadata["generation"]["outcome"] == "pass"
    assert "return x + " in item.reference_answer
    assert item.assertions.count("assert ") == 5 and "(-4) == " in item.assertions
    assert summary.passed == 1


@pytest.mark.parametrize("how", sorted(CASES))
def test_when_only_the_cheat_passes_the_item_is_the_failing_attempt(db_path, how):
    with FakeOpenAI(responder=Cheater(how)) as server:
        run_job(db_path, quick_config(server, n=1, concurrency=1, iterations=2))
    with Store(db_path) as store:
        [item] = store.items()
        attempts = attempts_for(store, item.query_id)
    assert [a.status for a in attempts] == ["fail", "fail"]
    assert item.metadata["generation"]["outcome"] == "fail"
    assert "abs(x)" in item.reference_answer
    n = int(item.function_name.rsplit("_", 1)[1])
    assert item.assertions == checks_for(item.function_name, lambda x: x + n)  # not the cheat's
