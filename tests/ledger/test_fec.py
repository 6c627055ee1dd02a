"""The FEC importer and exporter: hand-made FECs with known answers, every rejection
named by row with nothing written, and the simulate -> export -> import round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.contract import Ledger
from ledger.errors import ImportRejected, LedgerError
from ledger.fec import FEC_COLUMNS, detect_encoding, import_fec, parse_fec, read_fec, write_fec
from ledger.files import write_ledger
from ledger.storage import load_ledger, table_counts
from simulator import SimulationConfig, simulate
from tests.ledger.factories import small_ledger
from tests.ledger.fec_factory import DUPONT, line, write_fec_file


def base_lines() -> list[dict[str, str]]:
    """A small FEC; the comment before each line gives its row (1 = the line after the header).

    Client C1 (auxiliary account) and client 411MARTIN (a sub-account, no auxiliary).
    Lettrage group A of C1: F1 1 200,00 + F2 600,00 = payments 1 000,00 + 800,00, lettered
    on 2024-02-22 (two days after the last payment). Group B of 411MARTIN: F3 300,00 and
    its payment of 2024-03-05, lettered without DateLet. Group C: last year's F0 carried
    over by the à-nouveaux and paid on 2024-01-25. The advance of 500,00 on 4191 (its own
    group A on that account) is set against C1's account on 2024-03-01.
    """
    return [
        # 1-2: à-nouveaux: F0, issued 2023-11-20, still open at the start of the year.
        line("AN", "1", "20240101", "411000", "450,00", aux="C1", piece="F0",
             piece_date="20231120", lib="Report F0", let="C", date_let="20240125"),
        line("AN", "1", "20240101", "890000", "", "450,00", piece="F0", lib="Bilan ouverture"),
        # 3-4: advance received.
        line("BQ", "1", "20240105", "512000", "500,00", piece="REL01", lib="ACOMPTE CDE 42"),
        line("BQ", "1", "20240105", "419100", "", "500,00", aux="C1", piece="REL01",
             lib="ACOMPTE CDE 42", let="A"),
        # 5-7: F1, 1 200,00 TTC = 1 000,00 HT + 200,00 TVA.
        line("VT", "1", "20240110", "411000", "1200,00", aux="C1", piece="F1", lib="Facture F1",
             let="A", date_let="20240222"),
        line("VT", "1", "20240110", "706000", "", "1000,00", piece="F1", lib="Facture F1"),
        line("VT", "1", "20240110", "445710", "", "200,00", piece="F1", lib="Facture F1"),
        # 8-9: F2, 600,00.
        line("VT", "2", "20240115", "411000", "600,00", aux="C1", piece="F2", lib="Facture F2",
             let="A", date_let="20240222"),
        line("VT", "2", "20240115", "706000", "", "600,00", piece="F2", lib="Facture F2"),
        # 10-11: F0 paid.
        line("BQ", "2", "20240125", "512000", "450,00", piece="REL02", lib="VIR DUPONT F0"),
        line("BQ", "2", "20240125", "411000", "", "450,00", aux="C1", piece="REL02",
             lib="VIR DUPONT F0", let="C", date_let="20240125"),
        # 12-13: F3 to a client with no auxiliary account.
        line("VT", "3", "20240201", "411MARTIN", "300,00", account_lib="Martin SARL",
             piece="F3", lib="Facture F3", let="B"),
        line("VT", "3", "20240201", "706000", "", "300,00", piece="F3", lib="Facture F3"),
        # 14-15: credit note AV1, not lettered.
        line("VT", "4", "20240210", "709000", "100,00", piece="AV1", lib="Avoir AV1"),
        line("VT", "4", "20240210", "411000", "", "100,00", aux="C1", piece="AV1", lib="Avoir"),
        # 16-19: two payments for F1 and F2.
        line("BQ", "3", "20240215", "512000", "1000,00", piece="REL03", lib="VIR DUPONT F1"),
        line("BQ", "3", "20240215", "411000", "", "1000,00", aux="C1", piece="REL03",
             lib="VIR DUPONT F1", let="A", date_let="20240222"),
        line("BQ", "4", "20240220", "512000", "800,00", piece="REL04", lib="VIR DUPONT SOLDE"),
        line("BQ", "4", "20240220", "411000", "", "800,00", aux="C1", piece="REL04",
             lib="VIR DUPONT SOLDE", let="A", date_let="20240222"),
        # 20-21: the advance set against C1's account.
        line("OD", "1", "20240301", "419100", "500,00", aux="C1", piece="OD01",
             lib="Imputation acompte", let="A"),
        line("OD", "1", "20240301", "411000", "", "500,00", aux="C1", piece="OD01",
             lib="Imputation acompte"),
        # 22-23: F3 paid; lettered, DateLet empty.
        line("BQ", "5", "20240305", "512000", "300,00", piece="REL05", lib="VIR MARTIN"),
        line("BQ", "5", "20240305", "411MARTIN", "", "300,00", account_lib="Martin SARL",
             piece="REL05", lib="VIR MARTIN", let="B"),
    ]  # fmt: skip


def by_id(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key)


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write_fec_file(tmp_path / "FEC.txt", base_lines())


# --- reading a hand-made FEC ------------------------------------------------------------


def test_invoices_clients_and_settlement_dates(base: Path) -> None:
    ledger = read_fec(base)
    assert ledger.clients[["client_id", "name"]].values.tolist() == [
        ["411MARTIN", "Martin SARL"],
        ["C1", DUPONT],
    ]
    inv = by_id(ledger.invoices, "invoice_id")
    assert inv.index.tolist() == ["F0", "F1", "F2", "F3", "AV1"]  # in order of issue
    assert inv["client_id"].tolist() == ["C1", "C1", "C1", "411MARTIN", "C1"]
    assert inv["amount_cents"].tolist() == [45_000, 120_000, 60_000, 30_000, 10_000]
    assert inv["doc_type"].tolist() == ["invoice"] * 4 + ["credit_note"]
    # F0 keeps its own date from the à-nouveaux (PieceDate), not the opening date.
    assert inv.loc["F0", "issue_date"] == day("2023-11-20")
    # Group A balances (1 200 + 600 = 1 000 + 800): settled on its DateLet, not on the
    # date of its last payment (2024-02-20).
    assert inv.loc["F1", "paid_date"] == inv.loc["F2", "paid_date"] == day("2024-02-22")
    assert inv.loc["F0", "paid_date"] == day("2024-01-25")
    # Group B has no DateLet: settled on the date of its payment.
    assert inv.loc["F3", "paid_date"] == day("2024-03-05")
    assert pd.isna(inv.loc["AV1", "paid_date"])
    assert not inv["written_off"].any()
    # No terms given: due 30 days after issue; a credit note is due at once.
    assert inv.loc["F1", "due_date"] == day("2024-02-09")  # 2024-01-10 + 30
    assert inv.loc["AV1", "due_date"] == inv.loc["AV1", "issue_date"]


def test_an_invoice_settled_by_two_payments_and_a_payment_settling_two(base: Path) -> None:
    payments = read_fec(base).payments
    rows = payments[["payment_id", "client_id", "payment_date", "amount_cents", "invoice_id"]]
    # First in first out in group A: the 1 000,00 of 02-15 go to F1 (1 200,00); the
    # 800,00 of 02-20 pay F1's last 200,00 and all of F2 (600,00): split in two rows.
    assert rows.values.tolist() == [
        ["BQ-2-20240125", "C1", day("2024-01-25"), 45_000, "F0"],
        ["BQ-3-20240215", "C1", day("2024-02-15"), 100_000, "F1"],
        ["BQ-4-20240220", "C1", day("2024-02-20"), 20_000, "F1"],
        ["BQ-4-20240220/2", "C1", day("2024-02-20"), 60_000, "F2"],
        # The advance set against the account: money in, matched to no invoice.
        ["OD-1-20240301", "C1", day("2024-03-01"), 50_000, None],
        ["BQ-5-20240305", "411MARTIN", day("2024-03-05"), 30_000, "F3"],
    ]
    assert payments["reference"].iloc[3] == "VIR DUPONT SOLDE"
    assert payments.groupby("invoice_id")["amount_cents"].sum().to_dict() == {
        "F0": 45_000,
        "F1": 120_000,
        "F2": 60_000,
        "F3": 30_000,
    }


def test_advances_on_4191_are_applied_when_debited(base: Path) -> None:
    advances = read_fec(base).advances
    columns = ["client_id", "received_date", "amount_cents", "applied_date"]
    assert advances[columns].values.tolist() == [
        ["C1", day("2024-01-05"), 50_000, day("2024-03-01")]
    ]
    assert advances["reference"].tolist() == ["ACOMPTE CDE 42"]


def test_terms_come_from_the_clients_when_given(base: Path) -> None:
    clients = pd.DataFrame({"client_id": ["C1"], "payment_terms_days": [45]})
    inv = by_id(read_fec(base, default_terms_days=60, clients=clients).invoices, "invoice_id")
    assert inv.loc["F1", "due_date"] == day("2024-02-24")  # 2024-01-10 + 45 (C1's terms)
    assert inv.loc["F3", "due_date"] == day("2024-04-01")  # 2024-02-01 + 60 (the default)


@pytest.mark.parametrize("sep", ["\t", "|"], ids=["tab", "pipe"])
@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-15", "cp1252"])
def test_separators_and_encodings(tmp_path: Path, sep: str, encoding: str) -> None:
    lines = base_lines()
    name = "Société Œnologique Müller"  # Œ is in ISO-8859-15, not in ISO-8859-1
    for row in lines:
        if row["CompAuxNum"] == "C1":
            row["CompAuxLib"] = name
    lines[3]["EcritureLib"] = "ACOMPTE 500 € reçu"  # € is 0xA4 in ISO-8859-15, 0x80 in CP1252
    path = write_fec_file(tmp_path / "FEC.txt", lines, sep=sep, encoding=encoding)
    read = parse_fec(path)
    assert (read.separator, read.encoding) == (sep, encoding)
    assert by_id(read.ledger.clients, "client_id").loc["C1", "name"] == name
    assert read.ledger.advances["reference"].tolist() == ["ACOMPTE 500 € reçu"]
    reference = read_fec(write_fec_file(tmp_path / "plain.txt", base_lines()))
    pd.testing.assert_frame_equal(read.ledger.invoices, reference.invoices)
    pd.testing.assert_frame_equal(read.ledger.payments, reference.payments)


def test_utf8_with_bom_is_utf8(tmp_path: Path) -> None:
    path = write_fec_file(tmp_path / "FEC.txt", base_lines(), encoding="utf-8-sig")
    assert detect_encoding(path) == "utf-8"
    assert len(read_fec(path).invoices) == 5


def test_decimal_comma_dot_and_signs(tmp_path: Path) -> None:
    lines = base_lines()
    lines[4]["Debit"], lines[5]["Credit"], lines[6]["Credit"] = "1200,5", "1000.25", "200,25"
    lines[8]["Credit"], lines[7]["Debit"] = "600", "+600,00"
    inv = by_id(read_fec(write_fec_file(tmp_path / "FEC.txt", lines)).invoices, "invoice_id")
    assert inv.loc["F1", "amount_cents"] == 120_050  # 1200,5 -> 1 200,50
    assert inv.loc["F2", "amount_cents"] == 60_000
    # Group A no longer balances (1 200,50 + 600 against 1 800): F1 and F2 stay open.
    assert inv.loc[["F1", "F2"], "paid_date"].isna().all()


def test_montant_and_sens_instead_of_debit_and_credit(tmp_path: Path) -> None:
    lines = base_lines()
    for row in lines:
        debit = row.pop("Debit")
        credit = row.pop("Credit")
        row["Montant"], row["Sens"] = (debit, "D") if debit != "0,00" else (credit, "C")
    columns = [c for c in FEC_COLUMNS if c not in ("Debit", "Credit")] + ["Montant", "Sens"]
    path = write_fec_file(tmp_path / "FEC.txt", lines, columns=columns)
    reference = read_fec(write_fec_file(tmp_path / "plain.txt", base_lines()))
    pd.testing.assert_frame_equal(read_fec(path).invoices, reference.invoices)


def test_optional_regime_columns_import_and_other_columns_warn(tmp_path: Path) -> None:
    lines = base_lines()
    for row in lines:
        row.update(DateRglt=row["EcritureDate"], ModeRglt="VIR", NatOp="", IdClient="X")
        row["Remarque"] = "libre"
    columns = [*FEC_COLUMNS, "DateRglt", "ModeRglt", "NatOp", "IdClient"]
    read = parse_fec(write_fec_file(tmp_path / "FEC.txt", lines, columns=columns))
    assert read.warnings == []
    with_extra = parse_fec(
        write_fec_file(tmp_path / "x.txt", lines, columns=[*columns, "Remarque"])
    )
    assert len(with_extra.warnings) == 1 and "Remarque" in with_extra.warnings[0]
    reference = read_fec(write_fec_file(tmp_path / "plain.txt", base_lines()))
    for got in (read.ledger, with_extra.ledger):
        pd.testing.assert_frame_equal(got.invoices, reference.invoices)
        pd.testing.assert_frame_equal(got.payments, reference.payments)


def test_header_names_in_any_case_and_a_trailing_separator(tmp_path: Path) -> None:
    lines = base_lines()
    text = "|".join(c.upper() for c in FEC_COLUMNS) + "|\n"
    text += "\n".join("|".join(row[c] for c in FEC_COLUMNS) + "|" for row in lines) + "\n\n"
    path = tmp_path / "FEC.txt"
    path.write_text(text, encoding="utf-8")
    reference = read_fec(write_fec_file(tmp_path / "plain.txt", base_lines()))
    pd.testing.assert_frame_equal(read_fec(path).invoices, reference.invoices)


def test_an_invoice_in_dollars_keeps_its_currency_beside_its_euros(tmp_path: Path) -> None:
    lines = base_lines()
    lines[4].update(Idevise="USD", Montantdevise="1300,00")
    inv = by_id(read_fec(write_fec_file(tmp_path / "FEC.txt", lines)).invoices, "invoice_id")
    assert inv.loc["F1", ["amount_cents", "currency"]].tolist() == [120_000, "EUR"]
    assert inv.loc["F1", ["x_idevise", "x_montantdevise"]].tolist() == ["USD", "1300,00"]
    assert inv.loc["F2", ["x_idevise", "x_montantdevise"]].isna().all()


def test_opening_entries_sharing_one_piece_give_one_invoice_per_client(tmp_path: Path) -> None:
    lines = [
        line("AN", "1", "20240101", "411000", "100,00", aux="C1", piece="AN2024"),
        line("AN", "1", "20240101", "411000", "40,00", aux="C1", piece="AN2024"),
        line("AN", "1", "20240101", "411000", "200,00", aux="C2", aux_lib="Durand", piece="AN2024"),
        line("AN", "1", "20240101", "890000", "", "340,00", piece="AN2024"),
    ]  # fmt: skip
    inv = by_id(read_fec(write_fec_file(tmp_path / "FEC.txt", lines)).invoices, "invoice_id")
    # 100,00 + 40,00 for C1, 200,00 for C2.
    assert inv["amount_cents"].to_dict() == {"AN2024-C1": 14_000, "AN2024-C2": 20_000}
    assert inv["issue_date"].eq(day("2024-01-01")).all()


def test_a_write_off_marks_the_invoice_written_off(tmp_path: Path) -> None:
    lines = [
        line("VT", "1", "20240110", "411000", "240,00", aux="C1", piece="F9", let="W",
             date_let="20240610"),
        line("VT", "1", "20240110", "706000", "", "240,00", piece="F9"),
        line("OD", "1", "20240610", "654000", "240,00", piece="PERTE", lib="Créance perdue"),
        line("OD", "1", "20240610", "411000", "", "240,00", aux="C1", piece="PERTE", let="W",
             date_let="20240610"),
    ]  # fmt: skip
    ledger = read_fec(write_fec_file(tmp_path / "FEC.txt", lines))
    invoice = ledger.invoices.iloc[0]
    assert (invoice["invoice_id"], bool(invoice["written_off"])) == ("F9", True)
    assert pd.isna(invoice["paid_date"])  # never paid...
    # ... but the books no longer hold it: the loss credits the account, as a row of its own.
    loss = ledger.payments[["payment_date", "amount_cents", "invoice_id", "reference"]]
    assert loss.values.tolist() == [[day("2024-06-10"), 24_000, "F9", "PERTE"]]


def test_a_refund_in_the_bank_is_owed_until_lettered(tmp_path: Path) -> None:
    lines = [
        *base_lines(),
        line("BQ", "6", "20240310", "411000", "100,00", aux="C1", piece="RBT", lib="Rbt avoir"),
        line("BQ", "6", "20240310", "512000", "", "100,00", piece="RBT", lib="Rbt avoir"),
    ]
    read = parse_fec(write_fec_file(tmp_path / "FEC.txt", lines))
    # The debit raises what C1 owes on the books: it is an amount owed, keyed by its entry
    # (a refund's piece is no invoice number), open while nothing letters it.
    refund = by_id(read.ledger.invoices, "invoice_id").loc["BQ-6-20240310-C1"]
    assert (refund["amount_cents"], refund["doc_type"]) == (10_000, "invoice")
    assert pd.isna(refund["paid_date"])
    assert len(read.warnings) == 1 and "refunds" in read.warnings[0]


def test_a_cash_sale_in_one_entry_is_an_invoice_and_its_payment(tmp_path: Path) -> None:
    lines = [
        line("VT", "1", "20240110", "411000", "120,00", aux="C1", piece="F5", let="K"),
        line("VT", "1", "20240110", "706000", "", "100,00", piece="F5"),
        line("VT", "1", "20240110", "445710", "", "20,00", piece="F5"),
        line("VT", "1", "20240110", "512000", "120,00", piece="F5"),
        line("VT", "1", "20240110", "411000", "", "120,00", aux="C1", piece="F5", let="K"),
    ]
    ledger = read_fec(write_fec_file(tmp_path / "FEC.txt", lines))
    # With a bank line in the entry, the credit on 411 is money received, not a credit note.
    assert ledger.invoices[["invoice_id", "doc_type", "paid_date"]].values.tolist() == [
        ["F5", "invoice", day("2024-01-10")]
    ]
    assert ledger.payments[["amount_cents", "invoice_id"]].values.tolist() == [[12_000, "F5"]]


# --- rejections: every problem named by row, nothing written ----------------------------


def with_value(row: int, column: str, value: str) -> list[dict[str, str]]:
    """The base lines with one value changed on data row ``row`` (1 = first line)."""
    lines = base_lines()
    lines[row - 1][column] = value
    return lines


@pytest.mark.parametrize(
    ("lines", "expected", "words"),
    [
        # F1's entry (rows 5-7) credits 1 000,00 + 190,00 against a debit of 1 200,00.
        (
            with_value(7, "Credit", "190,00"),
            {(5, "EcritureNum")},
            "debits 1200,00, credits 1190,00",
        ),
        (with_value(8, "EcritureDate", "2024-01-15"), {(8, "EcritureDate")}, "YYYYMMDD"),
        (with_value(12, "PieceDate", "20240230"), {(12, "PieceDate")}, "real calendar date"),
        (with_value(19, "DateLet", "22/02/2024"), {(19, "DateLet")}, "YYYYMMDD"),
        (with_value(16, "Debit", "1 000,00"), {(16, "Debit")}, "not an amount"),
        (with_value(13, "Credit", "300,001"), {(13, "Credit")}, "more than 2 decimals"),
        (with_value(9, "CompteNum", ""), {(9, "CompteNum")}, "empty"),
    ],
    ids=[
        "unbalanced",
        "iso-date",
        "impossible-date",
        "bad-datelet",
        "thousands-separator",
        "three-decimals",
        "no-account",
    ],
)
def test_each_bad_line_is_named_and_nothing_is_written(
    engine: Engine,
    tmp_path: Path,
    lines: list[dict[str, str]],
    expected: set[tuple[int, str]],
    words: str,
) -> None:
    import_fec(engine, write_fec_file(tmp_path / "good.txt", base_lines()))
    counts, before = table_counts(engine), load_ledger(engine)
    with pytest.raises(ImportRejected) as rejected:
        import_fec(engine, write_fec_file(tmp_path / "FEC.txt", lines))
    problems = rejected.value.problems
    assert {(p.row, p.field) for p in problems} == expected
    assert all(p.file == "FEC.txt" for p in problems)
    assert all(words in str(p) for p in problems), [str(p) for p in problems]
    assert table_counts(engine) == counts
    for name, frame in load_ledger(engine).tables().items():
        pd.testing.assert_frame_equal(frame, before.tables()[name])


def test_every_bad_line_is_reported_at_once(tmp_path: Path) -> None:
    lines = with_value(8, "EcritureDate", "15/01/2024")
    lines[15]["Debit"] = "mille"
    lines[11]["PieceDate"] = "20240230"
    with pytest.raises(ImportRejected) as rejected:
        read_fec(write_fec_file(tmp_path / "FEC.txt", lines))
    assert [(p.row, p.field) for p in rejected.value.problems] == [
        (8, "EcritureDate"),
        (12, "PieceDate"),
        (16, "Debit"),
    ]


def _drop_column(column: str) -> tuple[list[dict[str, str]], list[str]]:
    return base_lines(), [c for c in FEC_COLUMNS if c != column]


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (None, "EcritureLet", "EcritureLet is missing"),
        ("invoice_id,client_id,amount\nF1,C1,10.00\n", None, "not a FEC header"),
        ("JournalCode;JournalLib;EcritureNum\nVT;Ventes;1\n", None, "separated by ';'"),
        ("", None, "empty"),
    ],
    ids=["missing-column", "contract-csv", "semicolons", "empty"],
)
def test_an_unknown_layout_is_rejected(
    engine: Engine, tmp_path: Path, text: str | None, field: str | None, words: str
) -> None:
    path = tmp_path / "FEC.txt"
    if text is None:
        lines, columns = _drop_column("EcritureLet")
        write_fec_file(path, lines, columns=columns)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_fec(engine, path)
    [problem] = rejected.value.problems
    assert (problem.row, problem.field) == (None, field)
    assert words in str(problem)
    assert set(table_counts(engine).values()) == {0}


def test_a_line_with_a_missing_field_is_named_by_its_line(tmp_path: Path) -> None:
    path = write_fec_file(tmp_path / "FEC.txt", base_lines())
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].rsplit(b"\t", 1)[0]  # line 4 of the file: 17 fields
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(ImportRejected) as rejected:
        read_fec(path)
    [problem] = rejected.value.problems
    assert "line 4 has 17 fields" in str(problem)


# --- the database --------------------------------------------------------------------------


def test_importing_a_fec_twice_changes_nothing(engine: Engine, base: Path) -> None:
    first = import_fec(engine, base)
    assert {n: c.inserted for n, c in first.summary.tables.items()} == {
        "clients": 2,
        "invoices": 5,
        "payments": 6,
        "advances": 1,
    }
    before = load_ledger(engine)
    again = import_fec(engine, base)
    assert again.summary.changed == 0
    for name, frame in load_ledger(engine).tables().items():
        pd.testing.assert_frame_equal(frame, before.tables()[name])


def test_a_clients_file_gives_terms_and_keeps_its_details(engine: Engine, base: Path) -> None:
    folder = base.parent / "files"
    folder.mkdir()
    (folder / "clients.csv").write_text(
        "client_id,name,sector,payment_terms_days\nC1,Dupont SA,boulangerie,45\n",
        encoding="utf-8",
    )
    (folder / "actions.csv").write_text(
        "invoice_id,action_date,channel\nF3,2024-03-04,call\n", encoding="utf-8"
    )
    report = import_fec(engine, base, directory=folder, default_terms_days=60)
    assert set(report.files) == {"fec", "clients", "actions"}
    stored = load_ledger(engine)
    clients = by_id(stored.clients, "client_id")
    # The clients file wins over the FEC's label; the FEC adds the client it lacks.
    assert clients.loc["C1", ["name", "sector"]].tolist() == ["Dupont SA", "boulangerie"]
    assert clients.loc["411MARTIN", "name"] == "Martin SARL"
    due = by_id(stored.invoices, "invoice_id")["due_date"]
    assert due["F1"] == day("2024-02-24")  # 2024-01-10 + 45 days (C1's terms)
    assert due["F3"] == day("2024-04-01")  # 2024-02-01 + 60 days (--terms-days)
    assert stored.actions["invoice_id"].tolist() == ["F3"]

    # The FEC alone later: stored clients keep their details and their terms.
    import_fec(engine, base, default_terms_days=60)
    again = load_ledger(engine)
    assert by_id(again.clients, "client_id").loc["C1", "sector"] == "boulangerie"
    assert by_id(again.invoices, "invoice_id").loc["F1", "due_date"] == day("2024-02-24")


def test_a_folder_may_not_bring_invoices_with_a_fec(engine: Engine, base: Path) -> None:
    folder = base.parent / "files"
    write_ledger(small_ledger(), folder)
    with pytest.raises(ImportRejected) as rejected:
        import_fec(engine, base, directory=folder)
    assert {p.file for p in rejected.value.problems} >= {"invoices.csv", "payments.csv"}
    assert set(table_counts(engine).values()) == {0}


# --- writing, and the round trip -------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated() -> Ledger:
    config = SimulationConfig(
        n_clients=25,
        n_months=9,
        seed=11,
        credit_note_rate=0.08,
        partial_payment_rate=0.2,
        default_rate=0.2,
        advance_rate=0.4,
        write_off_lag_days=30,
    )
    ledger = simulate(config).ledger
    inv, pay = ledger.invoices, ledger.payments
    # Everything the round trip is about happens in this ledger.
    assert (inv["doc_type"] == "credit_note").any() and inv["written_off"].any()
    assert inv["paid_date"].notna().any() and inv["paid_date"].isna().any()
    assert pay["invoice_id"].duplicated().any()  # invoices paid in two instalments
    assert ledger.advances["applied_date"].notna().any()
    assert ledger.advances["applied_date"].isna().any()
    return ledger


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[object, ...]]:
    """Rows as comparable tuples, missing values as None, in a fixed order."""
    values = frame[columns].astype(object).where(frame[columns].notna(), None)
    return sorted(values.itertuples(index=False, name=None), key=repr)


def test_round_trip_gives_the_same_invoices_clients_and_settlements(
    simulated: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "FEC.txt"
    write_fec(simulated, path)
    back = read_fec(path, clients=simulated.clients)

    columns = ["invoice_id", "client_id", "issue_date", "amount_cents", "doc_type"]
    columns += ["paid_date", "written_off", "credited_invoice_id"]
    assert _rows(back.invoices, columns) == _rows(simulated.invoices, columns)
    columns = ["client_id", "payment_date", "amount_cents", "reference", "invoice_id"]
    # Write-offs come back as rows of their own: the loss credits the client account.
    losses = back.payments["reference"].str.startswith("Créance irrécouvrable")
    assert set(back.payments.loc[losses, "invoice_id"]) == set(
        simulated.invoices.loc[simulated.invoices["written_off"], "invoice_id"]
    )
    assert _rows(back.payments[~losses], columns) == _rows(simulated.payments, columns)
    columns = ["client_id", "received_date", "amount_cents", "reference", "applied_date"]
    assert _rows(back.advances, columns) == _rows(simulated.advances, columns)
    active = simulated.clients[simulated.clients["client_id"].isin(simulated.invoices["client_id"])]
    assert _rows(back.clients, ["client_id", "name"]) == _rows(active, ["client_id", "name"])
    # Due dates from the clients' terms (plain days: "45 days end of month" is not kept).
    terms = by_id(simulated.clients, "client_id")["payment_terms_days"]
    invoices = back.invoices[back.invoices["doc_type"] == "invoice"]
    days = (invoices["due_date"] - invoices["issue_date"]).dt.days
    assert days.tolist() == terms.reindex(invoices["client_id"]).tolist()


def test_the_written_fec_is_valid(simulated: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "FEC.txt"
    written = write_fec(simulated, path)
    raw = path.read_bytes()
    assert detect_encoding(path) == "iso-8859-15"  # accented names, in ISO-8859-15
    text = raw.decode("iso-8859-15")
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="iso-8859-15")
    assert list(frame.columns) == list(FEC_COLUMNS)
    assert len(frame) == written.lines and text.count("\n") == written.lines + 1
    for column in ("EcritureDate", "PieceDate", "ValidDate"):
        assert frame[column].str.fullmatch(r"20[0-9]{6}").all()
    assert frame["DateLet"].str.fullmatch(r"(20[0-9]{6})?").all()
    assert frame["Debit"].str.fullmatch(r"[0-9]+,[0-9]{2}").all()
    assert (frame["PieceRef"] != "").all()
    cents = frame[["Debit", "Credit"]].apply(lambda s: s.str.replace(",", "").astype(int))
    entries = cents.groupby([frame["JournalCode"], frame["EcritureNum"]]).sum()
    assert (entries["Debit"] == entries["Credit"]).all()  # every entry balances
    assert len(entries) == written.entries
    numbers = (
        entries.reset_index()
        .groupby("JournalCode")["EcritureNum"]
        .agg(lambda n: sorted(int(x) for x in n) == list(range(1, len(n) + 1)))
    )
    assert numbers.all()  # numbered 1, 2, 3... without gaps in each journal
    clients = frame[frame["CompteNum"].str.startswith("411")]
    assert (clients["CompAuxNum"] != "").all()


def test_export_then_import_into_the_database(
    engine: Engine, simulated: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "FEC.txt"
    write_fec(simulated, path)
    report = import_fec(engine, path)
    assert report.summary.tables["invoices"].inserted == len(simulated.invoices)
    stored = load_ledger(engine)
    columns = ["invoice_id", "amount_cents", "paid_date", "written_off"]
    assert _rows(stored.invoices, columns) == _rows(simulated.invoices, columns)
    assert import_fec(engine, path).summary.changed == 0


def test_a_ledger_in_another_currency_is_not_exported(tmp_path: Path) -> None:
    ledger = small_ledger()
    ledger.invoices.loc[0, "currency"] = "USD"
    with pytest.raises(LedgerError, match="not in EUR"):
        write_fec(ledger, tmp_path / "FEC.txt")
    assert not (tmp_path / "FEC.txt").exists()


def test_an_invoice_settled_without_payments_keeps_its_settlement(tmp_path: Path) -> None:
    ledger = small_ledger()  # F1 paid 1 100,00 + credit note 100,00; F2 open, 200,00 paid
    ledger = Ledger(clients=ledger.clients, invoices=ledger.invoices)  # no payments file
    write_fec(ledger, tmp_path / "FEC.txt")
    back = by_id(read_fec(tmp_path / "FEC.txt").invoices, "invoice_id")
    assert back.loc["F1", "paid_date"] == day("2024-02-20")
    assert back.loc["A1", "credited_invoice_id"] == "F1"
    assert pd.isna(back.loc["F2", "paid_date"])
