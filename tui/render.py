"""Rich renderables for the inspector: highlighted code, diffs, test results, metrics.

Pure functions of an item and its check result, so they are cheap to test and to cache.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from radon.complexity import cc_rank
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from core.results import CheckResult
from core.store import AttemptRecord
from core.text import inert
from sandbox import languages

CODE_THEME = "monokai"
CODE_BACKGROUND = "#272822"  # monokai's own, so highlighted code sits on its theme

STATUS_STYLES = {
    "pass": "bold green",
    "fail": "bold red",
    "error": "bold red",
    "timeout": "bold yellow",
    "unparsable": "bold magenta",
    "unsupported": "dim",
    "skipped": "dim",
    # generation attempts that never ran (core.generation.pipeline.ATTEMPT_STATUSES)
    "unreadable": "bold magenta",
    "duplicate": "yellow",
    "accept": "green",
    "review": "yellow",
    "reject": "red",
    "accepted": "bold green",
    "rejected": "bold red",
    "pending": "dim",
    "info": "cyan",
    "warn": "yellow",
}


def lexer_name(language: str) -> str:
    """The pygments lexer for an item language, 'text' when pygments does not know it."""
    known = languages.get(language)
    name = known.lexer if known else (language or "text")
    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return "text"
    return name


@lru_cache(maxsize=64)
def lexer_for(language: str) -> Lexer:
    """The pygments lexer object for an item language, made once (looking a lexer up by
    name costs more than highlighting a short solution)."""
    return get_lexer_by_name(lexer_name(language))


@lru_cache(maxsize=512)
def highlighted(code: str, language: str) -> Text:
    """`code` highlighted by pygments for `language`, with line numbers (cached)."""
    syntax = Syntax("", lexer_for(language), theme=CODE_THEME)
    body = syntax.highlight(inert(code).rstrip("\n") or " ")
    body.rstrip()
    lines = body.split("\n", allow_blank=True)
    width = len(str(len(lines)))
    out = Text(no_wrap=True, end="")
    for number, line in enumerate(lines, 1):
        out.append(f"{number:>{width}} ", style="dim")
        out.append_text(line)
        if number < len(lines):
            out.append("\n")
    return out


def styled(value: Any) -> Text:
    text = "—" if value is None else inert(value)
    return Text(text, style=STATUS_STYLES.get(text, ""))


def plain(value: Any, style: str = "") -> Text:
    """Untrusted text as a rich Text: control characters visible, no markup parsed."""
    return Text(inert(value), style=style)


def inert_rows(table: Table) -> Callable[..., None]:
    """`add_row` for cells that quote item data (languages, difficulties, names, paths):
    control characters shown, no markup parsed."""

    def add_row(*cells: Any) -> None:
        table.add_row(*(plain(cell) for cell in cells))

    return add_row


def check_summary(result: CheckResult | None, *, checking: bool = False) -> Text:
    """One line: status, tests passed, recommendation (or that the checks run now)."""
    if checking:
        return Text("checks running on this revision…", style="italic yellow")
    if result is None:
        return Text("not checked yet: press x to run the checks", style="dim italic")
    line = Text.assemble(
        ("check ", "dim"),
        styled(result.status),
        ("  tests ", "dim"),
        f"{result.tests.passed}/{result.tests.total}",
        ("  recommends ", "dim"),
        styled(result.recommendation),
    )
    return line


def flags_table(result: CheckResult | None) -> RenderableType:
    """One line per flag: severity, code, message (plain Text lines: a rich Table costs
    more to lay out than the rest of the item)."""
    flags = result.flags if result else []
    if not flags:
        return Text("no flags", style="dim")
    width = max(len(inert(flag.severity)) for flag in flags)
    lines = Text()
    for n, flag in enumerate(flags):
        if n:
            lines.append("\n")
        severity = inert(flag.severity)
        lines.append(f"{severity:<{width}} ", style=STATUS_STYLES.get(severity, ""))
        lines.append(inert(flag.code), style="bold")
        lines.append(" " + inert(flag.message))
    return lines


def run_details(result: CheckResult | None) -> RenderableType:
    """Per-test results with messages, then the captured output."""
    if result is None:
        return Text("No check result for this revision yet (x runs the checks).", style="dim")
    run = result.run
    parts: list[RenderableType] = [check_summary(result)]
    parts.append(Text(f"ran in {run.duration:.3f}s", style="dim"))
    if run.isolation:
        parts.append(plain("isolation: " + ", ".join(run.isolation), style="dim"))
    if run.reason:
        parts.append(plain(run.reason, style="italic"))
    if run.tests:
        # One test per line, its whole name last (folded when long, never cut), its
        # message below it.
        parts.append(Text(""))
        for test in run.tests:
            line = Text.assemble(
                styled(test.status), (f" {test.duration * 1000:>5.0f}ms  ", "dim"), plain(test.name)
            )
            parts.append(line)
            if test.message:
                parts.append(Padding(plain(test.message, style="italic"), (0, 0, 0, 4)))
    for output, title in ((run.stdout_tail, "stdout"), (run.stderr_tail, "stderr")):
        if output:
            parts.append(Text(f"\n{title}", style="bold"))
            parts.append(plain(output))
    if run.coverage is not None:
        parts.append(Text(f"coverage: {run.coverage}", style="dim"))
    return Group(*parts)


METRIC_LABELS = (
    ("cyclomatic_max", "cyclomatic complexity (max)"),
    ("halstead_difficulty", "Halstead difficulty"),
    ("halstead_effort", "Halstead effort"),
    ("maintainability_index", "maintainability index"),
    ("sloc", "source lines"),
    ("loc", "lines"),
    ("comments", "comment lines"),
)


def metrics_view(result: CheckResult | None) -> RenderableType:
    metrics = result.metrics if result else {}
    if not metrics:
        return Text("No metrics yet (x runs the checks).", style="dim")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(justify="right")
    for key, label in METRIC_LABELS:
        if key in metrics:
            value = metrics[key]
            table.add_row(label, f"{value:.2f}" if isinstance(value, float) else str(value))
    parts: list[RenderableType] = [table]
    functions = metrics.get("per_function") or []
    if functions:
        per = Table(title="per function", title_justify="left", box=None, expand=True)
        per.add_column("function")
        per.add_column("complexity", justify="right")
        per.add_column("rank", justify="center")
        per.add_column("from line", justify="right")
        for fn in functions:
            complexity = fn.get("complexity")
            rank = cc_rank(complexity) if isinstance(complexity, int | float) else ""
            per.add_row(
                plain(fn.get("name", "")),
                plain(complexity if complexity is not None else ""),
                plain(fn.get("rank") or rank),
                plain(fn.get("line", fn.get("lineno", ""))),
            )
        parts.append(per)
    if metrics.get("unavailable"):
        parts.append(
            plain(
                f"unavailable: {', '.join(metrics['unavailable'])} "
                f"({metrics.get('unavailable_reason', '')})",
                style="dim",
            )
        )
    return Group(*parts)


def side_by_side(left: str, right: str, left_title: str, right_title: str) -> Table:
    """Two texts in columns, lines aligned, changed lines marked."""
    table = Table(expand=True, box=None, pad_edge=False, show_edge=False)
    table.add_column(plain(left_title), ratio=1, overflow="fold")
    table.add_column(plain(right_title), ratio=1, overflow="fold")
    a, b = inert(left).splitlines(), inert(right).splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for line_a, line_b in zip(a[i1:i2], b[j1:j2], strict=True):
                table.add_row(Text(line_a, "dim"), Text(line_b, "dim"))
            continue
        old, new = a[i1:i2], b[j1:j2]
        for k in range(max(len(old), len(new))):
            table.add_row(
                Text(old[k], "red") if k < len(old) else Text(""),
                Text(new[k], "green") if k < len(new) else Text(""),
            )
    return table


def item_text(record: dict) -> str:
    """Everything a curator compares between two items, as one text."""
    return "\n".join(
        [
            str(record.get("query_text") or ""),
            "",
            "# solution",
            str(record.get("reference_answer") or ""),
            "",
            "# tests",
            str(record.get("assertions") or ""),
        ]
    )


def attempts_view(attempts: list[AttemptRecord] | None, note: str | None = None) -> RenderableType:
    """Generation attempts (`core.generation.attempts_for`) and the feedback each got."""
    if note:
        return plain(note, style="dim")
    if not attempts:
        return Text("This item was not generated here (no attempts recorded).", style="dim")
    parts: list[RenderableType] = []
    for attempt in attempts:
        head = Text.assemble(
            (f"attempt {attempt.iteration} ", "bold"),
            styled(attempt.status),
            (inert(f"  {attempt.created_at}"), "dim"),
        )
        parts.append(head)
        if attempt.prompt_summary:
            parts.append(plain(f"prompt: {attempt.prompt_summary}", style="dim"))
        run = attempt.run_result
        if run is not None and run.tests:
            failing = [t for t in run.tests if t.status != "pass"]
            parts.append(
                plain(
                    f"tests: {run.total - len(failing)}/{run.total} passed"
                    + (f"; first failure: {failing[0].message}" if failing else ""),
                    style="dim",
                )
            )
        if attempt.feedback:
            parts.append(Text("feedback given next:", style="bold yellow"))
            parts.append(plain(attempt.feedback))
        parts.append(Text(""))
    return Group(*parts)
