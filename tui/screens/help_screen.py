"""Every key the app answers to, grouped by where it works."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def keys_table(app, sections: list[tuple[str, list[Binding]]]) -> Table:
    table = Table(box=None, expand=True, show_header=False, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True, min_width=12)
    table.add_column("does")
    for title, bindings in sections:
        table.add_row(Text(title, style="bold underline"), "")
        for binding in bindings:
            keys = ", ".join(app.get_key_display(b) for b in _split(binding))
            table.add_row(keys, binding.tooltip or binding.description or binding.action)
        table.add_row("", "")
    return table


def _split(binding: Binding) -> list[Binding]:
    return [binding.with_key(key.strip()) for key in binding.key.split(",")]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(keys_table(self.app, self.sections), id="help-keys")
            yield Static(
                "ctrl+p opens the command palette: every action is there too.  escape closes.",
                classes="hint",
            )

    def action_close(self) -> None:
        self.dismiss()
