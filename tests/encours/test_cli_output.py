"""What every command shares: the command list and its order."""

from __future__ import annotations

import json
import math
import re
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from encours.cli import app
from ledger.files import write_ledger
from tests.ledger.factories import small_ledger

runner = CliRunner()
WIDTH = 100
COMMANDS = [
    "simulate", "import", "reconcile", "export", "kpis", "aged-balance", "features",
    "train", "evaluate", "models", "lettrage", "serve", "demo", "risk", "worklist",
    "forecast", "score", "letters", "lme", "affacturage", "monitor", "retrain", "keys", "db",
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
    listed = [m.group(1) for m in re.finditer(r"^│ (\w[\w-]*) ", shown.output, re.MULTILINE)]
    assert listed == COMMANDS


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"encours {version('encours')}\n"


def _description(output: str) -> list[list[str]]:
    """The paragraphs of a help screen's description: between the usage and the first panel."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    text = "\n".join(line.strip() for line in lines[start:end]).strip()
    return [paragraph.splitlines() for paragraph in text.split("\n\n")]


@pytest.mark.parametrize("command", _every_command(), ids=" ".join)
def test_help_paragraphs_flow_to_the_width(command: list[str]) -> None:
    """Each line of a paragraph but its last is full: the next word would not have fitted.

    Before, the docstrings' own line breaks were kept: `forecast --help` ended a line on
    "paid" while "on its distribution" could have followed.
    """
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    room = WIDTH - 2  # one column of padding either side
    for paragraph in _description(result.output):
        for line, following in pairwise(paragraph):
            next_word = following.split()[0]
            assert len(line) + 1 + len(next_word) > room, (line, following)


def test_forecast_help_reads_a_sentence_on_one_line() -> None:
    result = runner.invoke(app, ["forecast", "--help"], env={"COLUMNS": str(WIDTH)})
    assert "(a client's invoices correlated, clients independent)" in result.output


def _strict(text: str) -> Any:
    """``text`` parsed as strict JSON (jq's): NaN and Infinity are refused."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_print_json_writes_null_for_missing_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from encours.cli.output import print_json

    print_json(
        {
            "nan": math.nan,
            "inf": [math.inf, -math.inf, 1.5],
            "numpy": {"f32": np.float32("nan"), "f64": np.float64(2.5), "i": np.int64(3)},
            "pandas": [pd.NA, pd.NaT, pd.Timestamp("2024-03-15")],
            "tuple": (math.nan, "é"),
            "path": Path("out.csv"),
        }
    )
    assert _strict(capsys.readouterr().out) == {
        "nan": None,
        "inf": [None, None, 1.5],
        "numpy": {"f32": None, "f64": 2.5, "i": 3},
        "pandas": [None, None, "2024-03-15 00:00:00"],
        "tuple": [None, "é"],
        "path": "out.csv",
    }


def test_evaluate_json_is_strict_when_a_figure_is_missing(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ROC AUC without both outcomes in the test is NaN: ``--json`` writes null."""
    write_ledger(small_ledger(), tmp_path / "files")
    assert runner.invoke(app, ["import", str(tmp_path / "files")]).exit_code == 0
    split = SimpleNamespace(
        cutoff=pd.Timestamp("2024-02-01"), end=pd.Timestamp("2024-03-15"), test=[1, 2]
    )
    figures = {"roc_auc": math.nan, "brier": 0.25, "baselines": {"due_date": {"ece": math.inf}}}
    evaluation = SimpleNamespace(predictions=None, as_json=lambda: figures)
    monkeypatch.setattr("training.tracking.use_store", lambda *_: "0")
    monkeypatch.setattr("training.train.evaluate_champions", lambda *_: (split, evaluation))

    result = runner.invoke(app, ["evaluate", "--json"])

    assert result.exit_code == 0, result.output
    assert _strict(result.stdout) == {
        "cutoff": "2024-02-01",
        "end": "2024-03-15",
        "n_test": 2,
        "roc_auc": None,
        "brier": 0.25,
        "baselines": {"due_date": {"ece": None}},
    }
