"""C++: one program per item, built with `g++ -std=c++17`."""

from __future__ import annotations

import functools
import re

from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    compile_step,
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
    return on_path("g++", ["--version"])


NEWLINE_ENDS = False
DECLARATION = re.compile(
    r"^(?!(return|throw|if|for|while|do|switch|try)\b)(const\s+)?[\w:<>\[\], *&]+\s+[\w*&]+\s*(=|;|\{|\()"
)
ASSERTS = re.compile(r"\bthrow\b|\bassert\s*\(")

_CPP_HEADERS = """#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <climits>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <stack>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>
#include <cassert>
#include <chrono>
#include <unistd.h>
"""
_CPP_HARNESS = r"""
#undef assert
#define assert(cond) ((cond) ? (void)0 : throw std::runtime_error("assertion failed: " #cond))
static void assay_send(const std::string& s) {
    std::string line = s + "\n";
    const char* p = line.data(); size_t left = line.size();
    while (left) { ssize_t w = ::write(3, p, left); if (w <= 0) return; p += w; left -= w; }
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
template <typename F> static void assay_test(int t, F body) {
    assay_send("{\"e\":\"begin\",\"t\":" + std::to_string(t) + "}");
    auto t0 = std::chrono::steady_clock::now();
    std::string x;
    try { body(); }
    catch (const std::exception& e) { x = "{\"k\":\"fail\",\"type\":\"exception\",\"m\":" + assay_quote(e.what()) + "}"; }
    catch (...) { x = "{\"k\":\"fail\",\"type\":\"unknown\",\"m\":\"non-standard exception\"}"; }
    double d = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string rec = "{\"e\":\"end\",\"t\":" + std::to_string(t) + ",\"d\":" + std::to_string(d);
    assay_send(rec + (x.empty() ? "" : ",\"x\":" + x) + "}");
}
"""


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    pairs = statement_tests(
        request.tests, newline_ends=NEWLINE_ENDS, declaration=DECLARATION, asserts=ASSERTS
    )
    solution = re.sub(r"\bint\s+main\s*\(", "int assay_solution_main(", request.solution)
    body = numbered(pairs, lambda i, s: f"assay_test({i}, [&]() {{\n{s}\n}});")
    source = (
        _CPP_HEADERS
        + solution
        + "\n"
        + _CPP_HARNESS
        + '\nint main() {\n    assay_send("{\\"e\\":\\"start\\"}");\n'
        + body
        + '\n    assay_send("{\\"e\\":\\"done\\"}");\n    return 0;\n}\n'
    )
    steps = [
        compile_step(["g++", "-std=c++17", "-O0", "-w", "-o", "prog", "main.cpp"]),
        run_step(["./prog"], request.timeout, "native"),
    ]
    return Program(language.id, test_names(pairs), {"main.cpp": source}, steps)


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
    ),
]
