"""Source code highlighted by pygments for the item's language, with line numbers."""

from __future__ import annotations

from textual.widgets import Static

from tui.render import highlighted


class CodeView(Static):
    """A read-only block of highlighted code."""

    def show_code(self, code: str, language: str) -> None:
        # Highlight now (not lazily at paint) so the cost is paid once and is measurable.
        self.update(highlighted(code, language) if code.strip() else "(empty)")
