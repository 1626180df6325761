"""Hostile C++ items: wrong solutions that try to forge a pass by redefining what the
tests rely on (`throw`, `assert`, `main`, `operator==`, the C library's `write` or
`memcmp`, the C++ runtime's `__cxa_throw`), by running before `main` (static
constructors, `.preinit_array`), by leaving a test without ending it (`exit`,
`_exit`, `quick_exit`, `longjmp`, a thread) or by writing records of their own."""

from __future__ import annotations

WRONG = "#include <bits/stdc++.h>\nusing namespace std;\nint add(int a, int b) { return 0; }\n"
# HumanEval-X's shape: a main with asserts.
ASSERTS = "#undef NDEBUG\n#include <assert.h>\nint main() {\n    assert(add(1, 2) == 3);\n}\n"
# MBCPP's shape: a main that throws on a wrong answer.
THROWS = (
    "template <typename T> bool compare(T a, T b) { return a == b; }\n"
    "int main(int argc, char* argv[]) {\n"
    "    vector<int> x0 = {add(1, 2)};\n"
    '    if (!(compare(x0, {3}))) { throw runtime_error("case 0"); }\n'
    "    return 0;\n"
    "}\n"
)
# A record stream that would read as one passing test.
FORGED = (
    r'"{\"e\":\"start\"}\n{\"e\":\"begin\",\"t\":0}\n{\"e\":\"end\",\"t\":0,\"d\":0,\"n\":1}\n'
    r'{\"e\":\"done\"}\n"'
)


def _wrong(extra: str, body: str = "return 0;") -> str:
    return (
        "#include <bits/stdc++.h>\n#include <unistd.h>\nusing namespace std;\n"
        + extra
        + f"\nint add(int a, int b) {{ {body} }}\n"
    )


CASES: dict[str, tuple[str, str, str]] = {
    "cpp_define_throw_away": ("cpp", WRONG + "#define throw (void)\n", THROWS),
    "cpp_define_assert_away": ("cpp", WRONG + "#define assert(...) ((void)0)\n", ASSERTS),
    "cpp_digraph_define_throw": ("cpp", WRONG + "%:define throw (void)\n", THROWS),
    "cpp_spliced_define_throw": ("cpp", WRONG + "#def\\\nine throw (void)\n", THROWS),
    "cpp_commented_define_throw": ("cpp", WRONG + "#/**/define throw (void)\n", THROWS),
    "cpp_define_if_true": ("cpp", WRONG + "#define if(x) if (false)\n", THROWS),
    "cpp_define_main_away": (
        "cpp",
        WRONG + "#define main never_called\nint main() { return 0; }\n",
        ASSERTS,
    ),
    "cpp_define_entry_point_macro": ("cpp", WRONG + "#define add(a, b) 3\n", ASSERTS),
    "cpp_operator_eq_always_true": (
        "cpp",
        WRONG + "bool operator==(const vector<int>&, const vector<int>&) { return true; }\n",
        THROWS,
    ),
    "cpp_operator_eq_in_namespace_std": (
        "cpp",
        WRONG
        + "namespace std {\nbool operator==(const vector<int>&, const vector<int>&) "
        + "{ return true; }\n}\n",
        THROWS,
    ),
    "cpp_interposed_write_extern_c": (
        "cpp",
        _wrong(
            'extern "C" ssize_t write(int fd, const void* b, size_t n) {\n'
            "    if (fd >= 3) { string s((const char*)b, n);\n"
            '        auto i = s.find(",\\"x\\""); if (i != string::npos) s = s.substr(0, i) + "}\\n";\n'
            "        return syscall(SYS_write, fd, s.data(), s.size()) < 0 ? -1 : (ssize_t)n; }\n"
            "    return syscall(SYS_write, fd, b, n);\n}\n"
        ),
        ASSERTS,
    ),
    "cpp_interposed_memcmp_c_linkage": (
        "cpp",
        _wrong("int memcmp(const void* a, const void* b, size_t n) { return 0; }\n"),
        THROWS,
    ),
    "cpp_cxa_throw_returns": (
        "cpp",
        _wrong('extern "C" void __cxa_throw(void*, void*, void (*)(void*)) {}\n'),
        THROWS,
    ),
    "cpp_static_constructor_forges_records": (
        "cpp",
        _wrong(
            "static int forged = [] {\n"
            f"    const char* r = {FORGED};\n"
            "    for (int fd = 3; fd < 64; ++fd) ::write(fd, r, strlen(r));\n"
            "    _exit(0); return 0;\n}();\n"
        ),
        ASSERTS,
    ),
    "cpp_nonce_from_environment": (
        "cpp",
        _wrong(
            "static int forged = [] {\n"
            '    const char* k = getenv("ASSAY_NONCE"); string key = k ? k : "";\n'
            '    string recs[] = {"\\"e\\":\\"start\\"", "\\"e\\":\\"begin\\",\\"t\\":0",\n'
            '        "\\"e\\":\\"end\\",\\"t\\":0,\\"d\\":0,\\"n\\":1", "\\"e\\":\\"done\\""};\n'
            "    for (int fd = 3; fd < 64; ++fd) for (auto& r : recs) {\n"
            '        string line = "{\\"k\\":\\"" + key + "\\"," + r + "}\\n";\n'
            "        ::write(fd, line.data(), line.size()); }\n"
            "    _exit(0); return 0;\n}();\n"
        ),
        ASSERTS,
    ),
    "cpp_exit0_inside_test": ("cpp", _wrong("", "std::exit(0);"), ASSERTS),
    "cpp__exit0_inside_test": ("cpp", _wrong("", "_exit(0);"), THROWS),
    "cpp_quick_exit_inside_test": ("cpp", _wrong("", "std::quick_exit(0);"), ASSERTS),
    "cpp_atexit_forges_after_exit": (
        "cpp",
        _wrong(
            "static void forge() {\n"
            f"    const char* r = {FORGED};\n"
            "    for (int fd = 3; fd < 64; ++fd) ::write(fd, r, strlen(r));\n}\n"
            "static int registered = atexit(forge);\n",
            "exit(0);",
        ),
        ASSERTS,
    ),
    "cpp_longjmp_past_the_check": (
        "cpp",
        _wrong("#include <csetjmp>\njmp_buf back;\n", "longjmp(back, 1);"),
        "int main() {\n    if (setjmp(back) == 0) assert(add(1, 2) == 3);\n}\n",
    ),
    "cpp_preinit_array_entry": (
        "cpp",
        _wrong(
            'static void early(int, char**, char**) { unsetenv("ASSAY_NONCE"); }\n'
            '__attribute__((section(".preinit_array"), used)) static void (*e)(int, char**, '
            "char**) = early;\n"
        ),
        ASSERTS,
    ),
    "cpp_asm_label_renames_memcmp": (
        "cpp",
        _wrong('int fake_memcmp(const void*, const void*, size_t) __asm__("memcmp");\n'),
        THROWS,
    ),
    "cpp_calls_the_harness": (
        "cpp",
        _wrong(
            "void assay_counted();\nvoid assay_end();\n", "assay_counted(); assay_end(); return 0;"
        ),
        ASSERTS,
    ),
    "cpp_token_paste_harness_name": (
        "cpp",
        _wrong(
            "#define CAT(a, b) a##b\nvoid CAT(assay, _end)();\n",
            "CAT(assay, _end)(); return 0;",
        ),
        ASSERTS,
    ),
    "cpp_thread_exits_mid_test": (
        "cpp",
        _wrong(
            "#include <thread>\n",
            "std::thread([] { _exit(0); }).detach(); "
            "std::this_thread::sleep_for(std::chrono::milliseconds(200)); return 0;",
        ),
        ASSERTS,
    ),
    "cpp_closes_every_descriptor": (
        "cpp",
        _wrong("", "for (int fd = 3; fd < 1024; ++fd) close(fd); return 0;"),
        ASSERTS,
    ),
    "cpp_pragma_redefine_extname": (
        "cpp",
        _wrong("#pragma redefine_extname fake_memcmp memcmp\n"),
        THROWS,
    ),
    "cpp_shadows_the_tests_helper": (
        "cpp",
        WRONG + "template <typename A, typename B> bool compare(A, B) { return true; }\n",
        THROWS.replace("template <typename T> bool compare(T a, T b)", "bool compare(int a, int b)")
        .replace("vector<int> x0 = {add(1, 2)};", "int x0 = add(1, 2);")
        .replace("compare(x0, {3})", "compare(x0, 3L)"),
    ),
}
