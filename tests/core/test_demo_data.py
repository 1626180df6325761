"""The bundled demo set: every deliberate defect is caught the way DEMO.md says."""

import shutil

import pytest

from core.checking import run_checks
from core.demo import prepare_demo
from core.store import Store

# query_id -> (status, recommendation, a flag code that must be there or None)
DELIBERATE = {
    "demo-006": ("fail", "reject", None),
    "demo-015": ("fail", "reject", None),
    "demo-018": ("unparsable", "reject", "syntax_error"),
    "demo-024": ("unparsable", "reject", None),
    "demo-033": ("pass", "review", "near_duplicate"),
    "demo-010": ("pass", "reject", "placeholder_name"),
    "demo-025": ("pass", "reject", "placeholder_name"),
    "demo-039": ("pass", "reject", "placeholder_name"),
    "demo-029": ("pass", "review", "function_name_mismatch"),
    "demo-037": ("timeout", "review", None),
    "demo-035": ("pass", "reject", "tests_never_call_function"),
    "demo-021": ("pass", "reject", "contamination_humaneval"),
}
NEEDS = {"go": "go", "rust": "rustc"}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    path, report = prepare_demo(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    assert report.imported == 42 and report.errors == []
    with Store(path) as store:
        items = [i for i in store.items() if shutil.which(NEEDS.get(i.language, "true"))]
        results = run_checks(store, items, timeout=5.0)
    return {r["query_id"]: r for r in results}


@pytest.mark.parametrize("query_id", list(DELIBERATE))
def test_each_deliberate_defect_is_caught(checked, query_id):
    if query_id not in checked:
        pytest.skip(f"{query_id} needs a toolchain this machine lacks (go or rustc)")
    status, recommendation, flag = DELIBERATE[query_id]
    result = checked[query_id]
    assert (result["status"], result["recommendation"]) == (status, recommendation)
    if flag:
        assert flag in {f["code"] for f in result["flags"]}


def test_every_good_item_is_accepted(checked):
    good = {q: r for q, r in checked.items() if q not in DELIBERATE}
    assert len(good) >= 24
    assert {
        q: r["recommendation"] for q, r in good.items() if r["recommendation"] != "accept"
    } == {}
