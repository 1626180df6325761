"""Pick a bulk action over the current filter; each shows how many items it would change."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.store import BulkAction
from tui.render import plain


class BulkScreen(ModalScreen[str | None]):
    """Dismisses with the chosen action's key (the app confirms with the count)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="bulk.cancel")]

    def __init__(self, actions: list[tuple[BulkAction, int]], filter_text: str) -> None:
        super().__init__()
        self.actions = actions
        self.filter_text = filter_text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("Bulk action over the current filter", classes="dialog-title")
            yield Static(plain(f"filter: {self.filter_text}"), classes="hint")
            yield OptionList(
                *(
                    Option(f"{action.title}  ({count} items)", id=action.key)
                    for action, count in self.actions
                ),
                id="bulk-actions",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
