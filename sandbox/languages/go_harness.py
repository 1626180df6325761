"""The Go harness package (`assay/harness`), compiled once by the parent into the library.

It is a package of its own, so item code (in package main) cannot reach its state: no
variable to replace, only the few exported calls the generated main uses (and the
item may not name the package, import `unsafe` or use `//go:linkname`). Its init runs
before any of the item's (main imports it), and there it

- takes the channel key from the environment and removes it;
- moves the result channel off fd 3 to a close-on-exec duplicate;
- makes the process non-dumpable (no other process of the run may ptrace it or read
  its memory) and, where the kernel has Landlock, denies every thread reading or
  writing files under /proc (so not /proc/self/mem either).

Every record is sealed with an HMAC of the key and numbered (see `channel`): a record
the item writes, edits or replays is refused by the parent.

A test's success is recorded only after its body returned normally: a panic
(panic(nil) included) or a runtime.Goexit that the testing package did not cause is a
failure.
"""

HARNESS_SOURCE = r"""
package harness

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/internal/testdeps"
	"time"
	"unicode/utf8"
	"unsafe"
)

var (
	channel  = -1
	key      []byte
	seq      int
	sendMu   sync.Mutex
	mu       sync.Mutex
	open     = map[int]bool{}
	marks    = map[int]int{}
	started  bool
	finished bool
)

func init() {
	key = []byte(os.Getenv("ASSAY_CHANNEL_KEY"))
	os.Unsetenv("ASSAY_CHANNEL_KEY")
	if fd, err := syscall.Dup(3); err == nil {
		syscall.CloseOnExec(fd)
		syscall.Close(3)
		channel = fd
	}
	lockdown()
}

// Landlock (uapi/linux/landlock.h): the same syscall numbers on every architecture.
const (
	landlockCreateRuleset = 444
	landlockAddRule       = 445
	landlockRestrictSelf  = 446
	landlockFileAccess    = 1<<1 | 1<<2 // WRITE_FILE | READ_FILE
	prSetDumpable         = 4
	prSetNoNewPrivs       = 38
	oPath                 = 0x200000 // O_PATH (010000000) on amd64 and arm64
)

type pathBeneath struct { // the kernel reads the first 12 bytes (a packed struct)
	access uint64
	fd     int32
}

// lockdown keeps the item out of the harness's memory: no ptrace or /proc/PID/mem
// from another process (not dumpable), no /proc at all for this one (Landlock).
func lockdown() {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetDumpable, 0, 0)
	attr := [1]uint64{landlockFileAccess}
	ruleset, _, errno := syscall.RawSyscall(landlockCreateRuleset, uintptr(unsafe.Pointer(&attr[0])), 8, 0)
	if errno != 0 {
		return // no Landlock in this kernel: documented as a residual risk
	}
	defer syscall.Close(int(ruleset))
	entries, err := os.ReadDir("/")
	if err != nil {
		return
	}
	for _, entry := range entries {
		if entry.Name() == "proc" {
			continue
		}
		fd, err := syscall.Open("/"+entry.Name(), oPath|syscall.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		rule := pathBeneath{landlockFileAccess, int32(fd)}
		syscall.RawSyscall6(landlockAddRule, ruleset, 1, uintptr(unsafe.Pointer(&rule)), 0, 0, 0)
		syscall.Close(fd)
	}
	if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0); e != 0 {
		return
	}
	syscall.AllThreadsSyscall(landlockRestrictSelf, ruleset, 0, 0)
}

func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			h := strconv.FormatInt(int64(r), 16)
			for len(h) < 4 {
				h = "0" + h
			}
			b = append(b, "\\u"...)
			b = append(b, h...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, '"'))
}

func send(fields string) {
	sendMu.Lock()
	defer sendMu.Unlock()
	body := `{"q":` + strconv.Itoa(seq) + fields + "}"
	seq++
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	line := []byte(body + " " + hex.EncodeToString(mac.Sum(nil)) + "\n")
	for len(line) > 0 {
		n, err := syscall.Write(channel, line)
		if err != nil || n <= 0 {
			return
		}
		line = line[n:]
	}
}

func begin(i int) {
	mu.Lock()
	open[i] = true
	mu.Unlock()
	send(`,"e":"begin","t":` + strconv.Itoa(i))
}

func end(i int, status string, d float64, message string) {
	mu.Lock()
	n := marks[i]
	delete(open, i)
	mu.Unlock()
	if len(message) > 4000 {
		message = message[:4000] + " ...[truncated]"
	}
	send(`,"e":"end","t":` + strconv.Itoa(i) + `,"s":"` + status + `","n":` + strconv.Itoa(n) +
		`,"d":` + strconv.FormatFloat(d, 'f', 6, 64) + `,"m":` + quote(message))
}

// Mark records that an assertion was reached, for every test running now.
func Mark() {
	mu.Lock()
	for i := range open {
		marks[i]++
	}
	mu.Unlock()
}

func describe(r any) (string, string) {
	if _, ok := r.(runtime.Error); ok {
		return "error", "panic: " + toString(r)
	}
	return "fail", "panic: " + toString(r)
}

func toString(r any) (s string) {
	defer func() {
		if recover() != nil {
			s = "(a value whose String method panicked)"
		}
	}()
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	case interface{ String() string }:
		return v.String()
	}
	return reflect.TypeOf(r).String() + " value"
}

func once(flag *bool) {
	mu.Lock()
	again := *flag
	*flag = true
	mu.Unlock()
	if again {
		send(`,"e":"tamper"`)
		os.Exit(3)
	}
}

// Start begins the run; a second call (from item code) ends it as tampered.
func Start() {
	once(&started)
	send(`,"e":"start"`)
}

// Done ends the run after the last test.
func Done() {
	once(&finished)
	send(`,"e":"done"`)
	os.Exit(0)
}

// Statement runs one bare test statement: it passes when it returns without panicking.
func Statement(i int, body func()) {
	begin(i)
	startedAt := time.Now()
	completed := false
	defer func() {
		d := time.Since(startedAt).Seconds()
		if completed {
			end(i, "pass", d, "")
			return
		}
		r := recover()
		if r == nil {
			end(i, "fail", d, "the statement panicked with nil or called runtime.Goexit")
			return
		}
		status, message := describe(r)
		end(i, status, d, message)
	}()
	body()
	completed = true
}

func output(t *testing.T) string {
	defer func() { recover() }()
	field := reflect.ValueOf(t).Elem().FieldByName("output")
	if field.IsValid() && field.Kind() == reflect.Slice {
		return string(field.Bytes())
	}
	return ""
}

// Tests runs `func TestX(t *testing.T)` functions through the testing package.
func Tests(tests []testing.InternalTest) {
	Start()
	wrapped := make([]testing.InternalTest, len(tests))
	for index, test := range tests {
		i, fn := index, test.F
		wrapped[i] = testing.InternalTest{Name: test.Name, F: func(t *testing.T) {
			begin(i)
			startedAt := time.Now()
			status, message := "", ""
			t.Cleanup(func() {
				d := time.Since(startedAt).Seconds()
				switch {
				case status != "":
				case t.Skipped():
					status, message = "skipped", "skipped: "+output(t)
				case t.Failed():
					status, message = "fail", output(t)
				default:
					status = "pass"
				}
				end(i, status, d, message)
			})
			completed := false
			defer func() {
				if completed {
					return
				}
				r := recover()
				switch {
				case r != nil:
					status, message = describe(r)
					t.Fail()
				case t.Failed() || t.Skipped():
				default:
					status, message = "fail", "the test panicked with nil or called runtime.Goexit"
					t.Fail()
				}
			}()
			fn(t)
			completed = true
		}}
	}
	testing.MainStart(testdeps.TestDeps{}, wrapped, nil, nil, nil).Run()
	Done()
}
"""
