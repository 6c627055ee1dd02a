"""Ids the database can hold and people can read: every import checks them with one rule.

``ledger.contract.id_problem``: at most 64 printable characters. A file breaking it is
rejected whole, each problem naming its row and column, and nothing is written; a
64-character id is stored and found again, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from ledger.bank_formats.lines import BankLine, line_ids
from ledger.bank_statement import read_statement
from ledger.contract import MAX_ID_LENGTH, TABLES, Ledger, id_problem
from ledger.errors import ImportRejected, RowProblem
from ledger.fec import import_fec
from ledger.files import write_ledger
from ledger.importing import import_directory
from ledger.schema import TABLE_OBJECTS
from ledger.storage import load_ledger, table_counts
from ledger.validation import id_failures
from tests.ledger.factories import small_ledger
from tests.ledger.fec_factory import write_fec_file
from tests.ledger.test_fec import base_lines
from tests.ledger.test_reading_french import write_workbook

OVERLONG = "F" * 100
NUL = "F\x002"
REVERSED = "C\u202e1"  # RIGHT-TO-LEFT OVERRIDE: shows the id backwards
TOO_LONG_CLIENT = "C" * 65
LONGEST = "X" * MAX_ID_LENGTH


def renamed(ledger: Ledger, old: str, new: str) -> Ledger:
    """``ledger`` with the id ``old`` called ``new`` in every id column of every table."""
    tables = {}
    for name, frame in ledger.tables().items():
        frame = frame.copy()
        for col in TABLES[name].columns:
            if col.kind == "id" and col.name in frame:
                frame[col.name] = frame[col.name].replace(old, new)
        tables[name] = frame
    return Ledger(**tables)


def as_csv(ledger: Ledger, folder: Path) -> Path:
    write_ledger(ledger, folder)
    return folder


def as_parquet(ledger: Ledger, folder: Path) -> Path:
    write_ledger(ledger, folder, "parquet")
    return folder


def as_workbook(ledger: Ledger, folder: Path) -> Path:
    folder.mkdir()
    return write_workbook(ledger, folder / "books.xlsx")


WRITERS: dict[str, Callable[[Ledger, Path], Path]] = {
    "csv": as_csv,
    "parquet": as_parquet,
    "xlsx": as_workbook,
}


def where(problem: RowProblem) -> tuple[str, int | None, str | None]:
    """File (or sheet) stem, row and column of a problem."""
    table = problem.file.split("sheet ")[-1] if "sheet " in problem.file else problem.file
    return table.split(".")[0].lower(), problem.row, problem.field


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize(
    ("old", "new", "first", "words"),
    [
        ("F2", OVERLONG, ("invoices", 2, "invoice_id"), "at most 64 characters, this one has 100"),
        ("F2", NUL, ("invoices", 2, "invoice_id"), "only printable characters, not U+0000"),
        ("C1", REVERSED, ("clients", 1, "client_id"), "only printable characters, not U+202E"),
        ("C1", TOO_LONG_CLIENT, ("clients", 1, "client_id"), "this one has 65"),
    ],
    ids=["100-chars", "nul", "u202e", "client-65-chars"],
)
def test_an_id_the_database_cannot_hold_rejects_the_import_whole(
    engine: Engine,
    tmp_path: Path,
    fmt: str,
    old: str,
    new: str,
    first: tuple[str, int, str],
    words: str,
) -> None:
    if fmt == "xlsx" and new == NUL:
        pytest.skip("a workbook cannot hold a NUL character")
    import_directory(engine, as_csv(small_ledger(), tmp_path / "good"))
    counts, before = table_counts(engine), load_ledger(engine)

    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, WRITERS[fmt](renamed(small_ledger(), old, new), tmp_path / "bad"))

    problems = rejected.value.problems
    assert first in {where(p) for p in problems}, [str(p) for p in problems]
    # Every row holding the id is named, in every file, each by its id column.
    assert all(p.row is not None and p.field is not None for p in problems)
    assert all(p.field.endswith("_id") and words in p.message for p in problems)
    assert all(p.value == new for p in problems)
    assert repr(new) in str(problems[0])  # shown escaped, never raw
    assert table_counts(engine) == counts
    for name, frame in load_ledger(engine).tables().items():
        pd.testing.assert_frame_equal(frame, before.tables()[name])


def test_every_id_column_of_every_table_is_checked(tmp_path: Path, engine: Engine) -> None:
    ledger = small_ledger()
    for old in ("P1", "F2", "C2"):
        ledger = renamed(ledger, old, old + "\u202e")
    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, as_csv(ledger, tmp_path / "bad"))

    assert {(p.file, p.field) for p in rejected.value.problems} == {
        ("clients.csv", "client_id"),
        ("invoices.csv", "invoice_id"),
        ("invoices.csv", "client_id"),
        ("payments.csv", "payment_id"),
        ("payments.csv", "client_id"),
        ("payments.csv", "invoice_id"),
        ("unbilled.csv", "client_id"),
        ("actions.csv", "invoice_id"),
    }


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_a_64_character_id_is_stored_and_found_again(
    engine: Engine, tmp_path: Path, fmt: str
) -> None:
    client, invoice = "C" * 60 + "-été", "F" * MAX_ID_LENGTH
    ledger = renamed(renamed(small_ledger(), "C1", client), "F1", invoice)
    import_directory(engine, WRITERS[fmt](ledger, tmp_path / "in"))

    stored = load_ledger(engine)
    assert client in set(stored.clients["client_id"])
    assert stored.invoices.set_index("invoice_id").at[invoice, "client_id"] == client
    table = TABLE_OBJECTS["clients"]
    with engine.connect() as connection:
        found = connection.execute(select(table.c.name).where(table.c.client_id == client)).one()
    assert found.name == "Boulangerie Martin"


def test_the_fast_path_agrees_with_the_rule() -> None:
    """The regular expression only spares ids that ``id_problem`` accepts anyway."""
    alphabet = ["a", "Z", "0", " ", "-", "é", "œ", "\u00a0", "\u00ad", "\x00", "\t", "\u202e", "日"]
    rng = random.Random(19)
    values = [
        "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 5, 63, 64, 65])))
        for _ in range(3000)
    ]
    ids = pd.Series(values, index=pd.RangeIndex(1, len(values) + 1), dtype="str")
    rows = {int(r) for f in id_failures("invoice_id", ids) for r in f.rows}
    assert rows == {i for i, v in enumerate(values, 1) if id_problem(v) is not None}


# --- FEC ---------------------------------------------------------------------------------


def fec_with(change: Callable[[list[dict[str, str]]], None], path: Path) -> Path:
    lines = base_lines()
    change(lines)
    return write_fec_file(path, lines)


def client_account(value: str) -> Callable[[list[dict[str, str]]], None]:
    def change(lines: list[dict[str, str]]) -> None:
        for line in lines:
            if line["CompAuxNum"] == "C1":
                line["CompAuxNum"] = value

    return change


def set_value(row: int, column: str, value: str) -> Callable[[list[dict[str, str]]], None]:
    def change(lines: list[dict[str, str]]) -> None:
        lines[row - 1][column] = value

    return change


def set_entry(journal: str, number: str, value: str) -> Callable[[list[dict[str, str]]], None]:
    def change(lines: list[dict[str, str]]) -> None:
        for line in lines:
            if (line["JournalCode"], line["EcritureNum"]) == (journal, number):
                line["EcritureNum"] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected", "words"),
    [
        (client_account("C" * 65), (1, "CompAuxNum"), "this one has 65"),
        (client_account("C\u202e1"), (1, "CompAuxNum"), "not U+202E"),
        (set_value(5, "PieceRef", "F" * 100), (5, "PieceRef"), "this one has 100"),
        (set_value(5, "PieceRef", "F\x001"), (5, "PieceRef"), "not U+0000"),
        (set_value(12, "CompteNum", "411" + "M" * 62), (12, "CompteNum"), "this one has 65"),
        # A payment's id is <JournalCode>-<EcritureNum>-<date>: BQ-<53 digits>-20240215.
        (set_entry("BQ", "3", "9" * 53), (17, "EcritureNum"), "this one has 65"),
        (set_entry("BQ", "3", "3\u202e"), (17, "EcritureNum"), "not U+202E"),
    ],
    ids=[
        "aux-65",
        "aux-u202e",
        "pieceref-100",
        "pieceref-nul",
        "account-65",
        "payment-id-65",
        "payment-u202e",
    ],
)
def test_a_fec_building_an_id_the_database_cannot_hold_is_rejected(
    engine: Engine,
    tmp_path: Path,
    change: Callable[[list[dict[str, str]]], None],
    expected: tuple[int, str],
    words: str,
) -> None:
    import_fec(engine, write_fec_file(tmp_path / "good.txt", base_lines()))
    counts, before = table_counts(engine), load_ledger(engine)

    with pytest.raises(ImportRejected) as rejected:
        import_fec(engine, fec_with(change, tmp_path / "FEC.txt"))

    problems = rejected.value.problems
    assert expected in {(p.row, p.field) for p in problems}, [str(p) for p in problems]
    assert all(words in p.message and p.file == "FEC.txt" for p in problems)
    assert table_counts(engine) == counts
    for name, frame in load_ledger(engine).tables().items():
        pd.testing.assert_frame_equal(frame, before.tables()[name])


def test_a_fec_with_64_character_ids_imports(engine: Engine, tmp_path: Path) -> None:
    aux, number = "C" * MAX_ID_LENGTH, "9" * 52  # BQ-<52 digits>-20240215 has 64
    fec = fec_with(client_account(aux), tmp_path / "a.txt")
    lines = base_lines()
    client_account(aux)(lines)
    set_entry("BQ", "3", number)(lines)
    import_fec(engine, write_fec_file(fec, lines))

    stored = load_ledger(engine)
    assert aux in set(stored.clients["client_id"])
    assert f"BQ-{number}-20240215" in set(stored.payments["payment_id"])


# --- bank statements -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_id", "client_id", "field", "words"),
    [
        ("L\x001", "", "line_id", "not U+0000"),
        ("L\u202e1", "", "line_id", "not U+202E"),
        ("L" * 61, "", "line_id", "at most 60 characters, this one has 61"),
        ("L1", "C" * 65, "client_id", "this one has 65"),
        ("L1", "C\u202e", "client_id", "not U+202E"),
    ],
    ids=["line-nul", "line-u202e", "line-61", "client-65", "client-u202e"],
)
def test_a_bank_csv_with_an_id_the_database_cannot_hold_is_rejected(
    tmp_path: Path, line_id: str, client_id: str, field: str, words: str
) -> None:
    path = tmp_path / "releve.csv"
    path.write_text(
        "line_id,date,amount,label,client_id\n"
        "L0,2024-03-01,10.00,VIR A,C1\n"
        f"{line_id},2024-03-02,20.00,VIR B,{client_id}\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        read_statement(path)

    assert [(p.row, p.field) for p in rejected.value.problems] == [(2, field)]
    assert words in rejected.value.problems[0].message


def test_a_bank_reference_that_cannot_be_an_id_gets_a_stable_hash() -> None:
    def credit(reference: str) -> BankLine:
        return BankLine(1, reference, date(2024, 3, 1), 1000, "EUR", "VIR")

    ids = line_ids("camt053", [credit("REF\u202e1"), credit("REF\x002"), credit("REF3")])
    assert ids[2] == "REF3"
    assert all(i.startswith("camt053-") and id_problem(i) is None for i in ids[:2])
    assert line_ids("camt053", [credit("REF\u202e1")])[0] == ids[0]  # the same each time
