"""Rust: one program per item, built with `rustc`."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

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
    return on_path("rustc", ["--version"])


NEWLINE_ENDS = False
DECLARATION = re.compile(r"^(let|fn|use|struct|enum|impl|const|static|mod|trait|type)\b")
ASSERTS = re.compile(r"\bassert(_eq|_ne)?!|\bpanic!|\bunreachable!")


@functools.cache
def _rustc() -> str:
    """The real rustc inside the toolchain (the rustup proxy needs a HOME we do not give)."""
    proxy = shutil.which("rustc") or "rustc"
    try:
        sysroot = subprocess.run(
            [proxy, "--print", "sysroot"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return proxy
    real = Path(sysroot) / "bin" / "rustc"
    return str(real) if real.exists() else proxy


_RUST_HARNESS = r"""
fn assay_send(s: &str) {
    use std::io::Write;
    use std::os::unix::io::FromRawFd;
    let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });
    let _ = f.write_all(s.as_bytes());
}

fn assay_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn assay_test<F: FnOnce()>(i: usize, body: F) {
    assay_send(&format!("{{\"e\":\"begin\",\"t\":{}}}\n", i));
    let start = std::time::Instant::now();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    let d = start.elapsed().as_secs_f64();
    match r {
        Ok(()) => assay_send(&format!("{{\"e\":\"end\",\"t\":{},\"d\":{}}}\n", i, d)),
        Err(e) => {
            let m = if let Some(s) = e.downcast_ref::<&str>() { s.to_string() }
                else if let Some(s) = e.downcast_ref::<String>() { s.clone() }
                else { String::from("panic") };
            assay_send(&format!(
                "{{\"e\":\"end\",\"t\":{},\"d\":{},\"x\":{{\"k\":\"fail\",\"type\":\"panic\",\"m\":{}}}}}\n",
                i, d, assay_quote(&m)
            ));
        }
    }
}
"""


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    pairs = statement_tests(
        request.tests, newline_ends=NEWLINE_ENDS, declaration=DECLARATION, asserts=ASSERTS
    )
    solution = re.sub(r"\bfn\s+main\s*\(", "fn assay_solution_main(", request.solution)
    body = numbered(pairs, lambda i, s: f"assay_test({i}, || {{\n{s}\n}});")
    source = (
        "#![allow(unused)]\n"
        + solution
        + "\n"
        + _RUST_HARNESS
        + "\nfn main() {\n    std::panic::set_hook(Box::new(|_| {}));\n"
        + '    assay_send("{\\"e\\":\\"start\\"}\\n");\n'
        + body
        + '\n    assay_send("{\\"e\\":\\"done\\"}\\n");\n}\n'
    )
    steps = [
        compile_step([_rustc(), "--edition", "2021", "-o", "prog", "main.rs"]),
        run_step(["./prog"], request.timeout, "native"),
    ]
    return Program(language.id, test_names(pairs), {"main.rs": source}, steps)


LANGUAGES = [
    Language(
        "rust",
        "Rust",
        ("rust", "rs"),
        ".rs",
        lexer="rust",
        editor="rust",
        grammar="rust",
        short="rs",
        toolchain=toolchain,
        build=build,
    ),
]
