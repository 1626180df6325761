"""C++: one program per item, built with `g++ -std=c++17 -O0`.

Test shapes: bare statements (`assert(f(1) == 2);`, `if (...) throw ...;`), or a whole
program with its own `main()` (HumanEval-X: `assert`; MBCPP: `if (!(compare(x, y)))
throw runtime_error(...)`). Statements are classified with tree-sitter (see
`cpp_java`): the test's `main` becomes `assay_test_main`, its `assert` calls count
through our own macro (a later `#include <assert.h>` cannot bring the aborting one
back), and our `main` reports on fd 3. Every program starts with a prelude
(`bits/stdc++.h` and the harness) that the parent precompiles once, outside any run.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shlex
import shutil
import time
from pathlib import Path
from typing import Any

from sandbox.languages import cpp_java
from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    Unsupported,
    absolute,
    compile_step,
    on_path,
    require_toolchain,
    run_step,
)
from sandbox.languages.cpp_java import Dialect, Edits, named, text
from sandbox.result import RunRequest, RunResult

CXXFLAGS_ENV = "ASSAY_CXXFLAGS"  # extra compile flags, e.g. "-I/opt/include"
LDFLAGS_ENV = "ASSAY_LDFLAGS"  # extra link flags, e.g. "-L/opt/lib -lfoo"
FLAGS = ["-std=c++17", "-O0", "-w"]

# Include prefix -> (library, Debian package); headers -> link flags they need.
LIBRARIES = {"boost/": ("Boost", "libboost-dev"), "openssl/": ("OpenSSL", "libssl-dev")}
LINK_FLAGS = {
    "openssl/": ["-lcrypto"],
    "openssl/ssl.h": ["-lssl", "-lcrypto"],
    "boost/regex": ["-lboost_regex"],
    "boost/filesystem": ["-lboost_filesystem"],
    "boost/program_options": ["-lboost_program_options"],
    "boost/iostreams": ["-lboost_iostreams"],
}
INCLUDE_DIRS = ["/usr/include", "/usr/local/include", "/usr/include/x86_64-linux-gnu"]


@functools.cache
def toolchain() -> Toolchain:
    return on_path("g++", ["--version"])


# What the program sees of the harness: declarations and macros on <exception> alone,
# so no name an item did not include appears (an extra <cstring> made a test's
# `strlen("")` call the C library instead of the solution's `strlen`).
HARNESS = r"""#ifndef ASSAY_HARNESS_H
#define ASSAY_HARNESS_H
#include <exception>
struct assay_assertion_failed : std::exception {
    const char* text;
    explicit assay_assertion_failed(const char* t) : text(t) {}
    const char* what() const noexcept override { return text; }
};
bool assay_check(bool c);
void assay_counted();
void assay_assert(bool c, const char* text);
void assay_begin(int t);
void assay_end();
void assay_caught_exception(const std::exception& e);
void assay_caught_unknown();
void assay_returned(int rc);
void assay_start();
void assay_stop_exception(const std::exception& e);
void assay_stop_unknown();
void assay_done();
inline int assay_call_main(int (*f)(), int, char**) { return f(); }
inline int assay_call_main(int (*f)(int, char**), int argc, char** argv) { return f(argc, argv); }
inline int assay_call_main(int (*f)(int, const char**), int argc, char** argv) {
    return f(argc, const_cast<const char**>(argv));
}
#define ASSAY_ASSERT(...) assay_assert(static_cast<bool>(__VA_ARGS__), "assertion failed: " #__VA_ARGS__)
#define ASSAY_CATCH catch (const std::exception& assay_e) { assay_caught_exception(assay_e); } \
    catch (...) { assay_caught_unknown(); }
#endif
"""
# The harness itself: compiled once by the parent, linked into every program.
HARNESS_IMPL = r"""#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include "assay_harness.h"
static int assay_test_index = -1, assay_count = 0, assay_stopped = -1;
static std::chrono::steady_clock::time_point assay_t0;
static std::string assay_failure, assay_failure_kind;
static void assay_send(const std::string& s) {
    static std::FILE* channel = fdopen(3, "w");
    if (!channel) return;
    std::fputs((s + "\n").c_str(), channel);
    std::fflush(channel);
}
static std::string assay_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); out += b; }
        else out += c;
    }
    return out + "\"";
}
// What tests throw (our assert, runtime_error, logic_error) fails; the rest is an error.
static const char* assay_kind(const std::exception& e) {
    bool fail = dynamic_cast<const assay_assertion_failed*>(&e) != nullptr
        || typeid(e) == typeid(std::runtime_error) || typeid(e) == typeid(std::logic_error);
    return fail ? "fail" : "error";
}
bool assay_check(bool c) { ++assay_count; return c; }
void assay_counted() { ++assay_count; }
void assay_assert(bool c, const char* text) {
    ++assay_count;
    if (!c) throw assay_assertion_failed(text);
}
void assay_begin(int t) {
    assay_test_index = t; assay_count = 0; assay_failure.clear(); assay_failure_kind.clear();
    assay_send("{\"e\":\"begin\",\"t\":" + std::to_string(t) + "}");
    assay_t0 = std::chrono::steady_clock::now();
}
static void assay_caught(const std::string& kind, const std::string& message) {
    if (assay_failure_kind.empty()) { assay_failure_kind = kind; assay_failure = message; }
}
void assay_caught_exception(const std::exception& e) { assay_caught(assay_kind(e), e.what()); }
void assay_caught_unknown() { assay_caught("fail", "a non-standard exception"); }
void assay_end() {
    if (assay_test_index < 0) return;
    double d = std::chrono::duration<double>(std::chrono::steady_clock::now() - assay_t0).count();
    std::string rec = "{\"e\":\"end\",\"t\":" + std::to_string(assay_test_index) + ",\"d\":"
        + std::to_string(d) + ",\"n\":" + std::to_string(assay_count);
    if (!assay_failure_kind.empty())
        rec += ",\"x\":{\"k\":\"" + assay_failure_kind + "\",\"type\":\"exception\",\"m\":"
            + assay_quote(assay_failure) + "}";
    assay_send(rec + "}");
    assay_test_index = -1;
}
static void assay_stop(const std::string& kind, const std::string& message) {
    if (assay_test_index >= 0) {
        assay_stopped = assay_test_index; assay_caught(kind, message); assay_end(); return;
    }
    assay_send("{\"e\":\"setup_error\",\"m\":"
        + assay_quote("the test program stopped outside its tests: " + message) + "}");
}
void assay_stop_exception(const std::exception& e) { assay_stop(assay_kind(e), e.what()); }
void assay_stop_unknown() { assay_stop("fail", "a non-standard exception"); }
void assay_returned(int rc) {
    if (rc != 0) assay_stop("fail", "main returned " + std::to_string(rc));
    else if (assay_test_index >= 0) { assay_stopped = assay_test_index; assay_end(); }
}
void assay_start() { assay_send("{\"e\":\"start\"}"); }
void assay_done() {
    std::string stopped = assay_stopped >= 0 ? ",\"stopped\":" + std::to_string(assay_stopped) : "";
    assay_send("{\"e\":\"done\"" + stopped + "}");
}
"""
_MAIN = """
int main(int assay_argc, char** assay_argv) {
    assay_start();
    try {
%s
    } catch (const std::exception& assay_e) { assay_stop_exception(assay_e); }
    catch (...) { assay_stop_unknown(); }
    assay_done();
    return 0;
}
"""

_EXITS = ("exit", "abort", "_Exit", "quick_exit")
# Top-level kinds that stay at file scope in bare tests; everything else runs in main.
_FILE_SCOPE = (
    "function_definition",
    "template_declaration",
    "struct_specifier",
    "class_specifier",
    "enum_specifier",
    "union_specifier",
    "alias_declaration",
    "type_definition",
    "using_declaration",
    "namespace_definition",
    "linkage_specification",
    "static_assert_declaration",
)


def _callee(node: Any, source: bytes) -> str | None:
    if node.type != "call_expression":
        return None
    function = node.child_by_field_name("function")
    if function is not None and function.type == "qualified_identifier":
        function = function.child_by_field_name("name")
    if function is None or function.type != "identifier":
        return None
    return text(function, source)


def _is_site(node: Any, source: bytes, in_main: bool) -> bool:
    if node.type == "throw_statement":
        return True
    if node.type == "call_expression":
        return _callee(node, source) in ("assert", *_EXITS)
    if node.type == "return_statement" and in_main:  # main's status: non-zero fails
        value = named(node)
        return bool(value) and text(value[0], source) not in ("0", "EXIT_SUCCESS")
    return False


def _condition(node: Any) -> Any | None:
    clause = node.child_by_field_name("condition")
    value = clause.child_by_field_name("value") if clause is not None else None
    if value is None or value.type == "declaration":
        return None
    return value


def _rewrite(node: Any, source: bytes, edits: Edits) -> None:
    if (
        _callee(node, source) == "assert"
        and node.child_by_field_name("function").type == "identifier"
    ):
        edits.replace(node.child_by_field_name("function"), "ASSAY_ASSERT")


DIALECT = Dialect(
    grammar="cpp",
    is_site=_is_site,
    condition=_condition,
    is_declaration=lambda n: n.type == "declaration" or n.type in _FILE_SCOPE,
    callee=_callee,
    count_open="assay_check(static_cast<bool>(",
    count_close="))",
    count_statement=" assay_counted(); ",
    rewrite=_rewrite,
    begin="assay_begin({k});",
    guard_close=" } ASSAY_CATCH",
    end="assay_end();",
)


def _function_name(node: Any, source: bytes) -> str | None:
    """The plain name a function definition declares (`main`, `issame`), if any."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    name = declarator.child_by_field_name("declarator") if declarator is not None else None
    return text(name, source) if name is not None and name.type == "identifier" else None


def _definitions(root: Any, source: bytes) -> dict[str, Any]:
    """name -> definition node of every function (and lambda variable) in the code."""
    found: dict[str, Any] = {}
    for node in cpp_java.walk(root):
        if node.type == "function_definition":
            name = _function_name(node, source)
            if name:
                found.setdefault(name, node)
        elif node.type == "init_declarator":
            value = node.child_by_field_name("value")
            name = node.child_by_field_name("declarator")
            if value is not None and value.type == "lambda_expression" and name is not None:
                found.setdefault(text(name, source), value)
    return found


def _headers(root: Any, source: bytes) -> list[str]:
    """The headers a unit includes, anywhere (inside #if blocks too)."""
    return [
        text(node.child_by_field_name("path"), source).strip('<>"')
        for node in cpp_java.walk(root)
        if node.type == "preproc_include" and node.child_by_field_name("path") is not None
    ]


def _user_flags(name: str) -> list[str]:
    try:
        return shlex.split(os.environ.get(name, ""))
    except ValueError:
        raise Unsupported(f"{name} is not a valid list of flags") from None


def _library_flags(headers: list[str]) -> list[str]:
    """Link flags for the libraries the headers belong to; `Unsupported` if one is absent."""
    extra = [flag[2:] for flag in _user_flags(CXXFLAGS_ENV) if flag.startswith("-I")]
    flags: list[str] = []
    for header in headers:
        library = next((v for k, v in LIBRARIES.items() if header.startswith(k)), None)
        if library and not any((Path(d) / header).is_file() for d in [*extra, *INCLUDE_DIRS]):
            raise Unsupported(f"needs the library {library[0]} ({library[1]})")
        for prefix, needed in LINK_FLAGS.items():
            if header.startswith(prefix):
                flags += [f for f in needed if f not in flags]
    return flags


def build(language: Language, request: RunRequest) -> Program:
    """The item as one file: the prelude, the solution, the instrumented tests, our main."""
    require_toolchain(language)
    sol_root, sol_source = cpp_java.parse("cpp", request.solution)
    root, source = cpp_java.parse("cpp", request.tests)
    link = _library_flags(_headers(sol_root, sol_source) + _headers(root, source))
    solution_edits = Edits(sol_source)
    for node in named(sol_root):
        if node.type == "function_definition" and _function_name(node, sol_source) == "main":
            solution_edits.replace(_main_identifier(node), "assay_solution_main")
    edits = Edits(source)
    for node in named(root):  # `#include "solution.h"`: the solution is already above
        path = node.child_by_field_name("path") if node.type == "preproc_include" else None
        if path is not None and path.type == "string_literal":
            edits.replace(node, "\n")
    definitions = _definitions(root, source)
    main = next(
        (
            n
            for n in named(root)
            if n.type == "function_definition" and _function_name(n, source) == "main"
        ),
        None,
    )
    bodies = {k: v for k, v in definitions.items() if v is not main}
    helpers = cpp_java.checking_helpers(bodies, source, DIALECT)
    for node in named(root):
        cpp_java.instrument(node, source, DIALECT, edits, helpers, node is main)
    if main is not None:  # a whole test program: its main is called by ours
        edits.replace(_main_identifier(main), "assay_test_main")
        body = main.child_by_field_name("body")
        edits.insert(body.end_byte - 1, "\nreturn 0;\n", 9)  # flowing off it would be UB
        names = cpp_java.mark_tests(named(body), source, DIALECT, edits, helpers)
        call = "assay_returned(assay_call_main(assay_test_main, assay_argc, assay_argv));"
        driver = call if names else f"assay_begin(0); {call} assay_end();"
        tests_text = edits.apply()
    else:  # bare statements: declarations stay at file scope, the rest runs in our main
        nodes = named(root)
        statements = [n for n in nodes if not _file_scope(n)]
        names = cpp_java.mark_tests(statements, source, DIALECT, edits, helpers)
        driver = "\n".join(edits.node(n) for n in statements)
        if not names:
            driver = f"assay_begin(0);\n{driver}\nassay_end();"
        tests_text = "\n".join(edits.node(n) for n in nodes if _file_scope(n))
    program_text = solution_edits.apply() + "\n" + tests_text + "\n" + _MAIN % driver
    headers = _leading_headers(sol_root, sol_source)
    if main is None:
        headers += [h for h in BARE_HEADERS if h not in headers and "bits/stdc++.h" not in headers]
    # Standard headers do not depend on their order: one precompiled set serves every order.
    include, inputs, files = _toolkit(sorted(set(headers)))
    files["main.cpp"] = program_text
    argv = ["g++", *FLAGS, *include, *_user_flags(CXXFLAGS_ENV), "-o", "prog", "main.cpp"]
    argv += [*inputs, *_linker()]
    steps = [
        compile_step([*argv, *link, *_user_flags(LDFLAGS_ENV)]),
        run_step(["./prog"], request.timeout, "native"),
    ]
    program = Program(language.id, names or ["main" if main else "tests"], files, steps)
    program.judge = _judge
    return program


def _file_scope(node: Any) -> bool:
    if node.type.startswith("preproc_") or node.type in _FILE_SCOPE:
        return True
    if node.type == "declaration":  # a prototype, not a variable
        declarator = node.child_by_field_name("declarator")
        return declarator is not None and declarator.type == "function_declarator"
    return False


def _main_identifier(node: Any) -> Any:
    declarator = node.child_by_field_name("declarator")
    while declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return declarator.child_by_field_name("declarator")


# ------------------------------------------------------------ precompiled prelude

MAX_PRELUDES = 48
EVICT_AFTER_S = 3600.0
# Bare test statements come without includes (`throw std::runtime_error(...)`): they get
# the usual headers; whole test programs include what they need and get nothing extra.
BARE_HEADERS = (
    "algorithm array cassert climits cmath cstdint deque functional iostream map memory "
    "numeric optional queue set sstream stack stdexcept string tuple unordered_map "
    "unordered_set utility vector"
).split()  # precompiled header sets kept (bits/stdc++.h alone is ~100 MB)


def prelude(headers: list[str]) -> str:
    """The item's leading system headers, then the harness: what every program begins with."""
    return "".join(f"#include <{h}>\n" for h in headers) + HARNESS


def _leading_headers(root: Any, source: bytes) -> list[str]:
    """The system headers a solution includes before anything else (a snippet without
    any gets bits/stdc++.h): what can be precompiled without changing what it means."""
    headers = []
    for node in named(root):
        path = node.child_by_field_name("path") if node.type == "preproc_include" else None
        if path is None or path.type != "system_lib_string":
            break
        headers.append(text(path, source).strip("<>"))
    if not headers and not _headers(root, source):
        headers = ["bits/stdc++.h"]
    return headers


def _prelude_built(headers: tuple[str, ...]) -> str | None:
    """Precompile the prelude of one header set once (keyed by compiler, flags, text);
    the header's path, or None."""
    compiler = absolute(["g++"])[0]
    text_ = prelude(list(headers))
    key = hashlib.sha256("\0".join([toolchain().version, compiler, *FLAGS, text_]).encode())
    root = cpp_java.cache_dir("cpp")
    folder = root / key.hexdigest()[:16]
    header = folder / "assay_prelude.h"
    if (folder / "assay_prelude.h.gch").is_file() and header.is_file():
        os.utime(folder)  # in use: not the one to evict
        return str(header)
    if not _room_for_one(root):
        return None
    argv = [compiler, *FLAGS, "-x", "c++-header", "assay_prelude.h"]
    outputs = ["assay_prelude.h", "assay_prelude.h.gch"]
    ok = cpp_java.build_once(folder, {"assay_prelude.h": text_}, argv, outputs)
    return str(header) if ok else None


def _room_for_one(root: Path) -> bool:
    """Keep at most MAX_PRELUDES precompiled sets: evict the least recently used ones
    that no process has used for an hour (a process checks its set is still there)."""
    sets = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith("harness-")),
        key=lambda p: p.stat().st_mtime,
    )
    stale = [p for p in sets if time.time() - p.stat().st_mtime > EVICT_AFTER_S]
    while len(sets) >= MAX_PRELUDES and stale:
        victim = stale.pop(0)
        shutil.rmtree(victim, ignore_errors=True)
        sets.remove(victim)
    return len(sets) < MAX_PRELUDES


def _harness_built(_: Any = None) -> str | None:
    """Compile the harness once into an object every program links; its path, or None."""
    compiler = absolute(["g++"])[0]
    key = hashlib.sha256("\0".join([toolchain().version, compiler, *FLAGS, HARNESS_IMPL]).encode())
    folder = cpp_java.cache_dir("cpp") / f"harness-{key.hexdigest()[:16]}"
    target = folder / "assay_harness.o"
    if target.is_file():
        return str(target)
    inputs = {"assay_harness.h": HARNESS, "assay_harness.cpp": HARNESS_IMPL}
    argv = [compiler, *FLAGS, "-c", "-o", "assay_harness.o", "assay_harness.cpp"]
    return str(target) if cpp_java.build_once(folder, inputs, argv, ["assay_harness.o"]) else None


@functools.cache
def _linker() -> list[str]:
    """gold when installed: it links a small program in a quarter of ld.bfd's time."""
    return ["-fuse-ld=gold"] if shutil.which("ld.gold") else []


def _toolkit(headers: list[str]) -> tuple[list[str], list[str], dict[str, str]]:
    """(compile flags, link inputs, work-dir files) that give a program its prelude and
    harness: the ones the parent built once when runs cannot write where they live,
    else their sources in the run."""
    header = harness = None
    if cpp_java.cache_is_safe():
        header, harness = PRELUDES.get(tuple(headers)), HARNESS_OBJECT.get()
        if header and not os.path.exists(header + ".gch"):  # evicted by another process
            PRELUDES.forget(tuple(headers))
            header = None
    files: dict[str, str] = {}
    if not header:
        files["assay_prelude.h"] = prelude(headers)
    if not harness:
        files.update({"assay_harness.h": HARNESS, "assay_harness.cpp": HARNESS_IMPL})
    return ["-include", header or "assay_prelude.h"], [harness or "assay_harness.cpp"], files


PRELUDES = cpp_java.Prebuilt(_prelude_built)
HARNESS_OBJECT = cpp_java.Prebuilt(_harness_built)

_MISSING_HEADER = re.compile(r"fatal error: ([\w./+-]+): No such file or directory")


def _judge(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    result = cpp_java.judge(program, steps)
    missing = _MISSING_HEADER.search(steps[-1]["stderr"]) if result.status == "unparsable" else None
    if missing:  # a header this machine lacks: name its library when we know it
        header = missing.group(1)
        library = next((v for k, v in LIBRARIES.items() if header.startswith(k)), None)
        reason = f"needs the library {library[0]} ({library[1]})" if library else ""
        return RunResult("unsupported", reason=reason or f"needs the C++ header {header}")
    return result


LANGUAGES = [
    Language(
        "cpp",
        "C++",
        ("c++", "cpp", "cxx"),
        ".cpp",
        lexer="cpp",
        editor=None,
        grammar="cpp",
        toolchain=toolchain,
        build=build,
        roots=cpp_java.sandbox_roots,
    ),
]
