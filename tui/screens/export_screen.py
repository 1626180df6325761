"""Export dialog: filters, format and path; shows the manifest summary when done."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from core.errors import AssayError
from core.exporting import (
    EXPORT_FORMATS,
    EXPORT_STATUSES,
    FAILING_CHECKS,
    ExportFilters,
    FailingAccepted,
    export_items,
    failing_sentence,
)
from core.store import ItemFilter, Store
from core.text import inert
from tui.render import inert_rows, plain


def choice(values: list[str], current: str | None, id: str) -> Select:
    """A Select over `values` starting at `current` ("any" when unset or unknown)."""
    return Select(
        [(plain(v), v) for v in values],  # values come from the items
        value=current if current in values else Select.NULL,
        prompt="any",
        id=id,
        compact=True,
    )


def manifest_summary(manifest: dict) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    add_row = inert_rows(table)
    add_row("wrote", f"{manifest['count']} items to {manifest['file']}")
    add_row("format", manifest["format"])
    add_row("sha256", manifest["sha256"][:16] + "…")
    for key in ("by_status", "by_language", "by_difficulty"):
        counts = manifest.get(key) or {}
        add_row(key.removeprefix("by_"), ", ".join(f"{k} {v}" for k, v in counts.items()))
    add_row("manifest", manifest["file"] + ".manifest.json")
    return table


REFUSE = "refuse if an accepted item fails its checks"
CONTROL = "the 'refuse' box"  # what refuses failing accepted items, named in the sentences


class ExportScreen(ModalScreen[dict | None]):
    """ctrl+s exports; escape closes (with the manifest if an export was written)."""

    BINDINGS = [
        Binding("ctrl+s", "export", "Export", id="export.run"),
        Binding("escape", "close", "Close", id="export.close"),
    ]

    def __init__(self, store: Store, db_path: Path, where: ItemFilter) -> None:
        super().__init__()
        self.store = store  # the app's connection, read on the main thread only
        self.db_path = db_path
        self.where = where
        self.manifest: dict | None = None

    def compose(self) -> ComposeResult:
        store = self.store
        languages = store.distinct_values("language")
        difficulties = store.distinct_values("difficulty")
        default_path = Path.cwd() / f"{self.db_path.stem}-accepted.jsonl"
        with VerticalScroll(classes="dialog wide", id="export-dialog"):
            yield Static("Export items", classes="dialog-title")
            with Grid(id="export-grid"):
                yield Static("status", classes="label")
                yield Select(
                    [(s, s) for s in EXPORT_STATUSES],
                    value="accepted",
                    allow_blank=False,
                    id="export-status",
                    compact=True,
                )
                yield Static("language", classes="label")
                yield choice(languages, self.where.language, "export-language")
                yield Static("difficulty", classes="label")
                yield choice(difficulties, self.where.difficulty, "export-difficulty")
                yield Static("format", classes="label")
                yield Select(
                    [(f, f) for f in EXPORT_FORMATS],
                    value="assay",
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
                yield Static("path", classes="label")
                yield Input(str(default_path), id="export-path", compact=True)
                yield Static("", classes="label")
                yield Checkbox(REFUSE, id="export-strict", compact=True)
            yield Static(id="export-count", classes="hint")
            yield Static(id="export-result")
            with Horizontal(classes="buttons"):
                yield Button("Export (ctrl+s)", variant="primary", id="export")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()
        self.update_count()

    def filters(self) -> ExportFilters:
        def value(name: str):
            chosen = self.query_one(f"#export-{name}", Select).value
            return None if chosen is Select.NULL else chosen

        return ExportFilters(
            status=value("status"), language=value("language"), difficulty=value("difficulty")
        )

    @on(Select.Changed)
    def update_count(self) -> None:
        filters = self.filters()
        where = ItemFilter(
            status=None if filters.status == "all" else filters.status,
            language=filters.language,
            difficulty=filters.difficulty,
        )
        count = self.store.count(where)
        text = Text(f"{count:,} items will be exported")
        if filters.status in ("accepted", "all"):
            accepted = replace(where, status="accepted")
            failing = sum(
                self.store.count(replace(accepted, check_status=status))
                for status in FAILING_CHECKS
            )
            if failing:
                text.append(f" ({failing:,} accepted fail their checks)", style="yellow")
        self.query_one("#export-count", Static).update(text)

    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        fmt = self.query_one("#export-format", Select).value
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        strict = self.query_one("#export-strict", Checkbox).value
        self.query_one("#export-result", Static).update("exporting…")
        self.export(path, self.filters(), fmt, strict)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.manifest)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(self, path: Path, filters: ExportFilters, fmt: str, strict: bool) -> None:
        try:
            with Store(self.db_path) as store:
                manifest = export_items(store, path, filters=filters, fmt=fmt, strict=strict)
        except FailingAccepted as exc:
            sentence = failing_sentence(exc.failing, strict=True, control=CONTROL)
            self.app.call_from_thread(self.show_result, None, sentence)
            return
        except AssayError as exc:
            self.app.call_from_thread(self.show_result, None, str(exc))
            return
        self.app.call_from_thread(self.show_result, manifest, None)

    def show_result(self, manifest: dict | None, error: str | None) -> None:
        result = self.query_one("#export-result", Static)
        if error or manifest is None:
            result.update(Text(inert(error), style="red"))
            return
        self.manifest = manifest
        failing = manifest.get("failing_accepted") or []
        if failing:
            warning = Text(inert(failing_sentence(failing, strict=False, control=CONTROL)))
            warning.stylize("yellow")
            result.update(Group(manifest_summary(manifest), warning))
        else:
            result.update(manifest_summary(manifest))
        self.notify(
            f"Exported {manifest['count']} items"
            + (f", {len(failing)} accepted failing their checks." if failing else ".")
        )
