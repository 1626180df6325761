"""Java test shapes through the real sandbox: bare statements, a `Main` class with `main`
(public or not), per-check results, checks that never ran, missing libraries."""

from __future__ import annotations

import io
import struct

import pytest

import sandbox
from sandbox.languages import toolchains

SOLUTION = (
    "import java.util.*;\n\n"
    "class Solution {\n"
    "    public int add(int a, int b) { return a + b; }\n"
    "}\n"
)
BROKEN = SOLUTION.replace("a + b", "a - b")


@pytest.fixture(autouse=True)
def _java() -> None:
    status = toolchains()["java"]
    if not status["available"]:
        pytest.skip(f"no Java toolchain: {status['reason']}")


def statuses(result: sandbox.RunResult) -> list[str]:
    return [t.status for t in result.tests]


def test_bare_statements_are_tests_and_declarations_their_setup() -> None:
    tests = (
        "Solution s = new Solution();\n"
        'if (s.add(1, 2) != 3) throw new AssertionError("one");\n'
        "int r = s.add(2, 2);\n"
        'assert r == 4 : "two";\n'
    )
    result = sandbox.run("java", SOLUTION, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    result = sandbox.run("java", BROKEN, tests)
    assert (result.status, statuses(result)) == ("fail", ["fail", "fail"])
    assert "one" in result.tests[0].message


@pytest.mark.parametrize("visibility", ["public ", ""])
def test_a_main_class_public_or_not_runs_and_reports_each_check(visibility: str) -> None:
    tests = (
        f"{visibility}class Main {{\n"
        "    public static void main(String[] args) throws Exception {\n"
        "        Solution s = new Solution();\n"
        "        int x0 = s.add(1, 2);\n"
        '        if (x0 != 3) { throw new java.lang.Exception("case 0"); }\n'
        "        int x1 = s.add(2, 2);\n"
        '        if (x1 != 4) { throw new java.lang.Exception("case 1"); }\n'
        "    }\n"
        "}\n"
    )
    result = sandbox.run("java", SOLUTION, tests)
    assert (result.status, statuses(result)) == ("pass", ["pass", "pass"]), result.reason
    assert "x0 != 3" in result.tests[0].name
    wrong = SOLUTION.replace("return a + b;", "return a == 1 ? 3 : 0;")
    result = sandbox.run("java", wrong, tests)
    assert (result.status, statuses(result)) == ("fail", ["pass", "fail"])
    assert "case 1" in result.tests[1].message


def test_an_exception_in_the_setup_fails_its_test_and_skips_the_rest() -> None:
    tests = (
        "class Main {\n"
        "    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n"
        "        if (s.add(1, 2) != 3) throw new AssertionError();\n"
        "        int[] empty = new int[0];\n"
        "        int x = s.add(empty[1], 1);\n"
        "        if (x != 1) throw new AssertionError();\n"
        "        if (s.add(0, 0) != 0) throw new AssertionError();\n"
        "    }\n"
        "}\n"
    )
    result = sandbox.run("java", SOLUTION, tests)
    assert result.status == "fail"
    assert statuses(result) == ["pass", "error", "skipped"]
    assert "ArrayIndexOutOfBounds" in result.tests[1].message


def test_a_main_whose_checks_sit_in_a_helper_is_one_test_that_counts_them() -> None:
    tests = (
        "public class Main {\n"
        "    static void check(boolean ok) { if (!ok) throw new AssertionError(); }\n"
        "    static void run(Solution s) { check(s.add(1, 1) == 2); }\n"
        "    public static void main(String[] args) {\n"
        "        List<Boolean> unused = new ArrayList<>();\n"
        "        run(new Solution());\n"
        "    }\n"
        "}\n"
    )
    result = sandbox.run("java", SOLUTION, tests)
    assert (result.status, result.total) == ("pass", 1), result.reason
    assert sandbox.run("java", BROKEN, tests).status == "fail"


@pytest.mark.parametrize(
    "tests",
    [
        "// only a comment",
        'System.out.println("assert");',
        "public class Main { public static void main(String[] a) { new Solution().add(1, 2); } }",
        "class Main { public static void main(String[] a) {\n"
        "  for (int i = 0; i < 0; i++) { if (new Solution().add(i, i) != 2 * i) throw new AssertionError(); }\n"
        "} }",
    ],
    ids=["comment", "print", "main-without-checks", "loop-that-never-runs"],
)
def test_a_test_that_evaluated_no_assertion_is_an_error(tests: str) -> None:
    result = sandbox.run("java", SOLUTION, tests)
    assert result.status == "error", (result.status, result.reason)
    assert "no assertion was evaluated" in result.reason


def test_the_expected_exception_idiom_counts_as_a_check() -> None:
    solution = "class Solution { static int root(int x) { if (x < 0) throw new IllegalArgumentException(); return x; } }"
    tests = (
        'try { Solution.root(-1); throw new AssertionError("should throw"); }\n'
        "catch (IllegalArgumentException e) { }\n"
    )
    result = sandbox.run("java", solution, tests)
    assert (result.status, result.total) == ("pass", 1), result.reason
    lenient = solution.replace("throw new IllegalArgumentException();", "return 0;")
    assert sandbox.run("java", lenient, tests).status == "fail"


def test_bare_methods_are_called_unqualified() -> None:
    result = sandbox.run("java", "int twice(int x) { return 2 * x; }", "assert twice(2) == 4;")
    assert (result.status, result.total) == ("pass", 1), result.reason


def test_a_library_outside_the_jdk_is_unsupported_and_named() -> None:
    solution = "import org.apache.commons.lang3.StringUtils;\n" + SOLUTION
    result = sandbox.run("java", solution, "assert new Solution().add(1, 1) == 2;")
    assert result.status == "unsupported"
    assert result.reason == "needs the Java library org.apache.commons.lang3"


def test_code_that_does_not_compile_is_unparsable() -> None:
    result = sandbox.run("java", "class Solution { int f( { }", "assert new Solution().f() == 1;")
    assert result.status == "unparsable"


def test_runs_map_the_class_data_archive_but_cannot_write_it() -> None:
    from sandbox.languages import cpp_java, java

    if not cpp_java.cache_is_safe():
        pytest.skip("no class-data archive here: runs could write its directory")
    archive = java.CLASS_ARCHIVE.get(wait=True)
    assert archive, "the parent dumped no class-data archive"
    path = archive.replace("\\", "\\\\")
    tests = (
        f'java.io.File f = new java.io.File("{path}");\n'
        "assert f.canRead();\n"
        "boolean wrote;\n"
        "try { new java.io.FileOutputStream(f, true).close(); wrote = true; }\n"
        "catch (java.io.IOException e) { wrote = false; }\n"
        'if (wrote) throw new AssertionError("the archive is writable");\n'
    )
    result = sandbox.run("java", SOLUTION, tests)
    assert result.status == "pass", (result.reason, result.tests)


@pytest.mark.parametrize(
    ("solution", "reason"),
    [
        ("class Arrays { static boolean equals(int[] a, int[] b) { return true; } }\n", "'Arrays'"),
        (
            "class Yes extends ArrayList<Integer> { public boolean equals(Object o) { return true; } }\n",
            "ArrayList",
        ),
        ("class Helper { static void f() { AssayMain.assayCounted(); } }\n", "'AssayMain'"),
    ],
    ids=["jdk-type", "equals-of-a-jdk-subtype", "harness"],
)
def test_solutions_that_stand_in_for_what_the_tests_use_are_refused(
    solution: str, reason: str
) -> None:
    tests = "int[] a = {1};\nif (!Arrays.equals(a, new int[] {1})) throw new AssertionError();\n"
    result = sandbox.run("java", "import java.util.*;\n" + solution + BROKEN, tests)
    assert result.status == "error", (result.status, result.reason)
    assert result.reason.startswith("refused:") and reason in result.reason, result.reason


def test_assertions_switched_off_by_the_solution_still_check() -> None:
    solution = BROKEN.replace(
        "class Solution {\n",
        "class Solution {\n    static { ClassLoader.getSystemClassLoader().setDefaultAssertionStatus(false); }\n",
    )
    result = sandbox.run(
        "java", solution, "Solution s = new Solution();\nassert s.add(1, 2) == 3;\n"
    )
    assert result.status == "fail", (result.status, result.reason)


def test_the_solution_cannot_reach_the_harness_by_reflection() -> None:
    solution = BROKEN.replace(
        "return a - b;",
        'try { Class<?> h = Class.forName("Assay" + "Main");\n'
        '    h.getMethod("assay" + "Counted").invoke(null); h.getMethod("assay" + "End").invoke(null);\n'
        "} catch (Exception e) { } return a - b;",
    )
    result = sandbox.run(
        "java", solution, "if (new Solution().add(1, 2) != 3) throw new AssertionError();"
    )
    assert result.status == "error", (result.status, result.reason)


def test_what_the_jdk_does_for_itself_under_the_lockdown_still_works() -> None:
    # Enum.valueOf, MessageDigest and lambdas use reflection inside the JDK's own
    # privileged actions: the harness's security manager must let them through.
    solution = (
        "import java.math.BigInteger;\nimport java.security.*;\nimport java.util.*;\n"
        "class Solution {\n"
        "    enum E { A, B }\n"
        "    public String md5(String t) throws NoSuchAlgorithmException {\n"
        '        return new BigInteger(1, MessageDigest.getInstance("MD5").digest(t.getBytes())).toString(16);\n'
        "    }\n"
        '    public int en() { EnumMap<E, Integer> m = new EnumMap<>(E.class); m.put(E.valueOf("A"), 1); return m.size(); }\n'
        "}\n"
    )
    tests = (
        'if (!new Solution().md5("Hello world").equals("3e25960a79dbc69b674cd4ec67a72c62")) throw new AssertionError();\n'
        "if (new Solution().en() != 1) throw new AssertionError();\n"
        'if (!List.of(2, 1).stream().sorted().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")).equals("1,2")) throw new AssertionError();\n'
    )
    result = sandbox.run("java", solution, tests, timeout=30)
    assert (result.status, result.total) == ("pass", 3), (result.reason, result.tests)


def test_the_harness_never_writes_a_file_that_sits_on_fd_3(tmp_path) -> None:
    """Outside the worker (a harness program run by hand, as root) fd 3 may be a file: the
    JVM opens its own lib/modules as the first free descriptor, and a harness that opened
    /proc/self/fd/3 for writing truncated the JDK's class image to one record."""
    import subprocess

    from sandbox.languages.java import program_source
    from sandbox.result import RunRequest

    tests = "public class Main { public static void main(String[] a) { assert new Solution().add(1, 2) == 3; } }"
    source, _ = program_source(RunRequest("java", SOLUTION, tests))
    (tmp_path / "AssayMain.java").write_text(source)
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious bytes\n")
    # fd 3 opened read-write on the file in the child's shell only, then java exec'd
    script = 'exec 3<>"$0"; exec java -ea AssayMain.java'
    done = subprocess.run(["bash", "-c", script, str(victim)], cwd=tmp_path, capture_output=True)
    assert victim.read_bytes() == b"precious bytes\n"
    assert done.returncode == 125 and b"not the result channel" in done.stderr


# ------------------------------------------------------------------ the warm compiler


def _warm_compiler() -> None:
    from sandbox import isolation
    from sandbox.languages import cpp_java

    if isolation.tool_wrapper() is None or not cpp_java.cache_is_safe():
        pytest.skip("no warm compiler here: it runs only under bubblewrap (see java_compiler)")


def test_under_bubblewrap_items_compile_outside_their_run_and_run_as_classes() -> None:
    """The run gets class files, not source, and the compiler's refusals read as the
    source launcher's: an error is unparsable with javac's words, a missing library named."""
    from sandbox.languages import get

    _warm_compiler()
    java = get("java")
    assert java is not None and java.build is not None
    tests = "assert new Solution().add(1, 2) == 3;\n"
    program = java.build(java, sandbox.RunRequest("java", SOLUTION, tests))
    assert "AssayMain.class" in program.blobs and not program.files
    assert program.steps[-1]["argv"][-1] == "AssayMain"
    assert sandbox.run("java", SOLUTION, tests).status == "pass"
    assert sandbox.run("java", BROKEN, tests).status == "fail"
    broken = sandbox.run("java", "class Solution { int f() { return undefinedName; } }", tests)
    assert broken.status == "unparsable"
    assert "cannot find symbol" in (broken.reason or ""), broken.reason
    missing = sandbox.run(
        "java", "import org.example.Absent;\n" + SOLUTION, tests.replace("1, 2", "2, 1")
    )
    assert (missing.status, missing.reason) == ("unsupported", "needs the Java library org.example")


def test_a_public_class_named_unlike_its_file_compiles_as_under_the_source_launcher() -> None:
    _warm_compiler()
    tests = (
        "public class Checks {\n"
        "    public static void main(String[] args) {\n"
        '        if (new Solution().add(2, 3) != 5) throw new AssertionError("sum");\n'
        "    }\n"
        "}\n"
    )
    result = sandbox.run(
        "java", "public class Solution { public int add(int a, int b) { return a + b; } }\n", tests
    )
    assert result.status == "pass", (result.reason, result.tests)


def test_a_compiler_that_stops_answering_is_killed_at_the_timeout_and_replaced() -> None:
    """A compile that never ends (here: a compiler that never answers) fails that item
    within its timeout, and so does a compiler that dies; neither is used again."""
    from sandbox.languages import java_compiler

    servers = java_compiler._Servers()
    source = {"A.java": "class A {}"}
    with pytest.raises(java_compiler.CompilerFailed, match="compilation exceeded 1 s"):
        servers.compile(["/bin/sh", "-c", "exec sleep 600"], source, [], 1.0)
    assert servers._all == []
    with pytest.raises(java_compiler.CompilerFailed, match="stopped answering"):
        servers.compile(["/bin/sh", "-c", "exit 0"], source, [], 30.0)
    assert servers._all == []


def test_class_names_from_the_compiler_cannot_leave_the_run_dir() -> None:
    from sandbox.languages import java_compiler

    def answer(name: bytes) -> io.BytesIO:
        body = b"\x01" + struct.pack(">i", 0) + struct.pack(">i", 1)
        body += struct.pack(">i", len(name)) + name + struct.pack(">i", 2) + b"\xca\xfe"
        return io.BytesIO(body)

    assert java_compiler._answer(answer(b"pkg.Main$1")).classes == {"pkg/Main$1.class": b"\xca\xfe"}
    for odd in (b"..", b"a..b", b"/etc/passwd", b"a/../../b", b""):
        with pytest.raises(ValueError):
            java_compiler._answer(answer(odd))
