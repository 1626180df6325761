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
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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
from sandbox.result import RunRequest, RunResult, clip

CXXFLAGS_ENV = "ASSAY_CXXFLAGS"  # extra compile flags, e.g. "-I/opt/include"
LDFLAGS_ENV = "ASSAY_LDFLAGS"  # extra link flags, e.g. "-L/opt/lib -lfoo"
# No -w: it also lets g++ accept programs the language rejects (a narrowing `case` label
# compiles under -w, and the authors' harness calls it a compile error: MBCPP/543).
FLAGS = ["-std=c++17", "-O0"]

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


HARNESS_MACROS = r"""#define ASSAY_ASSERT(...) assay_assert(static_cast<bool>(__VA_ARGS__), "assertion failed: " #__VA_ARGS__)
#define ASSAY_CATCH catch (const std::exception& assay_e) { assay_caught_exception(assay_e); } \
    catch (...) { assay_caught_unknown(); }
"""
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
[[noreturn]] void assay_exit();
inline int assay_call_main(int (*f)(), int, char**) { return f(); }
inline int assay_call_main(int (*f)(int, char**), int argc, char** argv) { return f(argc, argv); }
inline int assay_call_main(int (*f)(int, const char**), int argc, char** argv) {
    return f(argc, const_cast<const char**>(argv));
}
%s#endif
"""
HARNESS = HARNESS % HARNESS_MACROS
# Our names the item's macros must leave alone (the checkpoint refuses any defined).
HARNESS_NAMES = frozenset(re.findall(r"\bassay_\w+", HARNESS)) | {
    "assay_test_main",
    "assay_solution_main",
    "assay_argc",
    "assay_argv",
}
# The harness itself: compiled once by the parent, linked into every program.
HARNESS_IMPL = r"""#include <cstdio>
#include <exception>
#include <stdexcept>
#include <typeinfo>
#include "assay_harness.h"
// The verdict's path calls no function an item could define in place of the C library's
// (write, memcpy, snprintf, ...): records are built in this file's buffers and written by
// raw system calls to a private descriptor, each carrying the run's nonce, which the
// harness takes out of the environment before any code of the item runs.
namespace {
#if defined(__x86_64__)
enum : long { SYS_WRITE = 1, SYS_CLOSE = 3, SYS_FCNTL = 72, SYS_CLOCK = 228, SYS_EXIT = 231 };
long sys(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#elif defined(__aarch64__)
enum : long { SYS_WRITE = 64, SYS_CLOSE = 57, SYS_FCNTL = 25, SYS_CLOCK = 113, SYS_EXIT = 94 };
long sys(long n, long a, long b, long c) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#else
#error "the C++ harness speaks the system calls of x86-64 and aarch64 only"
#endif
const char NONCE_VAR[] = "ASSAY_NONCE=";
char nonce[72];
int channel = -1, test_index = -1, count = 0, stopped = -1;
long t0 = 0;
bool failed = false;
const char* failure_kind = "";
char failure[600];

long now_us() {
    long ts[2] = {0, 0};
    sys(SYS_CLOCK, 1 /* CLOCK_MONOTONIC */, (long)ts, 0);
    return ts[0] * 1000000 + ts[1] / 1000;
}

// Runs from .preinit_array: before every constructor and before main.
void take_channel(int, char**, char** envp) {
    for (char** e = envp; e && *e; ++e) {
        int k = 0;
        while (NONCE_VAR[k] && (*e)[k] == NONCE_VAR[k]) ++k;
        if (NONCE_VAR[k]) continue;
        int n = 0;
        for (char* c = *e + k; *c && n < 64; ++c) nonce[n++] = *c;
        nonce[n] = 0;
        for (char* c = *e; *c; ++c) *c = 0;  // gone from /proc/self/environ too
        for (char** f = e; *f; ++f) f[0] = f[1];
        break;
    }
    long fd = sys(SYS_FCNTL, 3, 1030 /* F_DUPFD_CLOEXEC */, 10);
    channel = fd >= 0 ? (int)fd : -1;
    sys(SYS_CLOSE, 3, 0, 0);
}
__attribute__((section(".preinit_array"), used)) void (*take_channel_entry)(int, char**, char**) =
    take_channel;

struct Record {
    char b[1400];
    int n = 0;
    Record& s(const char* t) {
        while (*t && n < (int)sizeof b - 4) b[n++] = *t++;
        return *this;
    }
    Record& i(long v) {
        char d[24];
        int k = 0;
        bool neg = v < 0;
        unsigned long u = neg ? 0UL - (unsigned long)v : (unsigned long)v;
        do { d[k++] = char('0' + u % 10); u /= 10; } while (u);
        if (neg) d[k++] = '-';
        while (k && n < (int)sizeof b - 4) b[n++] = d[--k];
        return *this;
    }
    Record& q(const char* t) {  // a JSON string
        s("\"");
        for (int k = 0; t && *t && k < 1000 && n < (int)sizeof b - 12; ++t, ++k) {
            unsigned char c = (unsigned char)*t;
            if (c == '"' || c == '\\') { b[n++] = '\\'; b[n++] = (char)c; }
            else if (c < 0x20 || c == 0x7f) {
                const char* hex = "0123456789abcdef";
                s("\\u00"); b[n++] = hex[c >> 4]; b[n++] = hex[c & 15];
            } else b[n++] = (char)c;
        }
        return s("\"");
    }
};

void send(Record& r) {
    Record line;
    line.s("{\"k\":").q(nonce).s(",");
    for (int k = 0; k < r.n && line.n < (int)sizeof line.b - 3; ++k) line.b[line.n++] = r.b[k];
    line.s("}\n");
    const char* p = line.b;
    long left = line.n;
    while (left > 0 && channel >= 0) {
        long w = sys(SYS_WRITE, channel, (long)p, left);
        if (w <= 0) return;
        p += w;
        left -= w;
    }
}

void copy(char* to, int size, const char* from) {
    int k = 0;
    for (; from && from[k] && k < size - 1; ++k) to[k] = from[k];
    to[k] = 0;
}

void caught(const char* kind, const char* message) {
    if (failed) return;
    failed = true;
    failure_kind = kind;
    copy(failure, sizeof failure, message);
}

// What tests throw (our assert, runtime_error, logic_error) fails; the rest is an error.
const char* kind_of(const std::exception& e) {
    bool fail = dynamic_cast<const assay_assertion_failed*>(&e) != nullptr
        || typeid(e) == typeid(std::runtime_error) || typeid(e) == typeid(std::logic_error);
    return fail ? "fail" : "error";
}

void stop(const char* kind, const char* message) {
    if (test_index >= 0) {
        stopped = test_index;
        caught(kind, message);
        assay_end();
        return;
    }
    Record r;
    r.s("\"e\":\"setup_error\",\"m\":").q(message);
    send(r);
}
}  // namespace

bool assay_check(bool c) { ++count; return c; }
void assay_counted() { ++count; }
void assay_assert(bool c, const char* text) {
    ++count;
    if (!c) {
        caught("fail", text);  // recorded before the throw, whatever becomes of it
        throw assay_assertion_failed(text);
    }
}
void assay_begin(int t) {
    test_index = t;
    count = 0;
    failed = false;
    Record r;
    r.s("\"e\":\"begin\",\"t\":").i(t);
    send(r);
    t0 = now_us();
}
void assay_caught_exception(const std::exception& e) {
    const char* kind = kind_of(e);
    caught(kind, e.what());
}
void assay_caught_unknown() { caught("fail", "a non-standard exception"); }
void assay_end() {
    if (test_index < 0) return;
    long us = now_us() - t0;
    Record r;
    r.s("\"e\":\"end\",\"t\":").i(test_index).s(",\"d\":").i(us / 1000000).s(".");
    long frac = us % 1000000;
    for (long scale = 100000; scale; scale /= 10) r.i(frac / scale % 10);
    r.s(",\"n\":").i(count);
    if (failed)
        r.s(",\"x\":{\"k\":\"").s(failure_kind).s("\",\"type\":\"exception\",\"m\":").q(failure).s("}");
    send(r);
    test_index = -1;
}
void assay_stop_exception(const std::exception& e) {
    const char* kind = kind_of(e);
    stop(kind, e.what());
}
void assay_stop_unknown() { stop("fail", "a non-standard exception"); }
void assay_returned(int rc) {
    if (rc != 0) {
        char m[48] = "main returned ";
        Record digits;
        digits.i(rc);
        int k = 14;
        for (int j = 0; j < digits.n && k < 46; ++j) m[k++] = digits.b[j];
        m[k] = 0;
        stop("fail", m);
    } else if (test_index >= 0) {
        stopped = test_index;
        assay_end();
    }
}
void assay_start() {
    Record r;
    r.s("\"e\":\"start\"");
    send(r);
}
void assay_done() {
    Record r;
    r.s("\"e\":\"done\"");
    if (stopped >= 0) r.s(",\"stopped\":").i(stopped);
    send(r);
}
[[noreturn]] void assay_exit() {
    std::fflush(nullptr);
    for (;;) sys(SYS_EXIT, 0, 0, 0);  // no atexit handler or static destructor of the item
}
"""
_MAIN = """
%s {
    assay_start();
    try {
%s
    } catch (const std::exception& assay_e) { assay_stop_exception(assay_e); }
    catch (...) { assay_stop_unknown(); }
    assay_done();
    assay_exit();
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


@dataclass
class _Plan:
    """An item as C++ source, before it is one program or a namespace of a batch."""

    code: str  # the solution and the tests, instrumented, each with its checkpoint
    driver: str  # the body our main runs
    headers: tuple[str, ...]  # the precompiled set it is built with
    link: tuple[str, ...]
    names: list[str]
    macros: tuple[str, ...]  # the macros it defines or undefines
    batchable: bool  # see `batching`
    scope_names: frozenset[str] = field(default_factory=frozenset)  # its file-scope names
    words: frozenset[str] = field(default_factory=frozenset)  # every identifier it spells

    @property
    def group(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.headers, self.link

    def source(self, head: str = "int main(int assay_argc, char** assay_argv)") -> str:
        return self.code + _MAIN % (head, self.driver)


def plan(request: RunRequest) -> _Plan:
    """The item as instrumented source: the solution, the tests, what our main runs."""
    refused = refusal(request.solution, request.tests)
    if refused:
        raise cpp_java.Refused("refused: " + refused)
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
    code = (
        solution_edits.apply() + _checkpoint("the solution") + tests_text + _checkpoint("the tests")
    )
    headers = _leading_headers(sol_root, sol_source)
    if main is None:
        headers += [h for h in BARE_HEADERS if h not in headers and "bits/stdc++.h" not in headers]
    # Standard headers do not depend on their order: one precompiled set serves every order.
    headers = sorted(set(headers))
    batchable, macros, scope = batching(request.solution, request.tests, headers, main is None)
    names = names or ["main" if main else "tests"]
    words = frozenset(_identifiers(sol_root, sol_source) | _identifiers(root, source))
    return _Plan(code, driver, tuple(headers), tuple(link), names, macros, batchable, scope, words)


def build(language: Language, request: RunRequest) -> Program:
    """The item as one file (the prelude, the solution, the instrumented tests, our
    main), or its part of a batch's binary (see `batching`)."""
    require_toolchain(language)
    from sandbox.languages import batches

    built = batches.take(request)  # compiled with other items of its batch
    item = built.plan if built else plan(request)
    assert isinstance(item, _Plan)
    if built and built.binary is not None:
        steps = [run_step(["./prog", built.module], request.timeout, "native")]
        program = Program(language.id, item.names, {}, steps)
        program.blobs = {"prog": built.binary}
    else:
        include, inputs, files = _toolkit(list(item.headers))
        files["main.cpp"] = item.source()
        argv = ["g++", *FLAGS, *include, *_user_flags(CXXFLAGS_ENV), "-o", "prog", "main.cpp"]
        argv += [*inputs, *cpp_java.fast_linker()]
        steps = [
            compile_step([*argv, *item.link, *_user_flags(LDFLAGS_ENV)]),
            run_step(["./prog"], request.timeout, "native"),
        ]
        program = Program(language.id, item.names, files, steps)
    steps[-1]["env"] = {cpp_java.NONCE_ENV: cpp_java.nonce()}
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


# ------------------------------------------------------------------------ refusals
# What an item may not do, found on the parse tree (after the compiler's own first
# phases: line splices joined, comments blanked, `%:` read as `#`), before any compile.

KEYWORDS = frozenset(
    "alignas alignof asm auto bool break case catch char char16_t char32_t class const "
    "constexpr const_cast continue decltype default delete do double dynamic_cast else enum "
    "explicit export extern false float for friend goto if inline int long mutable namespace "
    "new noexcept nullptr operator private protected public register reinterpret_cast return "
    "short signed sizeof static static_assert static_cast struct switch template this "
    "thread_local throw true try typedef typeid typename union unsigned using virtual void "
    "volatile wchar_t while".split()
)
# Macro names the instrumented tests rely on, besides the keywords and our own names.
GUARDED = frozenset({"assert", "main", *_EXITS})
# Identifiers no item needs: inline assembly (symbol renames, sections), jumps that leave
# a test without ending it, operators that hide names from the parse.
FORBIDDEN = frozenset(
    "asm __asm __asm__ _Pragma setjmp _setjmp sigsetjmp longjmp _longjmp siglongjmp "
    "__builtin_setjmp __builtin_longjmp getcontext setcontext makecontext swapcontext".split()
)
# Attributes that place code or symbols where the harness does not expect them.
PLACEMENT = frozenset(
    "section ifunc alias weakref symver constructor destructor init_priority".split()
)
PRAGMAS: tuple[str, ...] = (
    "once",
    "GCC optimize",
    "GCC target",
    "GCC diagnostic",
    "GCC push_options",
)
PRAGMAS += ("GCC pop_options", "region", "endregion", "message", "pack", "warning")
COMPARISONS = frozenset(f"operator{op}" for op in "== != < > <= >= <=> !".split())
RUNTIME_NAMESPACES = frozenset({"std", "__cxxabiv1", "abi", "__gnu_cxx", "__gnu_debug"})
_WORD = re.compile(r"[A-Za-z_]\w*")  # the identifier tokens of a macro body
_C_TYPES = re.compile(r"\A(?:\w+_t|FILE|DIR|va_list|jmp_buf|sigjmp_buf)\Z")
# The checkpoint after the solution and after the tests: a macro that survived the scan
# (however it was spelled) stops the compile, and the harness's macros are ours again.
REFUSED_MARK = "assay-refused:"


def _checkpoint(where: str) -> str:
    names = sorted(KEYWORDS - {"true", "false"} | GUARDED - {"assert"} | HARNESS_NAMES)
    test = " || ".join(f"defined({n})" for n in names)
    lines = [
        f"\n#if {test}",
        f'#error "{REFUSED_MARK} {where} defines a macro named like a keyword or a name of the harness"',
        "#endif",
        "#undef ASSAY_ASSERT",
        "#undef ASSAY_CATCH",
        HARNESS_MACROS,
    ]
    return "\n".join(lines)


def _phases(code: str) -> Any:
    """The tree of `code` as the compiler's first phases see it: splices joined, each
    comment a space, digraph `%:` a `#`."""
    joined = code.replace("\\\r\n", "").replace("\\\n", "")
    root, source = cpp_java.parse("cpp", joined)
    blank = bytearray(source)
    for node in cpp_java.walk(root):
        if node.type == "comment":
            for k in range(node.start_byte, node.end_byte):
                if blank[k] not in (0x0A, 0x0D):
                    blank[k] = 0x20
    text_ = blank.decode("utf-8", "replace").replace("%:", "# ")
    return cpp_java.parse("cpp", text_)


def _identifiers(root: Any, source: bytes) -> set[str]:
    """Every identifier the code spells, macro bodies included."""
    found: set[str] = set()
    for node in cpp_java.walk(root):
        if not node.children and (node.type.endswith("identifier") or not node.is_named):
            found.add(text(node, source))  # names, and keywords such as `__asm__`
        elif node.type == "preproc_arg":
            found.update(_WORD.findall(text(node, source)))
    return found


def _macros(root: Any, source: bytes) -> list[tuple[str, Any]]:
    """(name, node) of every #define and #undef."""
    found = []
    for node in cpp_java.walk(root):
        if node.type in ("preproc_def", "preproc_function_def"):
            name = node.child_by_field_name("name")
            if name is not None:
                found.append((text(name, source), node))
        elif node.type == "preproc_call":
            directive = text(node.child_by_field_name("directive"), source).lstrip("# \t")
            argument = node.child_by_field_name("argument")
            words = _WORD.findall(text(argument, source)) if argument is not None else []
            if directive == "undef" and words:
                found.append((words[0], node))
    return found


def _pragma(node: Any, source: bytes) -> str | None:
    if node.type != "preproc_call":
        return None
    directive = text(node.child_by_field_name("directive"), source).lstrip("# \t")
    argument = node.child_by_field_name("argument")
    body = " ".join(text(argument, source).split()) if argument is not None else ""
    if directive == "pragma" and not body.startswith(PRAGMAS):
        return body
    return None


def _declared_types(root: Any, source: bytes) -> set[str]:
    """Names of the types a unit declares (struct, class, enum, union, alias)."""
    names = set()
    for node in cpp_java.walk(root):
        if node.type in (
            "struct_specifier",
            "class_specifier",
            "enum_specifier",
            "union_specifier",
        ):
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(text(name, source).split("::")[-1])
        elif node.type in ("alias_declaration", "type_definition"):
            name = node.child_by_field_name("name") or node.child_by_field_name("declarator")
            if name is not None:
                names.add(text(name, source))
    return names


def _function_declarator(node: Any) -> Any | None:
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return declarator


def _member(node: Any, source: bytes) -> bool:
    """Is this function a member of a class (a friend is not)?"""
    parent = node.parent
    if parent is not None and parent.type == "template_declaration":
        parent = parent.parent
    return parent is not None and parent.type == "field_declaration_list"


def _namespaces(node: Any, source: bytes) -> list[str]:
    names = []
    parent = node.parent
    while parent is not None:
        if parent.type == "namespace_definition":
            name = parent.child_by_field_name("name")
            names.append(text(name, source) if name is not None else "")
        parent = parent.parent
    return names


def _c_signature(declarator: Any, source: bytes) -> bool:
    """Could these parameters be a C function's (no class type, template or reference)?"""
    params = declarator.child_by_field_name("parameters")
    for node in cpp_java.walk(params) if params is not None else []:
        if node.type in ("template_type", "qualified_identifier", "reference_declarator"):
            return False
        if node.type == "type_identifier" and not _C_TYPES.match(text(node, source)):
            return False
    return True


@functools.cache
def runtime_symbols() -> frozenset[str]:
    """The C-linkage functions the C and C++ runtimes export: an item that defines one
    replaces it for the tests' comparisons, `throw` and everything under them."""
    names: set[str] = set()
    for library in ("libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1"):
        try:
            path = subprocess.run(
                [absolute(["g++"])[0], f"-print-file-name={library}"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
            listing = subprocess.run(
                ["nm", "-D", "--defined-only", path], capture_output=True, text=True, timeout=30
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in listing.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TWi" and not parts[2].startswith("_Z"):
                names.add(parts[2].split("@")[0])
    return frozenset(names or FALLBACK_SYMBOLS)


FALLBACK_SYMBOLS = (
    "write writev read open close dup dup2 fcntl memcmp memcpy memmove memset strcmp strncmp "
    "strlen fputs fwrite fflush printf puts exit _exit abort atexit syscall"
).split()


def refusal(solution: str, tests: str) -> str | None:
    """Why an item may not run (None when it may), from both units' trees."""
    sol_root, sol_source = _phases(solution)
    test_root, test_source = _phases(tests)
    test_words = _identifiers(test_root, test_source)
    test_functions = set(_definitions(test_root, test_source))
    own_types = _declared_types(sol_root, sol_source)
    for role, root, source in (
        ("solution", sol_root, sol_source),
        ("tests", test_root, test_source),
    ):
        words = _identifiers(root, source)
        harness = sorted(w for w in words if w.lower().startswith("assay"))
        if harness:
            return f"the {role} uses the harness's name {harness[0]!r}"
        forbidden = sorted(words & FORBIDDEN)
        if forbidden:
            return f"the {role} uses {forbidden[0]!r}, which can bypass the harness (inline assembly, non-local jumps)"
        for name, node in _macros(root, source):
            if name in KEYWORDS or name in GUARDED:
                return f"the {role} defines a macro named {name!r}, which the tests rely on"
            if role == "solution" and name in test_words:
                return f"the solution defines a macro {name!r}, which the tests use"
            if "##" in text(node, source):
                return f"the {role} pastes tokens in a macro ({name!r})"
        for node in cpp_java.walk(root):
            pragma = _pragma(node, source)
            if pragma is not None:
                return f"the {role} uses '#pragma {clip(pragma, 60)}'"
            if node.type in ("attribute_specifier", "attribute_declaration", "preproc_arg"):
                spelled = _WORD.findall(text(node, source).replace("__", " "))
                placed = sorted(PLACEMENT.intersection(spelled))
                if placed:
                    return f"the {role} places code with the attribute {placed[0]!r}"
            if node.type == "linkage_specification":
                return f'the {role} declares functions with C linkage (extern "C")'
            if node.type not in ("function_definition", "declaration", "field_declaration"):
                continue
            declarator = _function_declarator(node)
            name_node = declarator.child_by_field_name("declarator") if declarator else None
            if name_node is None:
                continue
            name = text(name_node, source)
            spaces = _namespaces(node, source)
            if name_node.type == "qualified_identifier" and name.split("::")[
                0
            ].strip() in RUNTIME_NAMESPACES | {""}:
                return f"the {role} defines {clip(name, 60)!r}, a function of the runtime"
            if (
                node.type == "function_definition"
                and any(n in RUNTIME_NAMESPACES for n in spaces)
                and not _in_class(node)
            ):
                return f"the {role} defines {name!r} inside namespace {spaces[0]}"
            if role != "solution" or _in_class(node) and not _friend(node, source):
                continue
            if name.replace(" ", "") in COMPARISONS and not (
                _types_named(declarator, source) & own_types
            ):
                return f"the solution defines {name.replace(' ', '')} for types it does not own"
            if node.type != "function_definition" or spaces:
                continue
            if name.startswith("__") or (name[:1] == "_" and name[1:2].isupper()):
                return f"the solution defines the reserved name {name!r}"
            if name in runtime_symbols() and _c_signature(declarator, source):
                return f"the solution defines {name!r}, a function of the C runtime"
            if name in test_functions:
                return f"the solution defines {name!r}, which the tests define"
    return None


def _in_class(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "field_declaration_list":
            return True
        parent = parent.parent
    return False


def _friend(node: Any, source: bytes) -> bool:
    parent = node.parent
    return parent is not None and parent.type == "friend_declaration"


def _types_named(declarator: Any, source: bytes) -> set[str]:
    params = declarator.child_by_field_name("parameters")
    return {
        text(n, source)
        for n in (cpp_java.walk(params) if params is not None else [])
        if n.type == "type_identifier"
    }


# ------------------------------------------------------------ precompiled prelude

MAX_PRELUDES = 48
PRECOMPILE_AFTER = 3  # compiles of a header set from its text before it is precompiled
EVICT_AFTER_S = 3600.0
# Bare test statements come without includes (`throw std::runtime_error(...)`): they get
# the usual headers; whole test programs include what they need and get nothing extra.
BARE_HEADERS = (
    "algorithm array cassert climits cmath cstdint deque functional iostream map memory "
    "numeric optional queue set sstream stack stdexcept string tuple unordered_map "
    "unordered_set utility vector"
).split()  # precompiled header sets kept (bits/stdc++.h alone is ~100 MB)


# Vectors the tests and solutions use most: instantiated once in the harness object, and
# declared `extern template` in preludes that include their headers, so that a program
# compiles and assembles none of their members (about a fifth of a compile's CPU).
INSTANTIATED = ("int", "long long", "float", "double", "std::vector<int>")
INSTANTIATED_WITH_STRING = ("std::string",)


def _instantiations(headers: list[str], kind: str) -> str:
    every = "bits/stdc++.h" in headers
    types = list(INSTANTIATED) if every or "vector" in headers else []
    if types and (every or "string" in headers):
        types += INSTANTIATED_WITH_STRING
    return "".join(f"{kind} class std::vector<{t}>;\n" for t in types)


HARNESS_IMPL += "#include <string>\n#include <vector>\n" + _instantiations(
    ["bits/stdc++.h"], "template"
)


def prelude(headers: list[str]) -> str:
    """The item's leading system headers, the harness, and the instantiations the harness
    object holds: what every program begins with."""
    return (
        "".join(f"#include <{h}>\n" for h in headers)
        + HARNESS
        + _instantiations(headers, "extern template")
    )


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


def _prelude_folder(headers: tuple[str, ...]) -> tuple[Path, str]:
    """Where the precompiled prelude of one header set lives (keyed by compiler, flags,
    text), and its text."""
    compiler = absolute(["g++"])[0]
    text_ = prelude(list(headers))
    key = hashlib.sha256("\0".join([toolchain().version, compiler, *FLAGS, text_]).encode())
    return cpp_java.cache_dir("cpp") / key.hexdigest()[:16], text_


def _prelude_found(headers: tuple[str, ...]) -> str | None:
    """The prelude header's path when its precompiled form is already in the cache."""
    header = _prelude_text_found(headers)
    return header if header and os.path.isfile(header + ".gch") else None


def _prelude_built(headers: tuple[str, ...]) -> str | None:
    """Precompile the prelude of one header set once; the header's path, or None."""
    found = _prelude_found(headers)
    if found:
        return found
    folder, text_ = _prelude_folder(headers)
    if not _room_for_one(folder.parent):
        return None
    argv = [absolute(["g++"])[0], *FLAGS, "-x", "c++-header", "assay_prelude.h"]
    outputs = ["assay_prelude.h", "assay_prelude.h.gch"]
    ok = cpp_java.build_once(folder, {"assay_prelude.h": text_}, argv, outputs)
    return str(folder / "assay_prelude.h") if ok else None


def _prelude_text_found(headers: tuple[str, ...]) -> str | None:
    """The prelude header's path when its text is already in the cache."""
    folder, _ = _prelude_folder(headers)
    header = folder / "assay_prelude.h"
    if header.is_file():
        os.utime(folder)  # in use: not the one to evict
        return str(header)
    return None


def _prelude_text_written(headers: tuple[str, ...]) -> str | None:
    """Write the prelude of one header set into the cache as text, not precompiled: what
    a batch includes (g++ takes the `.gch` beside it once there is one) and what its
    names are read from. The header's path, or None."""
    found = _prelude_text_found(headers)
    if found:
        return found
    folder, text_ = _prelude_folder(headers)
    if not _room_for_one(folder.parent):
        return None
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    staging = folder / f"{cpp_java.STAGING}{os.getpid()}.{threading.get_ident()}.h"
    try:
        staging.write_text(text_, encoding="utf-8")
        os.chmod(staging, 0o644)
        os.replace(staging, folder / "assay_prelude.h")
    finally:
        staging.unlink(missing_ok=True)
    return str(folder / "assay_prelude.h")


def _prelude_header(headers: tuple[str, ...]) -> str | None:
    """The cached prelude a compile of this header set includes (g++ takes the `.gch`
    beside it when there is one), or None: a program then carries its own."""
    header = PRELUDE_TEXTS.get(headers, wait=True)
    if header and not os.path.exists(header):  # evicted by another process
        PRELUDE_TEXTS.forget(headers)
        PRELUDES.forget(headers)
        return None
    if header and not os.path.exists(header + ".gch"):
        _compiled_without_pch(header, headers)
    return header


def _compiled_without_pch(header: str, headers: tuple[str, ...]) -> None:
    """Count a compile (a batch or an item alone) of this header set from its text
    prelude; from the PRECOMPILE_AFTER-th on, in any process, precompile it first, for
    this compile and the later ones (waiting: a build in a background thread dies with
    a short `assay check` and would start again in the next). A compile parses its
    prelude once, so a set seen once or twice does not pay a precompile that costs 3-4
    times that parse (a cold cache made HumanEval-X no faster than g++ alone)."""
    tally = Path(header).with_name("compiles")
    try:
        with open(tally, "ab") as out:
            out.write(b".")
        seen = tally.stat().st_size
    except OSError:
        return
    if seen >= PRECOMPILE_AFTER:
        PRELUDES.get(headers, wait=True)


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


def _harness_target() -> Path:
    compiler = absolute(["g++"])[0]
    key = hashlib.sha256("\0".join([toolchain().version, compiler, *FLAGS, HARNESS_IMPL]).encode())
    return cpp_java.cache_dir("cpp") / f"harness-{key.hexdigest()[:16]}" / "assay_harness.o"


def _harness_found(_: Any = None) -> str | None:
    target = _harness_target()
    return str(target) if target.is_file() else None


def _harness_built(_: Any = None) -> str | None:
    """Compile the harness once into an object every program links; its path, or None."""
    target = _harness_target()
    if target.is_file():
        return str(target)
    inputs = {"assay_harness.h": HARNESS, "assay_harness.cpp": HARNESS_IMPL}
    argv = [absolute(["g++"])[0], *FLAGS, "-c", "-o", "assay_harness.o", "assay_harness.cpp"]
    built = cpp_java.build_once(target.parent, inputs, argv, ["assay_harness.o"])
    return str(target) if built else None


def _toolkit(headers: list[str]) -> tuple[list[str], list[str], dict[str, str]]:
    """(compile flags, link inputs, work-dir files) that give a program its prelude and
    harness: the ones the parent built once when runs cannot write where they live,
    else their sources in the run."""
    header = harness = None
    if cpp_java.cache_is_safe():
        header, harness = _prelude_header(tuple(headers)), HARNESS_OBJECT.get()
    files: dict[str, str] = {}
    if not header:
        files["assay_prelude.h"] = prelude(headers)
    if not harness:
        files.update({"assay_harness.h": HARNESS, "assay_harness.cpp": HARNESS_IMPL})
    return ["-include", header or "assay_prelude.h"], [harness or "assay_harness.cpp"], files


PRELUDES = cpp_java.Prebuilt(_prelude_built, _prelude_found)
PRELUDE_TEXTS = cpp_java.Prebuilt(_prelude_text_written, _prelude_text_found)
HARNESS_OBJECT = cpp_java.Prebuilt(_harness_built, _harness_found)

# ------------------------------------------------------------------ batches
# Items of one header set compile as namespaces of one translation unit (see `batches`):
# g++ reads the prelude once for the batch instead of once per item (~33 ms of the ~66 ms
# an item alone costs, precompiled) and links once. A batch includes the prelude's text;
# from a set's third compile on it is precompiled too (`_compiled_without_pch`).
#
# Why a namespace of a batch's binary behaves as the item alone, and why no item's code
# runs in another's run (`batching` says which items may):
# - Same headers: a batch holds items of one header set, so each sees exactly the
#   prelude it would see alone; an `#include` inside an item must name a header of that
#   set (a no-op, as alone: it is already included and guarded) or <assert.h>, whose
#   macros are saved before each item and restored after it, like every macro an item
#   undefines (`#pragma push_macro`/`pop_macro`): no item sees another's.
# - Same structure: a macro or a conditional can hide a brace from the tree (and close
#   the item's namespace), so an item with `#define`, `#if`, a digraph, a reserved name
#   (`__END_DECLS` is a `}`) or a prelude macro that expands to a brace compiles alone;
#   what is left is what tree-sitter sees, and it sees no stray brace (an error node).
# - Same names: a name an item declares at file scope would hide, inside its namespace,
#   the prelude's name it overloads or clashes with (a global `count` is ambiguous with
#   `std::count` alone, not in a namespace); items declaring a name the prelude declares
#   at file scope or in `std` (g++ says, `prelude_declares`) are compiled alone.
# - No code before main: a file-scope variable may be initialised only with literals,
#   names and operators on them (no call, constructor argument list, object of the
#   item's own types, or thread_local), and its arrays stay small, so the other items'
#   statics cost a run nothing and run none of their code; constructor attributes,
#   C linkage and inline assembly are refused before that (`refusal`). Our main calls
#   only the namespace named on the command line, after removing that name from argv.
# - Nothing that tells where it is: no `__LINE__`, `__FILE__`, `__COUNTER__`,
#   `__PRETTY_FUNCTION__` or `typeid` (a namespace shows in type names), no `#pragma`.

ASSERT_HEADERS = frozenset({"assert.h", "cassert"})  # not guarded: re-included, they redefine
ASSERT_MACROS: tuple[str, ...] = ("assert", "assert_perror", "_ASSERT_H", "_ASSERT_H_DECLS")
ASSERT_MACROS += ("__ASSERT_VOID_CAST", "__ASSERT_FUNCTION")
PLACED = frozenset(
    "__LINE__ __FILE__ __FILE_NAME__ __BASE_FILE__ __COUNTER__ __INCLUDE_LEVEL__ __DATE__ "
    "__TIME__ __TIMESTAMP__ __func__ __FUNCTION__ __PRETTY_FUNCTION__ typeid".split()
)
MAX_STATIC_ELEMENTS = 1 << 20  # of a file-scope array, all dimensions together
_CONDITIONALS = ("preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef")
_DIRECTIVE_PARTS = ("preproc_include", "preproc_call", "preproc_directive", "preproc_arg")
_RESERVED = re.compile(r"\A(?:__|_[A-Z])")  # the runtime's names, macros among them
_DIGRAPHS = (b"<%", b"%>", b"<:", b":>")  # `%>` is a `}` the tree does not see
_INERT = frozenset(
    "number_literal string_literal char_literal raw_string_literal concatenated_string "
    "string_content escape_sequence true false null nullptr identifier qualified_identifier "
    "namespace_identifier initializer_list initializer_pair field_designator unary_expression "
    "binary_expression parenthesized_expression conditional_expression".split()
)
_SPECIFIERS = ("struct_specifier", "class_specifier", "union_specifier", "enum_specifier")


def batching(
    solution: str, tests: str, headers: Sequence[str], bare: bool
) -> tuple[bool, tuple[str, ...], frozenset[str]]:
    """(may the item be a namespace of a batch, the macros it defines or undefines, the
    names it declares at file scope); see the notes above. `bare`: the tests are
    statements, whose declarations our main holds."""
    units = [_phases(solution), _phases(tests)]
    own_types: set[str] = set()
    for root, source in units:
        own_types |= _declared_types(root, source)
    macros: set[str] = set()
    names: set[str] = set()
    allowed = set(headers) | ASSERT_HEADERS
    for index, (root, source) in enumerate(units):
        words = _identifiers(root, source)
        if root.has_error or words & PLACED or any(_RESERVED.match(w) for w in words):
            return False, (), frozenset()
        if any(pair in source for pair in _DIGRAPHS):
            return False, (), frozenset()
        for node in cpp_java.walk(root):
            if node.type == "preproc_include":
                path = node.child_by_field_name("path")
                if path is None or path.type != "system_lib_string":
                    return False, (), frozenset()
                if text(path, source).strip("<> \t") not in allowed:
                    return False, (), frozenset()
            elif node.type == "preproc_call":
                directive = text(node.child_by_field_name("directive"), source).lstrip("# \t")
                if directive != "undef":
                    return False, (), frozenset()
            elif node.type.startswith("preproc_") and node.type not in _DIRECTIVE_PARTS:
                return False, (), frozenset()  # a macro or a conditional may hide a brace
        macros.update(name for name, _ in _macros(root, source))
        top = list(_top_level(root))
        if index == 1 and bare:  # the statements run in our main: their names are its own
            top = [n for n in top if _file_scope(n)]
        for node in top:
            if not _declares_inertly(node, source, own_types, names):
                return False, (), frozenset()
        for node in cpp_java.walk(root):  # `static inline` members start with the program
            if node.type == "field_declaration" and not _inert_member(node, source, own_types):
                return False, (), frozenset()
    names.discard("main")  # renamed: ours
    return True, tuple(sorted(macros)), frozenset(names)


def _top_level(node: Any) -> Iterator[Any]:
    """The file-scope declarations of a unit, through #if blocks and templates."""
    for child in named(node):
        if child.type in _CONDITIONALS:
            yield from _top_level(child)
        elif child.type == "template_declaration":
            yield from (c for c in named(child) if c.type != "template_parameter_list")
        else:
            yield child


def _declares_inertly(node: Any, source: bytes, own_types: set[str], names: set[str]) -> bool:
    """Add the names one file-scope node declares to `names`; False when it could run
    code before main (a variable that is not constant-initialised from literals)."""
    kind = node.type
    if kind == "namespace_definition":
        name = node.child_by_field_name("name")
        if name is not None:
            names.add(text(name, source))
        body = node.child_by_field_name("body")  # its names are its own; not its statics
        return body is None or all(
            _declares_inertly(n, source, own_types, set()) for n in _top_level(body)
        )
    if kind in _SPECIFIERS:
        _specifier_names(node, source, names)
        return True
    if kind in ("alias_declaration", "type_definition", "using_declaration"):
        if kind == "using_declaration" and any(c.type == "namespace" for c in node.children):
            return True  # `using namespace std;`
        target = node.child_by_field_name("name") if kind == "alias_declaration" else None
        for d in [target] if target is not None else node.children_by_field_name("declarator"):
            names.add(_declared(d, source) or "")
        if kind == "using_declaration":
            last = [c for c in named(node) if c.type in ("identifier", "qualified_identifier")]
            if last:
                names.add(text(last[-1], source).split("::")[-1].strip())
        _specifier_names(node.child_by_field_name("type"), source, names)
        return True
    if kind == "function_definition":
        names.add(_declared(node.child_by_field_name("declarator"), source) or "")
        return True
    if kind != "declaration":
        return True  # statements (our main's), static_assert, comments, directives
    kind_node = node.child_by_field_name("type")
    _specifier_names(kind_node, source, names)
    variables = []
    for d in node.children_by_field_name("declarator"):
        names.add(_declared(d, source) or "")
        if not _is_function(d):
            variables.append(d)
    if not variables:
        return True
    words = {text(c, source) for c in node.children if c.type == "storage_class_specifier"}
    if "thread_local" in words or kind_node is None:
        return False
    if kind_node.type in _SPECIFIERS[:3] and kind_node.child_by_field_name("body") is not None:
        return False  # an object of a class it defines here
    if own_types & {
        text(n, source) for n in cpp_java.walk(kind_node) if n.type == "type_identifier"
    }:
        return False
    elements = 1
    for n in cpp_java.walk(kind_node):  # `array<int, 1000000>`
        if n.type == "number_literal":
            elements *= _small(n, source) or MAX_STATIC_ELEMENTS + 1
    for d in variables:
        value = d.child_by_field_name("value") if d.type == "init_declarator" else None
        for n in cpp_java.walk(d.child_by_field_name("declarator") if value is not None else d):
            if n.type == "array_declarator" and n.child_by_field_name("size") is not None:
                elements *= _small(n.child_by_field_name("size"), source) or MAX_STATIC_ELEMENTS + 1
        if value is not None and not _inert(value):
            return False
    return elements <= MAX_STATIC_ELEMENTS


def _inert_member(node: Any, source: bytes, own_types: set[str]) -> bool:
    """A `static` data member defined in its class (inline) is a static of the program."""
    words = {text(c, source) for c in node.children if c.type == "storage_class_specifier"}
    if "static" not in words:
        return True
    kind_node = node.child_by_field_name("type")
    value = node.child_by_field_name("default_value")
    if kind_node is not None and own_types & {
        text(n, source) for n in cpp_java.walk(kind_node) if n.type == "type_identifier"
    }:
        return "inline" not in words and value is None  # declared here, defined at file scope
    return value is None or _inert(value)


def _inert(node: Any) -> bool:
    """Does evaluating this initializer run no function (only literals, names, operators)?"""
    if node.type == "lambda_expression":  # its body runs only when called
        captures = node.child_by_field_name("captures")
        return captures is None or not named(captures)
    if node.is_named and node.type not in _INERT:
        return False
    return all(_inert(c) for c in node.children if c.is_named)


def _small(node: Any, source: bytes) -> int | None:
    if node.type != "number_literal":
        return None
    try:
        value = int(text(node, source).rstrip("uUlLzZ").replace("'", ""), 0)
    except ValueError:
        return None
    return value if 0 <= value <= MAX_STATIC_ELEMENTS else None


def _specifier_names(node: Any, source: bytes, names: set[str]) -> None:
    """The name a struct/class/enum specifier declares, and an unscoped enum's values."""
    if node is None or node.type not in _SPECIFIERS:
        return
    name = node.child_by_field_name("name")
    if name is not None:
        names.add(text(name, source).split("::")[-1])
    body = node.child_by_field_name("body")
    if node.type == "enum_specifier" and body is not None:
        if not any(c.type in ("class", "struct") for c in node.children):
            for value in named(body):
                if value.type == "enumerator" and value.child_by_field_name("name") is not None:
                    names.add(text(value.child_by_field_name("name"), source))


def _is_function(declarator: Any) -> bool:
    node = declarator
    while node is not None and node.type in ("pointer_declarator", "reference_declarator"):
        node = node.child_by_field_name("declarator") or (named(node)[-1] if named(node) else None)
    return node is not None and node.type == "function_declarator"


def _declared(declarator: Any, source: bytes) -> str | None:
    """The plain name a declarator declares (None for `S::f`, operators, destructors)."""
    node = declarator
    while node is not None and node.type not in (
        "identifier",
        "type_identifier",
        "field_identifier",
    ):
        if node.type in ("qualified_identifier", "operator_name", "destructor_name"):
            return None
        inner = node.child_by_field_name("declarator")
        if inner is None:
            kids = [c for c in named(node) if c.type.endswith(("declarator", "identifier"))]
            inner = kids[0] if kids else None
        node = inner
    return text(node, source) if node is not None else None


@dataclass(frozen=True)
class PreludeNames:
    """What a precompiled prelude holds, for `_batch_plan`."""

    words: frozenset[str]  # every identifier of its preprocessed text: a superset of its names
    braced: frozenset[str]  # its macros that expand to a brace (`__END_DECLS` is a `}`)


@functools.lru_cache(maxsize=MAX_PRELUDES)
def prelude_names(header: str) -> PreludeNames | None:
    """The names of the precompiled prelude `header` (kept beside it), or None when g++
    cannot say."""
    kept = Path(header).with_name("names.json")
    try:
        found = json.loads(kept.read_text(encoding="utf-8"))
        return PreludeNames(frozenset(found["words"]), frozenset(found["braced"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    outputs = []
    for mode in (["-E", "-P"], ["-dM", "-E"]):
        argv = [absolute(["g++"])[0], *FLAGS, *mode, "-x", "c++", header]
        try:
            done = cpp_java.trusted_run(argv)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0:
            return None
        outputs.append(done.stdout)
    braced = {
        found.group(1)
        for found in re.finditer(r"^#define (\w+)(.*)$", outputs[1], re.MULTILINE)
        if "{" in found.group(2) or "}" in found.group(2)
    }
    names = PreludeNames(frozenset(_WORD.findall(outputs[0])), frozenset(braced))
    staging = kept.with_name(f"names.{os.getpid()}.{threading.get_ident()}")
    try:
        staging.write_text(
            json.dumps({"words": sorted(names.words), "braced": sorted(names.braced)}),
            encoding="utf-8",
        )
        os.chmod(staging, 0o644)
        os.replace(staging, kept)
    except OSError:
        staging.unlink(missing_ok=True)
    return names


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_PROBE_LOCK = threading.Lock()
_PROBED: dict[str, dict[str, bool]] = {}  # prelude header -> name -> the prelude declares it


def prelude_declares(header: str, names: frozenset[str]) -> set[str] | None:
    """Which of `names` the prelude `header` declares at file scope or in `std` (where an
    item's own name, in a namespace, would hide it). A name its text never spells is
    not; the others are asked of g++ once per prelude (kept beside it): after `using
    namespace std;`, `struct N {}; N* p;` compiles only when nothing else is named N.
    None when g++ cannot say."""
    prelude = prelude_names(header)
    if prelude is None:
        return None
    spelled = names & prelude.words
    if not spelled:
        return set()
    kept = Path(header).with_name("declares.json")
    with _PROBE_LOCK:
        known = _PROBED.get(header)
        if known is None:
            try:
                loaded = json.loads(kept.read_text(encoding="utf-8"))
                known = {str(k): bool(v) for k, v in loaded.items()}
            except (OSError, ValueError, AttributeError):
                known = {}
            _PROBED[header] = known
        unknown = sorted(n for n in spelled if n not in known and _IDENTIFIER.fullmatch(n))
        if unknown:
            found = _probe(header, unknown)
            if found is None:
                return None
            known.update(found)
            staging = kept.with_name(f"declares.{os.getpid()}.{threading.get_ident()}")
            try:
                staging.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
                os.chmod(staging, 0o644)
                os.replace(staging, kept)
            except OSError:
                staging.unlink(missing_ok=True)
    return {n for n in spelled if known.get(n, True)}


def _probe(header: str, names: list[str]) -> dict[str, bool] | None:
    """name -> declared by the prelude, for names that are identifiers (one g++ run)."""
    lines = ["using namespace std;"]
    lines += [f"struct {n} {{}}; {n}* assay_probe_{k};" for k, n in enumerate(names)]
    work = tempfile.mkdtemp(prefix="assay-cpp-probe-")
    try:
        Path(work, "probe.cpp").write_text("\n".join(lines) + "\n", encoding="utf-8")
        argv = [absolute(["g++"])[0], *FLAGS, "-include", header, "-fsyntax-only", "probe.cpp"]
        done = cpp_java.trusted_run(argv, work)
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if done.returncode == 0:
        return dict.fromkeys(names, False)
    lines_with_errors = {
        int(m) for m in re.findall(r"^probe\.cpp:(\d+):\d+: error", done.stderr, re.M)
    }
    if not lines_with_errors:
        return None  # failed, but not on our lines: g++ cannot say
    return {n: k + 2 in lines_with_errors for k, n in enumerate(names)}


def _batch_plan(request: RunRequest) -> _Plan:
    """`plan`, and whether the item's names leave the prelude's alone (this waits for the
    header set's precompiled prelude: planning runs ahead of the runs, in the background)."""
    item = plan(request)
    if item.batchable:
        header = PRELUDE_TEXTS.get(item.headers, wait=True)
        names = prelude_names(header) if header and HARNESS_OBJECT.get(wait=True) else None
        hidden = prelude_declares(header, item.scope_names) if header and names else None
        item.batchable = hidden == set() and names is not None and not item.words & names.braced
    return item


_BATCH_ERROR = re.compile(
    r"^(?:main\.cpp:(\d+):\d+:\s+(?:(?:fatal )?error|required from)|In file included from main\.cpp:(\d+))",
    re.MULTILINE,
)


def _compile_batch(items: list[Any]) -> tuple[bytes | None, set[str]]:
    """Items as namespaces of one program (see the notes above): (the binary, or None;
    the namespaces g++'s errors point into, when it failed)."""
    from sandbox.languages import batches

    first = items[0].plan
    if not cpp_java.cache_is_safe():
        return None, set()  # each item alone, as without batching
    header, harness = _prelude_header(first.headers), HARNESS_OBJECT.get()
    if not header or not harness:
        return None, set()
    include, inputs = ["-include", header], [harness]
    blocks, spans, at = [], [], 0
    for built in items:
        saved = [*ASSERT_MACROS, *built.plan.macros]
        block = "\n".join(
            [
                *(f'#pragma push_macro("{m}")' for m in saved),
                f"namespace {built.module} {{",
                built.plan.source("int assay_item_main(int assay_argc, char** assay_argv)"),
                "}",
                *(f'#pragma pop_macro("{m}")' for m in reversed(saved)),
                "",
            ]
        )
        size = block.count("\n")
        spans.append((at + 1, at + size, built.module))
        blocks.append(block)
        at += size
    arms = "".join(
        f'    if (!__builtin_strcmp(assay_part, "{b.module}")) '
        f"return {b.module}::assay_item_main(1, assay_argv);\n"
        for b in items
    )
    blocks.append(
        "int main(int assay_argc, char** assay_argv) {\n"
        '    const char* assay_part = assay_argc > 1 ? assay_argv[1] : "";\n'
        "    if (assay_argc > 1) assay_argv[1] = nullptr;  // the tests see argv as alone\n"
        f"{arms}    return 2;\n}}\n"
    )
    argv = [absolute(["g++"])[0], *FLAGS, *include, *_user_flags(CXXFLAGS_ENV)]
    argv += ["-o", "prog", "main.cpp", *inputs, *cpp_java.fast_linker(), *first.link]
    argv += _user_flags(LDFLAGS_ENV)
    binary, stderr = batches.compile_in_tool_dir({"main.cpp": "".join(blocks)}, argv, "prog")
    failed = {
        part
        for found in _BATCH_ERROR.finditer(stderr)
        for start, end, part in spans
        if start <= int(found.group(1) or found.group(2)) <= end
    }
    for line in stderr.splitlines():  # the linker names what it misses
        if "undefined reference" in line or "multiple definition" in line:
            failed |= {b.module for b in items if b.module in line}
    return binary, failed


def _prepare(requests: Sequence[RunRequest]) -> None:
    from sandbox.languages import batches

    batches.prepare(requests, _batch_plan, lambda items: _compile_batch(items))


def _release(requests: Sequence[RunRequest]) -> None:
    from sandbox.languages import batches

    batches.release(requests)


_MISSING_HEADER = re.compile(r"fatal error: ([\w./+-]+): No such file or directory")


def _judge(program: Program, steps: list[dict[str, Any]]) -> RunResult:
    result = cpp_java.judge(program, steps)
    if result.status == "unparsable" and REFUSED_MARK in steps[-1]["stderr"]:
        message = steps[-1]["stderr"].split(REFUSED_MARK, 1)[1].split("\n", 1)[0]
        return RunResult("error", reason="refused: " + message.strip(' "'), language="cpp")
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
        prepare=(_prepare, _release),
    ),
]
