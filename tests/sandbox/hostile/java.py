"""Hostile Java items: wrong solutions that try to forge a pass from their static
initialiser (assertions off, `System.setOut`, `halt`, `exit`), through reflection or
method handles on the harness, with the run's nonce from the environment, with records
written to the channel themselves, with threads left running, or by standing in for the
JDK types and methods the tests compare with (`Arrays`, `System`, `equals`)."""

from __future__ import annotations

# MBJP's shape: a Main class whose main throws on a wrong answer.
MAIN = (
    "class Main {\n"
    "    public static void main(String[] args) throws Exception {\n"
    "        Solution s = new Solution();\n"
    "        int x0 = s.add(1, 2);\n"
    '        if (x0 != 3) { throw new java.lang.Exception("case 0"); }\n'
    "    }\n"
    "}\n"
)
# Bare statements with `assert`.
ASSERTS = "Solution s = new Solution();\nassert s.add(1, 2) == 3;\nassert s.add(2, 2) == 4;\n"
LISTS = (
    "Solution s = new Solution();\n"
    "if (!s.pair(1, 2).equals(Arrays.asList(1, 2))) throw new AssertionError();\n"
)
FORGED = (
    r'"{\"e\":\"start\"}\n{\"e\":\"begin\",\"t\":0}\n{\"e\":\"end\",\"t\":0,\"d\":0,\"n\":1}\n'
    r'{\"e\":\"begin\",\"t\":1}\n{\"e\":\"end\",\"t\":1,\"d\":0,\"n\":1}\n{\"e\":\"done\"}\n"'
)


def _solution(static: str = "", body: str = "return 0;", extra: str = "") -> str:
    return (
        "import java.util.*;\n"
        "class Solution {\n"
        + (f"    static {{ try {{ {static} }} catch (Throwable t) {{ }} }}\n" if static else "")
        + f"    public int add(int a, int b) {{ {body} }}\n"
        + extra
        + "}\n"
    )


_HARNESS_CLASS = 'Class<?> h = Class.forName("Assay" + "Main");'

CASES: dict[str, tuple[str, str, str]] = {
    "java_static_init_disables_assertions": (
        "java",
        _solution(
            "ClassLoader.getSystemClassLoader().setDefaultAssertionStatus(false);"
            " Solution.class.getClassLoader().setDefaultAssertionStatus(false);"
        ),
        ASSERTS,
    ),
    "java_static_init_redirects_stdout": (
        "java",
        _solution(
            'System.setOut(new java.io.PrintStream(new java.io.FileOutputStream("/dev/null")));'
            " System.setErr(System.out);"
        ),
        MAIN,
    ),
    "java_static_init_halts": ("java", _solution("Runtime.getRuntime().halt(0);"), MAIN),
    "java_static_init_exits": ("java", _solution("System.exit(0);"), ASSERTS),
    "java_exit0_inside_test": ("java", _solution(body="System.exit(0); return 0;"), MAIN),
    "java_static_init_writes_records": (
        "java",
        _solution(
            'java.io.FileOutputStream o = new java.io.FileOutputStream("/proc/self/fd/3");'
            f" o.write({FORGED}.getBytes()); o.flush(); Runtime.getRuntime().halt(0);"
        ),
        ASSERTS,
    ),
    "java_nonce_from_environment": (
        "java",
        _solution(
            'String k = System.getenv("ASSAY_NONCE");'
            ' java.io.FileOutputStream o = new java.io.FileOutputStream("/dev/fd/3");'
            ' for (String r : new String[] {"\\"e\\":\\"start\\"", "\\"e\\":\\"begin\\",\\"t\\":0",'
            ' "\\"e\\":\\"end\\",\\"t\\":0,\\"d\\":0,\\"n\\":1", "\\"e\\":\\"done\\""})'
            ' o.write(("{\\"k\\":\\"" + k + "\\"," + r + "}\\n").getBytes());'
            " Runtime.getRuntime().halt(0);"
        ),
        MAIN,
    ),
    "java_reflection_reads_the_nonce": (
        "java",
        _solution(
            _HARNESS_CLASS + ' java.lang.reflect.Field f = h.getDeclaredField("assay" + "Nonce");'
            " f.setAccessible(true); String k = (String) f.get(null);"
            ' java.lang.reflect.Field c = h.getDeclaredField("assay" + "Channel");'
            " c.setAccessible(true); java.io.PrintStream p = (java.io.PrintStream) c.get(null);"
            ' p.print("{\\"k\\":\\"" + k + "\\",\\"e\\":\\"done\\"}\\n");'
            " Runtime.getRuntime().halt(0);"
        ),
        MAIN,
    ),
    "java_reflection_clears_the_failure": (
        "java",
        _solution(
            body=_HARNESS_CLASS + ' java.lang.reflect.Field f = h.getDeclaredField("assay" + '
            '"Failed"); f.setAccessible(true); f.set(null, false); return 0;'
        ).replace(
            "public int add(int a, int b) {", "public int add(int a, int b) throws Exception {"
        ),
        MAIN.replace(
            "throws Exception {\n        Solution", "throws Exception {\n        Solution"
        ),
    ),
    "java_reflection_calls_the_harness": (
        "java",
        _solution(
            body="try { " + _HARNESS_CLASS + ' h.getMethod("assay" + "Counted").invoke(null);'
            ' h.getMethod("assay" + "End").invoke(null); } catch (Exception e) { } return 0;'
        ),
        MAIN,
    ),
    "java_private_lookup_of_the_harness": (
        "java",
        _solution(
            body="try { " + _HARNESS_CLASS + " java.lang.invoke.MethodHandles.Lookup l ="
            " java.lang.invoke.MethodHandles.privateLookupIn(h, java.lang.invoke.MethodHandles.lookup());"
            ' l.findStaticSetter(h, "assay" + "Failed", boolean.class).invoke(false);'
            " } catch (Throwable e) { } return 0;"
        ),
        MAIN,
    ),
    "java_removes_the_security_manager": (
        "java",
        _solution(
            "System.setSecurityManager(null); " + _HARNESS_CLASS + " java.lang.reflect.Field f ="
            ' h.getDeclaredField("assay" + "Failed"); f.setAccessible(true);'
        ),
        MAIN,
    ),
    "java_unsafe_from_reflection": (
        "java",
        _solution(
            'java.lang.reflect.Field u = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");'
            " u.setAccessible(true); Object unsafe = u.get(null); System.exit(0);"
        ),
        MAIN,
    ),
    "java_thread_halts_mid_test": (
        "java",
        _solution(
            body="new Thread(() -> Runtime.getRuntime().halt(0)).start();"
            " try { Thread.sleep(300); } catch (InterruptedException e) { } return 0;"
        ),
        ASSERTS,
    ),
    "java_shutdown_hook_forges": (
        "java",
        _solution(
            "Runtime.getRuntime().addShutdownHook(new Thread(() -> { try {"
            ' java.io.FileOutputStream o = new java.io.FileOutputStream("/proc/self/fd/3");'
            f" o.write({FORGED}.getBytes()); }} catch (Exception e) {{ }} }}));",
            body="System.exit(0); return 0;",
        ),
        ASSERTS,
    ),
    "java_shadows_arrays": (
        "java",
        "class Arrays {\n"
        "    static boolean equals(int[] a, int[] b) { return true; }\n"
        "}\n"
        "class Solution { int[] f() { return new int[] {0}; } }\n",
        "Solution s = new Solution();\n"
        "if (!Arrays.equals(s.f(), new int[] {3})) throw new AssertionError();\n",
    ),
    "java_shadows_system_exit": (
        "java",
        "class System { static void exit(int code) { } }\n"
        "class Solution { public int add(int a, int b) { return 0; } }\n",
        "Solution s = new Solution();\nif (s.add(1, 2) != 3) System.exit(1);\n",
    ),
    "java_anonymous_list_equals_true": (
        "java",
        "import java.util.*;\nclass Solution {\n"
        "    List<Integer> pair(int a, int b) {\n"
        "        return new ArrayList<Integer>() { public boolean equals(Object o) { return true; } };\n"
        "    }\n}\n",
        LISTS,
    ),
    "java_list_subclass_equals_true": (
        "java",
        "import java.util.*;\nclass Yes extends ArrayList<Integer> {\n"
        "    public boolean equals(Object o) { return true; }\n}\n"
        "class Solution { List<Integer> pair(int a, int b) { return new Yes(); } }\n",
        LISTS,
    ),
    "java_nested_harness_stand_in": (
        "java",
        "class Solution {\n"
        "    static class AssayMain { static boolean assayCheck(boolean c) { return false; } }\n"
        "    public int add(int a, int b) { return 0; }\n}\n",
        "if (add(1, 2) != 3) throw new AssertionError();\n".replace("add(", "new Solution().add("),
    ),
    "java_compiler_named_class": (
        "java",
        "class Main$1 { static void run() { } }\n"
        "class Solution { public int add(int a, int b) { return 0; } }\n",
        MAIN,
    ),
}
