"""FECs as French accounting packages write them: one small set of books written each
way, every variant importing to the same ledger, and the encours equal to the client
accounts at every month end (``encours reconcile``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.fec import FEC_COLUMNS, REGIME_COLUMNS, book_lines, import_fec, parse_fec
from ledger.kpis import compute_kpis
from ledger.reconcile import month_ends, reconcile
from ledger.storage import load_ledger
from tests.ledger.fec_factory import line, write_fec_file

Lines = list[dict[str, str]]


def books() -> Lines:
    """Three months of a small company's books (the row of each line in comments).

    Sales are numbered by batch: one piece per month (``VE  0123``) holding every
    client's invoice, each its own entry. Counter takings on the pseudo-client
    RECETTECB, debited and credited the same day.
    """
    return [
        # 1-3: à-nouveaux: C3's 500,00 (paid in January, lettered C), C4's 250,00 (open).
        line("AN", "1", "20240101", "411000", "500,00", aux="C3", aux_lib="Garage Petit",
             piece="FA-2023-77", piece_date="20231205", let="C", date_let="20240120"),
        line("AN", "1", "20240101", "411000", "250,00", aux="C4", aux_lib="Hôtel du Lac",
             piece="FA-2023-80", piece_date="20231215"),
        line("AN", "1", "20240101", "890000", "", "750,00", piece="AN"),
        # 4-5: an advance from C2, still held.
        line("BQ", "1", "20240105", "512000", "200,00", piece="REL01", lib="ACOMPTE DURAND"),
        line("BQ", "1", "20240105", "419100", "", "200,00", aux="C2", aux_lib="Durand SA",
             piece="REL01", lib="ACOMPTE DURAND"),
        # 6-8: VE 0123, entry 1: C1 1 200,00 (lettered A, DateLet empty).
        line("VE", "1", "20240110", "411000", "1200,00", aux="C1", aux_lib="Dupont SARL",
             piece="VE  0123", lib="Fact 2024-001 Dupont", let="A"),
        line("VE", "1", "20240110", "706000", "", "1000,00", piece="VE  0123"),
        line("VE", "1", "20240110", "445710", "", "200,00", piece="VE  0123"),
        # 9-10: VE 0123, entry 2: C2 600,00, paid in part (unlettered payment of 1 000,00).
        line("VE", "2", "20240115", "411000", "600,00", aux="C2", aux_lib="Durand SA",
             piece="VE  0123", lib="Fact 2024-002 Durand"),
        line("VE", "2", "20240115", "706000", "", "600,00", piece="VE  0123"),
        # 11-12: VE 0123, entry 3: C1 300,00 (lettered B).
        line("VE", "3", "20240120", "411000", "300,00", aux="C1", aux_lib="Dupont SARL",
             piece="VE  0123", lib="Fact 2024-003 Dupont", let="B", date_let="20240312"),
        line("VE", "3", "20240120", "706000", "", "300,00", piece="VE  0123"),
        # 13-14: C3 pays last year's invoice.
        line("BQ", "2", "20240120", "512000", "500,00", piece="REL02", lib="VIR PETIT"),
        line("BQ", "2", "20240120", "411000", "", "500,00", aux="C3", aux_lib="Garage Petit",
             piece="REL02", lib="VIR PETIT", let="C", date_let="20240120"),
        # 15-26: counter takings, three days, each debited and credited the same day.
        *takings("20240122", "1"), *takings("20240123", "2"), *takings("20240124", "3"),
        # 27-28: VE 0124, entry 4: C2 900,00, open.
        line("VE", "4", "20240205", "411000", "900,00", aux="C2", aux_lib="Durand SA",
             piece="VE  0124", lib="Fact 2024-004 Durand"),
        line("VE", "4", "20240205", "706000", "", "900,00", piece="VE  0124"),
        # 29-30: C1 pays 2024-001.
        line("BQ", "3", "20240215", "512000", "1200,00", piece="REL03", lib="VIR DUPONT"),
        line("BQ", "3", "20240215", "411000", "", "1200,00", aux="C1", aux_lib="Dupont SARL",
             piece="REL03", lib="VIR DUPONT 2024-001", let="A"),
        # 31-32: VE 0124, entry 5: a credit note to C1, set against nothing yet.
        line("VE", "5", "20240225", "709000", "100,00", piece="VE  0124", lib="Avoir Dupont"),
        line("VE", "5", "20240225", "411000", "", "100,00", aux="C1", aux_lib="Dupont SARL",
             piece="VE  0124", lib="Avoir 2024-005 Dupont"),
        # 33-34: C2 pays 1 000,00 against 600,00 + 900,00, unlettered.
        line("BQ", "4", "20240301", "512000", "1000,00", piece="REL04", lib="VIR DURAND"),
        line("BQ", "4", "20240301", "411000", "", "1000,00", aux="C2", aux_lib="Durand SA",
             piece="REL04", lib="VIR DURAND"),
        # 35-36: C1 pays 2024-003.
        line("BQ", "5", "20240310", "512000", "300,00", piece="REL05", lib="VIR DUPONT"),
        line("BQ", "5", "20240310", "411000", "", "300,00", aux="C1", aux_lib="Dupont SARL",
             piece="REL05", lib="VIR DUPONT 2024-003", let="B", date_let="20240312"),
        # 37-38: a refund to C2, unlettered: the account owes again.
        line("BQ", "6", "20240315", "411000", "100,00", aux="C2", aux_lib="Durand SA",
             piece="RBT01", lib="REMBOURSEMENT DURAND"),
        line("BQ", "6", "20240315", "512000", "", "100,00", piece="RBT01"),
        # 39-40: C4's 150,00 written off, unlettered.
        line("OD", "1", "20240320", "654000", "150,00", piece="OD01", lib="Perte Hôtel du Lac"),
        line("OD", "1", "20240320", "411000", "", "150,00", aux="C4", aux_lib="Hôtel du Lac",
             piece="OD01", lib="Perte Hôtel du Lac"),
    ]  # fmt: skip


def takings(day: str, number: str) -> Lines:
    """A day of card takings on the pseudo-client RECETTECB, settled at once."""
    piece = f"Z{day}"
    return [
        line("VE", f"T{number}", day, "411000", "80,00", aux="RECETTECB", aux_lib="RECETTE CB",
             piece=piece, let=f"T{number}"),
        line("VE", f"T{number}", day, "706000", "", "80,00", piece=piece),
        line("BQ", f"T{number}", day, "512000", "80,00", piece=piece),
        line("BQ", f"T{number}", day, "411000", "", "80,00", aux="RECETTECB",
             aux_lib="RECETTE CB", piece=piece, let=f"T{number}"),
    ]  # fmt: skip


# --- the variants ------------------------------------------------------------------------


def plain(path: Path) -> Path:
    return write_fec_file(path, books())


def constant_entry_numbers(path: Path) -> Path:
    """``0`` on every line: entries known by ``PieceRef`` and ``PieceDate``."""
    lines = books()
    for row in lines:
        row["EcritureNum"] = "0"
    return write_fec_file(path, lines)


def lower_case_journals(path: Path) -> Path:
    lines = books()
    for row in lines:
        row["JournalCode"] = row["JournalCode"].lower()
    return write_fec_file(path, lines)


def regime_columns(count: int) -> Callable[[Path], Path]:
    """18 + ``count`` columns: ``DateRglt``, ``ModeRglt``, ``NatOp``, ``IdClient``."""

    def write(path: Path) -> Path:
        lines = books()
        for row in lines:
            row.update(DateRglt=row["EcritureDate"], ModeRglt="VIR", NatOp="", IdClient="")
        return write_fec_file(path, lines, columns=[*FEC_COLUMNS, *REGIME_COLUMNS[:count]])

    return write


def trailing_separators(header_too: bool) -> Callable[[Path], Path]:
    """Every data line (and the header when ``header_too``) ends with a separator."""

    def write(path: Path) -> Path:
        header = "\t".join(FEC_COLUMNS) + ("\t" if header_too else "")
        rows = ["\t".join(row[c] for c in FEC_COLUMNS) + "\t" for row in books()]
        path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
        return path

    return write


def padded(path: Path) -> Path:
    """Fields space-padded to fixed widths, amounts zero-padded (``0000000074,70``)."""
    lines = books()
    for row in lines:
        for column in ("Debit", "Credit"):
            whole, cents = row[column].split(",")
            row[column] = f"{int(whole):010d},{cents}"
        for column in ("JournalCode", "CompteNum", "CompAuxNum", "PieceRef", "EcritureLet"):
            row[column] = row[column].ljust(12)
        row["EcritureLib"] = " " + row["EcritureLib"].ljust(30)
    return write_fec_file(path, lines)


def pipes_in_cp1252(path: Path) -> Path:
    return write_fec_file(path, books(), sep="|", encoding="cp1252")


VARIANTS: dict[str, Callable[[Path], Path]] = {
    "plain": plain,
    "constant-entry-numbers": constant_entry_numbers,
    "lower-case-journals": lower_case_journals,
    "19-columns": regime_columns(1),
    "21-columns": regime_columns(3),
    "22-columns": regime_columns(4),
    "trailing-separators": trailing_separators(header_too=False),
    "trailing-separators-header-too": trailing_separators(header_too=True),
    "padded": padded,
    "pipes-cp1252": pipes_in_cp1252,
}


def documents(path: Path) -> list[tuple[object, ...]]:
    """What each invoice is, whatever its id: client, dates, amount, kind, settlement."""
    invoices = parse_fec(path).ledger.invoices
    columns = ["client_id", "issue_date", "amount_cents", "doc_type", "paid_date"]
    rows = invoices[columns].astype(object).where(invoices[columns].notna(), None)
    return sorted(map(tuple, rows.values.tolist()), key=str)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_imports_to_the_same_invoices(tmp_path: Path, variant: str) -> None:
    got = documents(VARIANTS[variant](tmp_path / "FEC.txt"))
    assert got == documents(plain(tmp_path / "plain.txt"))


def test_a_batch_piece_gives_one_invoice_per_client_and_entry(tmp_path: Path) -> None:
    read = parse_fec(plain(tmp_path / "FEC.txt"))
    inv = read.ledger.invoices.set_index("invoice_id")
    # VE 0123 holds three invoices of two clients: each is its own entry.
    assert inv.loc["VE-1-20240110-C1", ["client_id", "amount_cents"]].tolist() == ["C1", 120_000]
    assert inv.loc["VE-2-20240115-C2", "amount_cents"] == 60_000
    assert inv.loc["VE-3-20240120-C1", "paid_date"] == pd.Timestamp("2024-03-12")  # DateLet
    # Lettered A with no DateLet: settled on its last line, the payment of 15/02.
    assert inv.loc["VE-1-20240110-C1", "paid_date"] == pd.Timestamp("2024-02-15")
    assert inv.loc["VE-5-20240225-C1/AV", "doc_type"] == "credit_note"
    # The batch's number stays the one people read; an invoice numbered by PieceRef needs none.
    assert inv.loc["VE-1-20240110-C1", "reference"] == "VE  0123"
    assert inv.loc["FA-2023-77", "reference"] is None
    # The à-nouveaux keep the numbers of the invoices they carry, lettered or not.
    assert inv.loc["FA-2023-77", "paid_date"] == pd.Timestamp("2024-01-20")
    assert inv.loc["FA-2023-80", "issue_date"] == pd.Timestamp("2023-12-15")
    assert pd.isna(inv.loc["FA-2023-80", "paid_date"])


def test_constant_entry_numbers_key_invoices_by_piece_and_date(tmp_path: Path) -> None:
    ids = set(parse_fec(constant_entry_numbers(tmp_path / "FEC.txt")).ledger.invoices["invoice_id"])
    assert {"VE-VE  0123-20240110-C1", "VE-VE  0123-20240120-C1"} <= ids


def test_ids_stay_the_same_from_one_export_to_the_next(tmp_path: Path) -> None:
    everything = books()
    january = [row for row in everything if row["EcritureDate"] < "20240201"]
    early = parse_fec(write_fec_file(tmp_path / "early.txt", january)).ledger
    late = parse_fec(write_fec_file(tmp_path / "late.txt", everything)).ledger
    assert set(early.invoices["invoice_id"]) <= set(late.invoices["invoice_id"])
    assert set(early.payments["payment_id"]) <= set(late.payments["payment_id"])


def test_counter_takings_are_named_and_can_be_left_out(tmp_path: Path) -> None:
    path = plain(tmp_path / "FEC.txt")
    read = parse_fec(path)
    [warning] = [w for w in read.warnings if "takings" in w]
    assert "RECETTECB" in warning and "--exclude-client" in warning
    assert (read.ledger.invoices["client_id"] == "RECETTECB").sum() == 3
    without = parse_fec(path, exclude_clients=["RECETTECB"]).ledger
    assert "RECETTECB" not in set(without.clients["client_id"])
    assert "RECETTECB" not in set(without.invoices["client_id"])
    assert "RECETTECB" not in set(without.payments["client_id"])
    assert not [
        w for w in parse_fec(path, exclude_clients=["RECETTECB"]).warnings if "takings" in w
    ]


# --- the encours equals the books ------------------------------------------------------------


def test_the_encours_is_the_411_balance_by_hand(engine: Engine, tmp_path: Path) -> None:
    path = plain(tmp_path / "FEC.txt")
    import_fec(engine, path)
    (eur,) = compute_kpis(load_ledger(engine), pd.Timestamp("2024-03-31").date())
    # Open: C2 600 + 900 + refund 100, C4 250; unapplied: C2's 1 000 not lettered, C1's
    # credit note 100, C4's unlettered loss 150; C2's advance 200 held.
    assert float(eur.echu + eur.non_echu) == 600 + 900 + 100 + 250
    assert float(eur.non_affecte) == 1_000 + 100 + 150
    assert float(eur.avances) == 200
    # 411: C2 600 + 900 − 1 000 + 100; C4 250 − 150; C1 −100; 4191: −200.
    assert float(eur.encours) == 600 + 900 - 1_000 + 100 + 250 - 150 - 100 - 200 == 400


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_reconcile_explains_everything_at_every_month_end(
    engine: Engine, tmp_path: Path, variant: str
) -> None:
    path = VARIANTS[variant](tmp_path / "FEC.txt")
    import_fec(engine, path, exclude_clients=["RECETTECB"])
    book, ledger = book_lines(path), load_ledger(engine)
    days = month_ends(book)
    assert [d.isoformat() for d in days] == ["2024-01-31", "2024-02-29", "2024-03-20"]
    for day in days:
        result = reconcile(book, ledger, day)
        assert result.unexplained_cents == 0, result.clients
    first = reconcile(book, ledger, days[0]).clients
    assert first.loc["RECETTECB", "not_imported_cents"] == 0  # settled: nothing to explain
    assert first.loc["C2", "books_cents"] == 60_000 - 20_000  # invoice less advance
    assert first.loc["C2", "encours_cents"] == 40_000


def test_an_invoice_dated_before_it_is_booked_is_explained(engine: Engine, tmp_path: Path) -> None:
    lines = books()
    assert lines[26]["EcritureLib"] == "Fact 2024-004 Durand"
    lines[26]["PieceDate"] = "20240131"  # dated 31/01, booked 05/02
    path = write_fec_file(tmp_path / "FEC.txt", lines)
    import_fec(engine, path)
    result = reconcile(book_lines(path), load_ledger(engine), pd.Timestamp("2024-01-31").date())
    c2 = result.clients.loc["C2"]
    assert c2["encours_cents"] - c2["books_cents"] == c2["piece_dates_cents"] == 90_000
    assert result.unexplained_cents == 0


def test_reconcile_names_an_unexplained_difference(engine: Engine, tmp_path: Path) -> None:
    path = plain(tmp_path / "FEC.txt")
    import_fec(engine, path)
    ledger = load_ledger(engine)
    ledger.payments = ledger.payments[ledger.payments["payment_id"] != "BQ-4-20240301"]
    result = reconcile(book_lines(path), ledger, pd.Timestamp("2024-03-31").date())
    assert result.unexplained_cents == 100_000
    assert result.clients.loc["C2", "unexplained_cents"] == 100_000
    assert result.as_json()["reconciled"] is False


def test_a_transfer_to_416_keeps_the_invoice_open(engine: Engine, tmp_path: Path) -> None:
    lines = [
        line("VE", "1", "20240110", "411000", "1200,00", aux="C1", piece="F1", let="A",
             date_let="20240405"),
        line("VE", "1", "20240110", "706000", "", "1200,00", piece="F1"),
        # 31/03: F1 moved to clients douteux: lettered A on 411, opened again on 416 (D).
        line("OD", "1", "20240331", "416000", "1200,00", aux="C1", piece="DOUT1", let="D"),
        line("OD", "1", "20240331", "411000", "", "1200,00", aux="C1", piece="DOUT1", let="A",
             date_let="20240405"),
        # 15/05: half paid on 416, 30/06: the rest; both lettered D.
        line("BQ", "1", "20240515", "512000", "600,00", piece="REL1"),
        line("BQ", "1", "20240515", "416000", "", "600,00", aux="C1", piece="REL1", let="D"),
        line("BQ", "2", "20240630", "512000", "600,00", piece="REL2"),
        line("BQ", "2", "20240630", "416000", "", "600,00", aux="C1", piece="REL2", let="D"),
    ]  # fmt: skip
    path = write_fec_file(tmp_path / "FEC.txt", lines)
    ledger = parse_fec(path).ledger
    f1 = ledger.invoices.set_index("invoice_id").loc["F1"]
    # Not settled by the transfer: open until its last payment on 416.
    assert f1["paid_date"] == pd.Timestamp("2024-06-30") and not bool(f1["written_off"])
    assert ledger.payments["invoice_id"].tolist() == ["F1", "F1"]  # 600 and 600, on 416
    import_fec(engine, path)
    stored = load_ledger(engine)
    (april,) = compute_kpis(stored, pd.Timestamp("2024-04-30").date())
    assert float(april.encours) == float(april.echu) == 1200.0  # still owed, on 416
    # Douteuse from the transfer on, although only 81 days past due (under 90).
    assert f1["doubtful_date"] == pd.Timestamp("2024-03-31")
    assert april.taux_creances_douteuses == 100.0
    (before,) = compute_kpis(stored, pd.Timestamp("2024-03-30").date())
    assert before.taux_creances_douteuses == 0.0
    book = book_lines(path)
    for day in ("2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"):
        result = reconcile(book, stored, pd.Timestamp(day).date())
        assert result.unexplained_cents == 0, (day, result.clients)
    assert (
        reconcile(book, stored, pd.Timestamp("2024-05-31").date()).totals["books_cents"] == 60_000
    )
