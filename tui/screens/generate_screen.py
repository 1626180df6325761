"""Start a generation job: pipeline, model (one per step if wanted), endpoint, count, sampling
(temperature, top_p, seed, the solver's k samples), evolve's seeds file and budgets."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from core.errors import AssayError
from core.generation import JobConfig, pipelines
from core.generation.config import STEPS, parse_step_models
from core.generation.spec import parse_quotas


def _number(text: str, kind: type) -> Any:
    text = text.strip()
    return kind(text) if text else None


def _pairs(values: dict[str, Any]) -> str:
    """{'python': 40.0} -> 'python=40' (how the quota and step-model fields read)."""
    return ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


class GenerateScreen(ModalScreen[JobConfig | None]):
    """Starts from `defaults` (the settings' model, server and step models, or the demo's
    replay); dismisses with the job to run (validated, so a bad value is a message here and
    not a failed job), or None."""

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

    def _inputs(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(label, id, value, Input options) of every text field, in the dialog's order."""
        d = self.defaults
        number: dict[str, Any] = {"type": "number"}
        integer: dict[str, Any] = {"type": "integer"}
        return [
            ("items", "gen-n", self._default("n"), integer),
            ("model", "gen-model", self._default("model"), {"placeholder": "model name"}),
            ("base URL", "gen-url", self._default("base_url"), {"placeholder": "http://…/v1"}),
            (
                "step models",
                "gen-step-models",
                _pairs(d.step_models),
                {"placeholder": "solver=M,verifier=M", "tooltip": f"Steps: {', '.join(STEPS)}"},
            ),
            (
                "languages",
                "gen-languages",
                _pairs(d.languages),
                {"placeholder": "python=40,typescript=40"},
            ),
            ("temperature", "gen-temperature", self._default("temperature"), number),
            ("top_p", "gen-top-p", self._default("top_p"), {**number, "placeholder": "server's"}),
            ("seed", "gen-seed", self._default("seed"), integer),
            (
                "solver k (n)",
                "gen-solver-k",
                str(d.solver_k) if d.solver else "",
                {**integer, "placeholder": "off", "tooltip": "k attempts in one call (n)"},
            ),
            (
                "seeds file",
                "gen-seeds",
                self._default("seeds_file"),
                {"placeholder": "evolve: HumanEval, MBPP, … (else the database)"},
            ),
            (
                "token budget",
                "gen-tokens",
                self._default("budget_tokens"),
                {**integer, "placeholder": "none"},
            ),
            (
                "cost budget ($)",
                "gen-cost",
                self._default("budget_cost"),
                {**number, "placeholder": "none"},
            ),
        ]

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
                for label, widget_id, value, options in self._inputs():
                    yield Static(label, classes="label")
                    yield Input(value, id=widget_id, compact=True, **options)
            with Horizontal(classes="buttons"):
                yield Button("Start (ctrl+s)", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_cancel()

    def _text(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def chosen(self) -> JobConfig:
        """The job the fields describe; AssayError or ValueError naming a bad value."""
        solver_k = _number(self._text("#gen-solver-k"), int)
        seeds = self._text("#gen-seeds")
        if seeds and not Path(seeds).expanduser().is_file():
            raise AssayError(f"The seeds file {seeds} does not exist.")
        values = {
            "pipeline": self.query_one("#gen-pipeline", Select).value,
            "model": self._text("#gen-model") or None,
            "base_url": self._text("#gen-url") or None,
            "n": _number(self._text("#gen-n"), int),
            "temperature": _number(self._text("#gen-temperature"), float),
            "seed": _number(self._text("#gen-seed"), int),
            "budget_tokens": _number(self._text("#gen-tokens"), int),
            "budget_cost": _number(self._text("#gen-cost"), float),
        }
        config = dataclasses.replace(
            self.defaults, **{k: v for k, v in values.items() if v is not None}
        )
        config.top_p = _number(self._text("#gen-top-p"), float)
        config.step_models = parse_step_models(self._text("#gen-step-models"))
        languages = self._text("#gen-languages")
        config.languages = parse_quotas(languages) if languages else dict(self.defaults.languages)
        config.solver = bool(solver_k)
        config.solver_k = solver_k or self.defaults.solver_k
        config.seeds_file = str(Path(seeds).expanduser().resolve()) if seeds else None
        return config.validate()

    def action_start(self) -> None:
        try:
            config = self.chosen()
        except (AssayError, TypeError, ValueError) as exc:
            self.notify(f"Cannot start that job: {exc}", severity="error", markup=False)
            return
        self.dismiss(config)

    def action_cancel(self) -> None:
        self.dismiss(None)
