"""The offline demo replay, the evolve pipeline, and the tolerant reply parser."""

from __future__ import annotations

import json

from core.generation import attempts_for, demo_config, run_job
from core.generation.parsing import parse_json_object
from core.store import NewItem, Store
from tests.conftest import make_record
from tests.generation.conftest import quick_config
from tests.generation.openai_server import Responder, problem_reply, solution_reply


def test_the_demo_replays_recorded_replies_with_no_network_and_no_key(db_path):
    summary = run_job(db_path, demo_config(replay_delay=0))
    assert summary.state == "done" and summary.replay
    assert (summary.items, summary.passed, summary.unfinished) == (8, 8, 0)
    assert summary.calls == summary.cached_calls and summary.tokens == 0
    with Store(db_path) as store:
        item = store.get("gen-1-0004")
        generation = item.metadata["generation"]
        assert generation["replay"] is True and "replay" in generation["label"]
        # The recording includes a repair after sandbox feedback, replayed too.
        assert [a.status for a in attempts_for(store, "gen-1-0004")] == ["fail", "pass"]


def seed_store(db_path, count=6):
    with Store(db_path) as store:
        for number in range(1, count + 1):
            problem = problem_reply(number)
            code = solution_reply(problem["function_name"], number, wrong=False)
            record = make_record(
                f"seed-{number}",
                function_name=problem["function_name"],
                query_text=problem["query_text"],
                **code,
            )
            store.add_items([NewItem(record)], author="tester")


def test_evolve_grows_colonies_from_seeds(server, db_path):
    seed_store(db_path)
    summary = run_job(
        db_path, quick_config(server, pipeline="evolve", n=5, colonies=3, colony_size=2)
    )
    assert (summary.state, summary.items, summary.passed) == ("done", 5, 5)
    with Store(db_path) as store:
        generated = [i for i in store.items() if i.query_id.startswith("gen-")]
    assert all(i.parents and i.metadata["generation"]["operation"] for i in generated)
    directions = {i.metadata["generation"]["operation"] for i in generated}
    assert directions <= {"mutate:easier", "mutate:equally hard", "mutate:harder", "crossover"}


class CopyingResponder(Responder):
    """A lazy model: every 'new' variant is the seed problem, word for word."""

    def reply(self, schema, first_user, last, messages):
        if "Here is a programming problem" in first_user:
            number = int(first_user.split("add_offset_")[1].split("`")[0])
            return problem_reply(number)
        return super().reply(schema, first_user, last, messages)


def test_evolve_drops_near_duplicates_of_known_items(db_path):
    from tests.generation.openai_server import FakeOpenAI

    seed_store(db_path)
    with FakeOpenAI(responder=CopyingResponder()) as server:
        config = quick_config(server, pipeline="evolve", n=3, colonies=2, colony_size=1)
        summary = run_job(db_path, config)
    assert summary.items == 0 and summary.state == "stopped"
    assert "duplicated" in summary.stop_reason


def test_evolve_without_seeds_is_a_clear_error(server, db_path):
    import pytest

    from core.errors import AssayError

    with pytest.raises(AssayError, match="needs seed items"):
        run_job(db_path, quick_config(server, pipeline="evolve", n=2))


def test_parser_reads_fenced_prose_wrapped_json_and_never_finishes_a_cut_off_one():
    assert parse_json_object('{"a": 1}') == {"a": 1}
    assert parse_json_object('Sure!\n```json\n{"a": "x{y}"}\n```\nDone.') == {"a": "x{y}"}
    assert parse_json_object('The answer is {"a": [1, 2]} as asked.') == {"a": [1, 2]}
    cut = json.dumps({"reference_answer": "def f():\n    return 1", "assertions": "assert f()"})
    assert parse_json_object(cut[:-10]) is None  # a closed-up "assertions": "as" is invented
    assert parse_json_object("no json here") is None
    assert parse_json_object("[1, 2]") is None


def test_parser_skips_reasoning_and_drafts_and_reads_raw_newlines():
    reply = (
        '<think>The user wants {"reference_answer": ...}; maybe {"draft": 1}</think>\n'
        'A first try: {"reference_answer": "x"}\n'
        'Final: {"reference_answer": "def f():\n    return 1", "assertions": "assert f() == 1"}'
    )
    assert parse_json_object(reply, "reference_answer", "assertions") == {
        "reference_answer": "def f():\n    return 1",
        "assertions": "assert f() == 1",
    }
    assert parse_json_object(reply) == {"reference_answer": "x"}
    # vLLM's R1 template drops the opening tag: reasoning, then </think>, then the answer.
    assert parse_json_object('so {"a": 0} is wrong</think>{"a": 2}') == {"a": 2}
    assert parse_json_object("<think>still thinking {") is None
