"""The item tab: header, problem as Markdown, highlighted solution and tests, flags.

A line-API `ScrollView` (like the queue): the item is a list of blocks laid out for the
widget's width, and `render_line` draws only the rows on screen. Prose blocks (header,
statement, flags) are small and rendered whole; code blocks are lazy: long lines wrap, and
pygments highlights 80 lines at a time, only when one of its rows is first drawn, so a
10,000-line solution costs its first screenful, not 10,000 lines, when it opens.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from functools import lru_cache

from rich.console import Console, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.models import Item
from core.quality.signals import solver_pass_rate
from core.results import CheckResult
from core.text import inert
from tui.render import CODE_BACKGROUND, CODE_THEME, check_summary, flags_table, lexer_for, styled

SECTION = "bold #ffa62b"
CHUNK = 80  # lines pygments highlights at a time in a long code block (a screenful or two)
TAB = 4
DIM = Style(dim=True)


@lru_cache(maxsize=256)
def highlight_chunk(code: str, language: str) -> list[Text]:
    """Lines of `code` highlighted for `language` (cached: neighbours are prefetched)."""
    syntax = Syntax("", lexer_for(language), theme=CODE_THEME)
    body = syntax.highlight(code)
    lines = body.split("\n", allow_blank=True)
    return list(lines)


class CodeBlock:
    """Source lines with line numbers, wrapped to a width, highlighted chunk by chunk."""

    def __init__(self, code: str, language: str) -> None:
        text = inert(code).rstrip("\n")
        self.empty = not text.strip()
        self.lines = text.expandtabs(TAB).split("\n") if not self.empty else ["(empty)"]
        self.language = language
        self.gutter = len(str(len(self.lines))) + 1
        self._width = -1
        self._starts: list[int] = []  # first row of each line at the current width
        self.height = 0
        self._strips: LRUCache[tuple, Strip] = LRUCache(maxsize=256)
        self._base: Style | None = None
        self._code_background = Style()

    def layout(self, width: int) -> int:
        """Rows the block takes at `width` (1 cell of padding each side)."""
        if width != self._width:
            from rich.cells import cell_len

            self._width = width
            avail = max(1, width - 2 - self.gutter)
            starts, row = [], 0
            for line in self.lines:
                starts.append(row)
                cells = len(line) if line.isascii() else cell_len(line)  # ASCII: no lookup
                row += max(1, -(-cells // avail))
            self._starts, self.height = starts, row
        return self.height

    def line_text(self, number: int) -> Text:
        if self.empty:
            return Text(self.lines[0], style="dim")
        chunk = number // CHUNK
        lines = highlight_chunk(
            "\n".join(self.lines[chunk * CHUNK : (chunk + 1) * CHUNK]), self.language
        )
        offset = number - chunk * CHUNK
        return lines[offset] if offset < len(lines) else Text(self.lines[number])

    def strip(self, row: int, width: int, console: Console, base: Style) -> Strip:
        key = (row, width, base)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._draw(row, width, console, base)
        return strip

    def _draw(self, row: int, width: int, console: Console, base: Style) -> Strip:
        number = bisect.bisect_right(self._starts, row) - 1
        part = row - self._starts[number]
        avail = max(1, width - 2 - self.gutter)
        background = self._background(base)
        label = f"{number + 1:>{self.gutter - 1}} " if part == 0 else " " * self.gutter
        body: Iterable[Segment] = self.line_text(number).render(console, end="")
        following = self._starts[number + 1] if number + 1 < len(self._starts) else self.height
        if following - self._starts[number] > 1:  # a wrapped line: this row's part of it
            body = Strip(body).crop(part * avail, (part + 1) * avail)
        segments = [
            Segment(" ", background),
            Segment(label, background + DIM),
            *Segment.apply_style(body, background),
        ]
        return Strip(Segment.adjust_line_length(segments, width, background), width)

    def _background(self, base: Style) -> Style:
        if self._base is not base:
            self._base, self._code_background = base, base + Style(bgcolor=CODE_BACKGROUND)
        return self._code_background

    def plain(self) -> str:
        width = len(str(len(self.lines)))
        return "\n".join(f"{n:>{width}} {line}" for n, line in enumerate(self.lines, 1))


class ProseBlock:
    """A rich renderable rendered whole at the current width (header, statement, flags)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._width = -1
        self._strips: list[Strip] = []
        self._padded: dict[tuple, Strip] = {}  # rows at the view's width and style
        self.height = 0

    def layout(self, width: int, console: Console) -> int:
        if width != self._width:
            self._width = width
            options = console.options.update_width(max(1, width))
            lines = console.render_lines(self.renderable, options, pad=False)
            self._strips = [Strip(line) for line in lines]
            self._padded.clear()
            self.height = len(self._strips)
        return self.height

    def strip(self, row: int, width: int, console: Console, base: Style) -> Strip:
        key = (row, width, base)
        strip = self._padded.get(key)
        if strip is None:
            strip = self._strips[row].extend_cell_length(width, base).crop(0, width)
            self._padded[key] = strip
        return strip

    def plain(self) -> str:
        return "\n".join(strip.text.rstrip() for strip in self._strips)


Block = CodeBlock | ProseBlock


def item_blocks(item: Item, result: CheckResult | None, *, checking: bool = False) -> list[Block]:
    meta = item.metadata
    header = Text.assemble(
        (inert(item.query_id), "bold"), "  ", styled(item.status), (f"  r{item.revision}", "dim")
    )
    if item.decided_by and item.status != "pending":
        header.append(inert(f"  by {item.decided_by}"), style="cyan")
        if item.decision_reason:
            header.append(inert(f": {item.decision_reason}"), style="italic")
    details = Text(style="dim")
    measured = solver_pass_rate(item.record)
    for key in ("language", "difficulty", "category", "function_name", "complexity"):
        if meta.get(key) not in (None, ""):
            details.append(inert(f"{key} {meta[key]}  "))
        if key == "difficulty" and measured is not None:  # beside the declared one
            details.append(f"measured: solver passes {measured:.0%}  ")
    if item.model:
        details.append(inert(f"model {item.model}  "))
    language = item.language
    return [
        ProseBlock(header),
        ProseBlock(details),
        ProseBlock(check_summary(result, checking=checking)),
        ProseBlock(Text("")),
        ProseBlock(Markdown(inert(item.query_text) or "*(empty)*")),
        ProseBlock(Text("\nSolution", style=SECTION)),
        CodeBlock(item.reference_answer, language),
        ProseBlock(Text("\nTests", style=SECTION)),
        CodeBlock(item.assertions, language),
        ProseBlock(Text("\nFlags", style=SECTION)),
        ProseBlock(flags_table(result)),
    ]


EMPTY_DATABASE = (
    "The database has no items yet. Import some in a shell with `assay import FILE` "
    "(JSONL, HumanEval, MBPP, ...), or press g to generate new ones."
)
NO_MATCH = "No items match. Change the filter (f) or search (/), or press escape to clear them."


class ItemView(ScrollView, can_focus=True):
    """Everything a curator reads to decide on an item, top to bottom; each item opens at
    its top."""

    BINDINGS = [
        Binding("up", "scroll_up", "Scroll up", show=False, id="item.up"),
        Binding("down", "scroll_down", "Scroll down", show=False, id="item.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="item.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="item.page_down"),
        Binding("home", "scroll_home", "Top", show=False, id="item.top"),
        Binding("end", "scroll_end", "Bottom", show=False, id="item.bottom"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.blocks: list[Block] = []
        self._starts: list[int] = []
        self._laid_out_at = -1
        self._base_style: Style | None = None
        # Items drawn lately and their prefetched neighbours: blocks keep their layouts.
        self._cache: LRUCache[tuple, list[Block]] = LRUCache(maxsize=32)

    @staticmethod
    def cache_key(item: Item, result: CheckResult | None, checking: bool) -> tuple:
        outcome = None
        if result is not None:
            outcome = (result.revision, result.status, result.recommendation, len(result.flags))
        return (
            item.query_id,
            item.revision,
            item.status,
            item.decided_by,
            item.decision_reason,
            checking,
            outcome,
        )

    def blocks_for(
        self, item: Item, result: CheckResult | None, checking: bool = False
    ) -> list[Block]:
        """The item's blocks, from the cache or built now."""
        key = self.cache_key(item, result, checking)
        blocks = self._cache.get(key)
        if blocks is None:
            blocks = item_blocks(item, result, checking=checking)
            self._cache[key] = blocks
        return blocks

    def prefetch(self, item: Item, result: CheckResult | None) -> None:
        """Build and lay out an item the cursor may move to next, with its first screen of
        code highlighted, so showing it costs a lookup."""
        width, console = self._width(), self.app.console
        for block in self.blocks_for(item, result):
            if isinstance(block, CodeBlock):
                block.layout(width)
                block.line_text(0)
            else:
                block.layout(width, console)

    def clear_cache(self) -> None:
        self._cache.clear()
        highlight_chunk.cache_clear()

    def show(
        self,
        item: Item | None,
        result: CheckResult | None,
        *,
        checking: bool = False,
        empty: bool = False,
    ) -> None:
        if item is None:
            self.blocks = [ProseBlock(Text(EMPTY_DATABASE if empty else NO_MATCH, style="dim"))]
        else:
            self.blocks = self.blocks_for(item, result, checking)
        self._laid_out_at = -1
        self.scroll_to(0, 0, animate=False, immediate=True)  # no offset from the last item
        self._layout()
        self.refresh()

    def _width(self) -> int:
        return max(20, self.scrollable_content_region.width or self.size.width or 80)

    def _layout(self) -> None:
        width = self._width()
        if width == self._laid_out_at:
            return
        self._laid_out_at = width
        console = self.app.console
        starts, row = [], 0
        for block in self.blocks:
            starts.append(row)
            if isinstance(block, CodeBlock):
                row += block.layout(width)
            else:
                row += block.layout(width, console)
        self._starts = starts
        size = Size(width, row)
        if self.size.width and self.styles.overflow_y == "scroll":
            # The scrollbar is always there, so the width cannot change: a new item's
            # height updates the scrollbar and this widget only, not the screen's layout.
            self.set_reactive(ItemView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._layout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None

    def render_line(self, y: int) -> Strip:
        self._layout()
        width = self._width()
        row = int(self.scroll_offset.y) + y
        base = self._base_style
        if base is None:
            base = self._base_style = self.rich_style
        index = bisect.bisect_right(self._starts, row) - 1
        if index < 0 or row >= self.virtual_size.height:
            return Strip.blank(width, base)
        block = self.blocks[index]
        return block.strip(row - self._starts[index], width, self.app.console, base)

    def plain_text(self) -> str:
        """What the view shows, as text (whole code lines, unwrapped): for tests and copy."""
        self._layout()
        return "\n".join(block.plain() for block in self.blocks)
