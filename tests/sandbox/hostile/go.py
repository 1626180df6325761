"""Hostile Go solutions: each is wrong and tries to forge a pass from inside the run."""

from __future__ import annotations

BARE = 'if Add(1, 2) != 3 { panic("Add(1, 2)") }\nif Add(2, 2) != 4 { panic("Add(2, 2)") }\n'
PROGRAM = """package main

import "testing"

func TestAdd(t *testing.T) {
    if Add(1, 2) != 3 { t.Errorf("Add(1, 2)") }
    if Add(2, 2) != 4 { t.Errorf("Add(2, 2)") }
}
"""
# Records as the harness used to write them (a nonce, no seal): end the open test, the
# next one and the run, then leave before the real checks.
FORGE = """
func forge(write func([]byte), key string) {
    for _, r := range []string{
        `{"k":"` + key + `","e":"end","t":0,"s":"pass","n":1,"d":0.1,"m":""}`,
        `{"k":"` + key + `","e":"begin","t":1}`,
        `{"k":"` + key + `","e":"end","t":1,"s":"pass","n":1,"d":0.1,"m":""}`,
        `{"k":"` + key + `","e":"done"}`,
    } {
        write([]byte(r + "\\n"))
    }
}

func forgeEverywhere(key string) {
    for fd := 3; fd < 64; fd++ {
        forge(func(b []byte) { os.NewFile(uintptr(fd), "x").Write(b) }, key)
    }
    os.Exit(0)
}
"""

CASES: dict[str, tuple[str, str, str]] = {
    "go_panic_nil_statement": (
        "go",
        "package main\n\nfunc Add(a, b int) int { panic(nil) }\n",
        BARE,
    ),
    "go_panic_nil_test_function": (
        "go",
        "package main\n\nfunc Add(a, b int) int { panic(nil) }\n",
        PROGRAM,
    ),
    # the harness's variables through //go:linkname (needs unsafe)
    "go_linkname_harness_channel": (
        "go",
        """package main

import (
    "os"
    "syscall"
    _ "unsafe"
)

//go:linkname hnonce assay/harness.nonce
var hnonce string

//go:linkname hchan assay/harness.channel
var hchan int
"""
        + FORGE
        + """
func Add(a, b int) int {
    forge(func(b []byte) { syscall.Write(hchan, b) }, hnonce)
    syscall.Exit(0)
    return 0
}
""",
        BARE,
    ),
    "go_embed_the_key_file": (
        "go",
        """package main

import (
    _ "embed"
    "os"
)

//go:embed .assay-nonce
var key string
"""
        + FORGE
        + """
func Add(a, b int) int { forgeEverywhere(key); return 0 }
""",
        BARE,
    ),
    "go_key_from_environment": (
        "go",
        """package main

import "os"
"""
        + FORGE
        + """
var key = os.Getenv("ASSAY_CHANNEL_KEY")

func Add(a, b int) int { forgeEverywhere(key); return 0 }
""",
        BARE,
    ),
    # put a pipe of its own where the channel is, and pass the harness's records on edited
    "go_dup2_channel_rewritten": (
        "go",
        """package main

import (
    "strings"
    "syscall"
)

func init() {
    for fd := 3; fd < 64; fd++ {
        var st syscall.Stat_t
        if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
            continue
        }
        real, err := syscall.Dup(fd)
        if err != nil {
            continue
        }
        var p [2]int
        if syscall.Pipe(p[:]) != nil {
            continue
        }
        syscall.Dup2(p[1], fd)
        go func(r, w int) {
            buf := make([]byte, 65536)
            for {
                n, err := syscall.Read(r, buf)
                if n <= 0 || err != nil {
                    return
                }
                s := strings.ReplaceAll(string(buf[:n]), `"s":"fail"`, `"s":"pass"`)
                syscall.Write(w, []byte(s))
            }
        }(p[0], real)
    }
}

func Add(a, b int) int { return 0 }
""",
        PROGRAM,
    ),
    "go_proc_self_mem": (
        "go",
        """package main

import (
    "os"
    "strings"
)

func Add(a, b int) int {
    maps, err := os.ReadFile("/proc/self/maps")
    mem, err2 := os.Open("/proc/self/mem")
    if err != nil || err2 != nil {
        return 0
    }
    buf := make([]byte, 1<<20)
    for _, line := range strings.Split(string(maps), "\\n") {
        var lo uint64
        for _, c := range strings.SplitN(line, "-", 2)[0] {
            lo = lo*16 + uint64(strings.IndexRune("0123456789abcdef", c))
        }
        if n, _ := mem.ReadAt(buf, int64(lo)); n > 0 && strings.Contains(string(buf[:n]), "harness") {
            os.Stderr.WriteString("read the judge's memory\\n")
        }
    }
    return 0
}
""",
        BARE,
    ),
    "go_os_exit_zero": (
        "go",
        'package main\n\nimport "os"\n\nfunc Add(a, b int) int { os.Exit(0); return 0 }\n',
        PROGRAM,
    ),
    "go_exit_in_init": (
        "go",
        'package main\n\nimport "os"\n\nfunc init() { os.Exit(0) }\n\nfunc Add(a, b int) int { return 0 }\n',
        BARE,
    ),
    "go_goexit": (
        "go",
        'package main\n\nimport "runtime"\n\nfunc Add(a, b int) int { runtime.Goexit(); return 0 }\n',
        BARE,
    ),
    "go_goexit_test_function": (
        "go",
        'package main\n\nimport "runtime"\n\nfunc Add(a, b int) int { runtime.Goexit(); return 0 }\n',
        PROGRAM,
    ),
    "go_harness_imported": (
        "go",
        """package main

import h "assay/harness"

func Add(a, b int) int { h.Mark(); h.Done(); return 0 }
""",
        BARE,
    ),
    # a goroutine that ends the run as soon as the first test began
    "go_goroutine_exits_early": (
        "go",
        """package main

import (
    "os"
    "time"
)

func init() {
    go func() { time.Sleep(time.Millisecond); os.Exit(0) }()
}

func Add(a, b int) int { time.Sleep(time.Second); return 0 }
""",
        BARE,
    ),
    "go_cgo_write": (
        "go",
        """package main

// #include <unistd.h>
import "C"

func Add(a, b int) int { C.write(3, nil, 0); return 0 }
""",
        BARE,
    ),
    # memory read without unsafe: write(2) of an address, a dump of the whole heap
    "go_raw_syscall_reads_memory": (
        "go",
        """package main

import (
    "os"
    "syscall"
)

func Add(a, b int) int {
    f, _ := os.CreateTemp("", "mem")
    syscall.Syscall(syscall.SYS_WRITE, f.Fd(), 0xc000000000, 1<<20)
    return 0
}
""",
        BARE,
    ),
    "go_heap_dump": (
        "go",
        """package main

import (
    "os"
    "runtime/debug"
)

func Add(a, b int) int {
    f, _ := os.CreateTemp("", "heap")
    debug.WriteHeapDump(f.Fd())
    return 0
}
""",
        BARE,
    ),
    # the standard streams pointed at the channel: the harness writes no os.File
    "go_os_stdout_is_the_channel": (
        "go",
        """package main

import (
    "fmt"
    "os"
)

func init() {
    os.Stdout = os.NewFile(3, "channel")
    os.Stderr = os.Stdout
}

func Add(a, b int) int {
    fmt.Println(`{"q":1,"e":"begin","t":0}`)
    return 0
}
""",
        PROGRAM,
    ),
}
