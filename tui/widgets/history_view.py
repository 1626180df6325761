"""An item's revisions (who, when, why) with the selected one compared to the current."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.models import Item, Revision
from core.text import inert
from tui.messages import RestoreRequested
from tui.render import item_text, side_by_side, styled


def revision_label(revision: Revision, current: int) -> Text:
    when = revision.created_at.replace("T", " ")[:19]
    text = Text.assemble(
        (f"r{revision.revision:<3}", "bold" if revision.revision == current else ""),
        inert(f" {revision.action:<8} "),
        styled(revision.status),
        (inert(f"  {revision.author}"), "cyan"),
        (inert(f"  {when}"), "dim"),
    )
    if revision.reason:
        text.append(inert(f"  {revision.reason}"), style="italic")
    return text


class HistoryView(Vertical):
    """Revisions newest first; enter restores the highlighted one."""

    BINDINGS = [
        Binding("enter", "restore", "Restore revision", id="history.restore"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.item: Item | None = None
        self.revisions: list[Revision] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="history-list")
        with VerticalScroll(id="history-preview"):
            yield Static(id="history-diff")

    def show(self, item: Item, revisions: list[Revision]) -> None:
        self.item, self.revisions = item, list(reversed(revisions))
        options = self.query_one("#history-list", OptionList)
        options.clear_options()
        options.add_options(
            Option(revision_label(r, item.revision), id=str(r.revision)) for r in self.revisions
        )
        if self.revisions:
            options.highlighted = 0
        self._preview(0)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._preview(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_restore()

    def _preview(self, index: int) -> None:
        diff = self.query_one("#history-diff", Static)
        if self.item is None or not 0 <= index < len(self.revisions):
            diff.update("")
            return
        chosen = self.revisions[index]
        diff.update(
            side_by_side(
                item_text(chosen.record),
                item_text(self.item.record),
                f"revision {chosen.revision} ({chosen.status})",
                f"current, revision {self.item.revision} ({self.item.status})",
            )
        )

    def action_restore(self) -> None:
        index = self.query_one("#history-list", OptionList).highlighted
        if self.item is None or index is None or not self.revisions:
            return
        revision = self.revisions[index].revision
        if revision == self.item.revision:
            self.notify("That is the current revision.", severity="warning")
            return
        self.post_message(RestoreRequested(self.item.query_id, revision))
