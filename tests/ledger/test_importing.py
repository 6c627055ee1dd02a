"""`encours import` end to end on each database: atomic, idempotent, updates in place."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.contract import Ledger
from ledger.errors import ImportRejected
from ledger.files import write_ledger
from ledger.importing import import_directory
from ledger.storage import load_ledger, table_counts
from tests.ledger.factories import small_ledger


def _write(ledger: Ledger, folder: Path) -> Path:
    write_ledger(ledger, folder)
    return folder


def test_import_stores_every_table_with_user_columns(engine: Engine, tmp_path: Path) -> None:
    report = import_directory(engine, _write(small_ledger(), tmp_path / "a"))
    assert {n: c.inserted for n, c in report.summary.tables.items()} == {
        "clients": 2,
        "invoices": 3,
        "payments": 2,
        "advances": 2,
        "unbilled": 1,
        "actions": 1,
    }
    invoices = load_ledger(engine).invoices.set_index("invoice_id")
    assert invoices.loc["F2", "amount_cents"] == 55_050
    assert invoices.loc["F1", "x_channel"] == "edi"
    assert load_ledger(engine).clients.set_index("client_id").loc["C1", "x_segment"] == (
        "key_account"
    )


def test_importing_the_same_files_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    folder = _write(small_ledger(), tmp_path / "a")
    import_directory(engine, folder)
    before = load_ledger(engine)
    again = import_directory(engine, folder)
    assert again.summary.changed == 0
    after = load_ledger(engine)
    for name, frame in before.tables().items():
        pd.testing.assert_frame_equal(frame, after.tables()[name])


def test_reimport_with_a_paid_date_filled_updates_that_invoice(
    engine: Engine, tmp_path: Path
) -> None:
    import_directory(engine, _write(small_ledger(), tmp_path / "a"))
    later = small_ledger()
    later.invoices.loc[later.invoices["invoice_id"] == "F2", "paid_date"] = pd.Timestamp(
        "2024-04-02"
    )
    report = import_directory(engine, _write(Ledger(invoices=later.invoices), tmp_path / "b"))
    changes = report.summary.tables["invoices"]
    assert (changes.inserted, changes.updated, changes.unchanged) == (0, 1, 2)
    paid = load_ledger(engine).invoices.set_index("invoice_id")["paid_date"]
    assert paid["F2"] == pd.Timestamp("2024-04-02")


def test_a_file_with_one_bad_row_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    import_directory(engine, _write(small_ledger(), tmp_path / "a"))
    counts, before = table_counts(engine), load_ledger(engine)
    bad = small_ledger()
    # New clients and invoices that are fine, and one invoice due before its issue date.
    bad.clients["client_id"] = ["C3", "C4"]
    bad.invoices["client_id"] = ["C3", "C4", "C3"]
    bad.invoices["invoice_id"] = ["G1", "G2", "G3"]
    bad.invoices["credited_invoice_id"] = [None, None, "G1"]
    bad.invoices.loc[1, "due_date"] = pd.Timestamp("2024-01-01")
    with pytest.raises(ImportRejected) as rejected:
        import_directory(
            engine, _write(Ledger(clients=bad.clients, invoices=bad.invoices), tmp_path / "b")
        )
    [problem] = rejected.value.problems
    assert (problem.row, problem.field) == (2, "due_date")
    assert table_counts(engine) == counts
    after = load_ledger(engine)
    for name, frame in before.tables().items():
        pd.testing.assert_frame_equal(frame, after.tables()[name])


def test_invoices_alone_may_name_clients_already_imported(engine: Engine, tmp_path: Path) -> None:
    import_directory(engine, _write(Ledger(clients=small_ledger().clients), tmp_path / "a"))
    invoices = small_ledger().invoices
    report = import_directory(engine, _write(Ledger(invoices=invoices), tmp_path / "b"))
    assert report.summary.tables["invoices"].inserted == 3
    unknown = invoices.assign(client_id=["C1", "C9", "C1"])
    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, _write(Ledger(invoices=unknown), tmp_path / "c"))
    assert [(p.row, p.field) for p in rejected.value.problems] == [(2, "client_id")]
    assert "C9" in str(rejected.value.problems[0])


def _csv(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text(text, encoding="utf-8")


CLIENTS_CSV = "client_id,name\nC1,Acme\nC2,Ville de Lyon\n"
INVOICE_HEADER = "invoice_id,client_id,issue_date,due_date,amount\n"
GOOD_INVOICE = "F1,C1,2024-01-10,2024-02-09,100.00\n"


@pytest.mark.parametrize(
    ("bad_row", "field", "words"),
    [
        ("F2,C9,2024-01-10,2024-02-09,100.00", "client_id", "C9"),
        ("F2,C1,2024-03-10,2024-02-09,100.00", "due_date", "before the issue date"),
        ("F2,C1,2024-01-10,2024-02-09,-100.00", "amount", "greater than zero"),
        ("F2,C1,2024-01-10,2024-02-31,100.00", "due_date", "2024-02-31"),
        ("F2,C1,10/01/2024,2024-02-09,100.00", "issue_date", "YYYY-MM-DD"),
        ("F1,C1,2024-01-10,2024-02-09,100.00", "invoice_id", "twice"),
    ],
    ids=["unknown-client", "due-before-issue", "negative", "bad-date", "not-iso", "duplicate"],
)
def test_each_bad_row_is_named_and_nothing_is_written(
    engine: Engine, tmp_path: Path, bad_row: str, field: str, words: str
) -> None:
    _csv(tmp_path, "clients", CLIENTS_CSV)
    _csv(tmp_path, "invoices", INVOICE_HEADER + GOOD_INVOICE + bad_row + "\n")
    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, tmp_path)
    problems = rejected.value.problems
    # A duplicate is reported on both of its rows; every other case on row 2 alone.
    assert {(p.file, p.field) for p in problems} == {("invoices.csv", field)}
    assert {p.row for p in problems} == ({1, 2} if words == "twice" else {2})
    assert all(words in str(p) for p in problems)
    assert set(table_counts(engine).values()) == {0}


def test_a_missing_required_column_is_named(engine: Engine, tmp_path: Path) -> None:
    _csv(tmp_path, "clients", CLIENTS_CSV)
    _csv(tmp_path, "invoices", "invoice_id,client_id,issue_date,amount\nF1,C1,2024-01-10,5\n")
    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, tmp_path)
    assert [(p.row, p.field) for p in rejected.value.problems] == [(None, "due_date")]
    assert "due_date" in str(rejected.value.problems[0])
    assert set(table_counts(engine).values()) == {0}
