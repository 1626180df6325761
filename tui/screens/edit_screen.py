"""Edit an item's problem, solution, tests and metadata in highlighted text areas."""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Static, TabbedContent, TabPane, TextArea

from core.models import Item
from core.store import Store
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
    """What the edit screen returns: the new record, why it changed, and the revision the
    edit started from (the store refuses it if the item has changed since)."""

    record: dict
    reason: str
    base_revision: int | None = None


def field_text(record: dict, key: str) -> str:
    """A field as the edit screen shows it (metadata as indented JSON)."""
    value = record.get(key)
    if key == "metadata":
        return json.dumps(value if isinstance(value, dict) else {}, indent=2)
    return inert(value) if isinstance(value, str) else ""


def record_diff(theirs: Item, mine: dict) -> str:
    """A unified diff, field by field, from the item as it now is to the curator's edit."""
    lines: list[str] = []
    for key, title, _ in FIELDS:
        lines += difflib.unified_diff(
            field_text(theirs.record, key).splitlines(),
            field_text(mine, key).splitlines(),
            f"{title} (revision {theirs.revision}, now)",
            f"{title} (your edit)",
            lineterm="",
        )
    return "\n".join(lines) or "Your edit and the item as it now is have the same content."


class ConflictScreen(ModalScreen[str]):
    """The item changed since the editor opened: reload it, see the difference, or go on."""

    BINDINGS = [
        Binding("r", "choose('reload')", "Reload", id="conflict.reload"),
        Binding("d", "choose('diff')", "Diff", id="conflict.diff"),
        Binding("escape,k", "choose('keep')", "Keep editing", id="conflict.keep"),
    ]

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Static(plain("Not saved"), classes="dialog-title")
            yield Static(plain(self.sentence), id="conflict-message")
            yield Static(
                plain("Reload shows the item as it now is (your changes are dropped)."),
                classes="hint",
            )
            with Horizontal(classes="buttons"):
                yield Button("Reload (r)", variant="warning", id="reload")
                yield Button("Diff (d)", id="diff")
                yield Button("Keep editing (esc)", variant="primary", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "keep")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class DiffScreen(ModalScreen[None]):
    """The difference between the item as it now is and the curator's unsaved edit."""

    BINDINGS = [Binding("escape,q", "close", "Back to editing", id="diff.close")]
    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen .dialog { max-width: 96%; height: 90%; }
    DiffScreen #diff-body { height: 1fr; }
    """

    def __init__(self, diff: str) -> None:
        super().__init__()
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(
                plain("Changes: the item now (-) against your edit (+)"), classes="dialog-title"
            )
            with VerticalScroll(id="diff-body"):
                yield Static(diff_text(self.diff), id="diff-text")
            yield Static(plain("↑ ↓ pgup pgdn scroll · escape: back to editing"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#diff-body").focus()

    def action_close(self) -> None:
        self.dismiss()


def diff_text(diff: str) -> Text:
    """A diff coloured by line (the text is already inert: fields are shown through it)."""
    text = Text()
    for line in diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        text.append(line + "\n", style="bold" if line.startswith(("+++", "---", "@@")) else style)
    return text


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

    def __init__(self, item: Item, store: Store | None = None) -> None:
        super().__init__()
        self.item = item
        # Where to look, on save, whether someone changed the item since it was opened.
        self.store = store
        # What each text field shows: the item's text made inert (control characters as
        # visible escapes); a field left as shown keeps the item's exact text on save.
        self.shown: dict[str, str] = {}

    def _language(self, field_language: str | None) -> str:
        return field_language or self.item.language

    def compose(self) -> ComposeResult:
        record = self.item.record
        with Vertical(id="edit-body"):
            yield Static(self._title(), classes="dialog-title", id="edit-title")
            with TabbedContent(id="edit-tabs"):
                for key, title, language in FIELDS:
                    text = field_text(record, key)
                    if key != "metadata":
                        self.shown[key] = text
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

    def _title(self) -> Text:
        return plain(f"Editing {self.item.query_id} (revision {self.item.revision})")

    def on_mount(self) -> None:
        self.query_one("#edit-query_text", TextArea).focus()

    def reload(self, item: Item) -> None:
        """Show `item` as it now is in every field (the curator's changes are dropped)."""
        self.item = item
        for key, _title, _ in FIELDS:
            text = field_text(item.record, key)
            if key != "metadata":
                self.shown[key] = text
            self.query_one(f"#edit-{key}", TextArea).text = text
        self.query_one("#edit-title", Static).update(self._title())

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
        current = self.store.get(self.item.query_id) if self.store is not None else self.item
        if current.revision != self.item.revision:
            assert self.store is not None
            self._conflict(self.store.changed_since(current, self.item.revision), current, record)
            return
        self.dismiss(Edit(record, reason, base_revision=self.item.revision))

    def _conflict(self, sentence: str, current: Item, record: dict) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self.reload(current)
                self.notify(f"Reloaded revision {current.revision}; your changes were dropped.")
            elif choice == "diff":
                self.app.push_screen(DiffScreen(record_diff(current, record)))

        self.app.push_screen(ConflictScreen(sentence), chosen)

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
