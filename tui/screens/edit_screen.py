"""Edit an item's problem, solution, tests and metadata in highlighted text areas."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane, TextArea

from core.models import Item
from core.text import inert
from sandbox import languages
from tui import editor
from tui.render import plain
from tui.screens.confirm_screen import ConfirmScreen

FIELDS = (
    ("query_text", "Problem", "markdown"),
    ("reference_answer", "Solution", None),
    ("assertions", "Tests", None),
    ("metadata", "Metadata", "json"),
)


@dataclass
class Edit:
    """What the edit screen returns: the new record and why it changed."""

    record: dict
    reason: str


def textarea_language(language: str) -> str | None:
    """The TextArea (tree-sitter) language that highlights a field best, None for plain text."""
    known = languages.get(language)
    name = known.editor if known else language  # the problem and metadata fields: markdown, json
    return name if name in TextArea().available_languages else None


class EditScreen(Screen[Edit | None]):
    """ctrl+s saves (a new revision, then checks re-run), escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="edit.save"),
        Binding("ctrl+n,ctrl+pagedown", "field(1)", "Next field", id="edit.next_field"),
        Binding("ctrl+b,ctrl+pageup", "field(-1)", "Previous field", id="edit.previous_field"),
        Binding("ctrl+r", "focus_reason", "Reason", id="edit.reason"),
        Binding("ctrl+o", "external", "Open in $EDITOR", id="edit.external"),
        # Priority: the text areas would otherwise take escape to leave the field.
        Binding("escape", "cancel", "Cancel", priority=True, id="edit.cancel"),
    ]

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item
        # What each text field shows: the item's text made inert (control characters as
        # visible escapes); a field left as shown keeps the item's exact text on save.
        self.shown: dict[str, str] = {}

    def _language(self, field_language: str | None) -> str:
        return field_language or self.item.language

    def compose(self) -> ComposeResult:
        record = self.item.record
        with Vertical(id="edit-body"):
            yield Static(
                plain(f"Editing {self.item.query_id} (revision {self.item.revision})"),
                classes="dialog-title",
            )
            with TabbedContent(id="edit-tabs"):
                for key, title, language in FIELDS:
                    value = record.get(key)
                    if key == "metadata":
                        text = json.dumps(value if isinstance(value, dict) else {}, indent=2)
                    else:
                        text = self.shown[key] = inert(value) if isinstance(value, str) else ""
                    with TabPane(title, id=f"pane-{key}"):
                        yield TextArea.code_editor(
                            text,
                            language=textarea_language(self._language(language)),
                            soft_wrap=key == "query_text",
                            id=f"edit-{key}",
                        )
            with Horizontal(id="edit-reason-row"):
                yield Static("Reason ", classes="label")
                yield Input(placeholder="why (optional; enter saves)", id="edit-reason")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#edit-query_text", TextArea).focus()

    def _active_field(self) -> tuple[str, str]:
        pane = self.query_one("#edit-tabs", TabbedContent).active
        key = pane.removeprefix("pane-")
        language = dict((k, lang) for k, _, lang in FIELDS)[key]
        return key, self._language(language)

    def action_field(self, step: int) -> None:
        """Show the next (or previous) field and put the cursor in it."""
        keys = [key for key, _, _ in FIELDS]
        current, _ = self._active_field()
        key = keys[(keys.index(current) + step) % len(keys)]
        self.query_one("#edit-tabs", TabbedContent).active = f"pane-{key}"
        self.query_one(f"#edit-{key}", TextArea).focus()

    def action_focus_reason(self) -> None:
        self.query_one("#edit-reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_external(self) -> None:
        key, language = self._active_field()
        area = self.query_one(f"#edit-{key}", TextArea)
        edited = editor.run_editor(self.app, area.text, language)
        if edited is None:
            self.notify("The editor exited with an error; nothing changed.", severity="warning")
            return
        area.text = edited
        self.refresh()

    def edited_record(self) -> dict | None:
        """The record as the fields now say, or None (with a message) if metadata is invalid."""
        record = copy.deepcopy(self.item.record)
        for key, _title, _ in FIELDS:
            text = self.query_one(f"#edit-{key}", TextArea).text
            if key == "metadata":
                try:
                    metadata = json.loads(text or "{}")
                except json.JSONDecodeError as exc:
                    self.notify(f"Metadata is not valid JSON: {exc}", severity="error")
                    return None
                if not isinstance(metadata, dict):
                    self.notify("Metadata must be a JSON object.", severity="error")
                    return None
                record[key] = metadata
            elif text != self.shown.get(key):
                record[key] = text
        return record

    def action_save(self) -> None:
        record = self.edited_record()
        if record is None:
            return
        reason = self.query_one("#edit-reason", Input).value.strip() or "edited in the app"
        self.dismiss(Edit(record, reason))

    def action_cancel(self) -> None:
        if self._unchanged():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard your changes?", yes="Discard"), answered)

    def _unchanged(self) -> bool:
        original = self.item.record
        for key, _title, _ in FIELDS:
            text = self.query_one(f"#edit-{key}", TextArea).text
            if key == "metadata":
                try:
                    if json.loads(text or "{}") != original.get(key, {}):
                        return False
                except json.JSONDecodeError:
                    return False
            elif text != self.shown.get(key, ""):
                return False
        return True
