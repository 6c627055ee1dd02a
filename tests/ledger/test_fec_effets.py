"""Effets (LCR, billets à ordre) from a hand-written FEC, with hand-worked figures.

Four bills, one per client:

- C1: F1 1 200 (10/01), LCR drawn 20/01 due 15/03, discounted 25/01 (5114), paid at due;
- C2: F2 600 (05/02), LCR drawn 10/02 due 31/03 (``31.03.24``), remitted for collection
  20/03 (5113);
- C3: F3 900 (01/02), LCR drawn 05/02 due 30/04, discounted 10/02, returned unpaid 03/05;
- C4: F4 500 (15/03), billet à ordre drawn 20/03 due 20/05, still held on 413.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.contract import EFFETS
from ledger.fec import FEC_COLUMNS, REGIME_COLUMNS, book_lines, import_fec, parse_fec
from ledger.fec.effets import date_in_label
from ledger.kpis import compute_kpis
from ledger.reconcile import reconcile
from ledger.storage import load_ledger
from tests.ledger.fec_factory import line, write_fec_file


def sale(number: str, day: str, client: str, piece: str, amount: str) -> list[dict[str, str]]:
    """An invoice on 411, lettered A with its move to 413."""
    return [
        line("VT", number, day, "411000", amount, aux=client, piece=piece, let="A"),
        line("VT", number, day, "706000", "", amount, piece=piece),
    ]


def drawn(
    number: str, day: str, client: str, amount: str, label: str, let: str = "B"
) -> list[dict[str, str]]:
    """The invoice moved from 411 to 413: a bill drawn on the client."""
    return [
        line("OD", number, day, "413000", amount, aux=client, lib=label, let=let),
        line("OD", number, day, "411000", "", amount, aux=client, lib=label, let="A"),
    ]


def remitted(number: str, day: str, client: str, amount: str, bank: str) -> list[dict[str, str]]:
    """The bill handed to the bank (5113 for collection, 5114 for discount)."""
    return [
        line("BQ", number, day, bank, amount, lib="REMISE LCR"),
        line("BQ", number, day, "413000", "", amount, aux=client, lib="REMISE LCR", let="B"),
    ]


def books() -> list[dict[str, str]]:
    return [
        *sale("1", "20240110", "C1", "F1", "1200,00"),
        *drawn("1", "20240120", "C1", "1200,00", "LCR F1 ECH 15/03/2024"),
        *remitted("1", "20240125", "C1", "1200,00", "511400"),
        line("BQ", "2", "20240126", "512000", "1190,00", lib="ESCOMPTE"),
        line("BQ", "2", "20240126", "661500", "10,00", lib="AGIOS ESCOMPTE"),
        line("BQ", "2", "20240126", "511400", "", "1200,00", lib="ESCOMPTE"),
        *sale("2", "20240201", "C3", "F3", "900,00"),
        *sale("3", "20240205", "C2", "F2", "600,00"),
        *drawn("2", "20240205", "C3", "900,00", "LCR F3 ECH 30/04/2024"),
        *remitted("3", "20240210", "C3", "900,00", "511400"),
        *drawn("3", "20240210", "C2", "600,00", "LCR ECH 31.03.24"),
        *sale("4", "20240315", "C4", "F4", "500,00"),
        *remitted("4", "20240320", "C2", "600,00", "511300"),
        # C4's billet à ordre stays in the portfolio: its 413 line is not lettered.
        *drawn("4", "20240320", "C4", "500,00", "BOR F4 ECH 20/05/2024", let=""),
        line("BQ", "5", "20240402", "512000", "600,00", lib="ENCAISSEMENT LCR"),
        line("BQ", "5", "20240402", "511300", "", "600,00", lib="ENCAISSEMENT LCR"),
        # The bank returns C3's bill unpaid: C3 owes it again on 411.
        line("BQ", "6", "20240503", "411000", "900,00", aux="C3", lib="LCR IMPAYEE F3"),
        line("BQ", "6", "20240503", "512000", "", "900,00", lib="LCR IMPAYEE F3"),
    ]


@pytest.fixture
def fec(tmp_path: Path) -> Path:
    return write_fec_file(tmp_path / "FEC.txt", books())


def test_every_bill_is_read_with_its_due_date_remittance_and_return(fec: Path) -> None:
    effets = parse_fec(fec).ledger.effets.set_index("client_id")
    assert list(effets.columns) == [c for c in EFFETS.memory_names if c != "client_id"]
    assert effets["invoice_id"].to_dict() == {"C1": "F1", "C3": "F3", "C2": "F2", "C4": "F4"}
    assert effets["kind"].to_dict() == {"C1": "lcr", "C3": "lcr", "C2": "lcr", "C4": "billet"}
    assert effets["amount_cents"].to_dict() == {
        "C1": 120_000,
        "C3": 90_000,
        "C2": 60_000,
        "C4": 50_000,
    }
    due = effets["due_date"].dt.strftime("%Y-%m-%d").to_dict()
    assert due == {"C1": "2024-03-15", "C3": "2024-04-30", "C2": "2024-03-31", "C4": "2024-05-20"}
    assert effets["remittance"].to_dict() == {
        "C1": "discount",
        "C3": "discount",
        "C2": "collection",
        "C4": None,
    }
    remitted_on = effets["remitted_date"].dt.strftime("%Y-%m-%d").fillna("").to_dict()
    assert remitted_on == {"C1": "2024-01-25", "C3": "2024-02-10", "C2": "2024-03-20", "C4": ""}
    unpaid = effets["unpaid_date"].dt.strftime("%Y-%m-%d").fillna("").to_dict()
    assert unpaid == {"C1": "", "C3": "2024-05-03", "C2": "", "C4": ""}


def test_a_held_bill_keeps_its_invoice_open(fec: Path) -> None:
    invoices = parse_fec(fec).ledger.invoices.set_index("invoice_id")
    # On the books' dates: the invoice is settled when 413 is credited (the remittance).
    paid = invoices["paid_date"].dt.strftime("%Y-%m-%d").fillna("").to_dict()
    assert paid["F1"] == "2024-01-25" and paid["F2"] == "2024-03-20"
    assert paid["F4"] == ""  # the billet is held: the client has not paid


# Hand-worked, per month end: (encours, effets escomptés non échus, books 411 + 413).
# 31/01: C1's discounted bill (1 200), books nil.
# 29/02: C1 1 200 and C3 900 discounted; C2's F2 on 413 (600).
# 31/03: C1 due 15/03, gone; C2 remitted for collection; C3 900; C4's F4 500 on 413.
# 30/04: C3 due that day, gone; C4 500. 31/05: C3 returned unpaid, 900 again on 411.
EXPECTED = {
    "2024-01-31": (1_200, 1_200, 0),
    "2024-02-29": (2_700, 2_100, 600),
    "2024-03-31": (1_400, 900, 500),
    "2024-04-30": (500, 0, 500),
    "2024-05-31": (1_400, 0, 1_400),
}


def test_the_encours_holds_discounted_bills_until_due(engine: Engine, fec: Path) -> None:
    import_fec(engine, fec)
    ledger = load_ledger(engine)
    assert len(ledger.effets) == 4
    book = book_lines(fec)
    for day, (encours, discounted, on_books) in EXPECTED.items():
        as_of = date.fromisoformat(day)
        (eur,) = compute_kpis(ledger, as_of)
        assert float(eur.encours) == encours, day
        assert float(eur.effets_escomptes_non_echus) == discounted, day
        assert eur.as_json()["effets_escomptes_non_echus"] == discounted
        result = reconcile(book, ledger, as_of)
        assert result.totals["books_cents"] == on_books * 100, day
        assert result.totals["effets_escomptes_cents"] == discounted * 100, day
        assert result.unexplained_cents == 0, (day, result.clients)


def test_the_due_date_comes_from_date_rglt_first(tmp_path: Path) -> None:
    columns = [*FEC_COLUMNS, *REGIME_COLUMNS]
    lines = books()
    for row in lines:
        row["DateRglt"] = ""
    bill = next(r for r in lines if r["CompteNum"] == "413000" and r["CompAuxNum"] == "C1")
    bill["DateRglt"] = "20240410"
    path = write_fec_file(tmp_path / "FEC.txt", lines, columns=columns)
    effets = parse_fec(path).ledger.effets.set_index("client_id")
    assert effets.loc["C1", "due_date"] == pd.Timestamp("2024-04-10")
    assert effets.loc["C3", "due_date"] == pd.Timestamp("2024-04-30")  # from its label


def test_a_bill_without_a_due_date_is_due_with_its_invoice(tmp_path: Path) -> None:
    lines = books()
    for row in lines:
        if row["EcritureLib"] == "LCR F1 ECH 15/03/2024":
            row["EcritureLib"] = "LCR F1"
    read = parse_fec(write_fec_file(tmp_path / "FEC.txt", lines), default_terms_days=45)
    effets = read.ledger.effets.set_index("client_id")
    assert effets.loc["C1", "due_date"] == pd.Timestamp("2024-01-10") + pd.Timedelta(days=45)
    assert any("1 bill(s) on 413 give no due date" in w for w in read.warnings)


def test_an_unlettered_remittance_is_matched_by_amount(tmp_path: Path) -> None:
    lines = books()
    for row in lines:
        if row["CompteNum"] == "413000":
            row["EcritureLet"] = ""
    ledger = parse_fec(write_fec_file(tmp_path / "FEC.txt", lines)).ledger
    effets = ledger.effets.set_index("client_id")
    assert effets["remittance"].to_dict() == {
        "C1": "discount",
        "C3": "discount",
        "C2": "collection",
        "C4": None,
    }
    # Unlettered on 413, the invoice stays open and the remittance is unapplied cash:
    # the encours still equals the books plus the discounted bills.
    (eur,) = compute_kpis(ledger, date(2024, 2, 29))
    assert float(eur.encours) == 2_700


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("LCR ECH 15/03/2024", "2024-03-15"),
        ("LCR 31.03.24 F12", "2024-03-31"),
        ("BOR ECH 01-12-2025", "2025-12-01"),
        ("LCR F1", None),
        ("LCR 45/13/2024", None),
    ],
)
def test_a_due_date_is_read_from_a_label(label: str, expected: str | None) -> None:
    (found,) = date_in_label(pd.Series([label]))
    assert (None if pd.isna(found) else found.strftime("%Y-%m-%d")) == expected
