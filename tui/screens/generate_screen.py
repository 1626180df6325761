"""Start a generation job: pipeline, model, endpoint, count and budget."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static


def _number(text: str, kind: type) -> Any:
    text = text.strip()
    return kind(text) if text else None


class GenerateScreen(ModalScreen[Any]):
    """Dismisses with a `core.generation.JobConfig`, or None."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="generate.start"),
        Binding("escape", "cancel", "Cancel", id="generate.cancel"),
    ]

    def __init__(self, *, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.defaults = self._defaults()

    def _defaults(self) -> Any:
        from core.generation import demo_config

        return demo_config() if self.demo else None

    def _default(self, name: str, fallback: Any) -> str:
        value = getattr(self.defaults, name, None)
        return str(value if value is not None else fallback)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("Start a generation job", classes="dialog-title")
            if self.demo:
                yield Static("demo: replays recorded responses, no network or key", classes="hint")
            with Grid(id="generate-grid"):
                yield Static("pipeline", classes="label")
                yield Select(
                    [("spec (quotas)", "spec"), ("evolve (from seeds)", "evolve")],
                    value=self._default("pipeline", "spec"),
                    allow_blank=False,
                    id="gen-pipeline",
                    compact=True,
                )
                yield Static("model", classes="label")
                yield Input(
                    self._default("model", ""),
                    placeholder="model name",
                    id="gen-model",
                    compact=True,
                )
                yield Static("base URL", classes="label")
                yield Input(
                    self._default("base_url", ""),
                    placeholder="http://…/v1",
                    id="gen-url",
                    compact=True,
                )
                yield Static("items", classes="label")
                yield Input(self._default("n", 10), type="integer", id="gen-n", compact=True)
                yield Static("token budget", classes="label")
                yield Input(
                    self._default("budget_tokens", ""),
                    type="integer",
                    placeholder="none",
                    id="gen-tokens",
                    compact=True,
                )
                yield Static("cost budget ($)", classes="label")
                yield Input(
                    self._default("budget_cost", ""),
                    type="number",
                    placeholder="none",
                    id="gen-cost",
                    compact=True,
                )
            with Horizontal(classes="buttons"):
                yield Button("Start (ctrl+s)", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_cancel()

    def action_start(self) -> None:
        import dataclasses

        from core.generation import JobConfig

        values = {
            "pipeline": self.query_one("#gen-pipeline", Select).value,
            "model": self.query_one("#gen-model", Input).value.strip() or None,
            "base_url": self.query_one("#gen-url", Input).value.strip() or None,
            "n": _number(self.query_one("#gen-n", Input).value, int) or 10,
            "budget_tokens": _number(self.query_one("#gen-tokens", Input).value, int),
            "budget_cost": _number(self.query_one("#gen-cost", Input).value, float),
        }
        try:
            if self.defaults is not None and dataclasses.is_dataclass(self.defaults):
                config = dataclasses.replace(
                    self.defaults, **{k: v for k, v in values.items() if v is not None}
                )
            else:
                config = JobConfig(**{k: v for k, v in values.items() if v is not None})
        except (TypeError, ValueError) as exc:
            self.notify(f"Cannot start that job: {exc}", severity="error")
            return
        self.dismiss(config)

    def action_cancel(self) -> None:
        self.dismiss(None)
