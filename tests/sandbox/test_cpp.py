"""C++ test shapes through the real sandbox: bare statements, a whole program with its
own `main()` and `assert` or `throw`, per-check results, checks that never ran,
libraries that are missing or need link flags."""

from __future__ import annotations

from pathlib import Path

import pytest

import sandbox
from sandbox.languages import toolchains

SOLUTION = "#include <vector>\nusing namespace std;\nint add(int a, int b) { return a + b; }\n"
BROKEN = SOLUTION.replace("a + b", "a - b")


@pytest.fixture(autouse=True)
def _gpp() -> None:
    status = toolchains()["cpp"]
    if not status["available"]:
        pytest.skip(f"no C++ toolchain: {status['reason']}")


def statuses(result: sandbox.RunResult) -> list[str]:
    return [t.status for t in result.tests]


def test_bare_statements_are_tests_and_declarations_their_setup() -> None:
    tests = (
        "bool near(double a, double b) { return a - b < 1e-9 && b - a < 1e-9; }\n"
        'if (add(1, 2) != 3) throw std::runtime_error("one");\n'
        "int r = add(2, 2);\n"
        "assert(near(r, 4));\n"
    )
    result = sandbox.run("cpp", SOLUTION, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    result = sandbox.run("cpp", BROKEN, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail", "fail"])


def test_a_whole_program_with_asserts_reports_each_one_even_after_assert_h() -> None:
    tests = (
        "#undef NDEBUG\n#include<assert.h>\n"
        "int main(){\n"
        "    assert (add(1, 2) == 3);\n"
        "    assert (add(2, 2) == 4);\n"
        "}\n"
    )
    result = sandbox.run("cpp", SOLUTION, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    wrong = SOLUTION.replace("return a + b;", "return a == 1 ? 3 : 0;")
    result = sandbox.run("cpp", wrong, tests)
    assert (result.status, statuses(result)) == ("fail", ["pass", "fail"])
    assert "add(2, 2) == 4" in result.tests[1].message


def test_asserts_count_even_when_ndebug_would_compile_them_out() -> None:
    tests = "#define NDEBUG\n#include <cassert>\nint main() { assert(add(1, 1) == 3); }\n"
    assert sandbox.run("cpp", SOLUTION, tests).status == "fail"


def test_a_program_that_throws_on_a_wrong_answer_as_mbxp_does() -> None:
    solution = (
        "#include <bits/stdc++.h>\nusing namespace std;\nint add(int a, int b) { return a + b; }\n"
    )
    tests = (
        "template <typename T> bool compare(T a, T b){ return a == b; }\n"
        "int main(int argc, char* argv[]) {\n"
        "    int x0 = add(1, 2);\n"
        '    if (!(compare(x0, 3))) { throw runtime_error("case 0"); }\n'
        "    vector<int> x1 = {add(2, 2)};\n"
        '    if (!(compare(x1, {4}))) { throw runtime_error("case 1"); }\n'
        "    return 0;\n"
        "}\n"
    )
    result = sandbox.run("cpp", solution, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    result = sandbox.run("cpp", solution.replace("a + b", "a - b"), tests)
    assert (result.status, statuses(result)) == ("fail", ["fail", "fail"])
    assert "case 0" in result.tests[0].message


def test_a_non_zero_return_from_main_fails_the_check_and_skips_the_rest() -> None:
    tests = (
        "#include <cstdio>\n"
        "int main() {\n"
        '    if (add(1, 2) != 3) { printf("wrong"); return 1; }\n'
        "    if (add(2, 2) != 4) return 2;\n"
        "    return 0;\n"
        "}\n"
    )
    assert sandbox.run("cpp", SOLUTION, tests).status == "pass"
    result = sandbox.run("cpp", BROKEN, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail", "skipped"])
    assert "main returned 1" in result.tests[0].message


def test_a_crash_in_the_setup_is_not_a_pass() -> None:
    solution = SOLUTION + "int at(const vector<int>& v, int i) { return v.at(i); }\n"
    tests = "int main() {\n  int x = at({}, 3);\n  assert(x == 0);\n  assert(add(1, 1) == 2);\n}\n"
    result = sandbox.run("cpp", solution, tests)
    assert result.status == "fail"
    assert statuses(result) == ["error", "skipped"]


@pytest.mark.parametrize(
    "tests",
    [
        "// only a comment",
        'printf("assert");',
        "int main() { add(1, 2); return 0; }",
        "int main() { for (int i = 0; i < 0; i++) assert(add(i, i) == 2 * i); }",
    ],
    ids=["comment", "print", "main-without-checks", "loop-that-never-runs"],
)
def test_a_test_that_evaluated_no_assertion_is_an_error(tests: str) -> None:
    result = sandbox.run("cpp", SOLUTION + "#include <cstdio>\n", tests)
    assert result.status == "error", (result.status, result.reason)
    assert "no assertion was evaluated" in result.reason


def test_the_expected_exception_idiom_counts_as_a_check() -> None:
    solution = (
        "#include <stdexcept>\n"
        'int root(int x) { if (x < 0) throw std::invalid_argument("neg"); return x; }\n'
    )
    tests = "try { root(-1); assert(false); } catch (const std::invalid_argument&) { }\n"
    result = sandbox.run("cpp", solution, tests)
    assert (result.status, result.total) == ("pass", 1), result.reason
    lenient = solution.replace('throw std::invalid_argument("neg");', "return 0;")
    assert sandbox.run("cpp", lenient, tests).status == "fail"


def test_tests_that_include_the_solution_as_a_local_header_run_against_it() -> None:
    tests = '#include "solution.h"\n#include <cassert>\nint main() { assert(add(1, 1) == 2); }\n'
    assert sandbox.run("cpp", SOLUTION, tests).status == "pass"


def test_a_solution_with_its_own_main_still_runs_the_tests() -> None:
    solution = SOLUTION + "int main() { return add(0, 0); }\n"
    assert sandbox.run("cpp", solution, "assert(add(1, 1) == 2);").status == "pass"


@pytest.mark.parametrize(
    ("header", "library"),
    [("boost/any.hpp", "Boost (libboost-dev)"), ("openssl/md5.h", "OpenSSL (libssl-dev)")],
)
def test_a_library_header_is_named_when_absent_and_linked_when_present(
    header: str, library: str
) -> None:
    solution = f"#include <{header}>\n" + SOLUTION
    result = sandbox.run("cpp", solution, "assert(add(1, 1) == 2);")
    if Path("/usr/include", header).is_file():
        assert result.status == "pass", result.reason
    else:
        assert (result.status, result.reason) == ("unsupported", f"needs the library {library}")


def test_openssl_md5_links_with_libcrypto() -> None:
    if not Path("/usr/include/openssl/md5.h").is_file():
        pytest.skip("OpenSSL headers missing (libssl-dev)")
    solution = (
        "#include <openssl/md5.h>\n#include <string>\n"
        "std::string md5_first(const std::string& s) {\n"
        "    unsigned char d[MD5_DIGEST_LENGTH];\n"
        "    MD5(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);\n"
        '    char b[3]; snprintf(b, sizeof b, "%02x", d[0]); return b;\n'
        "}\n"
    )
    result = sandbox.run("cpp", solution, 'assert(md5_first("") == "d4");')
    assert result.status == "pass", result.reason


def test_a_header_nobody_installed_is_unsupported() -> None:
    result = sandbox.run(
        "cpp", "#include <no_such_lib/thing.h>\n" + SOLUTION, "assert(add(1, 1) == 2);"
    )
    assert (result.status, result.reason) == (
        "unsupported",
        "needs the C++ header no_such_lib/thing.h",
    )


def test_user_link_flags_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_LDFLAGS", "-lm")
    assert sandbox.run("cpp", SOLUTION, "assert(add(1, 1) == 2);").status == "pass"
    monkeypatch.setenv("ASSAY_LDFLAGS", "-lno_such_library_here")
    assert sandbox.run("cpp", SOLUTION, "assert(add(1, 1) == 2);").status == "unparsable"


def test_runs_can_read_the_precompiled_prelude_but_not_write_it() -> None:
    from sandbox.languages import cpp, cpp_java

    if not cpp_java.cache_is_safe():
        pytest.skip("no precompiled prelude here: runs could write its directory")
    header = cpp.PRELUDES.get(("vector",), wait=True)
    harness = cpp.HARNESS_OBJECT.get(wait=True)
    assert header and harness, "the parent built no precompiled prelude or harness"
    tests = (
        "#include <cstdio>\n"
        f'assert(std::fopen("{header}.gch", "rb") != nullptr);\n'
        f'assert(std::fopen("{header}.gch", "ab") == nullptr);\n'
        f'assert(std::fopen("{harness}", "ab") == nullptr);\n'
        f'assert(std::fopen("{header}.planted.h", "w") == nullptr);\n'
    )
    result = sandbox.run("cpp", SOLUTION, tests)
    assert (result.status, result.total) == ("pass", 4), (result.reason, result.tests)


def test_a_new_process_uses_a_prelude_already_in_the_cache_from_its_first_item() -> None:
    from sandbox import languages
    from sandbox.languages import cpp, cpp_java
    from sandbox.result import RunRequest

    if not cpp_java.cache_is_safe():
        pytest.skip("no precompiled prelude here: runs could write its directory")
    assert cpp.PRELUDES.get(("vector",), wait=True) and cpp.HARNESS_OBJECT.get(wait=True)
    # A process that has not asked for them yet (what a new `assay check` is).
    fresh = cpp_java.Prebuilt(cpp._prelude_built, cpp._prelude_found)
    harness = cpp_java.Prebuilt(cpp._harness_built, cpp._harness_found)
    old = cpp.PRELUDES, cpp.HARNESS_OBJECT
    cpp.PRELUDES, cpp.HARNESS_OBJECT = fresh, harness
    try:
        tests = "int main() { assert(add(1, 1) == 2); }"  # its headers: the solution's
        program = cpp.build(languages.get("cpp"), RunRequest("cpp", SOLUTION, tests))
    finally:
        cpp.PRELUDES, cpp.HARNESS_OBJECT = old
    argv = program.steps[0]["argv"]
    assert "assay_prelude.h" not in program.files and "assay_harness.cpp" not in program.files
    assert argv[argv.index("-include") + 1].startswith(str(cpp_java.cache_dir("cpp")))


@pytest.mark.parametrize(
    ("solution", "tests", "reason"),
    [
        ("#define throw (void)\n", 'if (add(1, 2) != 3) throw std::runtime_error("x");', "'throw'"),
        ("#define assert(...)\n", "assert(add(1, 2) == 3);", "'assert'"),
        ("%:define main other\n", "int main() { assert(add(1, 2) == 3); }", "'main'"),
        ("#define add(a, b) 3\n", "assert(add(1, 2) == 3);", "macro 'add'"),
        (
            'extern "C" int memcmp(const void*, const void*, size_t) { return 0; }\n',
            "",
            "C linkage",
        ),
        ("int memcmp(const void*, const void*, size_t n) { return 0; }\n", "", "'memcmp'"),
        ("bool operator==(const vector<int>&, const vector<int>&) { return true; }\n", "", "=="),
        ("void assay_end();\n", "", "'assay_end'"),
        ('__attribute__((section(".preinit_array"))) void (*p)() = 0;\n', "", "'section'"),
    ],
    ids=[
        "throw",
        "assert",
        "digraph-main",
        "entry-point",
        "extern-c",
        "c-runtime",
        "eq",
        "harness",
        "section",
    ],
)
def test_items_that_redefine_what_the_tests_rely_on_are_refused(
    solution: str, tests: str, reason: str
) -> None:
    result = sandbox.run("cpp", SOLUTION + solution, tests or "assert(add(1, 2) == 3);")
    assert result.status == "error", (result.status, result.reason)
    assert result.reason.startswith("refused:") and reason in result.reason, result.reason


def test_what_a_right_solution_may_define_still_runs() -> None:
    # HumanEval/23 defines `strlen(string)`; a struct may compare its own objects.
    solution = (
        "#include <string>\nusing namespace std;\n"
        "int strlen(string s) { return s.length(); }\n"
        "struct P { int x; };\nbool operator==(const P& a, const P& b) { return a.x == b.x; }\n"
    )
    tests = 'int main() { assert(strlen(string("ab")) == 2); assert(P{1} == P{1}); }'
    result = sandbox.run("cpp", solution, tests)
    assert (result.status, result.total) == ("pass", 2), result.reason


def test_records_the_program_writes_itself_are_an_error() -> None:
    forge = (
        "#include <unistd.h>\n#include <cstring>\n#include <cstdlib>\n"
        "static int forged = [] {\n"
        '    const char* k = getenv("ASSAY_NONCE");\n'
        '    std::string r = std::string("{\\"k\\":\\"") + (k ? k : "") + "\\",\\"e\\":\\"done\\"}\\n";\n'
        "    for (int fd = 3; fd < 64; ++fd) ::write(fd, r.data(), r.size());\n"
        "    return 0;\n}();\n"
    )
    result = sandbox.run("cpp", BROKEN + forge, "assert(add(1, 2) == 3);")
    assert (result.status, result.reason) == (
        "error",
        "a record on the result channel did not come from the harness",
    )


def test_a_test_the_program_left_by_exiting_zero_is_an_error() -> None:
    solution = "#include <cstdlib>\n" + SOLUTION.replace("return a + b;", "std::exit(0);")
    result = sandbox.run("cpp", solution, "int main() { assert(add(1, 2) == 3); }")
    assert result.status == "error", (result.status, result.reason)


def test_a_build_sweeps_the_scratch_dirs_killed_builds_left_but_not_running_ones(tmp_path) -> None:
    """A build killed mid-way (SIGKILL skips its cleanup) leaves its scratch dir in the
    cache; the next build there removes such dirs once they are older than any build
    can run, and leaves a build in progress alone."""
    import os
    import time

    from sandbox.languages import cpp_java

    stale = tmp_path / f"{cpp_java.STAGING}killed"
    stale.mkdir()
    (stale / "assay_prelude.h.gch").write_bytes(b"x" * 1000)
    old = time.time() - 10 * cpp_java.BUILD_TIMEOUT
    os.utime(stale, (old, old))
    running = tmp_path / f"{cpp_java.STAGING}running"
    running.mkdir()
    built = cpp_java.build_once(
        tmp_path, {"in.txt": "x"}, ["/bin/sh", "-c", "cp in.txt out.txt"], ["out.txt"]
    )
    assert built and (tmp_path / "out.txt").read_text() == "x"
    assert not stale.exists() and running.exists()


# ------------------------------------------------------------------ batches

PROGRAM_TESTS = "#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (add(1, 2) == 3);\n}\n"
COUNTING = (  # alone, `count` is ambiguous with std::count; in a namespace it would hide it
    "#include <algorithm>\n#include <vector>\nusing namespace std;\n"
    "int count = 0;\nint add(int a, int b) { count++; return a + b; }\n"
)


def _batched() -> None:
    from sandbox import isolation
    from sandbox.languages import cpp_java

    if isolation.tool_wrapper() is None or not cpp_java.cache_is_safe():
        pytest.skip("no batches here: they compile only under bubblewrap (see batches)")


def test_items_compiled_in_one_batch_keep_their_own_verdicts() -> None:
    """Items of one header set compile as namespaces of one program; each run calls its
    own namespace only, and an item that cannot share the program (a name that would
    hide the prelude's, code that would run before main, a macro or a file it reads) or
    that breaks the batch's compile is judged alone, with the verdict it has alone."""
    from sandbox.languages import cpp

    _batched()
    compiled: list[int] = []
    original = cpp._compile_batch

    def counting(items):  # the real compile, counted: was the batch used?
        binary, failed = original(items)
        compiled.append(len(items) if binary is not None else 0)
        return binary, failed

    argc = "int main(int argc, char** argv) {\n    assert (argc == 1 && add(2, 2) == 4);\n}\n"
    items = [
        (SOLUTION, PROGRAM_TESTS, "pass"),
        (BROKEN, PROGRAM_TESTS, "fail"),
        (SOLUTION.replace("a + b;", "a + b + missing;"), PROGRAM_TESTS, "unparsable"),
        (SOLUTION + "#undef NULL\n", PROGRAM_TESTS, "pass"),  # not for the next one
        (SOLUTION.replace("return", "int* none = NULL; return"), PROGRAM_TESTS, "pass"),
        # the assert.h of the one before is not its own: alone, `assert` is not declared
        (SOLUTION.replace("return", "assert(a == a); return"), PROGRAM_TESTS, "unparsable"),
        (SOLUTION, argc, "pass"),  # argv as alone: the batch's part name is not in it
        (SOLUTION + "int seen = add(0, 0);\n", PROGRAM_TESTS, "pass"),  # runs before main
        (SOLUTION, "#include <map>\n" + PROGRAM_TESTS, "pass"),  # another header: alone
        (SOLUTION + "int line() { return __LINE__; }\n", PROGRAM_TESTS, "pass"),
        (SOLUTION + "#define LIMIT 3\n", PROGRAM_TESTS, "pass"),  # a macro may hide a brace
        (COUNTING, PROGRAM_TESTS, "unparsable"),
        (COUNTING.replace("count", "calls"), PROGRAM_TESTS, "pass"),
        (COUNTING.replace("count", "calls"), PROGRAM_TESTS.replace("== 3", "== 4"), "fail"),
    ]
    requests = [sandbox.RunRequest("cpp", s, t) for s, t, _ in items]
    cpp._compile_batch = counting
    try:
        batched = dict(sandbox.run_many(requests))
    finally:
        cpp._compile_batch = original
    assert [batched[i].status for i in range(len(items))] == [want for _, _, want in items], [
        (batched[i].status, batched[i].reason) for i in range(len(items))
    ]
    # <vector>: seven at first, five once the two that do not compile are taken out;
    # <algorithm> and <vector>: the two without `count`
    assert sorted(compiled) == [0, 2, 5], compiled
    for index, (solution, tests, _) in enumerate(items):  # as each would be judged alone
        one = sandbox.run("cpp", solution, tests)
        assert (one.status, [(t.name, t.status) for t in one.tests]) == (
            batched[index].status,
            [(t.name, t.status) for t in batched[index].tests],
        )


def test_a_header_set_is_precompiled_once_it_is_used_not_on_first_sight() -> None:
    """A compile reads its prelude once, so a header set seen once or twice is not worth
    a precompile (3-4 times that read): the first compiles, batches or items alone, read
    the prelude's text, and the PRECOMPILE_AFTER-th precompiles it first, for itself and
    every later one. Verdicts are the same either way."""
    import shutil
    from pathlib import Path

    from sandbox.languages import cpp

    _batched()
    headers = ("bitset", "numeric", "vector")  # a set no other test uses
    folder, _ = cpp._prelude_folder(headers)
    shutil.rmtree(folder, ignore_errors=True)
    solution = "".join(f"#include <{h}>\n" for h in headers) + SOLUTION
    alone = solution + "#define LIMIT 3\n"  # not batchable
    requests = [sandbox.RunRequest("cpp", solution, PROGRAM_TESTS) for _ in range(3)]
    requests.append(sandbox.RunRequest("cpp", solution.replace("a + b", "a - b"), PROGRAM_TESTS))
    want = ["pass", "pass", "pass", "fail"]
    for seen in range(1, cpp.PRECOMPILE_AFTER):
        first = dict(sandbox.run_many(requests))  # one batch
        assert [first[i].status for i in range(4)] == want
        assert (folder / "compiles").read_bytes() == b"." * seen
        assert not Path(folder, "assay_prelude.h.gch").exists()
    assert sandbox.run("cpp", alone, PROGRAM_TESTS).status == "pass"  # the last one from text
    assert Path(folder, "assay_prelude.h.gch").stat().st_size > 0
    assert sandbox.run("cpp", alone, PROGRAM_TESTS.replace("== 3", "== 4")).status == "fail"
    second = dict(sandbox.run_many(requests))
    assert [second[i].status for i in range(4)] == want
    assert (folder / "compiles").read_bytes() == b"." * cpp.PRECOMPILE_AFTER


@pytest.mark.parametrize(
    "code",
    [
        "int memo[1000][100];",
        "const long long MOD = 1e9 + 7;",
        "vector<int> primes = {2, 3, 5};",
        'const char* names[] = {"a", "b"};',
        "auto twice = [](int x) { return 2 * x; };",
        "struct Point { int x, y; };\nbool operator<(Point a, Point b) { return a.x < b.x; }",
        "enum Colour { RED, GREEN };",
    ],
)
def test_file_scope_code_that_runs_nothing_before_main_may_share_a_program(code: str) -> None:
    from sandbox.languages import cpp

    batchable, _, _ = cpp.batching(SOLUTION + code + "\n", PROGRAM_TESTS, ["vector"], False)
    assert batchable


@pytest.mark.parametrize(
    "code",
    [
        "int first = add(1, 2);",  # a call before main
        "vector<int> big(100000000);",  # a constructor's arguments: any cost
        "struct Logger { Logger() {} };\nLogger logger;",  # an object of its own type
        "struct Counter { int n; } counter;",
        "struct Cache { static inline vector<int> v = vector<int>(9); };",
        "thread_local int calls;",
        "int huge[1 << 30];",
        "int grid[100000][100000];",
        "int where() { return __LINE__; }",
        '#pragma GCC optimize("O3")',
        "#include <map>",  # not one of its precompiled headers
        '#include "helper.h"',
        "auto seen = [n = add(1, 1)]() { return n; };",
        "#define CLOSE }",  # macros and conditionals can hide braces from the tree
        "#ifdef DEBUG\nint debug = 1;\n#endif",
        "int f() <% return 1; %>",  # a digraph brace
        "void g() {}\n__END_DECLS int escaped = 1;",  # a runtime macro that is a `}`
    ],
)
def test_file_scope_code_that_could_run_or_tell_where_it_is_compiles_alone(code: str) -> None:
    from sandbox.languages import cpp

    batchable, _, _ = cpp.batching(SOLUTION + code + "\n", PROGRAM_TESTS, ["vector"], False)
    assert not batchable


def test_the_names_and_macros_an_item_declares_are_what_a_batch_checks() -> None:
    from sandbox.languages import cpp

    code = SOLUTION + "#undef LIMIT\nint count = 0;\nstruct Node {};\nenum E { RED };\n"
    batchable, macros, names = cpp.batching(code, PROGRAM_TESTS, ["vector"], False)
    assert batchable and macros == ("LIMIT", "NDEBUG")  # the tests undefine NDEBUG
    assert {"add", "count", "Node", "E", "RED"} <= names and "main" not in names
    # bare statements: their declarations are our main's, not the file's
    _, _, names = cpp.batching(SOLUTION, "int total = add(1, 2);\nassert(total == 3);\n", [], True)
    assert "total" not in names


def test_g_plus_plus_says_which_names_an_item_would_hide_in_a_namespace() -> None:
    """`count` is std::count's (an item's own would hide it), `compare` is only a member
    function's (MBCPP's tests all declare one), `issame` nobody's, and `EOF` a macro's
    (which expands the same inside a namespace)."""
    from sandbox.languages import cpp

    _batched()
    header = cpp.PRELUDES.get(("algorithm", "string", "vector"), wait=True)
    assert header is not None
    names = frozenset({"count", "compare", "issame", "vector", "EOF"})
    assert cpp.prelude_declares(header, names) == {"count", "vector"}
