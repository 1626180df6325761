"""A red banner while checks run with weak isolation (`assay tui --isolation weak`)."""

from __future__ import annotations

from textual.widgets import Static

from sandbox import isolation


class IsolationBanner(Static):
    """Shown only when the curator chose weak isolation: runs are less contained, and
    the app must say so for as long as it runs that way."""

    DEFAULT_CSS = """
    IsolationBanner {
        display: none;
        height: 1;
        width: 100%;
        background: $error;
        color: $text;
        text-style: bold;
        content-align: center middle;
    }
    IsolationBanner.-weak {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__(
            "WEAK ISOLATION: checks run untrusted code with less than the full sandbox "
            "(--isolation weak); see assay doctor",
            id="isolation-banner",
            markup=False,
        )

    def on_mount(self) -> None:
        self.set_class(isolation.level() == "weak", "-weak")
