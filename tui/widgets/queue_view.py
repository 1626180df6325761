"""The queue: one line per item, paged from SQLite so only what is on screen is read.

A line-API `ScrollView` (the toolong pattern): the virtual height is the filter's count,
`render_line` asks an LRU cache of pages for the row it draws, and a page is one
`Store.queue_rows` query. Holding 100,000 rows in a DataTable is what this avoids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from core.store import ItemFilter, Store
from core.text import inert
from sandbox import languages
from tui.messages import ItemHighlighted, QueueChanged

PAGE_SIZE = 200
COUNT_AT_ONCE = 5_000  # rows counted before the first screen; the rest in a thread

_MARKS = {"accepted": "✓", "rejected": "✗", "pending": "·", "skipped": "»"}
_SHORT = {
    "medium": "med",
    "advanced": "adv",
    "very_advanced": "v.adv",
    "unparsable": "unpars",
    "unsupported": "unsup",
    "timeout": "tmout",
}
# (key, title, width); the last column takes what is left.
COLUMNS = (
    ("query_id", "id", 18),
    ("language", "lang", 4),
    ("difficulty", "diff", 5),
    ("solver_pass_rate", "solved", 6),  # measured difficulty: the solver's pass rate
    ("check_status", "check", 6),
    ("recommendation", "rec", 6),
    ("flag_codes", "flags", 0),
)


SORT_TITLES = {
    "created": "import order",
    "complexity": "complexity",
    "pass_rate": "pass rate",
    "solver_pass_rate": "measured difficulty",
}


def header_line(sort: str = "created", width: int = 0) -> str:
    """The column titles, and at the right end the order the queue is sorted in."""
    titles = "  " + " ".join(f"{t:<{w}}" if w else t for _, t, w in COLUMNS)
    order = f"↓{SORT_TITLES.get(sort, sort)} "
    room = width - len(titles) - 2
    return f"{titles}  {order:>{room}}" if room >= len(order) else titles


def row_cells(row: dict[str, Any]) -> list[str]:
    """The texts one queue line shows, column by column."""
    cells = []
    for key, _, width in COLUMNS:
        value = row.get(key)
        if value is None:
            text = ""
        elif key == "language":
            text = known.tag if (known := languages.get(value)) else str(value)
        elif key == "solver_pass_rate":
            text = f"{value:.0%}"
        else:
            text = _SHORT.get(str(value), str(value))
        text = inert(text)  # ids, languages and flag codes come from the item
        if key == "flag_codes":
            text = text.replace(" ", ",")
        if width and len(text) > width:
            text = text[: width - 1] + "…"
        cells.append(f"{text:<{width}}" if width else text)
    return cells


class QueueView(ScrollView, can_focus=True):
    """The curation queue for one filter and sort order."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="queue.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="queue.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="queue.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="queue.page_down"),
        Binding("home", "jump(0)", "First item", show=False, id="queue.first"),
        Binding("end", "jump(-1)", "Last item", show=False, id="queue.last"),
        Binding(
            "space",
            "mark",
            "Mark",
            tooltip="Mark the item for a bulk action (b then acts on the marked items)",
            show=False,
            id="queue.mark",
        ),
    ]

    COMPONENT_CLASSES = {
        "queue--cursor",
        "queue--accepted",
        "queue--rejected",
        "queue--pending",
        "queue--fail",
        "queue--pass",
        "queue--flags",
        "queue--marked",
    }

    def __init__(
        self,
        store: Store,
        *,
        on_highlight: Callable[[str | None], None] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.store = store
        # Called at once when the cursor lands on another item, so the inspector never lags
        # behind the cursor (a message would arrive after keys already queued).
        self.on_highlight = on_highlight
        self.where = ItemFilter()
        self.sort = "created"
        self.count = 0
        self.exact = True  # False while a thread counts past COUNT_AT_ONCE
        self._counted_for: ItemFilter | None = None  # the filter `count` was counted for
        self.cursor = 0
        self._pages: LRUCache[int, list[dict[str, Any]]] = LRUCache(maxsize=64)
        self._strips: LRUCache[tuple, Strip] = LRUCache(maxsize=512)
        self._highlighted: str | None = None
        self._style_cache: dict[str, Style] = {}
        self.marked: set[str] = set()

    # -- data ------------------------------------------------------------------------------

    def set_query(self, where: ItemFilter, sort: str, *, keep: str | None = None) -> None:
        """Show another filter or sort order: the cursor stays on item `keep` when the new
        queue holds it, else goes to the top."""
        previous = (self.where, self.sort)
        self.where, self.sort = where, sort
        try:
            index = self.store.position(where, sort, keep) if keep is not None else None
            self.reload(cursor=index or 0)
        except Exception:
            self.where, self.sort = previous  # a query SQLite refused leaves the queue as it was
            self.reload()
            raise
        self.scroll_to_cursor()

    def reload(self, *, cursor: int | None = None) -> None:
        """Re-read the count and drop cached pages (after a change in the database).

        The count stops at COUNT_AT_ONCE: past it the queue says "N+" and the exact figure
        comes from a thread, so a filter over a million items shows its first screen
        without waiting for the whole count."""
        self._pages.clear()
        self._strips.clear()
        target = self.cursor if cursor is None else cursor
        count = self.store.count(self.where, at_most=COUNT_AT_ONCE + 1)
        self.exact = count <= COUNT_AT_ONCE
        if not self.exact:
            # Until the thread's figure: the last one for this filter (a reload after
            # another connection's writes), else at least up to the kept item.
            same = self._counted_for is self.where
            count = self.count if same else max(COUNT_AT_ONCE, target + 1)
            self._counted_for = self.where
            # after the first screen is drawn: that screen does not share the cores with it
            self.call_after_refresh(self._count_exactly, self.where)
        self._set_count(count)
        self.cursor = max(0, min(target, self.count - 1))
        self._announce(force=True)

    def _set_count(self, count: int) -> None:
        self.count = count
        self.virtual_size = Size(self.size.width, count)
        self.refresh()
        self.post_message(QueueChanged(count))

    @work(thread=True, exclusive=True, group="queue-count", exit_on_error=False)
    def _count_exactly(self, where: ItemFilter) -> None:
        with Store(self.store.path) as store:
            count = store.count(where)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._counted, where, count)

    def _counted(self, where: ItemFilter, count: int) -> None:
        if where is self.where and not self.exact:  # else another filter came since
            self.exact = True
            self._set_count(count)

    def row(self, index: int) -> dict[str, Any] | None:
        """The queue row at `index` in the current order (reads its page on a cache miss)."""
        if not 0 <= index < self.count:
            return None
        number, offset = divmod(index, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = self.store.queue_rows(
                self.where, sort=self.sort, limit=PAGE_SIZE, offset=number * PAGE_SIZE
            )
            self._pages[number] = page
        return page[offset] if offset < len(page) else None

    @property
    def current(self) -> dict[str, Any] | None:
        return self.row(self.cursor)

    def find_undecided(self, direction: int, start: int | None = None) -> int | None:
        """Index of the nearest pending item after (or before) `start`, or None."""
        index = (self.cursor if start is None else start) + direction
        while 0 <= index < self.count:
            row = self.row(index)
            if row is None:
                return None
            if row["status"] == "pending" and not row.get("skipped"):
                return index
            index += direction
        return None

    def index_of(self, query_id: str) -> int | None:
        """The queue index of an item under the current filter and sort, or None."""
        return self.store.position(self.where, self.sort, query_id)

    # -- cursor ----------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if self.count == 0:
            return
        index = max(0, min(index, self.count - 1))
        old, self.cursor = self.cursor, index
        self.scroll_to_cursor()
        self.refresh_line(old)
        self.refresh_line(index)
        self._announce()

    def scroll_to_cursor(self) -> None:
        """When the cursor's line leaves the screen, scroll it to the middle: `j` held down
        redraws the whole list once every half screen, not on every key."""
        height = self.scrollable_content_region.height or 1
        top = int(self.scroll_offset.y)
        if not top <= self.cursor < top + height:
            self.scroll_to(y=max(0, self.cursor - height // 2), animate=False, immediate=True)

    def _announce(self, *, force: bool = False) -> None:
        row = self.current
        query_id = row["query_id"] if row else None
        if force or query_id != self._highlighted:
            self._highlighted = query_id
            if self.on_highlight is not None:
                self.on_highlight(query_id)
            else:
                self.post_message(ItemHighlighted(query_id, self.cursor))

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        self.move_to(self.count - 1 if index < 0 else index)

    def action_mark(self) -> None:
        """Mark (or unmark) the item under the cursor, then move down."""
        row = self.current
        if row is None:
            return
        self.marked.symmetric_difference_update({row["query_id"]})
        self._strips.clear()
        self.post_message(QueueChanged(self.count))
        self.move_to(self.cursor + 1)
        self.refresh()

    def on_click(self, event) -> None:
        self.move_to(int(self.scroll_offset.y) + event.y)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)
        self._strips.clear()
        self.call_after_refresh(self.scroll_to_cursor)  # a smaller window keeps the cursor shown

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        is_cursor = index == self.cursor
        marked = row["query_id"] in self.marked
        key = (tuple(row.values()), is_cursor, marked, width, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._draw(row, is_cursor, marked, width)
            self._strips[key] = strip
        return strip

    def _style(self, name: str) -> Style:
        """A component style, cached until the CSS or focus changes (rows draw often)."""
        style = self._style_cache.get(name)
        if style is None:
            if name == "base":
                style = self.rich_style
            else:
                style = self.get_component_rich_style(f"queue--{name}", partial=True)
            self._style_cache[name] = style
        return style

    def _draw(self, row: dict[str, Any], is_cursor: bool, marked: bool, width: int) -> Strip:
        base = self._style("base")
        if is_cursor:
            base = base + self._style("cursor")
            if not self.has_focus:
                base = base + Style(dim=True)
        status_style = self._style(row["status"])
        cells = row_cells(row)
        status = "skipped" if row["status"] == "pending" and row.get("skipped") else row["status"]
        segments = [
            Segment(_MARKS.get(status, "?"), base + status_style),
            Segment("+" if marked else " ", base + self._style("marked")),
        ]
        for (key, _, _), cell in zip(COLUMNS, cells, strict=True):
            style = base
            if key == "check_status" and row.get(key) in ("pass", "fail", "error", "timeout"):
                style = base + self._style("pass" if row[key] == "pass" else "fail")
            elif key == "flag_codes":
                style = base + self._style("flags")
            elif key == "query_id" and row["status"] != "pending":
                style = base + status_style
            segments.append(Segment(cell + " ", style))
        return Strip(segments).crop_extend(0, width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache.clear()
        self._strips.clear()

    def on_focus(self) -> None:
        self._strips.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._strips.clear()
        self.refresh()
