"""Java: one source file per item, run by the source launcher (`java File.java`)."""

from __future__ import annotations

import functools
import re
import shutil

from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    numbered,
    on_path,
    require_toolchain,
    run_step,
    statement_tests,
    test_names,
)
from sandbox.result import RunRequest


@functools.cache
def toolchain() -> Toolchain:
    java = on_path("java", ["-version"])
    if java.available and not shutil.which("javac"):
        return Toolchain(False, reason="javac not found (a JDK is needed)")
    return java


NEWLINE_ENDS = False
DECLARATION = re.compile(
    r"^(?!(assert|return|throw|if|for|while|do|switch|try)\b)(final\s+)?[\w.<>\[\], ?]+\s+\w+\s*(=|;)"
)
ASSERTS = re.compile(r"\bthrow\b|^assert\b")

_JAVA_HARNESS = """
    static java.io.PrintStream assayChannel;
    static void assaySend(String s) { assayChannel.print(s + "\\n"); assayChannel.flush(); }
    static String assayQuote(String s) {
        StringBuilder b = new StringBuilder("\\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\\\') b.append('\\\\').append(c);
            else if (c < 0x20) b.append(String.format("\\\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    static void assayEnd(int t, long t0, Throwable e) {
        double d = (System.nanoTime() - t0) / 1e9;
        if (e == null) { assaySend("{\\"e\\":\\"end\\",\\"t\\":" + t + ",\\"d\\":" + d + "}"); return; }
        boolean fail = e instanceof AssertionError || e.getClass() == RuntimeException.class
            || e.getClass() == Exception.class || e instanceof IllegalStateException;
        String m = String.valueOf(e.getMessage());
        assaySend("{\\"e\\":\\"end\\",\\"t\\":" + t + ",\\"d\\":" + d + ",\\"x\\":{\\"k\\":\\""
            + (fail ? "fail" : "error") + "\\",\\"type\\":" + assayQuote(e.getClass().getSimpleName())
            + ",\\"m\\":" + assayQuote(m) + "}}");
    }
"""


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    pairs = statement_tests(
        request.tests, newline_ends=NEWLINE_ENDS, declaration=DECLARATION, asserts=ASSERTS
    )
    solution = request.solution
    imports = re.findall(r"^\s*import\s+[\w.*\s]+;", solution, flags=re.M)
    solution = re.sub(r"^\s*import\s+[\w.*\s]+;", "", solution, flags=re.M)
    solution = re.sub(r"^\s*package\s+[\w.]+;", "", solution, flags=re.M)
    has_types = re.search(
        r"^\s*(public\s+)?(final\s+|abstract\s+)*(class|interface|enum|record)\b",
        solution,
        flags=re.M,
    )
    if has_types:
        solution = re.sub(
            r"^public\s+((?:final\s+|abstract\s+)*(?:class|interface|enum|record)\b)",
            r"\1",
            solution,
            flags=re.M,
        )
        extends = ""
    else:  # bare methods: make them static members of a Solution class we extend
        solution = re.sub(
            r"^(\s*)(public\s+|private\s+|protected\s+)?(?!static)(?=[\w<>\[\], ]+\s+\w+\s*\()",
            r"\1\2static ",
            solution,
            flags=re.M,
        )
        solution = "class Solution {\n" + solution + "\n}\n"
        extends = " extends Solution"

    def wrap(i: int, stmt: str) -> str:
        return (
            f'{{ assaySend("{{\\"e\\":\\"begin\\",\\"t\\":{i}}}"); long t0 = System.nanoTime();\n'
            f"try {{\n{stmt}\n assayEnd({i}, t0, null); }} catch (Throwable e) {{ assayEnd({i}, t0, e); }} }}"
        )

    body = numbered(pairs, wrap)
    source = (
        "import java.util.*;\nimport java.util.function.*;\nimport java.util.stream.*;\n"
        + "\n".join(i.strip() for i in imports)
        + f"\npublic class AssayMain{extends} {{\n"
        + _JAVA_HARNESS
        + "    public static void main(String[] args) throws Exception {\n"
        + '        assayChannel = new java.io.PrintStream(new java.io.FileOutputStream("/proc/self/fd/3"), true, "UTF-8");\n'
        + '        assaySend("{\\"e\\":\\"start\\"}");\n'
        + body
        + '\n        assaySend("{\\"e\\":\\"done\\"}");\n        System.exit(0);\n    }\n}\n'
        + solution
    )
    argv = [
        "java",
        "-ea",
        "-Xmx256m",
        "-Xss8m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData",
        "AssayMain.java",
    ]
    step = run_step(argv, request.timeout + 5.0, "managed")  # includes in-memory compile
    return Program(language.id, test_names(pairs), {"AssayMain.java": source}, [step])


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
    ),
]
