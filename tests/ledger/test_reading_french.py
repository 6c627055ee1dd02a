"""Files as French users have them: ``;``, CP1252, decimal commas, dd/mm/yyyy, Excel workbooks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from ledger.contract import TABLES, Ledger
from ledger.errors import ImportRejected, RowProblem
from ledger.files import contract_frame, write_ledger
from ledger.importing import import_directory
from ledger.reading import read_ledger_dir
from ledger.workbooks import number_text
from tests.ledger.factories import small_ledger

ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def accented_ledger() -> Ledger:
    """The small ledger with names only CP1252 holds (Œ and € are 0x8C and 0x80 there)."""
    ledger = small_ledger()
    ledger.clients["name"] = ["Bœuf & Œufs SARL", "Mairie de Sète"]
    ledger.payments["reference"] = ["VIR F1 1 100 €", "VIR F2 acompte"]
    return ledger


def french_amount(text: str, group: str) -> str:
    """``1234567.50`` -> ``1 234 567,50`` with ``group`` between thousands."""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, cents = digits.partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return sign + group.join([whole, *groups]) + ("," + cents if cents else "")


def write_french(
    ledger: Ledger,
    folder: Path,
    *,
    separator: str = ";",
    encoding: str = "cp1252",
    group: str = " ",
    date_separator: str = "/",
) -> Path:
    """The ledger as the files a French Excel or accounting package writes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in ledger.tables().items():
        spec = TABLES[name]
        text = contract_frame(spec, frame)
        for col in spec.columns:
            if col.name not in text:
                continue
            values = text[col.name]
            present = values.notna()
            if col.kind == "money":
                text.loc[present, col.name] = [french_amount(v, group) for v in values[present]]
            elif col.kind == "date":
                day_first = rf"\3{date_separator}\2{date_separator}\1"
                text.loc[present, col.name] = values[present].str.replace(
                    ISO_DAY, day_first, regex=True
                )
            elif col.kind == "bool":
                text[col.name] = values.map({"true": "oui", "false": "Non"})
        text.to_csv(folder / f"{name}.csv", sep=separator, encoding=encoding, index=False)
    return folder


def assert_same_ledger(left: Ledger, right: Ledger) -> None:
    for name, frame in left.tables().items():
        pd.testing.assert_frame_equal(frame, right.tables()[name], obj=name)


def problems_of(path: Path) -> list[RowProblem]:
    with pytest.raises(ImportRejected) as caught:
        read_ledger_dir(path)
    return caught.value.problems


@pytest.mark.parametrize(
    ("group", "encoding"),
    [(" ", "cp1252"), ("\u00a0", "cp1252"), ("\u202f", "utf-8"), (".", "cp1252")],
    ids=["space", "no-break space", "narrow no-break space", "dot"],
)
def test_a_french_directory_reads_as_the_iso_one(tmp_path: Path, group: str, encoding: str) -> None:
    ledger = accented_ledger()
    ledger.clients["credit_limit_cents"] = pd.array([123_456_789, 100_000], dtype="Int64")
    iso = read_ledger_dir(write_ledger(ledger, tmp_path / "iso")[0].parent)
    french_dir = write_french(ledger, tmp_path / "fr", group=group, encoding=encoding)
    written = (french_dir / "clients.csv").read_text(encoding=encoding)
    assert f"1{group}234{group}567,89" in written

    french = read_ledger_dir(french_dir)

    assert_same_ledger(french.ledger, iso.ledger)
    assert french.ledger.clients["name"].tolist() == ["Bœuf & Œufs SARL", "Mairie de Sète"]
    said = f"clients.csv: separator ';', encoding {encoding}, decimal comma, dates dd/mm/yyyy"
    assert said in french.detected
    assert "clients.csv: separator ',', encoding utf-8, decimal point, dates yyyy-mm-dd" in (
        iso.detected
    )


@pytest.mark.parametrize(
    ("separator", "date_separator", "encoding", "said"),
    [
        ("\t", "-", "iso-8859-15", "separator tab, encoding iso-8859-15"),
        ("|", ".", "utf-8", "separator '|', encoding utf-8"),
        (";", "/", "utf-8-sig", "separator ';', encoding utf-8 with BOM"),
    ],
)
def test_other_separators_encodings_and_date_layouts(
    tmp_path: Path, separator: str, date_separator: str, encoding: str, said: str
) -> None:
    ledger = small_ledger()
    ledger.clients["name"] = ["Boulangerie Sète", "Mairie d'Évry"]  # no € or œ: ISO-8859-15
    iso = read_ledger_dir(write_ledger(ledger, tmp_path / "iso")[0].parent).ledger
    folder = write_french(
        ledger,
        tmp_path / "fr",
        separator=separator,
        encoding=encoding,
        date_separator=date_separator,
    )

    french = read_ledger_dir(folder)

    assert_same_ledger(french.ledger, iso)
    layout = f"dd{date_separator}mm{date_separator}yyyy"
    assert f"clients.csv: {said}, decimal comma, dates {layout}" in french.detected


def test_dates_never_past_the_12th_are_read_day_first_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    folder = write_french(small_ledger(), tmp_path)  # unbilled: 01/03/2024 and 01/04/2024

    result = read_ledger_dir(folder)

    assert result.ledger.unbilled["expected_issue_date"].tolist() == [pd.Timestamp("2024-04-01")]
    [line] = [line for line in result.detected if line.startswith("unbilled.csv")]
    assert "dates dd/mm/yyyy (no day above 12: read day first" in line


def test_french_booleans(tmp_path: Path) -> None:
    text = "client_id;is_public_sector\nC1;vrai\nC2;FAUX\nC3;Oui\nC4;non\n"
    (tmp_path / "clients.csv").write_text(text, encoding="utf-8")

    clients = read_ledger_dir(tmp_path).ledger.clients

    assert clients["is_public_sector"].tolist() == [True, False, True, False]


INVOICES_HEADER = "invoice_id;client_id;issue_date;due_date;amount\n"


def invoices_dir(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clients.csv").write_text("client_id\nC1\n", encoding="utf-8")
    (folder / "invoices.csv").write_text(INVOICES_HEADER + "\n".join(rows) + "\n", "utf-8")
    return folder


def test_a_file_mixing_iso_and_day_first_dates_is_refused_naming_the_rows(tmp_path: Path) -> None:
    rows = [
        "F1;C1;10/01/2024;09/02/2024;100,00",
        "F2;C1;2024-01-11;10/02/2024;100,00",
        "F3;C1;12/01/2024;2024-02-11;100,00",
        "F4;C1;13/01/2024;12/02/2024;100,00",
    ]

    problems = problems_of(invoices_dir(tmp_path, rows))

    assert [(p.file, p.row, p.field) for p in problems] == [
        ("invoices.csv", 2, "issue_date"),
        ("invoices.csv", 3, "due_date"),
    ]
    assert problems[0].message.startswith(
        "'2024-01-11' is not a date in the DD/MM/YYYY format like the other dates of this file"
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("amount", "1,234.50", "'1,234.50' groups thousands with commas, the English way"),
        ("amount", "1234.50", "'1234.50' has a decimal point while the other amounts of this"),
        ("issue_date", "12/01/24", "'12/01/24' has a 2-digit year: write the year in full"),
        ("issue_date", "01/31/2024", "'01/31/2024' has no month 31: dates in this file are read"),
    ],
)
def test_what_cannot_be_read_without_a_guess_is_refused(
    tmp_path: Path, field: str, value: str, words: str
) -> None:
    rows = ["F1;C1;10/01/2024;13/02/2024;100,50", "F2;C1;10/01/2024;13/02/2024;99,90"]
    bad = {"amount": "F3;C1;10/01/2024;13/02/2024;{}", "issue_date": "F3;C1;{};13/02/2024;1,00"}

    problems = problems_of(invoices_dir(tmp_path, [*rows, bad[field].format(value)]))

    assert [(p.row, p.field) for p in problems] == [(3, field)], problems
    assert words in problems[0].message


@pytest.mark.parametrize("value", ["1.234", "1,234"])
def test_a_thousands_separator_or_three_decimals_is_refused_when_nothing_tells(
    tmp_path: Path, value: str
) -> None:
    rows = ["F1;C1;10/01/2024;13/02/2024;100", f"F2;C1;10/01/2024;13/02/2024;{value}"]

    problems = problems_of(invoices_dir(tmp_path, rows))

    assert [(p.row, p.field) for p in problems] == [(2, "amount")]
    assert "could be a thousands separator or 3 decimals" in problems[0].message


def write_workbook(ledger: Ledger, path: Path, sheet_case: str = "title") -> Path:
    """The ledger as a workbook of typed cells, one sheet per table (sheet names in Title case)."""
    book = Workbook()
    book.remove(book.active)
    for name, frame in ledger.tables().items():
        spec = TABLES[name]
        sheet = book.create_sheet(getattr(name, sheet_case)())
        columns = [c for c in spec.columns if c.memory_name in frame]
        user = [c for c in frame.columns if c.startswith("x_")]
        sheet.append([c.name for c in columns] + user)
        for _, row in frame.iterrows():
            cells: list[object] = []
            for col in columns:
                value = row[col.memory_name]
                if pd.isna(value):
                    cells.append(None)
                elif col.kind == "money":
                    cells.append(int(value) / 100)  # a float, as Excel holds it
                elif col.kind == "date":
                    cells.append(value.to_pydatetime())
                elif col.kind in ("int",):
                    cells.append(float(value))  # 30.0: Excel has no integers
                else:
                    cells.append(value.item() if hasattr(value, "item") else value)
            sheet.append(cells + [None if pd.isna(row[c]) else row[c] for c in user])
    book.create_sheet("Notes").append(["not a table"])
    book.save(path)
    return path


def test_an_excel_workbook_of_typed_cells_reads_as_the_csv_files(tmp_path: Path) -> None:
    ledger = accented_ledger()
    # 550.20 + 0.10 + 0.20 is 550.5000000000001 as a float: still 550.50.
    assert 550.2 + 0.1 + 0.2 != 550.5
    iso = read_ledger_dir(write_ledger(ledger, tmp_path / "iso")[0].parent)
    path = write_workbook(ledger, tmp_path / "books.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["Invoices"]["E3"] = 550.2 + 0.1 + 0.2
    book.save(path)

    result = read_ledger_dir(path)

    assert_same_ledger(result.ledger, iso.ledger)
    assert result.files["invoices"] == path
    assert "books.xlsx, sheet Invoices: typed cells" in result.detected
    assert any("sheet Notes is not a data-contract table" in w for w in result.warnings)


def test_a_workbook_problem_names_the_sheet_row_and_column(tmp_path: Path) -> None:
    ledger = small_ledger()
    path = write_workbook(ledger, tmp_path / "books.xlsx", sheet_case="upper")
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["INVOICES"]["D3"] = dt.datetime(2024, 1, 1)  # due before its issue date
    book.save(path)

    problems = problems_of(path)

    assert [(p.file, p.row, p.field) for p in problems] == [
        ("books.xlsx, sheet INVOICES", 2, "due_date")
    ]


def test_an_xlsx_file_in_a_directory_is_one_table(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_text("client_id\n123\n", encoding="utf-8")
    book = Workbook()
    book.active.append(["invoice_id", "client_id", "issue_date", "due_date", "amount"])
    book.active.append([1001.0, 123.0, dt.datetime(2024, 1, 10), dt.date(2024, 2, 9), 12.345])
    book.save(tmp_path / "invoices.xlsx")

    result = read_ledger_dir(tmp_path)

    invoices = result.ledger.invoices
    assert invoices[["invoice_id", "client_id"]].values.tolist() == [["1001", "123"]]
    assert invoices["amount_cents"].tolist() == [1235]  # rounded half up, as Excel shows it
    assert any("rounded to the cent" in w and "rows 1" in w for w in result.warnings)
    assert "invoices.xlsx: typed cells of sheet Sheet" in result.detected


@pytest.mark.parametrize(
    ("value", "money", "text"),
    [
        (0.1 + 0.2, True, "0.30"),
        (0.1 + 0.2, False, "0.3"),
        (123.0, False, "123"),
        (1234567.891, True, "1234567.89"),
        (1e16, False, "10000000000000000"),
    ],
)
def test_numbers_read_as_excel_shows_them(value: float, money: bool, text: str) -> None:
    assert number_text(value, money=money)[0] == text


def test_the_import_report_says_what_was_detected(engine: Engine, tmp_path: Path) -> None:
    report = import_directory(engine, write_french(accented_ledger(), tmp_path))

    assert (
        "clients.csv: separator ';', encoding cp1252, decimal comma, dates dd/mm/yyyy"
        in report.as_json()["detected"]  # type: ignore[operator]
    )
    assert report.summary.tables["invoices"].inserted == 3
