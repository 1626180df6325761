"""A warm Java compiler: javac kept running (javax.tools), items' sources sent to it.

The source launcher (`java AssayMain.java`) starts javac cold inside every run: about
0.45 s of a 0.6 s run is the compiler loading and warming up. Here a few long-lived
compiler processes (one per two cores) compile each item's
one file in memory and send back its class files; the run then only starts the JVM on
them (`java -cp . AssayMain`, with a class-data archive of the JDK classes a test
loads). About 0.03 s of compile and 0.09 s of run per item instead of 0.6 s.

What the compiler may and may not do, since it reads untrusted source:

- It runs no code of the item: annotation processing is off (`-proc:none`), no plugin
  is named, and nothing but the JDK and the user's `ASSAY_JAVA_CLASSPATH` is on its
  class path (no source path: it reads only the file it is sent).
- It runs under bubblewrap with the runs' read-only view (the toolchains, no network,
  no home, no database) and no capabilities; it is only used when runs have that
  isolation and the cache holding its classes is out of the runs' reach
  (`cpp_java.cache_is_safe`), else items use the source launcher as before.
- One item's compile cannot outlast its run's timeout: the compiler is killed and a
  new one started; a compiler that dies or answers out of protocol is replaced the same
  way, and that item is an `error` with the reason, never a verdict from the compiler.
- Class files go to the run as data (the worker writes them into the run's own work
  dir); no path is shared between runs or between an item and the compiler.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import struct
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sandbox.languages import cpp_java
from sandbox.languages.base import absolute

SERVER_CLASS = "AssayJavac"
SERVER_SOURCE = r"""
import javax.tools.*;
import java.io.*;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.*;

// Reads requests on stdin: int option count, options (UTF), int file count, then per
// file its name (UTF) and UTF-8 bytes (int length, bytes). Answers on stdout: boolean
// compiled, diagnostics (int length, UTF-8 bytes), int class count, then per class its
// binary name (int length, UTF-8 bytes) and bytes (int length, bytes).
public final class AssayJavac {
    static final class Source extends SimpleJavaFileObject {
        final String name, code;
        Source(String name, String code) {
            super(URI.create("string:///" + name), Kind.SOURCE);
            this.name = name;
            this.code = code;
        }
        @Override public CharSequence getCharContent(boolean ignore) { return code; }
        // As under the source launcher: a public class need not name the file.
        @Override public boolean isNameCompatible(String simpleName, Kind kind) { return true; }
        @Override public String getName() { return name; }
    }

    static final class Output extends SimpleJavaFileObject {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output(String name) {
            super(URI.create("mem:///" + name.replace('.', '/') + ".class"), Kind.CLASS);
        }
        @Override public OutputStream openOutputStream() { return bytes; }
    }

    static final class Memory extends ForwardingJavaFileManager<JavaFileManager> {
        final Map<String, Output> classes = new LinkedHashMap<>();
        Memory(JavaFileManager inner) { super(inner); }
        @Override public JavaFileObject getJavaFileForOutput(
                Location location, String name, JavaFileObject.Kind kind, FileObject sibling) {
            Output out = new Output(name);
            classes.put(name, out);
            return out;
        }
    }

    static byte[] read(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > (64 << 20)) throw new IOException("bad length");
        byte[] data = new byte[length];
        in.readFully(data);
        return data;
    }

    static void write(DataOutputStream out, byte[] data) throws IOException {
        out.writeInt(data.length);
        out.write(data);
    }

    public static void main(String[] args) throws Exception {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager files =
            compiler.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);  // nothing but answers on the protocol stream
        while (true) {
            int count;
            try { count = in.readInt(); } catch (EOFException end) { return; }
            List<String> options = new ArrayList<>();
            for (int i = 0; i < count; i++) options.add(in.readUTF());
            List<JavaFileObject> sources = new ArrayList<>();
            int sourceCount = in.readInt();
            for (int i = 0; i < sourceCount; i++) {
                String name = in.readUTF();
                sources.add(new Source(name, new String(read(in), StandardCharsets.UTF_8)));
            }
            Memory memory = new Memory(files);
            StringWriter diagnostics = new StringWriter();
            boolean ok;
            try {
                ok = compiler.getTask(diagnostics, memory, null, options, null, sources).call();
            } catch (Throwable failure) {  // javac's own crash or out of memory: no classes
                ok = false;
                diagnostics.write("error: the compiler failed: " + failure);
            }
            out.writeBoolean(ok);
            write(out, diagnostics.toString().getBytes(StandardCharsets.UTF_8));
            out.writeInt(ok ? memory.classes.size() : 0);
            if (ok) {
                for (Map.Entry<String, Output> entry : memory.classes.entrySet()) {
                    write(out, entry.getKey().getBytes(StandardCharsets.UTF_8));
                    write(out, entry.getValue().bytes.toByteArray());
                }
            }
            out.flush();
        }
    }
}
"""
SERVER_OUTPUTS = [
    f"{SERVER_CLASS}$Source.class",
    f"{SERVER_CLASS}$Output.class",
    f"{SERVER_CLASS}$Memory.class",
    f"{SERVER_CLASS}.class",  # last: its presence means the set is complete
]
OPTIONS = ["-proc:none", "-encoding", "UTF-8", "-nowarn", "-Xlint:none", "-g"]
# C1 only, one JIT thread: javac warms in half the CPU of the default tiers (measured over
# HumanEval-X's Java: 47 ms of CPU per compile over 80 items instead of 96 ms).
SERVER_FLAGS = ["-Xmx512m", "-Xss16m", "-XX:+UseSerialGC", "-XX:-UsePerfData"]
SERVER_FLAGS += ["-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1"]
# A compile is a fifth of an item's CPU (the run's JVM is the rest): one compiler serves
# two parallel runs, and each more compiler is one more warm-up (~2 s of CPU).
MAX_SERVERS = max(1, (os.cpu_count() or 2) // 2)
MAX_ANSWER = 64 << 20  # bytes of class files one item may come back with
MAX_DIAGNOSTICS = 1 << 20


class CompilerFailed(Exception):
    """The compiler could not answer for one item (timed out, died, broke protocol)."""


@dataclass
class Compiled:
    ok: bool
    diagnostics: str
    classes: dict[str, bytes]  # relative .class path -> bytes


def _server_dir() -> Path:
    javac = absolute(["javac"])[0]
    version = subprocess.run(
        [javac, "-version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    key = hashlib.sha256("\0".join([javac, version, SERVER_SOURCE]).encode()).hexdigest()
    return cpp_java.cache_dir("java") / f"javac-{key[:16]}"


def _server_found(_: object = None) -> str | None:
    folder = _server_dir()
    return str(folder) if all((folder / name).is_file() for name in SERVER_OUTPUTS) else None


def _server_built(_: object = None) -> str | None:
    """Compile the compiler server once, in the parent, outside any run."""
    found = _server_found()
    if found:
        return found
    folder = _server_dir()
    argv = [absolute(["javac"])[0], "-d", ".", f"{SERVER_CLASS}.java"]
    ok = cpp_java.build_once(folder, {f"{SERVER_CLASS}.java": SERVER_SOURCE}, argv, SERVER_OUTPUTS)
    return str(folder) if ok else None


SERVER = cpp_java.Prebuilt(_server_built, _server_found)


class _Server:
    """One compiler process and its pipes."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:  # stdin's unsent bytes: the compiler is gone
                    pass

    def compile(self, files: dict[str, str], options: list[str], timeout: float) -> Compiled:
        message = bytearray(struct.pack(">i", len(options)))
        for option in options:
            message += _utf(option)
        message += struct.pack(">i", len(files))
        for name, text in files.items():
            data = text.encode("utf-8", "surrogatepass")
            message += _utf(name) + struct.pack(">i", len(data)) + data
        expired = threading.Event()

        def expire() -> None:  # a compile that never ends
            expired.set()
            self.kill()

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(bytes(message))
            self.proc.stdin.flush()
            return _answer(self.proc.stdout)
        except (OSError, ValueError, struct.error, UnicodeDecodeError) as exc:
            timer.cancel()
            self.kill()
            if expired.is_set():
                raise CompilerFailed(f"compilation exceeded {timeout:.0f} s") from None
            raise CompilerFailed(f"the Java compiler stopped answering ({exc})") from None
        finally:
            timer.cancel()


def _utf(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">H", len(data)) + data


def _answer(stream: IO[bytes]) -> Compiled:
    def exact(n: int) -> bytes:
        data = stream.read(n)
        if data is None or len(data) != n:
            raise ValueError("the compiler's answer ended early")
        return data

    def sized(limit: int) -> bytes:
        (length,) = struct.unpack(">i", exact(4))
        if not 0 <= length <= limit:
            raise ValueError("the compiler's answer is out of bounds")
        return exact(length)

    ok = exact(1) != b"\x00"
    diagnostics = sized(MAX_DIAGNOSTICS).decode("utf-8", "replace")
    (count,) = struct.unpack(">i", exact(4))
    if not 0 <= count <= 10_000:
        raise ValueError("the compiler's answer is out of bounds")
    classes: dict[str, bytes] = {}
    total = 0
    for _ in range(count):
        name = sized(4096).decode("utf-8")
        data = sized(MAX_ANSWER - total)
        total += len(data)
        parts = name.split(".")
        if not all(p and p not in (".", "..") and "/" not in p for p in parts):
            raise ValueError(f"the compiler named an odd class {name!r}")
        classes["/".join(parts) + ".class"] = data
    return Compiled(ok, diagnostics, classes)


class _Servers:
    """Idle compilers, started on demand, at most MAX_SERVERS (builds beyond wait)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._idle: list[_Server] = []
        self._all: list[_Server] = []
        self._argv: list[str] = []

    def compile(
        self, argv: list[str], files: dict[str, str], options: list[str], timeout: float
    ) -> Compiled:
        server = self._take(argv)
        try:
            return server.compile(files, options, timeout)
        finally:
            self._give(server)

    def _take(self, argv: list[str]) -> _Server:
        with self._cond:
            if argv != self._argv:  # the runs' view changed: compilers with the old one go
                for server in self._idle:
                    server.kill()
                    self._all.remove(server)
                self._idle, self._argv = [], argv
            while True:
                while self._idle:
                    server = self._idle.pop()
                    if server.alive():
                        return server
                    self._all.remove(server)
                if len(self._all) < MAX_SERVERS:
                    server = _Server(argv)
                    self._all.append(server)
                    return server
                self._cond.wait()

    def _give(self, server: _Server) -> None:
        with self._cond:
            if server.alive() and server.argv == self._argv:
                self._idle.append(server)
            else:
                server.kill()
                if server in self._all:
                    self._all.remove(server)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            servers, self._all, self._idle = self._all, [], []
            self._cond.notify_all()
        for server in servers:
            server.kill()


SERVERS = _Servers()
atexit.register(SERVERS.close)


def compile_source(files: dict[str, str], classpath: str | None, timeout: float) -> Compiled | None:
    """The item's classes from a warm compiler; None when there is none to use here (no
    bubblewrap, an unsafe cache, the server could not be built): the caller compiles in
    the run instead. Raises CompilerFailed when the compiler could not answer."""
    from sandbox import isolation

    wrapper = isolation.tool_wrapper()
    if wrapper is None or not cpp_java.cache_is_safe():
        return None
    folder = SERVER.get(wait=True)  # once per cache (~1 s): every item then takes one path
    if folder is None:
        return None
    java = absolute(["java"])[0]
    argv = [*wrapper, java, *SERVER_FLAGS, "--class-path", folder, SERVER_CLASS]
    options = list(OPTIONS)
    if classpath:
        options += ["--class-path", classpath]
    return SERVERS.compile(argv, files, options, timeout)
