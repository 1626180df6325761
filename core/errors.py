"""Errors a user can cause: the CLI and the TUI show their message as one sentence."""


class AssayError(Exception):
    """A problem the user can fix (bad file, unknown item, locked database...)."""
