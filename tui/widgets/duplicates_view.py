"""An item's near-duplicates, with a side-by-side diff against the highlighted neighbour."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.errors import AssayError
from core.models import Item
from core.results import CheckResult, Neighbour
from core.store import Store
from core.text import inert
from tui.messages import NeighbourChosen
from tui.render import item_text, plain, side_by_side


def neighbour_label(neighbour: Neighbour) -> Text:
    """One line of the list: similarity, the field that matched, the other item."""
    what = "exact" if neighbour.exact else neighbour.field
    return plain(f"{neighbour.similarity:.2f}  {what:<10} {neighbour.query_id}")


class DuplicatesView(Vertical):
    """Neighbours from the check result; highlighting one shows the diff, `o` (or enter)
    moves the queue to it."""

    BINDINGS = [
        Binding("o", "open_neighbour", "Go to neighbour", id="duplicates.open"),
    ]

    def __init__(self, store: Store, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.item: Item | None = None
        self.neighbours: list[Neighbour] = []

    def compose(self) -> ComposeResult:
        yield Static(id="dup-summary")
        yield OptionList(id="dup-list")
        with VerticalScroll(id="dup-preview"):
            yield Static(id="dup-diff")

    def show(self, item: Item, result: CheckResult | None, cluster_id: str | None) -> None:
        self.item = item
        self.neighbours = list(result.neighbours) if result else []
        summary = Text()
        if cluster_id:
            keeper = self.store.cluster_representative(cluster_id)
            summary.append(inert(f"cluster {cluster_id}"), style="bold")
            summary.append(inert(f"  representative {keeper}"), style="dim")
            if keeper == item.query_id:
                summary.append("  (this item)", style="green")
        elif not self.neighbours:
            summary.append("No near-duplicates found.", style="dim")
        self.query_one("#dup-summary", Static).update(summary)
        options = self.query_one("#dup-list", OptionList)
        options.clear_options()
        options.add_options(
            Option(neighbour_label(n), id=str(i)) for i, n in enumerate(self.neighbours)
        )
        options.display = bool(self.neighbours)
        if self.neighbours:
            options.highlighted = 0
        self._diff(0)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._diff(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option_index)

    def action_open_neighbour(self) -> None:
        highlighted = self.query_one("#dup-list", OptionList).highlighted
        self._open(highlighted if highlighted is not None else -1)

    def _open(self, index: int) -> None:
        if 0 <= index < len(self.neighbours):
            self.post_message(NeighbourChosen(self.neighbours[index].query_id))
        else:
            self.app.notify("No neighbour to go to.", severity="information")

    def _diff(self, index: int) -> None:
        diff = self.query_one("#dup-diff", Static)
        if self.item is None or not 0 <= index < len(self.neighbours):
            diff.update("")
            return
        other_id = self.neighbours[index].query_id
        try:
            other = self.store.get(other_id)
        except AssayError:
            diff.update(plain(f"{other_id} is not in this database.", style="dim"))
            return
        diff.update(
            side_by_side(
                item_text(self.item.record), item_text(other.record), self.item.query_id, other_id
            )
        )
