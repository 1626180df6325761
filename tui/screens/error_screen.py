"""A modal that tells the curator what went wrong, in words, without a traceback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.render import plain


class ErrorScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="error.close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.message), id="error-message")  # errors quote item data
            yield Button("Close", variant="error", id="close")

    def on_button_pressed(self) -> None:
        self.dismiss()

    def action_close(self) -> None:
        self.dismiss()
