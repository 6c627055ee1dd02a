"""The command line on French files: a workbook or a French folder, what was detected printed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from encours.cli import app
from tests.ledger.factories import small_ledger
from tests.ledger.test_reading_french import write_french, write_workbook

runner = CliRunner()


def test_import_a_workbook_and_say_how_it_was_read(env: str, tmp_path: Path) -> None:
    path = write_workbook(small_ledger(), tmp_path / "books.xlsx")

    result = runner.invoke(app, ["import", str(path), "--json"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["tables"]["invoices"]["inserted"] == 3
    assert "books.xlsx, sheet Invoices: typed cells" in payload["detected"]
    assert payload["files"]["invoices"] == str(path)


def test_import_a_french_folder_prints_what_was_detected(env: str, tmp_path: Path) -> None:
    ledger = small_ledger()
    ledger.clients["name"] = ["Bœuf & Cie", "Mairie de Sète"]

    result = runner.invoke(app, ["import", str(write_french(ledger, tmp_path / "fr"))])

    assert result.exit_code == 0, result.output
    said = "clients.csv: separator ';', encoding cp1252, decimal comma, dates dd/mm/yyyy"
    assert said in result.output
    assert "import terminé" in result.output


def test_a_bad_french_file_names_row_and_column(env: str, tmp_path: Path) -> None:
    folder = write_french(small_ledger(), tmp_path / "fr")
    invoices = folder / "invoices.csv"
    invoices.write_text(invoices.read_text("cp1252").replace("550,50", "1,550.50"), "cp1252")

    result = runner.invoke(app, ["import", str(folder), "--json"])

    assert result.exit_code == 1
    [problem] = json.loads(result.output)["problems"]
    assert (problem["file"], problem["row"], problem["field"]) == ("invoices.csv", 2, "amount")
    assert "groups thousands with commas" in problem["message"]
