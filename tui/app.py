"""The curation app: a paged queue on the left, the inspector on the right, keys for decisions.

Every change goes through the same `core` functions as the CLI (`Store.decide`,
`Store.edit`, `core.checking.run_checks`, `core.exporting.export_items`, ...).
Background jobs run as thread workers on the App, each with its own `Store`, and report
with messages; one `Worker.StateChanged` handler turns their errors into a modal.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial, wraps
from pathlib import Path
from typing import ParamSpec

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.config import Settings, load_settings
from core.errors import AssayError
from core.generation import JobConfig, JobProgress, JobSummary
from core.models import Item
from core.results import CheckResult
from core.store import BULK_ACTIONS, ItemFilter, Store, bulk_action, describe_sqlite_error
from core.text import inert
from tui.messages import (
    ChecksFinished,
    ChecksProgress,
    GenerationFinished,
    GenerationProgress,
    ItemHighlighted,
    NeighbourChosen,
    QueueChanged,
    RestoreRequested,
    in_app_words,
)
from tui.render import plain
from tui.screens.bulk_screen import BulkScreen
from tui.screens.confirm_screen import ConfirmScreen
from tui.screens.edit_screen import Edit, EditScreen
from tui.screens.error_screen import ErrorScreen
from tui.screens.filter_screen import QueueQuery
from tui.screens.help_screen import HelpScreen
from tui.screens.reject_screen import RejectScreen
from tui.widgets.duplicates_view import DuplicatesView
from tui.widgets.history_view import HistoryView
from tui.widgets.inspector import Inspector
from tui.widgets.item_view import ItemView
from tui.widgets.queue_view import SORT_TITLES, QueueView, header_line

SORTS = ("created", "complexity", "pass_rate", "solver_pass_rate")
TAB_KEYS = (
    ("1", "tab-item", "Item"),
    ("2", "tab-run", "Run results"),
    ("3", "tab-metrics", "Metrics"),
    ("4", "tab-dups", "Duplicates"),
    ("5", "tab-gen", "Generation attempts"),
    ("6", "tab-history", "History"),
)


P = ParamSpec("P")
IDLE_COLLECT = 2.0  # seconds without a cursor move before a full garbage collection


def reports_errors(method: Callable[P, None]) -> Callable[P, None]:
    """An action a curator triggers: a database or domain error becomes a modal, not a crash."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            method(*args, **kwargs)
        except (AssayError, sqlite3.Error) as exc:
            app = args[0]
            assert isinstance(app, AssayApp)
            app.show_error("That did not work", exc)

    return wrapper


def keys_of(bindings: Iterable[BindingType]) -> list[Binding]:
    """The `Binding`s of a BINDINGS list (every one of ours is a Binding, with an id)."""
    return [binding for binding in bindings if isinstance(binding, Binding)]


FILTER_WORDS = {
    "status": "{}",
    "language": "{}",
    "difficulty": "{}",
    "category": "category {}",
    "check_status": "check {}",
    "recommendation": "checks recommend {}",
    "flag": "flag {}",
    "cluster_id": "cluster of {}",
}


def describe_filter(where: ItemFilter, sort: str | None = None) -> str:
    """The filter in words, as a curator reads it: "pending only, Python, check fail"."""
    parts = []
    if where.undecided_only:
        parts.append("undecided only")
    if where.skipped:
        parts.append("skipped")
    for name, words in FILTER_WORDS.items():
        value = getattr(where, name)
        if value:
            parts.append(words.format(value))
    if where.query_ids is not None:
        parts.append(f"{len(where.query_ids)} marked")
    if where.search:
        parts.append(f'search "{where.search}"')
    if where.solver_min is not None or where.solver_max is not None:
        low, high = where.solver_min or 0.0, 1.0 if where.solver_max is None else where.solver_max
        parts.append(f"solver passes {low:.0%}-{high:.0%}")
    text = ", ".join(parts or ["all items"])
    if sort is not None:
        text += f" · sorted by {SORT_TITLES.get(sort, sort)}"
    return text


class MainScreen(Screen):
    """The queue and the inspector. Focus starts on the queue, never on the search box that
    comes first on screen: a key pressed while the app starts is a command, not a search."""

    AUTO_FOCUS = "#queue"


class AssayApp(App):
    """`assay tui` / `assay demo`."""

    CSS_PATH = "assay.tcss"
    TITLE = "Assay"

    BINDINGS = [
        Binding("a", "accept", "Accept", tooltip="Accept the item", id="accept"),
        Binding("r", "reject", "Reject", tooltip="Reject the item, with a reason", id="reject"),
        Binding(
            "l", "skip", "Skip", tooltip="Skip the item for later (it stays pending)", id="skip"
        ),
        Binding(
            "J,ctrl+down",
            "scroll_item(3)",
            "Scroll",
            tooltip="Scroll the item down",
            id="scroll_down",
        ),
        Binding(
            "K,ctrl+up",
            "scroll_item(-3)",
            "Scroll up",
            show=False,
            tooltip="Scroll the item up",
            id="scroll_up",
        ),
        Binding(
            "ctrl+d",
            "scroll_item_page(1)",
            "Item page down",
            show=False,
            tooltip="Scroll the item a page down",
            id="page_down",
        ),
        Binding(
            "ctrl+u",
            "scroll_item_page(-1)",
            "Item page up",
            show=False,
            tooltip="Scroll the item a page up",
            id="page_up",
        ),
        Binding(
            "z",
            "zoom",
            "Zoom",
            tooltip="Hide or show the queue: the item takes the whole width",
            id="zoom",
        ),
        Binding("u", "undo", "Undo", tooltip="Undo your last change", id="undo"),
        Binding(
            "e", "edit", "Edit", tooltip="Edit problem, solution, tests and metadata", id="edit"
        ),
        Binding("x", "check", "Check", tooltip="Re-run sandbox and quality checks", id="check"),
        Binding("n", "next_undecided", "Next", tooltip="Next undecided item", id="next_undecided"),
        Binding(
            "p", "previous_undecided", "Previous undecided", show=False, id="previous_undecided"
        ),
        Binding("slash", "search", "Search", tooltip="Full-text search", id="search"),
        Binding("f", "filter", "Filter", tooltip="Filter and sort the queue", id="filter"),
        Binding("s", "cycle_sort", "Sort: created, complexity, pass rate", show=False, id="sort"),
        Binding("c", "same_cluster", "Show the item's duplicate cluster", show=False, id="cluster"),
        Binding("b", "bulk", "Bulk", tooltip="Bulk action over the current filter", id="bulk"),
        Binding("d", "dashboard", "Dash", tooltip="Dashboard", id="dashboard"),
        Binding("E", "export", "Export", tooltip="Export items with a manifest", id="export"),
        Binding("g", "generate", "Gen", tooltip="Start a generation job", id="generate"),
        Binding("S", "stop_generation", "Stop generation", show=False, id="stop_generation"),
        Binding("G", "resume_generation", "Resume generation", show=False, id="resume"),
        Binding(
            "escape",
            "escape",
            "Leave the search box, else clear the filter (the cursor stays on its item)",
            show=False,
            id="clear",
        ),
        Binding("j", "move(1)", "Next item", show=False, id="move_down"),
        Binding("k", "move(-1)", "Previous item", show=False, id="move_up"),
        Binding("ctrl+r", "refresh", "Reload from the database", show=False, id="refresh"),
        *(
            Binding(key, f"tab('{tab}')", f"Show {title}", show=False, id=f"tab.{tab}")
            for key, tab, title in TAB_KEYS
        ),
        Binding("question_mark", "help", "Keys", tooltip="Every key", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        db_path: str | Path,
        *,
        curator: str | None = None,
        demo: bool = False,
        tune_gc: bool = False,
    ) -> None:
        super().__init__()
        self.tune_gc = tune_gc
        self.db_path = Path(db_path)
        # the same settings as the CLI's: model and server for new jobs, the curator's name
        self.settings = load_settings(db=db_path, curator=curator)
        self.curator = self.settings.curator
        self.demo = demo
        self.store = Store(self.db_path)
        self.where = ItemFilter()
        self.sort = "created"
        self.undo_stack: list[list[str]] = []
        self.check_status_text = ""
        self._data_version = self.store.data_version()
        self._stop_generation = threading.Event()
        self.last_job: tuple[JobConfig, int | None] | None = None
        self._shown: tuple | None = None
        self._search_timer: Timer | None = None
        self.checking: set[str] = set()  # items whose checks run now
        self._accept_warned: str | None = None  # a failing item `a` was pressed on once
        self._saved_position: tuple | None = None
        self._prefetch_timer: Timer | None = None
        self._moved_at = 0.0  # when the inspector last showed another item
        self._main_widgets: tuple[QueueView, Inspector] | None = None
        self.sub_title = inert(f"{self.db_path.name} · curator {self.curator}") + (
            " · demo" if demo else ""
        )

    # -- layout ----------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        from tui.isolation_banner import IsolationBanner
        from tui.widgets.generation_panel import GenerationPanel

        yield Header()
        yield IsolationBanner()
        with Horizontal(id="main"):
            with Vertical(id="queue-pane"):
                yield Input(placeholder="/ search problems, code, tests", id="search")
                yield Static(header_line(), id="queue-header")
                yield QueueView(self.store, on_highlight=self.highlighted, id="queue")
                yield Static(id="queue-status")
            yield Inspector(self.store, id="inspector")
        yield GenerationPanel(id="generation")
        yield Footer()

    def on_mount(self) -> None:
        main = self.screen_stack[0]
        # Looked up once: every key press reaches them, and a DOM query per key costs.
        self._main_widgets = (main.query_one("#queue", QueueView), main.query_one(Inspector))
        self.queue.focus()
        self.resume_position()
        self.set_interval(1.0, self.poll_database)
        self.set_interval(5.0, self.save_position)
        self.screen_change_signal.subscribe(self, self.screen_changed)
        self.call_after_refresh(self.after_first_paint)
        if self.demo:
            self.notify(
                "Demo data loaded; checks run in the background. "
                "a accept · r reject · e edit · ? every key.",
                title="Welcome to Assay",
                timeout=8,
            )
            if self.store.count(ItemFilter(check_status="unchecked")):
                self.run_checks(None)

    def after_first_paint(self) -> None:
        if self.tune_gc:
            # Everything built so far lives as long as the app: keep it out of the full
            # collections that otherwise stall every ~20th keypress for 40-70 ms.
            gc.freeze()
            # Full collections then scan what the caches of rendered items keep: 20-50 ms
            # every ~15 keys while `j` is held. They run while the curator reads instead.
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, 1_000_000)
            self.set_interval(IDLE_COLLECT, self.collect_garbage)
        self.warm_up()

    def collect_garbage(self) -> None:
        """The full collection automatic ones leave out, once the cursor has rested."""
        if time.monotonic() - self._moved_at >= IDLE_COLLECT and gc.get_count()[2]:
            gc.collect()  # only when older objects were added since the last one

    @work(thread=True, exclusive=True, exit_on_error=False, group="warm-up")
    def warm_up(self) -> None:
        """Compile the pygments lexers of the languages in the queue, off the first keypress."""
        from tui.render import highlighted

        with Store(self.db_path) as store:
            languages = store.distinct_values("language")[:8]
        for language in languages:
            highlighted(" ", language)

    def resume_position(self) -> None:
        """Open where this curator left: the same filter, sort and item (else the first
        undecided item)."""
        saved = None
        try:
            saved = self.store.saved_position(self.curator)
        except sqlite3.Error:
            pass  # a read-only or older database: start at the top
        if saved is not None:
            where, sort, query_id = saved
            try:
                self.queue.set_query(where, sort, keep=query_id)
                self.where, self.sort = where, sort
                self.query_one("#search", Input).value = where.search or ""
                return
            except sqlite3.Error:
                pass
        self.queue.set_query(self.where, self.sort)
        if self.queue.current is not None and self.queue.current["status"] != "pending":
            target = self.queue.find_undecided(1)
            if target is not None:
                self.queue.move_to(target)

    def save_position(self) -> None:
        row = self.queue.current if self.main_screen_mounted else None
        position = (self.where, self.sort, row["query_id"] if row else None)
        if position == self._saved_position:
            return
        try:
            self.store.save_position(self.curator, *position)
        except sqlite3.Error:
            return  # a read-only database: nothing to remember
        self._saved_position = position

    async def action_quit(self) -> None:
        self.save_position()
        await super().action_quit()

    def screen_changed(self, screen: Screen) -> None:
        """Back on the main screen after any dialog: the queue has the focus again."""
        if self.screen_stack and screen is self.screen_stack[0] and self.main_screen_mounted:
            screen.set_focus(self.queue)

    @property
    def queue(self) -> QueueView:
        if self._main_widgets is None:
            return self.screen_stack[0].query_one("#queue", QueueView)
        return self._main_widgets[0]

    @property
    def inspector(self) -> Inspector:
        if self._main_widgets is None:
            return self.screen_stack[0].query_one("#inspector", Inspector)
        return self._main_widgets[1]

    # -- queue and inspector ---------------------------------------------------------------

    def highlighted(self, query_id: str | None) -> None:
        """The queue's cursor is on another item: the inspector shows it now."""
        if not self.main_screen_mounted:
            return  # the queue announces its first item before the inspector exists
        self.load_inspector(query_id)

    @on(ItemHighlighted)
    def show_item(self, event: ItemHighlighted) -> None:
        self.highlighted(event.query_id)

    @property
    def main_screen_mounted(self) -> bool:
        return self._main_widgets is not None and self._main_widgets[0].is_attached

    def load_inspector(self, query_id: str | None) -> None:
        try:
            item = self.store.get(query_id) if query_id is not None else None
        except AssayError:
            item = None
        if item is None:
            self._shown = None
            self.inspector.show(None, None, empty=self.store.count() == 0)
            return
        cluster = self.store.cluster_of(item.query_id)
        result = self.store.check_result(item)
        checking = item.query_id in self.checking
        # Background writes reload the queue every second or so: redraw only what changed,
        # so a curator reading the history or a diff keeps their place.
        shown = (item.query_id, item.revision, item.status, cluster, result, checking)
        if shown == self._shown:
            return
        self._shown = shown
        self._accept_warned = None
        self.inspector.show(item, result, cluster, checking=checking)
        self.schedule_prefetch()
        self._moved_at = time.monotonic()

    def schedule_prefetch(self) -> None:
        """While the curator reads, prepare the items above and below the cursor."""
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(0.1, self.prefetch_neighbours)

    def prefetch_neighbours(self) -> None:
        if not self.main_screen_mounted or self.inspector.active_tab != "tab-item":
            return
        view = self.inspector.view
        for index in (self.queue.cursor + 1, self.queue.cursor - 1):
            row = self.queue.row(index)
            if row is None:
                continue
            try:
                item = self.store.get(row["query_id"])
            except AssayError:
                continue
            view.prefetch(item, self.store.check_result(item))

    def render_cache_clear(self) -> None:
        """Forget every rendered item (benchmarks measure a first render)."""
        self.inspector.view.clear_cache()
        self._shown = None

    @on(QueueChanged)
    def update_status(self, event: QueueChanged | None = None) -> None:
        if not self.main_screen_mounted:
            return
        text = f"{self.queue.count:,}{'' if self.queue.exact else '+'} items · "
        if self.queue.marked:  # first: the status line is cut at the pane's width
            text += f"{len(self.queue.marked)} marked (b acts on them) · "
        text += describe_filter(self.where, self.sort)
        if self.check_status_text:
            text += f" · {self.check_status_text}"
        self.query_one("#queue-status", Static).update(plain(text), layout=False)
        header = header_line(self.sort, self.queue.size.width)
        self.query_one("#queue-header", Static).update(header, layout=False)

    def refresh_views(self) -> None:
        """Re-read everything shown, keeping the cursor where it is."""
        self.queue.reload()

    def poll_database(self) -> None:
        """Another connection (a worker, another app) committed: show its changes."""
        version = self.store.data_version()
        if version != self._data_version:
            self._data_version = version
            self.refresh_views()

    @reports_errors
    def set_query(self, where: ItemFilter, sort: str) -> None:
        """Another filter or sort; the cursor stays on the item shown when the new queue
        holds it."""
        self.where, self.sort = where, sort
        self.queue.set_query(where, sort, keep=self.shown_query_id())
        self.update_status()

    def shown_query_id(self) -> str | None:
        item = self.inspector.item if self.main_screen_mounted else None
        return item.query_id if item is not None else None

    def current_query_id(self) -> str | None:
        """The item every key acts on: the one the inspector shows (what the curator read)."""
        query_id = self.shown_query_id()
        if query_id is None:
            self.notify("No item is shown.", severity="warning")
        return query_id

    # -- decisions -------------------------------------------------------------------------

    @reports_errors
    def decide_on(self, query_id: str, status: str, reason: str | None = None) -> None:
        if status == "skipped":
            self.store.skip(query_id, author=self.curator)
        else:
            self.store.decide(query_id, status, author=self.curator, reason=reason)
        self.undo_stack.append([query_id])
        self.notify(f"{status.capitalize()} {query_id}.", timeout=2)
        self.after_decision(query_id)

    def after_decision(self, query_id: str) -> None:
        """Reload, then move to the next undecided item after the one decided."""
        queue = self.queue
        queue.reload()
        index = queue.index_of(query_id)
        start = index if index is not None else queue.cursor - 1
        target = queue.find_undecided(1, start=start)
        if target is not None:
            queue.move_to(target)
        elif index is not None:
            queue.move_to(index)

    def action_accept(self) -> None:
        item = self.inspector.item if self.main_screen_mounted else None
        if item is None:
            self.current_query_id()  # says there is nothing to accept
            return
        failing = item.check_status not in (None, "pass", "unsupported")
        if failing and self._accept_warned != item.query_id:
            # One key press must not accept an item whose own tests do not pass.
            self._accept_warned = item.query_id
            self.notify(
                f"{item.query_id} fails its checks ({item.check_status}): "
                "press a again to accept it anyway.",
                severity="warning",
                timeout=6,
            )
            return
        self._accept_warned = None
        self.decide_on(item.query_id, "accepted")

    def action_skip(self) -> None:
        item = self.inspector.item if self.main_screen_mounted else None
        if item is None:
            self.current_query_id()
            return
        if item.status != "pending":
            self.notify(f"{item.query_id} is already {item.status}; u undoes that.")
            return
        self.decide_on(item.query_id, "skipped")

    def action_reject(self) -> None:
        query_id = self.current_query_id()
        if query_id is None:
            return
        item = self.store.get(query_id)
        result = self.store.check_result(item)
        flags = result.flags if result else []

        def rejected(reason: str | None) -> None:
            if reason:
                self.decide_on(query_id, "rejected", reason)

        self.push_screen(RejectScreen(query_id, flags), rejected)

    @reports_errors
    def action_undo(self) -> None:
        if self.undo_stack:
            query_ids = self.undo_stack.pop()
        else:
            query_id = self.current_query_id()
            if query_id is None:
                return
            query_ids = [query_id]
        try:
            for query_id in query_ids:
                self.store.undo(query_id, author=self.curator)
        except AssayError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.queue.reload()
        if len(query_ids) == 1:
            index = self.queue.index_of(query_ids[0])
            if index is not None:
                self.queue.move_to(index)
        self.notify(f"Undid the last change to {len(query_ids)} item(s).")

    @on(NeighbourChosen)
    def go_to_neighbour(self, event: NeighbourChosen) -> None:
        """Move the queue to a neighbour; if the filter hides it, clear the filter first."""
        if not self.store.exists(event.query_id):
            self.notify(f"{event.query_id} is not in this database.", severity="warning")
            return
        index = self.queue.index_of(event.query_id)
        if index is not None:
            self.queue.move_to(index)
        else:
            self.query_one("#search", Input).value = ""
            self.where = ItemFilter()
            self.queue.set_query(self.where, self.sort, keep=event.query_id)
        self.notify(inert(f"Showing {event.query_id}, a neighbour of the item you were on."))

    def action_next_undecided(self) -> None:
        self._jump_undecided(1)

    def action_previous_undecided(self) -> None:
        self._jump_undecided(-1)

    def _jump_undecided(self, direction: int) -> None:
        index = self.queue.find_undecided(direction)
        if index is None:
            self.notify("No undecided item that way.", severity="information")
            return
        self.queue.move_to(index)

    @on(RestoreRequested)
    def restore(self, event: RestoreRequested) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.restore_revision(event.query_id, event.revision)

        self.push_screen(
            ConfirmScreen(f"Restore revision {event.revision} of {event.query_id}?", yes="Restore"),
            confirmed,
        )

    @reports_errors
    def restore_revision(self, query_id: str, revision: int) -> None:
        self.store.restore(query_id, revision, author=self.curator)
        self.undo_stack.append([query_id])
        self.queue.reload()
        self.notify(f"Restored revision {revision} of {query_id}.")
        self.run_checks([query_id])

    # -- editing ---------------------------------------------------------------------------

    def action_edit(self) -> None:
        query_id = self.current_query_id()
        if query_id is None:
            return
        item = self.store.get(query_id)
        self.push_screen(EditScreen(item, self.store), partial(self.save_edit, query_id))

    @reports_errors
    def save_edit(self, query_id: str, edit: Edit | None) -> None:
        """Write the edit as a new revision (refused if the item changed since the editor
        opened), then re-run the checks in the background."""
        if edit is None:
            return
        after = self.store.edit(
            query_id,
            edit.record,
            author=self.curator,
            reason=edit.reason,
            base_revision=edit.base_revision,
        )
        if after.revision == edit.base_revision:
            self.notify("No change to save.")
            return
        self.undo_stack.append([query_id])
        self.queue.reload()
        self.notify(f"Saved revision {after.revision}; re-running checks.")
        self.run_checks([query_id])

    # -- checks ----------------------------------------------------------------------------

    def action_check(self) -> None:
        query_id = self.current_query_id()
        if query_id is not None:
            self.run_checks([query_id])

    def action_check_unchecked(self) -> None:
        self.run_checks(None)

    # Not exclusive: checking one edited item must not cancel a run over others.
    def run_checks(self, query_ids: list[str] | None) -> None:
        """Run sandbox and quality checks in the background (given items, or every
        unchecked one); the inspector says they run meanwhile."""
        if query_ids:
            self.checking.update(query_ids)
            if self.shown_query_id() in self.checking:
                self.load_inspector(self.shown_query_id())
        self._run_checks(query_ids)

    @work(thread=True, exit_on_error=False, group="checks", name="checks")
    def _run_checks(self, query_ids: list[str] | None) -> None:
        """Run sandbox and quality checks (given items, or every unchecked one)."""
        from core.checking import run_checks

        worker = get_current_worker()
        with Store(self.db_path) as store:
            items = [store.get(q) for q in query_ids] if query_ids else store.unchecked()
            done: list[str] = []

            def on_result(item: Item, result: CheckResult) -> None:
                done.append(item.query_id)
                self.post_message(ChecksProgress(len(done), len(items), item.query_id))
                if worker.is_cancelled:
                    raise InterruptedError("checks cancelled")

            self.post_message(ChecksProgress(0, len(items), ""))
            run_checks(store, items, on_result=on_result)
        self.post_message(ChecksFinished([i.query_id for i in items]))

    @on(ChecksProgress)
    def checks_progress(self, event: ChecksProgress) -> None:
        self.check_status_text = f"checking {event.done}/{event.total}"
        self.update_status()

    @on(ChecksFinished)
    def checks_finished(self, event: ChecksFinished) -> None:
        self.checking.difference_update(event.query_ids)
        self.check_status_text = ""
        self._data_version = self.store.data_version()
        self.refresh_views()
        self.notify(f"Checked {len(event.query_ids)} item(s).")

    # -- finding ---------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_escape(self) -> None:
        """Escape leaves the search box (keeping what was typed) or clears the filter; the
        cursor stays on the item it was on either way."""
        search = self.query_one("#search", Input)
        if search.has_focus:
            if self._search_timer is not None:
                self._search_timer.stop()
            self.apply_search(search.value)
            self.queue.focus()
            return
        self.action_clear_filter()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        # Debounced: typing fast does one query, not one per key.
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.15, partial(self.apply_search, event.value))

    def apply_search(self, text: str) -> None:
        search = text.strip() or None
        if search == self.where.search:
            return
        where = ItemFilter(**{**vars(self.where), "search": search})
        try:
            self.queue.set_query(where, self.sort, keep=self.shown_query_id())
        except sqlite3.Error:
            # Half-typed searches SQLite's FTS5 refuses (a lone quote): keep the last good one.
            self.notify(f"Cannot search for {search!r} yet.", severity="warning", timeout=2)
            return
        self.where = where
        self.update_status()

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self.apply_search(event.value)
        self.queue.focus()

    def action_filter(self) -> None:
        from core.store import FILTER_COLUMNS
        from tui.screens.filter_screen import FilterScreen

        choices = {column: self.store.distinct_values(column) for column in FILTER_COLUMNS}
        choices["flag"] = self.store.flag_codes()

        def chosen(query: QueueQuery | None) -> None:
            if query is not None:
                self.query_one("#search", Input).value = query.where.search or ""
                self.set_query(query.where, query.sort)

        self.push_screen(FilterScreen(QueueQuery(self.where, self.sort), choices), chosen)

    def action_cycle_sort(self) -> None:
        self.set_query(self.where, SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])

    def action_same_cluster(self) -> None:
        query_id = self.current_query_id()
        cluster = self.store.cluster_of(query_id) if query_id else None
        if not cluster:
            self.notify("This item is in no duplicate cluster.")
            return
        self.set_query(ItemFilter(cluster_id=cluster), self.sort)

    def action_clear_filter(self) -> None:
        self.queue.focus()
        if self.where == ItemFilter():
            return  # nothing to clear: the queue and its cursor stay as they are
        if self._search_timer is not None:
            self._search_timer.stop()
        self.query_one("#search", Input).value = ""
        self.set_query(ItemFilter(), self.sort)

    def action_refresh(self) -> None:
        self._data_version = self.store.data_version()
        self.refresh_views()
        self.notify("Reloaded from the database.")

    def action_tab(self, tab: str) -> None:
        self.inspector.show_tab(tab)
        if tab == "tab-history":
            self.query_one("#history-list").focus()
        elif tab == "tab-dups" and self.query_one(DuplicatesView).neighbours:
            self.query_one("#dup-list").focus()  # `o` goes to the highlighted neighbour
        elif not self.queue.has_focus:
            self.queue.focus()  # off a list the tab just hid

    def action_scroll_item(self, lines: int) -> None:
        self.inspector.scroll_tab(lines)

    def action_scroll_item_page(self, pages: int) -> None:
        self.inspector.scroll_tab(pages=pages)

    def action_zoom(self) -> None:
        """The item takes the whole width (at 80 columns the queue leaves it 30); z again
        brings the queue back."""
        pane = self.screen_stack[0].query_one("#queue-pane")
        pane.display = not pane.display
        if pane.display:
            self.queue.focus()
            self.queue.scroll_to_cursor()
        else:
            self.query_one(ItemView).focus()  # arrows scroll it; j / k still move the queue

    def action_move(self, step: int) -> None:
        """j / k from anywhere but a text box (the queue's own keys when it has focus)."""
        self.queue.action_cursor(step)

    # -- bulk ------------------------------------------------------------------------------

    def bulk_where(self) -> ItemFilter:
        """What bulk actions act on: the marked items when there are any, else the filter."""
        if self.queue.marked:
            return ItemFilter(query_ids=tuple(sorted(self.queue.marked)))
        return self.where

    def action_bulk(self) -> None:
        where = self.bulk_where()
        counts = [(a, len(self.store.bulk_targets(where, a))) for a in BULK_ACTIONS]

        def chosen(key: str | None) -> None:
            if key:
                self.confirm_bulk(key)

        self.push_screen(BulkScreen(counts, describe_filter(where, self.sort)), chosen)

    def confirm_bulk(self, key: str) -> None:
        action = bulk_action(key)
        targets = self.store.bulk_targets(self.bulk_where(), action)
        if not targets:
            self.notify("No item in the current filter matches that action.")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.apply_bulk(key, targets)

        verb = "Accept" if action.status == "accepted" else "Reject"
        self.push_screen(
            ConfirmScreen(f"{action.title}?\n\n{verb} {len(targets)} item(s).", yes=verb),
            confirmed,
        )

    @reports_errors
    def apply_bulk(self, key: str, targets: list[str]) -> None:
        action = bulk_action(key)
        changed = self.store.decide_many(
            targets, action.status, author=self.curator, reason=action.reason
        )
        self.undo_stack.append(targets)
        self.queue.marked.clear()
        self.queue.reload()
        self.notify(f"{action.status.capitalize()} {changed} item(s).")

    # -- other screens ---------------------------------------------------------------------

    def action_help(self) -> None:
        sections = [
            ("Curation", keys_of(self.BINDINGS)),
            ("Queue", keys_of(QueueView.BINDINGS)),
            ("History tab", keys_of(HistoryView.BINDINGS)),
            ("Duplicates tab", keys_of(DuplicatesView.BINDINGS)),
            ("Edit screen", keys_of(EditScreen.BINDINGS)),
        ]
        self.push_screen(HelpScreen(sections))

    def action_dashboard(self) -> None:
        from tui.screens.dashboard_screen import DashboardScreen

        self.push_screen(DashboardScreen(self.db_path))

    def action_export(self) -> None:
        from tui.screens.export_screen import ExportScreen

        self.push_screen(ExportScreen(self.store, self.db_path, self.where))

    # -- generation ------------------------------------------------------------------------

    def action_generate(self) -> None:
        from tui.screens.generate_screen import GenerateScreen

        if self.generation_running:
            self.notify("A generation job is already running (S stops it).", severity="warning")
            return

        def start(config: JobConfig | None) -> None:
            if config is not None:
                self.start_generation(config)

        self.push_screen(GenerateScreen(self.new_job(), demo=self.demo), start)

    def new_job(self) -> JobConfig:
        """What the generate dialog starts from: the demo's replay, else the settings' model."""
        from core.generation import demo_config

        return demo_config() if self.demo else JobConfig.from_settings(self.settings)

    @property
    def generation_running(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "generation")

    def start_generation(self, config: JobConfig, job_id: int | None = None) -> None:
        self._stop_generation.clear()
        self.last_job = (config, job_id)
        from tui.widgets.generation_panel import GenerationPanel

        self.query_one(GenerationPanel).start(config)
        self.run_generation(config, job_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="generation", name="generation")
    def run_generation(self, config: JobConfig, job_id: int | None = None) -> None:
        from core.generation import run_job

        def on_progress(progress: JobProgress) -> None:
            if self.last_job is not None:
                self.last_job = (self.last_job[0], progress.job_id)
            self.post_message(GenerationProgress(progress))

        summary = run_job(
            self.db_path,
            config,
            job_id=job_id,
            on_progress=on_progress,
            should_stop=self._stop_generation.is_set,
        )
        self.last_job = (config, summary.job_id)
        self.post_message(GenerationFinished(summary, stopped=self._stop_generation.is_set()))

    def action_stop_generation(self) -> None:
        if not self.generation_running:
            self.notify("No generation job is running.")
            return
        self._stop_generation.set()
        self.notify("Stopping generation after the current items…")

    def action_resume_generation(self) -> None:
        if self.generation_running:
            self.notify("A generation job is already running.")
            return
        job = self.last_job or self.unfinished_job()
        if job is None:
            self.notify("No unfinished generation job to resume (g starts one).")
            return
        self.start_generation(*job)

    def unfinished_job(self) -> tuple[JobConfig, int] | None:
        """The newest job a previous session left unfinished, as (config, job_id)."""
        from core.generation import list_jobs

        for job in list_jobs(self.store):
            if job["state"] not in ("done", "completed", "finished"):
                return JobConfig.from_dict(job["config"]), job["job_id"]
        return None

    @on(GenerationProgress)
    def generation_progress(self, event: GenerationProgress) -> None:
        from tui.widgets.generation_panel import GenerationPanel

        self.query_one(GenerationPanel).update_progress(event.progress)
        self.poll_database()

    @on(GenerationFinished)
    def generation_finished(self, event: GenerationFinished) -> None:
        from tui.widgets.generation_panel import GenerationPanel

        self.query_one(GenerationPanel).finish(event.summary, event.error, event.stopped)
        self.poll_database()
        summary: JobSummary | None = event.summary
        fresh = self.store.unchecked_in_job(summary.job_id) if summary is not None else []
        if fresh:
            self.run_checks(fresh)  # new items get the same checks as imported ones

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Curation keys act on the queue: off (and out of the footer) over other screens."""
        if action in self._curation_actions and self.screen is not self.screen_stack[0]:
            return False
        return True

    @property
    def _curation_actions(self) -> set[str]:
        return {b.action.split("(")[0] for b in keys_of(self.BINDINGS) if b.action != "help"}

    # -- errors and commands ---------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast, from any screen: messages quote errors and item ids, so they are
        shown inert and never parsed as markup."""
        super().notify(
            inert(in_app_words(message)),
            title=inert(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def show_error(self, title: str, error: BaseException | None) -> None:
        if isinstance(error, sqlite3.Error):
            message = describe_sqlite_error(error, self.db_path)
        elif isinstance(error, AssayError):
            message = str(error)
        else:
            message = f"{type(error).__name__}: {error}"
        self.push_screen(ErrorScreen(title, in_app_words(message)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "generation":
            self.post_message(GenerationFinished(error=in_app_words(str(error))))
        if event.worker.group == "checks":
            self.checking.clear()  # the inspector no longer says they run
            self.check_status_text = ""
            self.update_status()
        self.show_error(f"The {event.worker.name or 'background'} job failed", error)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            return
        key_of = {b.action: b.key for b in keys_of(self.BINDINGS)}
        for binding in keys_of(self.BINDINGS):
            if binding.action in ("quit", "help"):
                continue
            yield SystemCommand(
                binding.tooltip or binding.description,
                f"key {binding.key}",
                partial(self.run_action, binding.action),
            )
        yield SystemCommand(
            "Check every unchecked item",
            "run sandbox and quality checks on items with no result",
            self.action_check_unchecked,
        )
        for action in BULK_ACTIONS:
            yield SystemCommand(
                f"Bulk: {action.title}",
                f"over the current filter (key {key_of['bulk']} lists them all)",
                partial(self.confirm_bulk, action.key),
            )
        yield SystemCommand("Help: every key", "the list of keys (?)", self.action_help)


def run_app(settings: Settings, *, demo: bool = False) -> None:
    """Entry point for `assay tui` and `assay demo`."""
    AssayApp(settings.db, curator=settings.curator, demo=demo, tune_gc=True).run()
