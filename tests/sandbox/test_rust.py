"""Rust test shapes through the real sandbox and the real rustc."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import sandbox
from sandbox.languages import rust, toolchains


@pytest.fixture(autouse=True)
def needs_rustc() -> None:
    status = toolchains()["rust"]
    if not status["available"]:
        pytest.skip(f"rust toolchain missing: {status['reason']}")


ADD = (
    "fn main(){}\nuse std::collections::HashMap;\n\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"
)
WRONG_ADD = ADD.replace("a + b", "a - b")

MODULE = """
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_add() {
        assert_eq!(add(1, 2), 3);
        assert!(add(2, 2) == 4);
    }

    #[test]
    fn test_guarded() {
        if add(0, 0) != 0 {
            panic!("zero");
        }
    }
}
"""


def statuses(result: sandbox.RunResult) -> dict[str, str]:
    return {t.name: t.status for t in result.tests}


def test_test_module_runs_each_test_and_fails_a_wrong_solution() -> None:
    result = sandbox.run("rust", ADD, MODULE)
    assert result.status == "pass", (result.reason, result.stderr_tail)
    assert statuses(result) == {"tests::test_add": "pass", "tests::test_guarded": "pass"}
    assert all(t.duration > 0 for t in result.tests)
    wrong = sandbox.run("rust", WRONG_ADD, MODULE)
    assert wrong.status == "fail"
    assert wrong.tests[0].status == "fail" and "left: -1" in wrong.tests[0].message


def test_bare_statements_with_setup_and_a_panic_guard() -> None:
    tests = (
        "assert_eq!(add(1, 2), 3);\n"
        "let r = add(2, 2);\n"
        'if r != 4 { panic!("Failed") }\n'
        'let words = vec!["a; b", "}"];\n'
        "assert_eq!(words.len(), 2)"
    )
    result = sandbox.run("rust", ADD, tests)
    assert result.status == "pass", (result.reason, [t.message for t in result.tests])
    assert [t.name for t in result.tests] == [
        "assert_eq!(add(1, 2), 3);",
        'if r != 4 { panic!("Failed") }',
        "assert_eq!(words.len(), 2)",
    ]
    assert sandbox.run("rust", WRONG_ADD, tests).status == "fail"


def test_should_panic_ignore_and_result_tests_keep_libtest_meaning() -> None:
    tests = """
mod tests {
    use super::*;
    #[test]
    #[should_panic(expected = "overflow")]
    fn test_expected_panic() { let _ = add(i32::MAX, 1); }
    #[test]
    #[should_panic(expected = "nothing like it")]
    fn test_other_panic() { let _ = add(i32::MAX, 1); }
    #[test]
    #[should_panic]
    fn test_no_panic() { assert_eq!(add(1, 1), 2); }
    #[test]
    #[ignore]
    fn test_ignored() { assert_eq!(add(1, 1), 3); }
    #[test]
    fn test_result() -> Result<(), String> {
        if add(1, 1) == 2 { Err("two".to_string()) } else { Ok(()) }
    }
}
"""
    result = sandbox.run("rust", ADD, tests)
    assert statuses(result) == {
        "tests::test_expected_panic": "pass",
        "tests::test_other_panic": "fail",
        "tests::test_no_panic": "fail",
        "tests::test_ignored": "skipped",
        "tests::test_result": "fail",
    }
    assert result.status == "fail"
    messages = {t.name: t.message for t in result.tests}
    assert "two" in messages["tests::test_result"]
    assert "did not panic" in messages["tests::test_no_panic"]


@pytest.mark.parametrize(
    "tests",
    [
        pytest.param("// assert_eq!(add(1, 2), 3);\n", id="comment-only"),
        pytest.param("/*\n" + MODULE + "*/\n", id="module-commented-out"),
        pytest.param('println!("assert_eq!(add(1, 2), 3)");\n', id="a-print"),
        pytest.param('assert!(true);\nassert_eq!(1, 1, "placeholder");\n', id="placeholders"),
        pytest.param(
            "mod tests {\n    use super::*;\n    #[test]\n    fn test_add() { let _ = add(1, 2); }\n}\n",
            id="test-without-assert",
        ),
        pytest.param(MODULE.replace("#[cfg(test)]", '#[cfg(feature = "slow")]'), id="cfg-out"),
        pytest.param(
            "#[test]\n#[ignore]\nfn test_add() { assert_eq!(add(1, 2), 3); }\n", id="all-ignored"
        ),
        pytest.param(
            "#[test]\nfn test_loop() { for x in Vec::<i32>::new() { assert_eq!(add(x, 0), x); } }\n",
            id="assert-never-reached",
        ),
    ],
)
def test_a_test_that_evaluated_no_assertion_is_an_error(tests: str) -> None:
    result = sandbox.run("rust", ADD, tests)
    assert result.status == "error", (result.reason, statuses(result), result.stderr_tail)
    assert "no assertion was evaluated" in result.reason or "compiled out" in result.reason


def test_unwraps_and_helpers_that_assert_are_checks() -> None:
    tests = """
fn check(a: i32, b: i32, want: i32) {
    if add(a, b) != want {
        panic!("add({}, {})", a, b);
    }
}
fn check_all(cases: &[(i32, i32, i32)]) {
    for &(a, b, want) in cases {
        check(a, b, want);
    }
}
#[test]
fn test_parse() {
    let n: i32 = "3".parse().unwrap();
    let _ = add(n, 1);
}
#[test]
fn test_helper() {
    check(1, 2, 3);
}
#[test]
fn test_helper_with_nothing_to_check() {
    check_all(&[]);
}
"""
    result = sandbox.run("rust", ADD, tests)
    assert statuses(result) == {
        "test_parse": "pass",
        "test_helper": "pass",
        "test_helper_with_nothing_to_check": "error",
    }
    assert result.status == "error"
    bare = sandbox.run("rust", WRONG_ADD, tests.split("#[test]")[0] + "check(1, 2, 3);\n")
    assert (bare.status, bare.tests[0].name) == ("fail", "check(1, 2, 3);")


def test_a_test_program_with_its_own_main_reports_each_check() -> None:
    tests = (
        "fn expect(got: i32, want: i32) { assert_eq!(got, want); }\n"
        "fn main() {\n    let candidate = add;\n    assert_eq!(candidate(2, 3), 5);\n"
        "    expect(candidate(0, 0), 0);\n}\n"
    )
    result = sandbox.run("rust", ADD, tests)
    assert result.status == "pass", (result.reason, result.stderr_tail)
    assert [t.name for t in result.tests] == [
        "assert_eq!(candidate(2, 3), 5);",
        "expect(candidate(0, 0), 0);",
    ]
    assert statuses(sandbox.run("rust", WRONG_ADD, tests)) == {
        "assert_eq!(candidate(2, 3), 5);": "fail",
        "expect(candidate(0, 0), 0);": "pass",
    }
    returns = "fn main() -> Result<(), String> {\n    assert_eq!(add(2, 3), 5);\n    Ok(())\n}\n"
    result = sandbox.run("rust", ADD, returns)
    assert (result.status, [t.name for t in result.tests]) == ("pass", ["main"])


def test_tests_that_close_the_solutions_function() -> None:
    # MultiPL-E: the prompt opens the function, the tests begin with its closing brace
    solution = "/// Add two numbers\nfn add(a: isize, b: isize) -> isize {\n    a + b\n"
    tests = "}\n\nfn main() {\n    let candidate = add;\n    assert_eq!(candidate(1, 2), 3);\n}\n"
    result = sandbox.run("rust", solution, tests)
    assert (result.status, result.total) == ("pass", 1), (result.reason, result.stderr_tail)


def test_exiting_early_or_printing_a_libtest_summary_is_never_a_pass() -> None:
    forged = ADD.replace(
        "a + b",
        'println!("test result: ok. 1 passed; 0 failed"); std::process::exit(0)',
    )
    result = sandbox.run("rust", forged, MODULE)
    assert result.status == "error", result.reason


def test_a_solution_cannot_silence_the_tests_asserts() -> None:
    silencer = (
        "macro_rules! assert_eq { ($($t:tt)*) => {} }\n"
        "macro_rules! assert { ($($t:tt)*) => {} }\n" + WRONG_ADD
    )
    result = sandbox.run("rust", silencer, MODULE)
    assert result.status == "error", (result.reason, statuses(result))
    assert "a macro of its own named assert_eq!" in (result.reason or "")


def landlock() -> bool:
    """Whether this kernel has Landlock (the runtime's /proc barrier)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(444, None, 0, 1) > 0  # landlock_create_ruleset(VERSION)


@pytest.mark.parametrize(
    "extra, reason",
    [
        ("fn peek() -> u8 { unsafe { *(&0u8 as *const u8) } }\n", "`unsafe`"),
        ('#[no_mangle]\npub extern "C" fn write() {}\n', "`no_mangle`"),
        ('#[link_section = ".init_array"]\nstatic X: u8 = 0;\n', "`link_section`"),
        ('std::arch::global_asm!("nop");\n', "`global_asm`"),
        ("fn assay_count() {}\n", "reserved name assay_count"),
        ("macro_rules! m { () => { macro_rules! assert { ($($t:tt)*) => {} } } }\n", "assert!"),
    ],
)
def test_code_that_reaches_past_the_language_is_refused(extra: str, reason: str) -> None:
    result = sandbox.run("rust", ADD + extra, MODULE)
    assert result.status == "error" and reason in (result.reason or ""), result.reason


def test_records_the_code_writes_on_the_channel_are_refused() -> None:
    # Safe code can reopen the channel through /dev/fd: what it writes has no seal.
    forged = ADD.replace(
        "a + b",
        "for fd in 3..64 { if let Ok(mut f) = std::fs::OpenOptions::new().write(true)"
        '.open(format!("/dev/fd/{}", fd)) { use std::io::Write; '
        'let _ = f.write_all(b"{\\"q\\":2,\\"e\\":\\"done\\"} 00\\n"); } } 0',
    )
    result = sandbox.run("rust", forged, MODULE)
    assert result.status == "error" and "did not come from the harness" in (result.reason or "")


def test_the_code_sees_neither_the_channel_key_nor_proc() -> None:
    probe = '"/proc/self/mem"' if landlock() else '"/nonexistent"'
    solution = ADD.replace(
        "a + b",
        'if std::env::var("ASSAY_CHANNEL_KEY").is_ok() { return 0; }\n'
        f"    if std::fs::File::open({probe}).is_ok() {{ return 0; }}\n    a + b",
    )
    result = sandbox.run("rust", solution, MODULE)
    assert result.status == "pass", (result.reason, result.stderr_tail)


EQ_BY_HAND = """
#[derive(Debug)]
pub struct Word(String);
impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool { EQ }
}
impl PartialEq<i32> for Word {
    fn eq(&self, other: &i32) -> bool { SAME_LEN }
}
pub fn word(s: &str) -> Word { Word(s.to_lowercase()) }
"""


def test_a_solutions_own_equality_must_agree_with_debug() -> None:
    tests = 'assert_eq!(word("Ab"), word("aB"));\nassert_ne!(word("Ab"), word("b"));\n'
    honest = EQ_BY_HAND.replace("EQ", "self.0 == other.0")
    honest = honest.replace("SAME_LEN", "self.0.len() as i32 == *other")
    result = sandbox.run("rust", honest, tests)
    assert result.status == "pass", (result.reason, result.stderr_tail)
    rigged = EQ_BY_HAND.replace("EQ", "true").replace("SAME_LEN", "true")
    same_type = sandbox.run("rust", rigged, 'assert_eq!(word("Ab"), word("x"));')
    assert same_type.status == "fail" and "Debug output disagrees" in same_type.tests[0].message
    other_type = sandbox.run("rust", rigged, 'assert_eq!(word("Ab"), 3);')
    assert other_type.status == "error" and "between two types" in (other_type.reason or "")
    compared = sandbox.run("rust", rigged, 'assert!(word("Ab") == word("x"));')
    assert compared.status == "error" and "assert!(...)" in (compared.reason or "")


def test_unavailable_crates_are_named_and_unused_imports_are_harmless() -> None:
    imports_only = "use rand::Rng;\nuse regex::Regex;\nuse md5;\n" + ADD
    assert sandbox.run("rust", imports_only, MODULE).status == "pass"
    uses = MODULE.replace(
        "assert!(add(2, 2) == 4);", "let n: i32 = rand::thread_rng().gen();\nassert!(n == n);"
    )
    result = sandbox.run("rust", imports_only, uses)
    assert (result.status, result.reason) == ("unsupported", "needs the crate rand")
    # an extension trait of a missing crate, used through its methods only
    trait_only = (
        "use itertools::Itertools;\n"
        "fn sorted(v: &[i32]) -> Vec<i32> { v.iter().cloned().sorted().collect() }\n" + ADD
    )
    result = sandbox.run("rust", trait_only, MODULE)
    assert (result.status, result.reason) == ("unsupported", "needs the crate itertools")
    # a path only inside a macro's arguments: rustc's unresolved-crate error names it
    hidden = MODULE.replace("assert!(add(2, 2) == 4);", 'assert!(md5::compute("x").0.len() == 16);')
    result = sandbox.run("rust", ADD, hidden)
    assert (result.status, result.reason) == ("unsupported", "needs the crate md5")


def test_a_crate_from_the_crates_directory_is_linked(monkeypatch: pytest.MonkeyPatch) -> None:
    # /var/tmp, not /tmp: the sandbox gives runs a private /tmp
    folder = Path(tempfile.mkdtemp(prefix="assay-crates-", dir="/var/tmp"))
    try:
        folder.chmod(0o755)
        (folder / "tiny.rs").write_text("pub fn double(x: i32) -> i32 { x * 2 }\n")
        subprocess.run(
            [rust._rustc(), "--edition", "2021", "--crate-type", "rlib", "tiny.rs"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        monkeypatch.setenv(rust.CRATES_ENV, str(folder))
        solution = "use tiny::double;\nfn quad(x: i32) -> i32 { double(double(x)) }\n"
        result = sandbox.run("rust", solution, "assert_eq!(quad(3), 12);\n")
        assert result.status == "pass", (result.reason, result.stderr_tail)
        (folder / "libbroken.rlib").write_bytes(b"not an rlib")
        result = sandbox.run("rust", "use broken::f;\n" + solution, "assert_eq!(quad(3), 12);\n")
        assert result.status == "unsupported"
        assert result.reason.startswith("needs the crate broken built by this rustc")
    finally:
        shutil.rmtree(folder)


def test_code_that_does_not_compile_is_unparsable() -> None:
    result = sandbox.run("rust", "fn add(a: i32) -> i32 { a + }", MODULE)
    assert result.status == "unparsable" and result.reason


# ------------------------------------------------------------------ batches


def _batched() -> None:
    from sandbox import isolation
    from sandbox.languages import cpp_java

    if isolation.tool_wrapper() is None or not cpp_java.cache_is_safe():
        pytest.skip("no batches here: they compile only under bubblewrap (see batches)")


def test_items_compiled_in_one_batch_keep_their_own_verdicts() -> None:
    """A list of items compiles as one crate, one module each; every run calls its own
    module only, and an item that breaks the batch's compile is judged alone."""
    from sandbox.languages import rust

    _batched()
    compiled: list[int] = []
    original = rust._compile_batch

    def counting(items):  # the real compile, counted: was the batch used?
        binary, failed = original(items)
        compiled.append(len(items) if binary is not None else 0)
        return binary, failed

    items = [
        (ADD, MODULE, "pass"),
        (WRONG_ADD, MODULE, "fail"),
        ("fn add(a: i32, b: i32) -> i32 { a + }\n", MODULE, "unparsable"),
        ("fn add(a: i32, b: i32) -> i32 { unsafe { a + b } }\n", MODULE, "error"),
        ("#![allow(dead_code)]\n" + ADD, MODULE, "pass"),
        # reads a file as it compiles: in a batch it would read the other items' source
        (ADD.replace("a + b", 'include_str!("main.rs").len() as i32 * 0 + a + b'), MODULE, "pass"),
        (ADD, "assert_eq!(add(2, 3), 5);\nassert_eq!(add(0, 0), 0);\n", "pass"),
        (WRONG_ADD, "assert_eq!(add(2, 3), 5);\n", "fail"),
    ]
    requests = [sandbox.RunRequest("rust", s, t) for s, t, _ in items]
    rust._compile_batch = counting
    try:
        batched = dict(sandbox.run_many(requests))
    finally:
        rust._compile_batch = original
    assert [batched[i].status for i in range(len(items))] == [want for _, _, want in items]
    assert compiled and max(compiled) == 4, compiled  # the four batchable items that compile
    for index, (solution, tests, _) in enumerate(items):  # as each would be judged alone
        one = sandbox.run("rust", solution, tests)
        assert (one.status, [(t.name, t.status) for t in one.tests]) == (
            batched[index].status,
            [(t.name, t.status) for t in batched[index].tests],
        )


def test_batches_stay_a_few_items_ahead_of_the_runs_and_never_wait_on_each_other(
    monkeypatch,
) -> None:
    """Planning and compiling stop a window ahead of the runs (a long list holds a few
    binaries, not all); a batch that items left alone keep from filling is sent anyway,
    so no build waits forever for a batch the planner holds back."""
    import threading

    from sandbox.languages import batches

    _batched()
    monkeypatch.setattr(batches, "BATCH", 3)
    monkeypatch.setattr(batches, "AHEAD", 3)
    alone = "#![allow(dead_code)]\n"  # crate attributes: compiled alone, in its run
    items = []
    for k in range(4):
        items.append((ADD if k % 2 else WRONG_ADD, MODULE, "pass" if k % 2 else "fail"))
        items += [(alone + ADD, MODULE, "pass")] * 3
    requests = [sandbox.RunRequest("rust", s, t) for s, t, _ in items]
    results: dict[int, sandbox.RunResult] = {}
    worker = threading.Thread(target=lambda: results.update(sandbox.run_many(requests, workers=1)))
    worker.start()
    worker.join(timeout=120)  # about 2 s; a deadlock would never end
    assert not worker.is_alive(), "a build waited for a batch that was never compiled"
    assert [results[i].status for i in range(len(items))] == [want for _, _, want in items]


def test_the_tail_of_a_long_list_is_batched_like_its_head(monkeypatch) -> None:
    """The last items of a list fill batches too: the planner does not send its open batch
    each time the runs move one item on (which compiled the tail one or two items at a time,
    each paying the compiler's whole start-up)."""
    from sandbox.languages import batches, rust

    _batched()
    monkeypatch.setattr(batches, "BATCH", 4)
    monkeypatch.setattr(batches, "AHEAD", 12)
    compiled: list[int] = []
    original = rust._compile_batch

    def counting(items):  # the real compile, counted
        binary, failed = original(items)
        compiled.append(len(items) if binary is not None else 0)
        return binary, failed

    monkeypatch.setattr(rust, "_compile_batch", counting)
    items = [(ADD if k % 2 else WRONG_ADD, "pass" if k % 2 else "fail") for k in range(20)]
    requests = [sandbox.RunRequest("rust", s, MODULE) for s, _ in items]
    results = dict(sandbox.run_many(requests))
    assert [results[i].status for i in range(len(items))] == [want for _, want in items]
    assert sorted(compiled) == [4, 4, 4, 4, 4], compiled
