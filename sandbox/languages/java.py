"""Java: one source file per item, run by the source launcher (`java File.java`).

Test shapes: bare statements (`if (f(1) != 2) throw ...;`, `assert ...;`), or a test
class with its own `main` (`class Main` public or not, as in HumanEval-X and MBXP).
Statements are classified with tree-sitter (see `cpp_java`); a generated `AssayMain`
comes first in the file, reports on fd 3 and calls the test class's `main`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

from sandbox.languages import cpp_java
from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    Unsupported,
    absolute,
    on_path,
    require_toolchain,
    run_step,
)
from sandbox.languages.cpp_java import Dialect, Edits, named, text
from sandbox.result import RunRequest, RunResult

CLASSPATH_ENV = "ASSAY_JAVA_CLASSPATH"  # extra jars or class dirs, ':'-separated
# Packages of the JDK's own modules: an import from anywhere else needs a library.
_JDK_PREFIXES = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "org.w3c.", "org.xml.", "org.ietf.")
_TYPES: tuple[str, ...] = (
    "class_declaration",
    "interface_declaration",
    "enum_declaration",
    "record_declaration",
)
_TYPES += ("annotation_type_declaration",)


@functools.cache
def toolchain() -> Toolchain:
    java = on_path("java", ["-version"])
    if java.available and not shutil.which("javac"):
        return Toolchain(False, reason="javac not found (a JDK is needed)")
    return java


def _is_site(node: Any, source: bytes, in_main: bool) -> bool:
    if node.type in ("throw_statement", "assert_statement"):
        return True
    if node.type == "method_invocation":  # System.exit(1) reports a failure too
        obj, name = node.child_by_field_name("object"), node.child_by_field_name("name")
        return obj is not None and text(obj, source) == "System" and text(name, source) == "exit"
    return False


def _condition(node: Any) -> Any | None:
    cond = node.child_by_field_name("condition")
    inner = named(cond) if cond is not None else []
    return inner[0] if inner else None


def _callee(node: Any, source: bytes) -> str | None:
    if node.type != "method_invocation":
        return None
    return text(node.child_by_field_name("name"), source)


def _rewrite(node: Any, source: bytes, edits: Edits) -> None:
    if node.type == "assert_statement":  # counts even without -ea
        cond = named(node)[0]
        edits.wrap(cond, "AssayMain.assayCheck(", ")")


DIALECT = Dialect(
    grammar="java",
    is_site=_is_site,
    condition=_condition,
    is_declaration=lambda n: n.type == "local_variable_declaration" or n.type in _TYPES,
    callee=_callee,
    count_open="AssayMain.assayCheck(",
    count_close=")",
    count_statement=" AssayMain.assayCounted(); ",
    rewrite=_rewrite,
    begin="AssayMain.assayBegin({k});",
    guard_close=" } catch (Throwable assayE) { AssayMain.assayCaught(assayE); }",
    end="AssayMain.assayEnd();",
)

_HARNESS = r"""
    static java.io.PrintStream assayChannel;
    static int assayTest = -1, assayCount = 0, assayStopped = -1;
    static long assayT0;
    static Throwable assayFailure;
    static void assaySend(String s) { assayChannel.print(s + "\n"); assayChannel.flush(); }
    static String assayQuote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    public static boolean assayCheck(boolean c) { assayCount++; return c; }
    public static void assayCounted() { assayCount++; }
    public static void assayBegin(int t) {
        assayTest = t; assayCount = 0; assayFailure = null;
        assaySend("{\"e\":\"begin\",\"t\":" + t + "}");
        assayT0 = System.nanoTime();
    }
    public static void assayCaught(Throwable e) { if (assayFailure == null) assayFailure = e; }
    public static void assayEnd() {
        if (assayTest < 0) return;
        double d = (System.nanoTime() - assayT0) / 1e9;
        String rec = "{\"e\":\"end\",\"t\":" + assayTest + ",\"d\":" + d + ",\"n\":" + assayCount;
        Throwable e = assayFailure;
        if (e != null) {
            boolean fail = e instanceof AssertionError || e.getClass() == RuntimeException.class
                || e.getClass() == Exception.class || e instanceof IllegalStateException;
            rec += ",\"x\":{\"k\":\"" + (fail ? "fail" : "error") + "\",\"type\":"
                + assayQuote(e.getClass().getSimpleName()) + ",\"m\":"
                + assayQuote(String.valueOf(e.getMessage())) + "}";
        }
        assaySend(rec + "}");
        assayTest = -1;
    }
    static void assayStop(Throwable e) {
        if (assayTest >= 0) { assayStopped = assayTest; assayCaught(e); assayEnd(); return; }
        assaySend("{\"e\":\"setup_error\",\"m\":"
            + assayQuote("the test program threw outside its tests: " + e) + "}");
    }
"""
_MAIN_OPEN = """    public static void main(String[] args) throws Exception {
        assayChannel = new java.io.PrintStream(new java.io.FileOutputStream("/proc/self/fd/3"), true, "UTF-8");
        assaySend("{\\"e\\":\\"start\\"}");
        try {
"""
_MAIN_CLOSE = """
        } catch (Throwable assayE) { assayStop(assayE); }
        assaySend("{\\"e\\":\\"done\\"" + (assayStopped >= 0 ? ",\\"stopped\\":" + assayStopped : "") + "}");
        System.exit(0);
    }
}
"""


def _package(node: Any, source: bytes) -> str:
    """The package an import names: `org.x.Y` -> `org.x`; `org.x.*` -> `org.x`."""
    names = [n for n in named(node) if n.type in ("scoped_identifier", "identifier")]
    parts = text(names[0], source).split(".") if names else []
    upper = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts))
    return ".".join(parts[:upper])


@functools.cache
def _user_packages(classpath: str) -> frozenset[str]:
    """Packages found in the user's extra jars and class dirs."""
    found: set[str] = set()
    for entry in filter(None, classpath.split(":")):
        path = Path(entry)
        try:
            if path.is_dir():
                names = [str(p.relative_to(path)) for p in path.rglob("*.class")]
            else:
                with zipfile.ZipFile(path) as jar:
                    names = [n for n in jar.namelist() if n.endswith(".class")]
        except (OSError, zipfile.BadZipFile):
            continue
        found.update(n.rsplit("/", 1)[0].replace("/", ".") for n in names if "/" in n)
    return frozenset(found)


def _require_libraries(packages: list[str]) -> None:
    """Raise `Unsupported` for an import that neither the JDK nor the user's classpath has."""
    user = _user_packages(os.environ.get(CLASSPATH_ENV, ""))
    for package in packages:
        if package and not (package + ".").startswith(_JDK_PREFIXES) and package not in user:
            raise Unsupported(f"needs the Java library {package}")


class _Unit:
    """A parsed compilation unit split into imports, types and the rest."""

    def __init__(self, code: str) -> None:
        self.root, self.source = cpp_java.parse("java", code)
        self.edits = Edits(self.source)
        nodes = named(self.root)
        self.imports = [n for n in nodes if n.type == "import_declaration"]
        self.types = [n for n in nodes if n.type in _TYPES]
        self.rest = [n for n in nodes if n not in self.imports and n not in self.types]
        self.rest = [n for n in self.rest if n.type != "package_declaration"]

    def import_lines(self) -> list[str]:
        return [text(n, self.source) for n in self.imports]

    def packages(self) -> list[str]:
        return [_package(n, self.source) for n in self.imports]


def _main_class(unit: _Unit) -> tuple[str, Any] | None:
    """(class name, main method) of the first top-level class declaring `main`."""
    for node in unit.types:
        body = node.child_by_field_name("body")
        for member in named(body) if body is not None else []:
            name = member.child_by_field_name("name")
            if member.type == "method_declaration" and text(name, unit.source) == "main":
                return text(node.child_by_field_name("name"), unit.source), member
    return None


def _methods(unit: _Unit, nodes: list[Any]) -> dict[str, Any]:
    """name -> body of every method declared in these nodes (classes included), but main."""
    found: dict[str, Any] = {}
    for node in nodes:
        for current in cpp_java.walk(node):
            if current.type == "method_declaration":
                name = text(current.child_by_field_name("name"), unit.source)
                if name != "main" and current.child_by_field_name("body") is not None:
                    found[name] = current.child_by_field_name("body")
    return found


def _static(node: Any, source: bytes, edits: Edits) -> str:
    """A bare method or field made a static member, as the tests call it unqualified."""
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    if node.type in ("method_declaration", "field_declaration", "local_variable_declaration"):
        if modifiers is None or "static" not in text(modifiers, source).split():
            return "static " + edits.node(node)
    return edits.node(node)


def build(language: Language, request: RunRequest) -> Program:
    """The item as one file, run by the source launcher (which compiles it in memory)."""
    require_toolchain(language)
    source, names = program_source(request)
    step = run_step(_java_argv(), request.timeout + 5.0, "managed")  # includes the compile
    program = Program(language.id, names, {"AssayMain.java": source}, [step])
    program.judge = _judge
    return program


def program_source(request: RunRequest) -> tuple[str, list[str]]:
    """The item as one file: imports, `AssayMain` (harness and the tests' driver), types;
    and the names of its tests."""
    solution, tests = _Unit(request.solution), _Unit(request.tests)
    _require_libraries(solution.packages() + tests.packages())
    extends, solution_text = "", [text(n, solution.source) for n in solution.types]
    if solution.rest:  # bare methods: static members of a Solution class we extend
        members: list[str] = [_static(n, solution.source, solution.edits) for n in solution.rest]
        solution_text.append("class Solution {\n" + "\n".join(members) + "\n}")
        extends = " extends Solution"
    helpers = cpp_java.checking_helpers(
        _methods(tests, tests.types + tests.rest), tests.source, DIALECT
    )
    cpp_java.instrument(tests.root, tests.source, DIALECT, tests.edits, helpers, True)
    found = _main_class(tests)
    members = []
    if found is not None:  # a test class with its own main
        name, main = found
        body = named(main.child_by_field_name("body"))
        names = cpp_java.mark_tests(body, tests.source, DIALECT, tests.edits, helpers)
        call = f"{name}.main(args);"
        driver = call if names else f"assayBegin(0); {call} assayEnd();"
        test_types = [tests.edits.node(n) for n in tests.types]
        members = [_static(n, tests.source, tests.edits) for n in tests.rest]
    else:  # bare statements; methods become members, types go to the top level
        statements = [
            n for n in tests.rest if n.type not in ("method_declaration", "field_declaration")
        ]
        members = [_static(n, tests.source, tests.edits) for n in tests.rest if n not in statements]
        names = cpp_java.mark_tests(statements, tests.source, DIALECT, tests.edits, helpers)
        driver = "\n".join(tests.edits.node(n) for n in statements)
        if not names:
            driver = f"assayBegin(0);\n{driver}\nassayEnd();"
        test_types = [tests.edits.node(n) for n in tests.types]
    imports = dict.fromkeys(
        ["import java.util.*;", "import java.util.function.*;", "import java.util.stream.*;"]
        + solution.import_lines()
        + tests.import_lines()
    )
    source = (
        "\n".join(imports)
        + f"\npublic class AssayMain{extends} {{\n"
        + _HARNESS
        + "\n".join(members)
        + "\n"
        + _MAIN_OPEN
        + driver
        + _MAIN_CLOSE
        + "\n".join(solution_text + test_types)
        + "\n"
    )
    return source, names or ["main" if found else "tests"]


# C1 only and the serial collector: a short run spends its time starting, not computing.
JVM_FLAGS = ["-ea", "-Xmx256m", "-Xss8m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
JVM_FLAGS += ["-XX:-UsePerfData"]


def _java_argv() -> list[str]:
    argv = ["java", *JVM_FLAGS]
    archive = CLASS_ARCHIVE.get() if cpp_java.cache_is_safe() else None
    if archive:
        argv.append(f"-XX:SharedArchiveFile={archive}")
    classpath = os.environ.get(CLASSPATH_ENV)
    if classpath:
        argv += ["--class-path", classpath]
    return [*argv, "AssayMain.java"]


# -------------------------------------------------------------- class-data sharing

_SAMPLE = RunRequest(
    "java",
    "import java.util.*;\nclass Solution { List<Integer> f(List<Integer> x) {\n"
    "    return x.stream().map(v -> v * 2).collect(java.util.stream.Collectors.toList()); } }",
    "public class Main { public static void main(String[] a) {\n"
    "    if (!new Solution().f(Arrays.asList(1)).equals(Arrays.asList(2))) throw new AssertionError();\n"
    '    Map<String, Integer> m = new HashMap<>(); m.put("a", 1); assert m.get("a") == 1; } }',
)


def _archive_built(_: Any = None) -> str | None:
    """A class-data archive of the source launcher's compiler and the classes a test
    loads, dumped once by the parent outside any run: each run then maps the classes
    instead of loading and verifying them (about a third less CPU per item)."""
    java = absolute(["java"])[0]
    key = hashlib.sha256("\0".join([toolchain().version, java, *JVM_FLAGS]).encode())
    folder = cpp_java.cache_dir("java") / key.hexdigest()[:16]
    archive = folder / "assay.jsa"
    if archive.is_file():
        return str(archive)
    source, _ = program_source(_SAMPLE)
    argv = [java, *JVM_FLAGS, "-XX:ArchiveClassesAtExit=assay.jsa", "AssayMain.java"]
    ok = cpp_java.build_once(folder, {"AssayMain.java": source}, argv, ["assay.jsa"])
    return str(archive) if ok else None


CLASS_ARCHIVE = cpp_java.Prebuilt(_archive_built)


_MISSING_PACKAGE = re.compile(r"package ([\w.]+) does not exist")


def _judge(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    result = cpp_java.judge(program, steps)
    missing = (
        _MISSING_PACKAGE.search(steps[-1]["stderr"]) if result.status == "unparsable" else None
    )
    if missing:  # the compiler's own words, for imports our package list did not catch
        return RunResult("unsupported", reason=f"needs the Java library {missing.group(1)}")
    return result


LANGUAGES = [
    Language(
        "java",
        "Java",
        ("java",),
        ".java",
        lexer="java",
        editor="java",
        grammar="java",
        toolchain=toolchain,
        build=build,
        roots=cpp_java.sandbox_roots,
    ),
]
