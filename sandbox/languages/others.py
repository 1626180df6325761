"""Languages Assay knows by name (labels, lexers, editors) but cannot run yet.

Giving one of them a runner is a module of its own with `toolchain` and `build`.
"""

from __future__ import annotations

from sandbox.languages.base import Language


def _named(
    id: str, label: str, aliases: tuple[str, ...], suffix: str, lexer: str, **extra: str
) -> Language:
    return Language(id, label, aliases, suffix, lexer=lexer, **extra)  # type: ignore[arg-type]


LANGUAGES = [
    _named("c", "C", ("c",), ".c", "c"),
    _named("csharp", "C#", ("c#", "csharp", "cs"), ".cs", "csharp", short="cs"),
    _named("kotlin", "Kotlin", ("kotlin", "kt"), ".kt", "kotlin", short="kt"),
    _named("swift", "Swift", ("swift",), ".swift", "swift"),
    _named("scala", "Scala", ("scala",), ".scala", "scala"),
    _named("lua", "Lua", ("lua",), ".lua", "lua", comment="--"),
    _named("perl", "Perl", ("perl", "pl"), ".pl", "perl", comment="#"),
    _named("r", "R", ("r",), ".r", "r", comment="#"),
    _named("zig", "Zig", ("zig",), ".zig", "zig"),
    _named("erlang", "Erlang", ("erlang",), ".erl", "erlang", comment="%"),
    _named("haskell", "Haskell", ("haskell", "hs"), ".hs", "haskell", comment="--", short="hs"),
]
