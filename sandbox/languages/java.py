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
import shlex
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

from sandbox.languages import cpp_java, java_compiler
from sandbox.languages.base import (
    Judged,
    Language,
    Program,
    Toolchain,
    Unsupported,
    absolute,
    not_compiled,
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
    """`assert c : m;` becomes `if (!AssayMain.assayCheck(c)) throw new AssertionError(m);`:
    it counts, and it checks whatever the assertion status (which the solution's static
    initialiser could switch off for the classes loaded after it)."""
    if node.type != "assert_statement":
        return
    parts = named(node)
    edits.replace(node.children[0], "if (!AssayMain.assayCheck(")
    edits.insert(parts[0].end_byte, ")) throw new java.lang.AssertionError(", -1, closing=True)
    for child in node.children:
        if child.type == ":":
            edits.replace(child, "")
    if node.children[-1].type == ";":
        edits.insert(node.children[-1].start_byte, ")", -1, closing=True)


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
    private static final StackWalker assayWalker =
        StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final String[] assayCallers = {ASSAY_CALLERS};
    private static java.io.PrintStream assayChannel;
    private static String assayNonce = "";
    private static int assayTest = -1, assayCount = 0, assayStopped = -1;
    private static long assayT0;
    private static Throwable assayFailure;
    private static String assayFailureText;
    private static boolean assayFailed;

    // Only the tests' own classes may call the harness (never the solution, not through
    // reflection or a method handle either: the walker names the class that called).
    private static void assayGuard(Class<?> caller) {
        String name = caller.getName();
        for (String c : assayCallers)
            if (name.equals(c) || name.startsWith(c + "$")) return;
        assaySend("\"e\":\"tamper\",\"m\":" + assayQuote(name));
        Runtime.getRuntime().halt(3);
    }
    private static synchronized void assaySend(String fields) {
        assayChannel.print("{\"k\":" + assayQuote(assayNonce) + "," + fields + "}\n");
        assayChannel.flush();
    }
    private static String assayQuote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 4000; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    public static boolean assayCheck(boolean c) {
        assayGuard(assayWalker.getCallerClass());
        assayCount++;
        return c;
    }
    public static void assayCounted() { assayGuard(assayWalker.getCallerClass()); assayCount++; }
    public static void assayBegin(int t) {
        assayGuard(assayWalker.getCallerClass());
        assayTest = t; assayCount = 0; assayFailure = null; assayFailed = false;
        assaySend("\"e\":\"begin\",\"t\":" + t);
        assayT0 = System.nanoTime();
    }
    public static void assayCaught(Throwable e) {
        assayGuard(assayWalker.getCallerClass());
        assayRecord(e);
    }
    private static void assayRecord(Throwable e) {
        if (assayFailed) return;
        assayFailed = true;
        assayFailure = e;
        String text;
        try { text = String.valueOf(e.getMessage()); } catch (Throwable t) { text = "?"; }
        assayFailureText = text;
    }
    public static void assayEnd() { assayGuard(assayWalker.getCallerClass()); assayFinish(); }
    private static void assayFinish() {
        if (assayTest < 0) return;
        double d = (System.nanoTime() - assayT0) / 1e9;
        String rec = "\"e\":\"end\",\"t\":" + assayTest + ",\"d\":" + d + ",\"n\":" + assayCount;
        if (assayFailed) {
            Throwable e = assayFailure;
            Class<?> k = e == null ? Error.class : e.getClass();
            boolean fail = e instanceof java.lang.AssertionError || k == java.lang.RuntimeException.class
                || k == java.lang.Exception.class || e instanceof java.lang.IllegalStateException;
            rec += ",\"x\":{\"k\":\"" + (fail ? "fail" : "error") + "\",\"type\":"
                + assayQuote(k.getSimpleName()) + ",\"m\":" + assayQuote(assayFailureText) + "}";
        }
        assaySend(rec);
        assayTest = -1;
    }
    private static void assayStop(Throwable e) {
        if (assayTest >= 0) { assayStopped = assayTest; assayRecord(e); assayFinish(); return; }
        assaySend("\"e\":\"setup_error\",\"m\":"
            + assayQuote("the test program threw outside its tests: " + e));
    }
    private static boolean assaySensitive(java.security.Permission p) {
        String name = p.getName();
        if (p instanceof java.io.FilePermission)
            return name.startsWith("/proc") || name.startsWith("/dev/fd")
                || p.getActions().contains("execute");
        if (p instanceof java.lang.reflect.ReflectPermission) return true;
        if (p instanceof java.security.SecurityPermission) return true;
        return p instanceof RuntimePermission && (name.startsWith("getenv.")
            || name.startsWith("loadLibrary.") || name.equals("setSecurityManager")
            || name.equals("createClassLoader") || name.equals("stopThread")
            || name.startsWith("accessClassInPackage.jdk.internal")
            || name.startsWith("accessClassInPackage.sun."));
    }
    // Code of this file (the item's) is denied what could reach the harness's state or
    // the nonce: reflection past access checks, the environment, /proc, native code,
    // other programs. A check is denied when a frame of the item's classes is on the
    // stack before the JDK's nearest privileged action, so the JDK's own keep working.
    @SuppressWarnings("removal")
    private static boolean assayFromItem() {
        final ClassLoader item = AssayMain.class.getClassLoader();
        return assayWalker.walk(frames -> {
            java.util.Iterator<StackWalker.StackFrame> it = frames.iterator();
            while (it.hasNext()) {
                Class<?> c = it.next().getDeclaringClass();
                if (c == java.security.AccessController.class) return false;
                if (c.getClassLoader() == item && c.getNestHost() != AssayMain.class) return true;
            }
            return false;
        });
    }
    @SuppressWarnings("removal")
    private static void assayLockDown() {
        System.setSecurityManager(new SecurityManager() {
            @Override public void checkPermission(java.security.Permission p) {
                if (assaySensitive(p) && assayFromItem())
                    throw new SecurityException("the sandbox denies " + p);
            }
            @Override public void checkPermission(java.security.Permission p, Object context) {
                checkPermission(p);
            }
        });
    }
"""
_MAIN_OPEN = """    public static void main(String[] args) throws Exception {
        String assayKey = System.getenv("ASSAY_NONCE");
        assayNonce = assayKey == null ? "" : assayKey;
        // fd 3 is the worker's pipe. Anywhere else it may be a file the JVM opened (its
        // lib/modules, when fd 3 was free): never truncated, never written.
        java.nio.file.Path assayFd = java.nio.file.Paths.get("/proc/self/fd/3");
        if (!java.nio.file.Files.exists(assayFd) || java.nio.file.Files.isRegularFile(assayFd)
                || java.nio.file.Files.isDirectory(assayFd)) {
            System.err.println("assay: fd 3 is not the result channel");
            Runtime.getRuntime().halt(125);
        }
        assayChannel = new java.io.PrintStream(new java.io.FileOutputStream("/proc/self/fd/3", true), true, "UTF-8");
        assaySend("\\"e\\":\\"start\\"");
        try { assayLockDown(); } catch (UnsupportedOperationException | SecurityException e) { }
        try {
            AssayTests.assayRun(args);
        } catch (Throwable assayE) { assayStop(assayE); }
        assaySend("\\"e\\":\\"done\\"" + (assayStopped >= 0 ? ",\\"stopped\\":" + assayStopped : ""));
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(0);
    }
}
"""
_TESTS_OPEN = """class AssayTests{extends} {{
{members}
    static void assayRun(String[] args) throws Exception {{
"""
_TESTS_CLOSE = """
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
    """The item as one file, compiled by a warm compiler and run from its classes; where
    there is none (see `java_compiler`), run by the source launcher, which compiles it
    in memory inside the run."""
    require_toolchain(language)
    source, names = program_source(request)
    files = {"AssayMain.java": source}
    timeout = request.timeout + 5.0  # compile and run, as the source launcher's one step
    started = time.monotonic()
    try:
        compiled = java_compiler.compile_source(files, os.environ.get(CLASSPATH_ENV), timeout)
    except java_compiler.CompilerFailed as exc:
        raise Judged(RunResult("error", reason=str(exc), language=language.id)) from None
    if compiled is None:
        step = run_step(_java_argv(), timeout, "managed")  # includes the compile
        program = Program(language.id, names, files, [step])
    else:
        left = max(1.0, timeout - (time.monotonic() - started))
        step = run_step(_class_argv(), left, "managed")
        program = Program(language.id, names, {}, [step], blobs=compiled.classes)
        if not compiled.ok:
            raise Judged(_not_compiled(program, compiled.diagnostics))
    step["env"] = {cpp_java.NONCE_ENV: cpp_java.nonce()}
    program.judge = _judge
    return program


# ------------------------------------------------------------------------ refusals

# Public types of the packages every program imports on demand (java.lang, java.util,
# java.util.function, java.util.stream): a solution type of one of these names would
# stand in for the JDK's in the tests (an `Arrays.equals` that always says yes).
JDK_TYPES = frozenset(
    """
    AbstractCollection AbstractList AbstractMap AbstractMethodError AbstractQueue
    AbstractSequentialList AbstractSet AbstractStringBuilder Appendable ArithmeticException
    ArrayDeque ArrayIndexOutOfBoundsException ArrayList ArrayStoreException Arrays
    AssertionError AutoCloseable Base64 BaseStream BiConsumer BiFunction BiPredicate
    BinaryOperator BitSet Boolean BooleanSupplier BootstrapMethodError Byte Calendar
    CharSequence Character Class ClassCastException ClassCircularityError ClassFormatError
    ClassLoader ClassNotFoundException ClassValue CloneNotSupportedException Cloneable
    Collection Collections Collector Collectors Comparable Comparator Compiler
    ConcurrentModificationException Consumer Currency Date Deprecated Deque Dictionary Double
    DoubleBinaryOperator DoubleConsumer DoubleFunction DoublePredicate DoubleStream
    DoubleSummaryStatistics DoubleSupplier DoubleToIntFunction DoubleToLongFunction
    DoubleUnaryOperator DuplicateFormatFlagsException EmptyStackException Enum
    EnumConstantNotPresentException EnumMap EnumSet Enumeration Error EventListener
    EventListenerProxy EventObject Exception ExceptionInInitializerError Float
    FormatFlagsConversionMismatchException Formattable FormattableFlags Formatter
    FormatterClosedException Function FunctionalInterface GregorianCalendar HashMap HashSet
    Hashtable IdentityHashMap IllegalAccessError IllegalAccessException
    IllegalArgumentException IllegalCallerException IllegalFormatCodePointException
    IllegalFormatConversionException IllegalFormatException IllegalFormatFlagsException
    IllegalFormatPrecisionException IllegalFormatWidthException IllegalMonitorStateException
    IllegalStateException IllegalThreadStateException IllformedLocaleException
    IncompatibleClassChangeError IndexOutOfBoundsException InheritableThreadLocal
    InputMismatchException InstantiationError InstantiationException IntBinaryOperator
    IntConsumer IntFunction IntPredicate IntStream IntSummaryStatistics IntSupplier
    IntToDoubleFunction IntToLongFunction IntUnaryOperator Integer InternalError
    InterruptedException InvalidPropertiesFormatException Iterable Iterator
    LayerInstantiationException LinkageError LinkedHashMap LinkedHashSet LinkedList List
    ListIterator ListResourceBundle Locale Long LongBinaryOperator LongConsumer LongFunction
    LongPredicate LongStream LongSummaryStatistics LongSupplier LongToDoubleFunction
    LongToIntFunction LongUnaryOperator Map Math MissingFormatArgumentException
    MissingFormatWidthException MissingResourceException Module ModuleLayer NamedPackage
    NavigableMap NavigableSet NegativeArraySizeException NoClassDefFoundError
    NoSuchElementException NoSuchFieldError NoSuchFieldException NoSuchMethodError
    NoSuchMethodException NullPointerException Number NumberFormatException ObjDoubleConsumer
    ObjIntConsumer ObjLongConsumer Object Objects Observable Observer Optional OptionalDouble
    OptionalInt OptionalLong OutOfMemoryError Override Package Predicate PrimitiveIterator
    PriorityQueue Process ProcessBuilder ProcessHandle Properties PropertyPermission
    PropertyResourceBundle Queue Random RandomAccess Readable Record
    ReflectiveOperationException ResourceBundle Runnable Runtime RuntimeException
    RuntimePermission SafeVarargs Scanner SecurityException SecurityManager
    ServiceConfigurationError ServiceLoader Set Short SimpleTimeZone SortedMap SortedSet
    Spliterator Spliterators SplittableRandom Stack StackOverflowError StackTraceElement
    StackWalker Stream StreamSupport StrictMath String StringBuffer StringBuilder
    StringIndexOutOfBoundsException StringJoiner StringTokenizer Supplier SuppressWarnings
    System Thread ThreadDeath ThreadGroup ThreadLocal Throwable TimeZone Timer TimerTask
    ToDoubleBiFunction ToDoubleFunction ToIntBiFunction ToIntFunction ToLongBiFunction
    ToLongFunction TooManyListenersException TreeMap TreeSet TypeNotPresentException UUID
    UnaryOperator UnknownError UnknownFormatConversionException UnknownFormatFlagsException
    UnsatisfiedLinkError UnsupportedClassVersionError UnsupportedOperationException Vector
    VerifyError VirtualMachineError Void WeakHashMap
    """.split()
)
# Methods a comparison in the tests calls on the solution's objects.
COMPARED = frozenset({"equals", "hashCode", "toString", "compareTo"})


def _type_name(node: Any, source: bytes) -> str:
    name = node.child_by_field_name("name")
    return text(name, source) if name is not None else ""


def _words(unit: _Unit) -> set[str]:
    return {
        text(n, unit.source)
        for n in cpp_java.walk(unit.root)
        if n.type in ("identifier", "type_identifier") and not n.children
    }


def refusal(solution: _Unit, tests: _Unit) -> str | None:
    """Why an item may not run (None when it may): it names the harness, or the solution
    stands in for a JDK type the tests use, or overrides what the tests compare with on
    an object of a JDK type."""
    test_words = _words(tests)
    for role, unit in (("solution", solution), ("tests", tests)):
        words = _words(unit)
        harness = sorted(w for w in words if w.lower().startswith("assay"))
        if harness:
            return f"the {role} uses the harness's name {harness[0]!r}"
        if role == "solution" and any("$" in w for w in words):
            return "the solution uses '$' in a name (the compiler's names for nested classes)"
    own: set[str] = set()
    for node in cpp_java.walk(solution.root):
        if node.type in _TYPES:
            name = _type_name(node, solution.source)
            own.add(name)
            if name in JDK_TYPES and name in test_words:
                return f"the solution declares a type {name!r}, which stands in for the JDK's"
    for node in cpp_java.walk(solution.root):
        if node.type != "method_declaration":
            continue
        method = text(node.child_by_field_name("name"), solution.source)
        body = node.parent
        owner = body.parent if body is not None else None
        if method not in COMPARED or owner is None:
            continue
        if owner.type == "object_creation_expression":
            return f"the solution overrides {method} in an anonymous class"
        supers = [
            c
            for c in owner.children
            if c.type in ("superclass", "super_interfaces", "extends_interfaces")
        ]
        named_supers = {
            text(n, solution.source)
            for c in supers
            for n in cpp_java.walk(c)
            if n.type == "type_identifier"
        }
        if named_supers - own:
            foreign = sorted(named_supers - own)[0]
            return f"the solution overrides {method} in a subtype of the JDK's {foreign}"
    return None


def program_source(request: RunRequest) -> tuple[str, list[str]]:
    """The item as one file: imports, `AssayMain` (harness and the tests' driver), types;
    and the names of its tests."""
    solution, tests = _Unit(request.solution), _Unit(request.tests)
    _require_libraries(solution.packages() + tests.packages())
    refused = refusal(solution, tests)
    if refused:
        raise cpp_java.Refused("refused: " + refused)
    extends, solution_text = "", [text(n, solution.source) for n in solution.types]
    if solution.rest:  # bare methods: static members of a Solution class the tests extend
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
        driver = call if names else f"AssayMain.assayBegin(0); {call} AssayMain.assayEnd();"
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
            driver = f"AssayMain.assayBegin(0);\n{driver}\nAssayMain.assayEnd();"
        test_types = [tests.edits.node(n) for n in tests.types]
    imports = dict.fromkeys(
        ["import java.util.*;", "import java.util.function.*;", "import java.util.stream.*;"]
        + solution.import_lines()
        + tests.import_lines()
    )
    callers = ["AssayTests", *(_type_name(n, tests.source) for n in tests.types)]
    harness = _HARNESS.replace("ASSAY_CALLERS", ", ".join(f'"{c}"' for c in callers))
    source = (
        "\n".join(imports)
        + "\npublic class AssayMain {\n"
        + harness
        + _MAIN_OPEN
        + _TESTS_OPEN.format(extends=extends, members="\n".join(members))
        + driver
        + _TESTS_CLOSE
        + "\n".join(solution_text + test_types)
        + "\n"
    )
    return source, names or ["main" if found else "tests"]


# C1 only and the serial collector: a short run spends its time starting, not computing.
JVM_FLAGS = ["-ea", "-Xmx256m", "-Xss8m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
JVM_FLAGS += ["-XX:-UsePerfData"]


@functools.cache
def _jvm_flags() -> list[str]:
    """JVM_FLAGS, plus leave to install the harness's security manager where the JDK
    still has one (17 to 23: from 24 on there is none, and the run goes without)."""
    found = re.search(r'version "(\d+)', toolchain().version)
    major = int(found.group(1)) if found else 0
    return [*JVM_FLAGS, "-Djava.security.manager=allow"] if 17 <= major < 24 else JVM_FLAGS


def _class_argv() -> list[str]:
    """Run compiled classes: `java -cp . AssayMain`, with the archive of a test's JDK classes."""
    argv = ["java", *_jvm_flags()]
    archive = RUN_ARCHIVE.get()
    if archive:
        argv.append(f"-XX:SharedArchiveFile={archive}")
    classpath = os.environ.get(CLASSPATH_ENV)
    return [*argv, "--class-path", "." + (f":{classpath}" if classpath else ""), "AssayMain"]


def _java_argv() -> list[str]:
    argv = ["java", *_jvm_flags()]
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


def _archive_target() -> Path:
    java = absolute(["java"])[0]
    key = hashlib.sha256("\0".join([toolchain().version, java, *_jvm_flags()]).encode())
    return cpp_java.cache_dir("java") / key.hexdigest()[:16] / "assay.jsa"


def _archive_found(_: Any = None) -> str | None:
    archive = _archive_target()
    return str(archive) if archive.is_file() else None


def _archive_built(_: Any = None) -> str | None:
    """A class-data archive of the source launcher's compiler and the classes a test
    loads, dumped once by the parent outside any run: each run then maps the classes
    instead of loading and verifying them (about a third less CPU per item)."""
    archive = _archive_target()
    if archive.is_file():
        return str(archive)
    source, _ = program_source(_SAMPLE)
    argv = [absolute(["java"])[0], *_jvm_flags(), "-XX:ArchiveClassesAtExit=assay.jsa"]
    argv.append("AssayMain.java")
    ok = cpp_java.build_once(archive.parent, {"AssayMain.java": source}, argv, ["assay.jsa"])
    return str(archive) if ok else None


CLASS_ARCHIVE = cpp_java.Prebuilt(_archive_built, _archive_found)


def _run_archive_target() -> Path:
    return _archive_target().with_name("assay-classes.jsa")


def _run_archive_found(_: Any = None) -> str | None:
    archive = _run_archive_target()
    return str(archive) if archive.is_file() else None


def _run_archive_built(_: Any = None) -> str | None:
    """The same for runs of compiled classes (the warm compiler's): the JDK classes a
    test loads, without the compiler's."""
    archive = _run_archive_target()
    if archive.is_file():
        return str(archive)
    source, _ = program_source(_SAMPLE)
    java, javac = absolute(["java"])[0], absolute(["javac"])[0]
    dump = [java, *_jvm_flags(), "-XX:ArchiveClassesAtExit=assay-classes.jsa"]
    script = f"{shlex.join([javac, '-proc:none', '-d', '.', 'AssayMain.java'])} && exec "
    script += shlex.join([*dump, "--class-path", ".", "AssayMain"])
    argv = ["/bin/sh", "-c", script]
    inputs = {"AssayMain.java": source}
    ok = cpp_java.build_once(archive.parent, inputs, argv, ["assay-classes.jsa"])
    return str(archive) if ok else None


RUN_ARCHIVE = cpp_java.Prebuilt(_run_archive_built, _run_archive_found)


_MISSING_PACKAGE = re.compile(r"package ([\w.]+) does not exist")


# What JDK 17 to 23 print when the harness installs its security manager.
_SM_WARNING = re.compile(
    r"^WARNING: (A terminally deprecated method in java\.lang\.System|System::setSecurityManager"
    r"|Please consider reporting this to the maintainers of AssayMain).*\n?",
    re.MULTILINE,
)


def _not_compiled(program: Program, diagnostics: str) -> RunResult:
    """The verdict on the warm compiler's refusal, worded as the source launcher's."""
    missing = _MISSING_PACKAGE.search(diagnostics)
    if missing:
        return RunResult("unsupported", reason=f"needs the Java library {missing.group(1)}")
    report = {"stdout": "", "stderr": diagnostics, "timed_out": False, "exit": 1}
    return not_compiled(program, report)


def _judge(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    result = cpp_java.judge(program, steps)
    if result.stderr_tail:
        result.stderr_tail = _SM_WARNING.sub("", result.stderr_tail)
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
