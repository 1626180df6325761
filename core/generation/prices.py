"""What a call cost: the bundled price table, overridden by `[prices]` in the user's config."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from core.config import load_config
from core.errors import AssayError


@dataclass(frozen=True)
class Price:
    """US dollars per million prompt (input) and completion (output) tokens."""

    input: float = 0.0
    output: float = 0.0


class PriceTable:
    def __init__(self, prices: dict[str, Price]):
        self.prices = prices

    def price(self, model: str) -> Price:
        """The model's price, else the longest listed prefix's (dated snapshots), else free."""
        if model in self.prices:
            return self.prices[model]
        prefixes = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(prefixes, key=len)] if prefixes else Price()

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.price(model)
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


def load_prices(config: dict | None = None) -> PriceTable:
    """Bundled prices.toml with the user's `[prices."model"]` entries laid over it."""
    bundled = tomllib.loads(
        (resources.files("core.generation") / "prices.toml").read_text(encoding="utf-8")
    )
    table = {name: _price(name, value) for name, value in bundled.get("models", {}).items()}
    user = (load_config() if config is None else config).get("prices", {})
    if not isinstance(user, dict):
        raise AssayError("`prices` in the config file must be a table of models.")
    table.update({name: _price(name, value) for name, value in user.items()})
    return PriceTable(table)


def _price(name: str, value: object) -> Price:
    if not isinstance(value, dict):
        raise AssayError(f"The price of {name!r} must be a table with `input` and `output`.")
    try:
        return Price(float(value.get("input", 0.0)), float(value.get("output", 0.0)))
    except (TypeError, ValueError):
        raise AssayError(
            f"The price of {name!r} must be numbers (dollars per 1M tokens)."
        ) from None
