"""Worklist files: the English CSV as it always was, the French CSV Excel-FR opens, the workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from serving.exports import safe_text, write_csv, write_excel
from serving.worklist import COLUMNS, Worklist


def exported() -> pd.DataFrame:
    """Two worklist rows as ``Worklist.export_frame`` gives them."""
    day = pd.Timestamp
    rows = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2"],
            "client_id": ["C1", "C2"],
            "client_name": ["Bœuf & Cie", "Mairie de Sète"],
            "currency": ["EUR", "EUR"],
            "open_cents": [123_456_789, 5_050],
            "issue_date": [day("2024-01-10"), day("2024-02-01")],
            "due_date": [day("2024-02-09"), day("2024-03-02")],
            "days_past_due": [35, 13],
            "disputed": [False, True],
            "p_late": [0.81234, 0.5],
            "risk": [0.7, 0.25],
            "risk_basis": ["still_unpaid_30d", "p_late"],
            "amount_at_risk_cents": [86_419_752, 1_263],
            "profile": ["standard", "public"],
            "recommended_step": ["call", None],
            "next_step": ["letter", "email"],
            "next_step_date": [day("2024-03-20"), pd.NaT],
            "promised_date": [pd.NaT, pd.NaT],
            "penalties_cents": [1_234_567, 0],
            "indemnity_cents": [4_000, 4_000],
            "expected_payment_date": [day("2024-03-31"), pd.NaT],
            "payment_p10_date": [day("2024-03-20"), pd.NaT],
            "payment_p90_date": [day("2024-05-02"), pd.NaT],
            "collector": ["Sophie", None],
        },
        columns=list(COLUMNS),
    )
    return Worklist(dt.date(2024, 3, 15), rows, 2, True).export_frame()


def test_the_english_csv_is_what_it_always_was(tmp_path: Path) -> None:
    frame = exported()
    write_csv(frame, tmp_path / "w.csv")

    assert (tmp_path / "w.csv").read_text() == frame.to_csv(index=False)


def test_the_french_csv_opens_in_excel_fr(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_csv(exported(), path, "fr")

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel the file is UTF-8
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("invoice_id;reference;client_id;client_name;currency;open;issue_date")
    # 1 234 567.89 open, issued 10/01/2024, p_late 0.8123, disputed non
    assert first.startswith("F1;;C1;Bœuf & Cie;EUR;1234567,89;10/01/2024;09/02/2024;35;non;0,8123")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert back["open"].tolist() == [1234567.89, 50.5]
    assert back["indemnity_eur"].tolist() == [40.0, 40.0]


@pytest.mark.parametrize(
    ("fmt", "headers", "date_format"),
    [
        (
            "fr",
            ["Facture", "N° de pièce", "Client", "Nom du client", "Devise", "Montant ouvert"],
            "dd/mm/yyyy",
        ),
        (
            "en",
            ["Invoice", "Reference", "Client", "Client name", "Currency", "Open amount"],
            "yyyy-mm-dd",
        ),
    ],
)
def test_the_workbook_is_for_people(
    tmp_path: Path, fmt: str, headers: list[str], date_format: str
) -> None:
    path = tmp_path / "w.xlsx"
    write_excel(exported(), path, fmt)  # type: ignore[arg-type]

    sheet = load_workbook(path)["relances"]
    assert [c.value for c in sheet[1]][:6] == headers
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AB3"  # 28 columns: A to AB
    words = {c.value: c.column_letter for c in sheet[1]}
    money = sheet[f"{words[headers[5]]}2"]
    assert (money.value, money.number_format) == (1234567.89, "#,##0.00")
    due = sheet["H2"]
    assert due.value == dt.datetime(2024, 2, 9)
    assert due.number_format == date_format
    assert sheet["J3"].value is True  # disputed: a real boolean
    assert sheet["R3"].value is None  # no next step date
    assert 8 <= sheet.column_dimensions["D"].width <= 40
    if fmt == "fr":
        assert {"Jours de retard", "Montant à risque", "Échéance"} <= set(words)
        assert {"Paiement P10", "Paiement P90", "Chargé de recouvrement"} <= set(words)
    p10, p90 = (sheet[f"{words[h]}2"] for h in [c for c in words if "P10" in c or "P90" in c])
    assert (p10.value, p90.value) == (dt.datetime(2024, 3, 20), dt.datetime(2024, 5, 2))
    assert p10.number_format == p90.number_format == date_format


HOSTILE = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"]
EVIL_NAME = '=HYPERLINK("http://evil.example","Garnier")'
TEXT_COLUMNS = ("invoice_id", "reference", "client_id", "client_name", "collector")


def hostile() -> pd.DataFrame:
    """Worklist rows whose ids, references and client names spreadsheets would run."""
    frame = pd.concat([exported()] * 3, ignore_index=True)
    frame["invoice_id"] = HOSTILE
    frame["reference"] = list(reversed(HOSTILE))
    frame["client_id"] = HOSTILE[1:] + HOSTILE[:1]
    frame["client_name"] = [EVIL_NAME, *HOSTILE[1:]]
    frame["collector"] = HOSTILE[2:] + HOSTILE[:2]  # a user column: text from anyone
    frame["open"] = [-12.5, 3.0, -0.01, 4.0, 5.0, 6.0]  # credit notes: negative numbers
    return frame


def test_safe_text_quotes_formulas_and_leaves_numbers_alone() -> None:
    assert [safe_text(v) for v in [*HOSTILE, EVIL_NAME]] == [
        "'=1+1",
        "'+cmd",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "'" + EVIL_NAME,
    ]
    assert [safe_text(v) for v in ("Garnier", "", None, -12.5, 0, True)] == [
        "Garnier",
        "",
        None,
        -12.5,
        0,
        True,
    ]


@pytest.mark.parametrize("fmt", ["en", "fr"])
def test_csv_cells_that_would_run_as_formulas_start_with_a_quote(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "w.csv"
    write_csv(hostile(), path, fmt)  # type: ignore[arg-type]

    sep, decimal = (";", ",") if fmt == "fr" else (",", ".")
    back = pd.read_csv(
        path, sep=sep, decimal=decimal, encoding="utf-8-sig", dtype={c: str for c in TEXT_COLUMNS}
    )
    for column in TEXT_COLUMNS:
        assert back[column].str.startswith("'").all(), column
    assert back["invoice_id"].tolist() == ["'" + v for v in HOSTILE]  # the CR row kept whole
    assert back.at[0, "client_name"] == "'" + EVIL_NAME
    assert back["open"].tolist() == [-12.5, 3.0, -0.01, 4.0, 5.0, 6.0]  # still numbers
    assert back["currency"].tolist() == ["EUR"] * 6  # safe text untouched
    raw = path.read_text(encoding="utf-8-sig")
    money = "-12,50" if fmt == "fr" else "-12.5"
    assert f"{sep}{money}{sep}" in raw  # a negative amount is not quoted


@pytest.mark.parametrize("fmt", ["en", "fr"])
def test_workbook_cells_that_would_run_as_formulas_are_text(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "w.xlsx"
    write_excel(hostile(), path, fmt)  # type: ignore[arg-type]

    sheet = load_workbook(path)["relances"]
    letters = {c.value: c.column_letter for c in sheet[1]}
    en = fmt == "en"
    for header in (
        "Invoice" if en else "Facture",
        "Reference" if en else "N° de pièce",
        "Client",
        "Client name" if en else "Nom du client",
    ):
        for row in range(2, 8):
            cell = sheet[f"{letters[header]}{row}"]
            assert cell.data_type == "s", (header, row, cell.value)
            assert cell.quotePrefix, (header, row)  # Excel keeps it text when edited
    invoices = [sheet[f"{letters['Invoice' if en else 'Facture']}{r}"].value for r in range(2, 8)]
    # Shown as written (XML reads a CR back as a line feed: the cell is text either way).
    assert invoices == [*HOSTILE[:5], "\nx"]
    name = sheet[f"{letters['Client name' if en else 'Nom du client']}2"]
    assert name.value == EVIL_NAME
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    money = sheet[f"{letters['Open amount' if en else 'Montant ouvert']}2"]
    assert (money.value, money.data_type) == (-12.5, "n")
    assert sheet[f"{letters['Currency' if en else 'Devise']}2"].quotePrefix is False
    assert sheet[f"{letters['Due date' if en else 'Échéance']}2"].is_date


def test_predictions_of_train_and_evaluate_are_neutralised(tmp_path: Path) -> None:
    from encours.cli import _write_predictions

    frame = pd.DataFrame(
        {"invoice_id": HOSTILE, "p_late": [0.5] * 6, "expected_days_to_pay": [-3.0] * 6}
    )
    _write_predictions(frame, tmp_path / "p.csv")

    back = pd.read_csv(tmp_path / "p.csv", dtype={"invoice_id": str})
    assert back["invoice_id"].tolist() == ["'" + v for v in HOSTILE]
    assert back["expected_days_to_pay"].tolist() == [-3.0] * 6


def test_contract_files_give_back_formula_like_text_exactly(tmp_path: Path) -> None:
    """``write_ledger`` files are data for ``encours import``, not for people: no quote."""
    from ledger.files import write_ledger
    from ledger.reading import read_ledger_dir
    from tests.ledger.factories import small_ledger

    ledger = small_ledger()
    ledger.clients["name"] = [EVIL_NAME, "'t Hooft"]
    write_ledger(ledger, tmp_path)

    back = read_ledger_dir(tmp_path).ledger
    assert back.clients["name"].tolist() == [EVIL_NAME, "'t Hooft"]
