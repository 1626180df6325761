"""The app reads language lexers, editor modes and queue tags from the sandbox's registry."""

from tui.render import lexer_name
from tui.screens.edit_screen import textarea_language
from tui.widgets.queue_view import row_cells


def test_queue_tags_lexers_and_editor_modes_come_from_the_registry():
    assert row_cells({"language": "javascript"})[1].strip() == "js"
    assert row_cells({"language": "typescript"})[1].strip() == "ts"
    assert lexer_name("nodejs") == "javascript"
    assert textarea_language("nodejs") == "javascript"
    assert textarea_language("TS") == "javascript"  # TextArea highlights TypeScript as JS
    assert textarea_language("markdown") == "markdown"  # the problem field
