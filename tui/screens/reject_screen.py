"""Pick a rejection reason from a list (the item's own flags first) or type one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from core.quality import Flag
from tui.render import plain

REASONS = (
    "reference solution fails its own tests",
    "placeholder or vague statement",
    "statement does not specify the solution",
    "near-duplicate of another item",
    "too easy",
    "tests are weak or wrong",
    "wrong language or metadata",
)


class RejectScreen(ModalScreen[str | None]):
    """Dismisses with the chosen reason, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="reject.cancel")]

    def __init__(self, query_id: str, flags: list[Flag] | None = None) -> None:
        super().__init__()
        self.query_id = query_id
        flagged = [f"{f.code}: {f.message}" for f in flags or []]
        self.reasons = [*flagged, *REASONS]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Reject {self.query_id} because…"), classes="dialog-title")
            yield OptionList(*(plain(reason) for reason in self.reasons), id="reasons")
            yield Input(placeholder="or type a reason and press enter", id="reason-input")
            yield Static("enter picks · tab to type · escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#reasons", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.reasons[event.option_index])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
