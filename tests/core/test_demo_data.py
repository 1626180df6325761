"""The bundled demo set: every deliberate defect is caught the way DEMO.md says."""

import pytest

from core.checking import run_checks
from core.demo import prepare_demo
from core.store import Store
from sandbox import languages

# query_id -> (status, recommendation, a flag code that must be there or None)
DELIBERATE = {
    "demo-006": ("fail", "reject", None),
    "demo-015": ("fail", "reject", None),
    "demo-018": ("unparsable", "reject", "syntax_error"),
    "demo-024": ("unparsable", "reject", None),
    "demo-033": ("pass", "review", "near_duplicate"),
    # The pair's first member is good, and flagged too: both members of a pair name each
    # other, whichever was checked first.
    "demo-013": ("pass", "review", "near_duplicate"),
    "demo-010": ("pass", "reject", "placeholder_name"),
    "demo-025": ("pass", "reject", "placeholder_name"),
    "demo-039": ("pass", "reject", "placeholder_name"),
    "demo-029": ("pass", "review", "function_name_mismatch"),
    "demo-037": ("timeout", "review", None),
    "demo-035": ("pass", "reject", "tests_never_call_function"),
    "demo-021": ("pass", "reject", "contamination_humaneval"),
}


def runnable(language: str) -> bool:
    """Whether this machine has the item's toolchain (Go comes from PyPI, not PATH)."""
    found = languages.get(language)
    return found is not None and found.toolchain is not None and found.toolchain().available


@pytest.fixture(scope="session")
def checked(built_once):
    """Every demo item checked by the real sandbox and checks, once per test run (~15 s)."""

    def build(path):
        _, report = prepare_demo(str(path))
        assert report.imported == 42 and report.errors == []
        with Store(path) as store:
            items = [i for i in store.items() if runnable(i.language)]
            run_checks(store, items, timeout=5.0)

    with Store(built_once("demo-checked.db", build)) as store:
        return {
            item.query_id: found for item in store.items() if (found := store.check_result(item))
        }


@pytest.mark.parametrize("query_id", list(DELIBERATE))
def test_each_deliberate_defect_is_caught(checked, query_id):
    if query_id not in checked:
        pytest.skip(f"{query_id} needs a toolchain this machine lacks")
    status, recommendation, flag = DELIBERATE[query_id]
    result = checked[query_id]
    assert (result.status, result.recommendation) == (status, recommendation)
    if flag:
        assert flag in result.flag_codes


def test_every_good_item_is_accepted(checked):
    good = {q: r for q, r in checked.items() if q not in DELIBERATE}
    assert len(good) >= 24
    assert {q: r.recommendation for q, r in good.items() if r.recommendation != "accept"} == {}
