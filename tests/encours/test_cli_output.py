"""What every command shares: the command list and its order."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from encours.cli import app

runner = CliRunner()
WIDTH = 100
COMMANDS = [
    "simulate", "import", "reconcile", "export", "kpis", "features", "train", "evaluate",
    "models", "lettrage", "serve", "demo", "risk", "worklist", "forecast", "keys",
]  # fmt: skip
"""The commands as ``encours --help`` lists them: users' scripts and habits rely on it."""


def _commands(group: Any) -> dict[str, Any]:
    """The sub-commands of a Click group (Typer vendors its own Click) by name, in order."""
    return dict(group.commands)


def _every_command() -> list[list[str]]:
    """The path of every command, sub-commands of groups (``keys create``) included."""
    paths = []
    for name, command in _commands(typer.main.get_command(app)).items():
        if hasattr(command, "commands"):  # a group
            paths += [[name, sub] for sub in _commands(command)]
        else:
            paths.append([name])
    return paths


def test_the_commands_keep_their_names_and_order() -> None:
    assert list(_commands(typer.main.get_command(app))) == COMMANDS
    assert [" ".join(p) for p in _every_command() if p[0] == "keys"] == [
        "keys create", "keys list", "keys revoke"
    ]  # fmt: skip
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": str(WIDTH)})
    assert shown.exit_code == 0
    listed = [m.group(1) for m in re.finditer(r"^│ (\w+) ", shown.output, re.MULTILINE)]
    assert listed == COMMANDS
