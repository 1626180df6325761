"""Hostile Rust solutions: each is wrong and tries to forge a pass from inside the run."""

from __future__ import annotations

MODULE = """
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_add() {
        assert_eq!(add(1, 2), 3);
        assert_eq!(add(2, 2), 4);
    }
}
"""
BARE = "assert_eq!(add(1, 2), 3);\nassert_eq!(add(2, 2), 4);\n"
ASSERT_BANG = "assert!(add(1, 2) == 3);\nassert!(add(2, 2) == 4);\n"

# Forged records, as the runtime used to write them (no seal), then a clean exit.
FORGED = (
    r"{\"e\":\"start\"}\n{\"e\":\"begin\",\"t\":0}\n"
    r"{\"e\":\"end\",\"t\":0,\"s\":\"pass\",\"n\":2,\"d\":0.1,\"m\":\"\"}\n{\"e\":\"done\"}\n"
)

CASES: dict[str, tuple[str, str, str]] = {
    # a libc `write` of its own: every std write (and a libc-based channel) goes through it
    "rust_interposed_libc_write": (
        "rust",
        r"""
#[no_mangle]
pub extern "C" fn write(fd: i32, buf: *const u8, n: usize) -> isize {
    extern "C" { fn syscall(n: i64, ...) -> i64; }
    let s = unsafe { std::slice::from_raw_parts(buf, n) };
    let t = String::from_utf8_lossy(s).replace("\"fail\"", "\"pass\"");
    unsafe { syscall(1, fd as i64, t.as_ptr(), t.len()); }
    n as isize
}
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        MODULE,
    ),
    "rust_partialeq_always_true": (
        "rust",
        """
#[derive(Debug)]
pub struct N(i32);
impl PartialEq<i32> for N { fn eq(&self, _: &i32) -> bool { true } }
pub fn add(a: i32, b: i32) -> N { N(0) }
""",
        MODULE,
    ),
    # Debug echoes whatever eq() was last compared with: both sides print the same
    "rust_partialeq_and_debug_echo": (
        "rust",
        """
use std::cell::Cell;
use std::fmt;
thread_local! { static LAST: Cell<i32> = Cell::new(0); }
pub struct N;
impl PartialEq<i32> for N {
    fn eq(&self, o: &i32) -> bool { LAST.with(|c| c.set(*o)); true }
}
impl fmt::Debug for N {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, "{}", LAST.with(|c| c.get())) }
}
pub fn add(a: i32, b: i32) -> N { N }
""",
        BARE,
    ),
    "rust_partialeq_inside_assert": (
        "rust",
        """
#[derive(Debug)]
pub struct N;
impl PartialEq<i32> for N { fn eq(&self, _: &i32) -> bool { true } }
pub fn add(a: i32, b: i32) -> N { N }
""",
        ASSERT_BANG,
    ),
    "rust_partialeq_from_a_macro": (
        "rust",
        """
macro_rules! rig { ($t:ty) => { impl PartialEq<i32> for $t { fn eq(&self, _: &i32) -> bool { true } } } }
#[derive(Debug)]
pub struct N;
rig!(N);
pub fn add(a: i32, b: i32) -> N { N }
""",
        BARE,
    ),
    "rust_process_exit_zero": (
        "rust",
        "pub fn add(a: i32, b: i32) -> i32 { std::process::exit(0) }\n",
        MODULE,
    ),
    "rust_abort": ("rust", "pub fn add(a: i32, b: i32) -> i32 { std::process::abort() }\n", BARE),
    # safe code reopening the channel through /dev/fd and /proc/self/fd
    "rust_reopened_channel_forged": (
        "rust",
        f"""
use std::io::Write;
pub fn add(a: i32, b: i32) -> i32 {{
    for fd in 3..64 {{
        for dir in ["/dev/fd", "/proc/self/fd"] {{
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(format!("{{}}/{{}}", dir, fd)) {{
                let _ = f.write_all(b"{FORGED}");
            }}
        }}
    }}
    std::process::exit(0)
}}
""",
        MODULE,
    ),
    # read the genuine records back out of the channel and send them edited
    "rust_reopened_channel_edited": (
        "rust",
        """
use std::io::{Read, Write};
pub fn add(a: i32, b: i32) -> i32 {
    for fd in 3..64 {
        let path = format!("/dev/fd/{}", fd);
        if let Ok(mut f) = std::fs::OpenOptions::new().read(true).write(true).open(&path) {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = f.read(&mut buf) {
                    if n == 0 { break; }
                    let s = String::from_utf8_lossy(&buf[..n]).replace("\\"fail\\"", "\\"pass\\"");
                    let _ = f.write_all(s.as_bytes());
                }
            });
        }
    }
    0
}
""",
        MODULE,
    ),
    "rust_proc_self_mem_key": (
        "rust",
        """
use std::io::{Read, Seek, SeekFrom};
pub fn add(a: i32, b: i32) -> i32 {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    if let Ok(mut mem) = std::fs::File::open("/proc/self/mem") {
        for line in maps.lines() {
            let range = line.split(' ').next().unwrap_or("");
            let (lo, _) = range.split_once('-').unwrap_or(("0", "0"));
            let lo = u64::from_str_radix(lo, 16).unwrap_or(0);
            let mut buf = vec![0u8; 4096];
            if mem.seek(SeekFrom::Start(lo)).is_ok() && mem.read(&mut buf).is_ok() {
                return 3; // memory of the judge was readable: never reached
            }
        }
    }
    0
}
""",
        BARE,
    ),
    "rust_key_from_environment": (
        "rust",
        f"""
use std::io::Write;
pub fn add(a: i32, b: i32) -> i32 {{
    let key = std::env::var("ASSAY_CHANNEL_KEY").unwrap_or_default();
    for fd in 3..64 {{
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(format!("/dev/fd/{{}}", fd)) {{
            let _ = f.write_all(key.as_bytes());
            let _ = f.write_all(b" {FORGED}");
        }}
    }}
    std::process::exit(0)
}}
""",
        BARE,
    ),
    "rust_static_constructor": (
        "rust",
        """
#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn() = {
    extern "C" fn before_main() { std::env::set_var("ASSAY_CHANNEL_KEY", "known"); }
    before_main
};
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        MODULE,
    ),
    "rust_global_allocator": (
        "rust",
        """
use std::alloc::{GlobalAlloc, Layout, System};
struct Spy;
unsafe impl GlobalAlloc for Spy {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 { System.alloc(l) }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) { System.dealloc(p, l) }
}
#[global_allocator]
static A: Spy = Spy;
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        BARE,
    ),
    "rust_no_mangle_main": (
        "rust",
        """
#[no_mangle]
pub extern "C" fn main() -> i32 { 0 }
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        BARE,
    ),
    "rust_global_asm_constructor": (
        "rust",
        """
std::arch::global_asm!(".section .init_array,\\"aw\\"", ".quad 0", ".text");
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        BARE,
    ),
    "rust_shadowed_assert_eq": (
        "rust",
        """
macro_rules! assert_eq { ($($t:tt)*) => { () } }
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        BARE,
    ),
    "rust_shadowed_assert_eq_from_a_macro": (
        "rust",
        """
macro_rules! mk { () => { macro_rules! assert_eq { ($($t:tt)*) => { () } } } }
mk!();
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        MODULE,
    ),
    "rust_redefined_harness_count": (
        "rust",
        """
pub fn add(a: i32, b: i32) -> i32 { ::assay_rt::assay_count(); 0 }
""",
        BARE,
    ),
    # a std name the generated main once used unqualified
    "rust_shadowed_box_skips_the_tests": (
        "rust",
        """
pub struct Box;
impl Box {
    pub fn new<F>(_f: F) -> std::boxed::Box<dyn FnOnce() -> Result<(), String>> {
        std::boxed::Box::new(|| Ok(()))
    }
}
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        BARE,
    ),
    # the panic payload's Drop runs judge-side code paths if the harness drops it
    "rust_panic_payload_drop": (
        "rust",
        """
struct Bomb;
impl Drop for Bomb { fn drop(&mut self) { std::process::exit(0); } }
pub fn add(a: i32, b: i32) -> i32 { std::panic::panic_any(Bomb) }
""",
        MODULE,
    ),
    "rust_linked_library_constructor": (
        "rust",
        """
#[link(name = "c")]
extern "C" {}
pub fn add(a: i32, b: i32) -> i32 { 0 }
""",
        BARE,
    ),
    # panics end the process as if `panic = abort`, with a clean exit status
    "rust_panic_hook_exits": (
        "rust",
        """
pub fn add(a: i32, b: i32) -> i32 {
    std::panic::set_hook(Box::new(|_| std::process::exit(0)));
    0
}
""",
        MODULE,
    ),
}
