"""Start a generation job: pipeline, model, endpoint, count and budget."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from core.generation import JobConfig, pipelines


def _number(text: str, kind: type) -> Any:
    text = text.strip()
    return kind(text) if text else None


class GenerateScreen(ModalScreen[JobConfig | None]):
    """Starts from `defaults` (the settings' model and server, or the demo's replay);
    dismisses with the job to run, or None."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="generate.start"),
        Binding("escape", "cancel", "Cancel", id="generate.cancel"),
    ]

    def __init__(self, defaults: JobConfig, *, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.defaults = defaults

    def _default(self, name: str) -> str:
        value = getattr(self.defaults, name)
        return "" if value is None else str(value)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("Start a generation job", classes="dialog-title")
            if self.demo:
                yield Static("demo: replays recorded responses, no network or key", classes="hint")
            with Grid(id="generate-grid"):
                yield Static("pipeline", classes="label")
                yield Select(
                    [
                        (f"{name} ({summary})", name)
                        for name, summary in pipelines.summaries().items()
                    ],
                    value=self.defaults.pipeline,
                    allow_blank=False,
                    id="gen-pipeline",
                    compact=True,
                )
                yield Static("model", classes="label")
                yield Input(
                    self._default("model"),
                    placeholder="model name",
                    id="gen-model",
                    compact=True,
                )
                yield Static("base URL", classes="label")
                yield Input(
                    self._default("base_url"),
                    placeholder="http://…/v1",
                    id="gen-url",
                    compact=True,
                )
                yield Static("items", classes="label")
                yield Input(self._default("n"), type="integer", id="gen-n", compact=True)
                yield Static("token budget", classes="label")
                yield Input(
                    self._default("budget_tokens"),
                    type="integer",
                    placeholder="none",
                    id="gen-tokens",
                    compact=True,
                )
                yield Static("cost budget ($)", classes="label")
                yield Input(
                    self._default("budget_cost"),
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
        values = {
            "pipeline": self.query_one("#gen-pipeline", Select).value,
            "model": self.query_one("#gen-model", Input).value.strip() or None,
            "base_url": self.query_one("#gen-url", Input).value.strip() or None,
            "n": _number(self.query_one("#gen-n", Input).value, int),
            "budget_tokens": _number(self.query_one("#gen-tokens", Input).value, int),
            "budget_cost": _number(self.query_one("#gen-cost", Input).value, float),
        }
        try:
            config = dataclasses.replace(
                self.defaults, **{k: v for k, v in values.items() if v is not None}
            )
        except (TypeError, ValueError) as exc:
            self.notify(f"Cannot start that job: {exc}", severity="error")
            return
        self.dismiss(config)

    def action_cancel(self) -> None:
        self.dismiss(None)
