"""Where settings come from: command-line flags, then environment, then the config file."""

from __future__ import annotations

import getpass
import os
import tomllib
from pathlib import Path
from typing import Any

from core.errors import AssayError

DEFAULT_DB = "assay.db"


def config_path() -> Path:
    """The user's config file: $ASSAY_CONFIG, else ~/.config/assay/config.toml."""
    explicit = os.environ.get("ASSAY_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "assay" / "config.toml"


def load_config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AssayError(f"The config file {path} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise AssayError(f"The config file {path} cannot be read: {exc.strerror}.") from None


def resolve_db(flag: str | None) -> Path:
    """--db, else $ASSAY_DB, else `db` in the config file, else ./assay.db."""
    chosen = flag or os.environ.get("ASSAY_DB") or load_config().get("db") or DEFAULT_DB
    return Path(chosen).expanduser()


def resolve_curator(flag: str | None = None) -> str:
    """The name recorded on every decision: --curator, $ASSAY_CURATOR, config, login name."""
    if flag:
        return flag
    env = os.environ.get("ASSAY_CURATOR")
    if env:
        return env
    configured = load_config().get("curator")
    if isinstance(configured, str) and configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
