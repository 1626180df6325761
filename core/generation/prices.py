"""What a call cost: the bundled price table, overridden by `[prices]` in the user's config."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from core.config import load_config
from core.errors import AssayError


@dataclass(frozen=True)
class Price:
    """US dollars per million prompt (input) and completion (output) tokens; prompt tokens
    the server served from its prompt cache cost `cached_input` (the input price if unset)."""

    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None


class PriceTable:
    def __init__(self, prices: dict[str, Price]):
        self.prices = prices

    def _name(self, model: str) -> str | None:
        """The listed name that prices `model`: itself, else its longest listed prefix (dated
        snapshots, "gpt-4o-mini-2024-07-18"), else None."""
        if model in self.prices:
            return model
        prefixes = [name for name in self.prices if model.startswith(name)]
        return max(prefixes, key=len) if prefixes else None

    def known(self, model: str) -> bool:
        """Whether `model` has a price (a model without one costs $0, with a warning)."""
        return self._name(model) is not None

    def price(self, model: str) -> Price:
        name = self._name(model)
        return self.prices[name] if name is not None else Price()

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> float:
        price = self.price(model)
        cached = min(max(0, cached_tokens), prompt_tokens)
        cached_price = price.input if price.cached_input is None else price.cached_input
        return (
            (prompt_tokens - cached) * price.input
            + cached * cached_price
            + completion_tokens * price.output
        ) / 1_000_000


def load_prices(config: dict | None = None, given: dict[str, Price] | None = None) -> PriceTable:
    """Bundled prices.toml with the user's `[prices."model"]` entries laid over it, and the
    job's own (`--price-in/--price-out`) over those."""
    bundled = tomllib.loads(
        (resources.files("core.generation") / "prices.toml").read_text(encoding="utf-8")
    )
    table = {name: _price(name, value) for name, value in bundled.get("models", {}).items()}
    user = (load_config() if config is None else config).get("prices", {})
    if not isinstance(user, dict):
        raise AssayError("`prices` in the config file must be a table of models.")
    table.update({name: _price(name, value) for name, value in user.items()})
    table.update(given or {})
    return PriceTable(table)


def _price(name: str, value: object) -> Price:
    if not isinstance(value, dict):
        raise AssayError(f"The price of {name!r} must be a table with `input` and `output`.")
    try:
        cached = value.get("cached_input")
        return Price(
            float(value.get("input", 0.0)),
            float(value.get("output", 0.0)),
            None if cached is None else float(cached),
        )
    except (TypeError, ValueError):
        raise AssayError(
            f"The price of {name!r} must be numbers (dollars per 1M tokens)."
        ) from None
