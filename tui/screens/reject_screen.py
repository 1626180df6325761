"""Pick a rejection reason from a list (the item's own flags first) or type one."""

from __future__ import annotations

from rich.text import Text
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

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="reject.cancel"),
        *(
            Binding(str(n), f"pick({n - 1})", f"Reason {n}", show=False, id=f"reject.reason{n}")
            for n in range(1, 10)
        ),
    ]

    def __init__(self, query_id: str, flags: list[Flag] | None = None) -> None:
        super().__init__()
        self.query_id = query_id
        flagged = [f"{f.code}: {f.message}" for f in flags or []]
        self.reasons = [*flagged, *REASONS]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Reject {self.query_id} because…"), classes="dialog-title")
            yield OptionList(
                *(
                    Text.assemble((f"{n} " if n < 10 else "  ", "bold"), plain(reason))
                    for n, reason in enumerate(self.reasons, 1)
                ),
                id="reasons",
            )
            yield Input(placeholder="or type a reason and press enter", id="reason-input")
            yield Static("1-9 or enter picks · tab to type · escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#reasons", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.reasons[event.option_index])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_pick(self, index: int) -> None:
        """A number key: that reason at once (digits typed in the reason box stay text)."""
        if index < len(self.reasons) and not self.query_one("#reason-input", Input).has_focus:
            self.dismiss(self.reasons[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
