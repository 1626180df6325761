"""Choose what the queue shows: filters on every queue column, and the sort order."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from core.store import FILTER_COLUMNS, ItemFilter
from tui.render import plain

SORT_LABELS = {
    "created": "created (oldest first)",
    "complexity": "complexity (highest first)",
    "pass_rate": "pass rate (lowest first)",
    "solver_pass_rate": "measured difficulty (hardest first)",
}
# measured difficulty (the solver's pass rate): choice -> (solver_min, solver_max)
MEASURED = {
    "unsolved (no solver attempt passes)": (None, 0.0),
    "hard (solver passes at most half)": (None, 0.5),
    "too easy (every solver attempt passes)": (1.0, None),
}
LABELS = {
    "status": "status",
    "language": "language",
    "difficulty": "difficulty",
    "category": "category",
    "check_status": "check status",
    "recommendation": "recommendation",
    "flag": "flag",
}


@dataclass
class QueueQuery:
    where: ItemFilter
    sort: str


def yes_or_no(value: bool, id: str) -> Select:
    """A yes / no choice ("no" shown as the blank prompt)."""
    return Select(
        [("yes", True)], value=True if value else Select.NULL, prompt="no", id=id, compact=True
    )


class FilterScreen(ModalScreen[QueueQuery | None]):
    """ctrl+s or Apply applies; Clear empties every filter; escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="filter.apply"),
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
    ]

    def __init__(self, current: QueueQuery, choices: dict[str, list[str]]) -> None:
        super().__init__()
        self.current = current
        self.choices = choices

    def compose(self) -> ComposeResult:
        where = self.current.where
        with Vertical(classes="dialog wide"):
            yield Static("Filter and sort the queue", classes="dialog-title")
            with Grid(id="filter-grid"):
                for column in (*FILTER_COLUMNS, "flag"):
                    values = self.choices.get(column, [])
                    if column == "check_status":
                        values = [*values, "unchecked"]
                    current = getattr(where, column)
                    yield Static(LABELS[column], classes="label")
                    yield Select(
                        [(plain(v), v) for v in values],  # values come from the items
                        value=current if current in values else Select.NULL,
                        prompt="any",
                        id=f"filter-{column}",
                        compact=True,
                    )
                yield Static("duplicate cluster", classes="label")
                yield Input(
                    where.cluster_id or "",
                    placeholder="cluster id",
                    id="filter-cluster",
                    compact=True,
                )
                yield Static("search", classes="label")
                yield Input(
                    where.search or "", placeholder="full-text", id="filter-search", compact=True
                )
                yield Static("measured difficulty", classes="label")
                bounds = (where.solver_min, where.solver_max)
                yield Select(
                    [(label, label) for label in MEASURED],
                    value=next((k for k, v in MEASURED.items() if v == bounds), Select.NULL),
                    prompt="any",
                    id="filter-measured",
                    compact=True,
                )
                yield Static("undecided only", classes="label")
                yield yes_or_no(where.undecided_only, "filter-undecided")
                yield Static("skipped only", classes="label")
                yield yes_or_no(where.skipped, "filter-skipped")
                yield Static("sort by", classes="label")
                yield Select(
                    [(label, key) for key, label in SORT_LABELS.items()],
                    value=self.current.sort,
                    allow_blank=False,
                    id="filter-sort",
                    compact=True,
                )
            with Horizontal(classes="buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="apply")
                yield Button("Clear", id="clear")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        elif event.button.id == "clear":
            self.dismiss(QueueQuery(ItemFilter(), self.current.sort))
        else:
            self.action_cancel()

    def _value(self, column: str):
        value = self.query_one(f"#filter-{column}", Select).value
        return None if value is Select.NULL else value

    def action_apply(self) -> None:
        solver_min, solver_max = MEASURED.get(self._value("measured"), (None, None))
        where = ItemFilter(
            **{column: self._value(column) for column in (*FILTER_COLUMNS, "flag")},
            cluster_id=self.query_one("#filter-cluster", Input).value.strip() or None,
            search=self.query_one("#filter-search", Input).value.strip() or None,
            undecided_only=bool(self._value("undecided")),
            skipped=bool(self._value("skipped")),
            solver_min=solver_min,
            solver_max=solver_max,
        )
        self.dismiss(QueueQuery(where, self._value("sort") or "created"))

    def action_cancel(self) -> None:
        self.dismiss(None)
