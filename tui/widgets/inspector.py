"""The right-hand side: everything about the item under the queue's cursor, in tabs.

Only the visible tab is drawn when the cursor moves; the others are drawn when opened,
which keeps moving through the queue fast.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from core.models import Item
from core.results import CheckResult
from core.store import AttemptRecord, Store
from tui.render import (
    attempts_view,
    metrics_view,
    run_details,
)
from tui.widgets.duplicates_view import DuplicatesView
from tui.widgets.history_view import HistoryView
from tui.widgets.item_view import ItemView

TABS = ("tab-item", "tab-run", "tab-metrics", "tab-dups", "tab-gen", "tab-history")


def attempts_for(store: Store, query_id: str) -> tuple[list[AttemptRecord] | None, str | None]:
    """Generation attempts for an item, or a note saying why there are none to show."""
    try:
        return store.jobs.attempts(query_id), None
    except Exception as exc:  # a half-migrated generation schema must not break browsing
        return None, f"Could not read generation attempts: {exc}"


class Inspector(Vertical):
    """The item under the cursor: problem, code, results, metrics, duplicates, history."""

    def __init__(self, store: Store, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.item: Item | None = None
        self.result: CheckResult | None = None
        self.cluster_id: str | None = None
        self._dirty: set[str] = set()
        self.checking = False
        self.empty = False
        self._tabs: TabbedContent | None = None
        self._view: ItemView | None = None
        self._scroll_panes: list[Widget] | None = None

    def compose(self) -> ComposeResult:
        with TabbedContent(id="inspector-tabs"):
            with TabPane("Item", id="tab-item"):
                yield ItemView(id="item-view", classes="tab-scroll")
            with TabPane("Run", id="tab-run"):
                with VerticalScroll(classes="tab-scroll"):
                    yield Static(id="run-details")
            with TabPane("Metrics", id="tab-metrics"):
                with VerticalScroll(classes="tab-scroll"):
                    yield Static(id="metrics-details")
            with TabPane("Duplicates", id="tab-dups"):
                yield DuplicatesView(self.store, id="duplicates")
            with TabPane("Generation", id="tab-gen"):
                with VerticalScroll(classes="tab-scroll"):
                    yield Static(id="gen-attempts")
            with TabPane("History", id="tab-history"):
                yield HistoryView(id="history")

    @property
    def tabs(self) -> TabbedContent:
        if self._tabs is None:
            self._tabs = self.query_one("#inspector-tabs", TabbedContent)
        return self._tabs

    @property
    def view(self) -> ItemView:
        if self._view is None:
            self._view = self.query_one(ItemView)
        return self._view

    @property
    def active_tab(self) -> str:
        return self.tabs.active

    def show_tab(self, tab: str) -> None:
        self.tabs.active = tab
        self._draw(tab)

    def show(
        self,
        item: Item | None,
        result: CheckResult | None,
        cluster_id: str | None = None,
        *,
        checking: bool = False,
        empty: bool = False,
    ) -> None:
        """Show an item (None: nothing matches, `empty`: the database has no item), each
        tab back at its top."""
        self.item, self.result, self.cluster_id = item, result, cluster_id
        self.checking, self.empty = checking, empty
        self._dirty = set(TABS)
        for scroll in self._scrolls():
            if scroll.scroll_offset.y or scroll.scroll_offset.x:
                scroll.scroll_to(0, 0, animate=False, immediate=True)
        self._draw(self.active_tab)

    def _scrolls(self) -> list[Widget]:
        """The other tabs' scrolling panes (the item view scrolls itself to the top), looked
        up once: `show` runs on every cursor move."""
        if self._scroll_panes is None:
            self._scroll_panes = [w for w in self.query(".tab-scroll") if w is not self.view]
        return self._scroll_panes

    def scroll_tab(self, lines: int = 0, *, pages: int = 0) -> None:
        """Scroll the visible tab's text by lines or pages (keys that work from the queue)."""
        pane = self.query_one(f"#{self.active_tab}")
        target = next(iter(pane.query(".tab-scroll, VerticalScroll")), None)
        if target is None:
            return
        height = max(1, target.scrollable_content_region.height - 1)
        target.scroll_relative(y=lines + pages * height, animate=False, immediate=True)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self._draw(event.pane.id)

    def _draw(self, tab: str) -> None:
        if tab not in self._dirty:
            return
        self._dirty.discard(tab)
        item, result = self.item, self.result
        if tab == "tab-item":
            self.view.show(item, result, checking=self.checking, empty=self.empty)
        elif item is None:
            return
        elif tab == "tab-run":
            self.query_one("#run-details", Static).update(run_details(result))
        elif tab == "tab-metrics":
            self.query_one("#metrics-details", Static).update(metrics_view(result))
        elif tab == "tab-dups":
            self.query_one(DuplicatesView).show(item, result, self.cluster_id)
        elif tab == "tab-gen":
            attempts, note = attempts_for(self.store, item.query_id)
            self.query_one("#gen-attempts", Static).update(attempts_view(attempts, note))
        elif tab == "tab-history":
            self.query_one(HistoryView).show(item, self.store.history(item.query_id))
