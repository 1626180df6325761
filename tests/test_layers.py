"""The layers hold by themselves: tui -> core -> sandbox, no cycles, the CLI without the app.

The contracts live in pyproject.toml ([tool.importlinter]); `make test` runs `lint-imports`
too. Here each contract is its own test, so a broken one names itself.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
CONTRACTS = [
    contract["id"]
    for contract in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_import_contract_is_kept(contract, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(str(PYPROJECT), (contract,), no_cache=True, no_logo=True) == 0


def test_the_command_line_starts_without_the_app():
    # `assay --help` lists the app's commands (their entry point) but loads neither the app
    # nor Textual: only tui.commands, which registers `assay tui` and `assay demo`.
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from core.cli import app\n"
        "out = CliRunner().invoke(app, ['--help']).output\n"
        "assert all(name in out for name in ('tui', 'demo', 'generate')), out\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tui', 'textual')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "['tui', 'tui.commands']"
