"""The settings of one run of `assay`, for the command line and the app alike.

Every setting has one precedence: a command-line flag, then the environment, then the
config file (`$ASSAY_CONFIG`, else `~/.config/assay/config.toml`), then its default below.

| setting  | flag          | environment       | config file              | default            |
|----------|---------------|-------------------|--------------------------|--------------------|
| db       | `--db`        | `ASSAY_DB`        | `db`                     | `./assay.db`       |
| curator  | `--curator`   | `ASSAY_CURATOR`   | `curator`                | the login name     |
| model    | `--model`     |                   | `[generation] model`     | `gpt-4o-mini`      |
| base_url | `--base-url`  | `OPENAI_BASE_URL` | `[generation] base_url`  | OpenAI             |
| api_key  | `--api-key`   | `OPENAI_API_KEY`  | `[generation] api_key`   | none               |
| prices   |               |                   | `[prices."model"]`       | `prices.toml`      |
| step_models | `--step-models` |                | `[generation.models]`    | the job's model    |
| too_easy | |                                  | `[checks] too_easy`      | `info` (or `warn`) |
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import AssayError

DEFAULT_DB = "assay.db"
DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Settings:
    """Where the data lives, who decides, and which server generates (never stored)."""

    config_file: Path
    db: Path  # the SQLite database
    curator: str  # the name recorded on every decision
    model: str  # the generation model when a job names none
    base_url: str | None  # an OpenAI-compatible server; None is OpenAI itself
    api_key: str | None = field(default=None, repr=False)  # read at call time, never written
    prices: dict[str, Any] = field(default_factory=dict)  # `[prices]`: dollars per 1M tokens
    # `[generation.models]`: a model per generation step (problem = "...", solver = "...").
    step_models: dict[str, str] = field(default_factory=dict)
    # `[checks] too_easy`: the severity of `too_easy` (every solver attempt solved the item).
    too_easy: str = "info"

    def require_api_key(self) -> str | None:
        """The key, or None for a local server; OpenAI itself needs one."""
        if not self.api_key and not self.base_url:
            raise AssayError(
                "No API key: set OPENAI_API_KEY (or pass --api-key), or point --base-url at a "
                "local server such as vLLM or Ollama."
            )
        return self.api_key or None


def config_path() -> Path:
    """The user's config file: $ASSAY_CONFIG, else $XDG_CONFIG_HOME or ~/.config/assay/config.toml."""
    explicit = os.environ.get("ASSAY_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "assay" / "config.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The config file as a table ({} when there is none); one sentence when it is broken."""
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AssayError(f"The config file {path} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise AssayError(f"The config file {path} cannot be read: {exc.strerror}.") from None


def load_settings(
    *,
    db: str | Path | None = None,
    curator: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
) -> Settings:
    """Settings from the flags given here, then the environment, then the config file."""
    path = config_path()
    table = load_config(path)
    generation = _table(table, "generation", path)
    prices = _table(table, "prices", path)
    models = _table(generation, "models", path)
    too_easy = _text(_table(table, "checks", path), "too_easy", path) or "info"
    if too_easy not in ("info", "warn"):
        raise AssayError(f'`too_easy` in the config file {path} must be "info" or "warn".')
    env = os.environ.get
    return Settings(
        config_file=path,
        db=Path(db or env("ASSAY_DB") or _text(table, "db", path) or DEFAULT_DB).expanduser(),
        curator=curator or env("ASSAY_CURATOR") or _text(table, "curator", path) or _login(),
        model=model or _text(generation, "model", path) or DEFAULT_MODEL,
        base_url=base_url or env("OPENAI_BASE_URL") or _text(generation, "base_url", path),
        api_key=api_key or env("OPENAI_API_KEY") or _text(generation, "api_key", path),
        prices=prices,
        step_models={step: name for step in models if (name := _text(models, step, path))},
        too_easy=too_easy,
    )


def _table(table: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise AssayError(f"`{key}` in the config file {path} must be a table.")
    return value


def _text(table: dict[str, Any], key: str, path: Path) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise AssayError(f"`{key}` in the config file {path} must be text.")
    return value or None


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
