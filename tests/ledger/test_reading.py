"""Reading a directory of data-contract files: typed frames, or every bad row named."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.contract import TABLES, Ledger, empty_frame
from ledger.errors import ImportRejected, RowProblem
from ledger.files import write_ledger
from ledger.reading import read_ledger_dir

Rows = list[dict[str, str]]

GOOD: dict[str, Rows] = {
    "clients": [
        {
            "client_id": "C001",
            "name": "Acme SA",
            "country": "FR",
            "sector": "industry",
            "is_public_sector": "false",
            "created_on": "2020-01-15",
            "payment_terms_days": "30",
            "credit_limit": "10000.00",
            "x_segment": "key account",
        },
        {
            "client_id": "C002",
            "name": "Ville de Lyon",
            "country": "fr",
            "sector": "public",
            "is_public_sector": "Oui",
            "created_on": "",
            "payment_terms_days": "",
            "credit_limit": "0",
            "x_segment": "",
        },
    ],
    "invoices": [
        {
            "invoice_id": "F001",
            "client_id": "C001",
            "issue_date": "2024-01-10",
            "due_date": "2024-02-09",
            "amount": "1200.50",
            "currency": "EUR",
            "doc_type": "invoice",
            "disputed": "false",
            "paid_date": "2024-02-15",
            "written_off": "no",
            "credited_invoice_id": "",
            "x_channel": "edi",
            "legacy_code": "Z9",
        },
        {
            "invoice_id": "F002",
            "client_id": "C002",
            "issue_date": "2024-02-01",
            "due_date": "2024-03-02",
            "amount": "99.9",
            "currency": "",
            "doc_type": "",
            "disputed": "1",
            "paid_date": "",
            "written_off": "",
            "credited_invoice_id": "",
            "x_channel": "",
            "legacy_code": "",
        },
        {
            "invoice_id": "F003",
            "client_id": "C001",
            "issue_date": "2024-02-05",
            "due_date": "2024-02-05",
            "amount": "100",
            "currency": "EUR",
            "doc_type": "credit_note",
            "disputed": "",
            "paid_date": "",
            "written_off": "",
            "credited_invoice_id": "F001",
            "x_channel": "web",
            "legacy_code": "",
        },
    ],
    "payments": [
        {
            "payment_id": "P001",
            "client_id": "C001",
            "payment_date": "2024-02-15",
            "amount": "1200.50",
            "reference": "VIR ACME F001",
            "invoice_id": "F001",
        },
    ],
    "advances": [
        {
            "client_id": "C002",
            "received_date": "2024-01-05",
            "amount": "500",
            "reference": "acompte",
            "applied_date": "",
        },
    ],
    "unbilled": [
        {
            "client_id": "C001",
            "delivered_date": "2024-03-01",
            "expected_issue_date": "2024-03-10",
            "amount": "250.00",
        },
    ],
    "actions": [
        {
            "invoice_id": "F002",
            "action_date": "2024-03-10",
            "channel": "email",
            "outcome": "promise_to_pay",
            "promised_date": "2024-03-20",
        },
    ],
    "effets": [
        {
            "effet_id": "LCR001",
            "client_id": "C002",
            "invoice_id": "F002",
            "kind": "LCR",
            "drawn_date": "2024-02-10",
            "due_date": "2024-03-31",
            "amount": "99.90",
            "remitted_date": "2024-02-15",
            "remittance": "discount",
            "unpaid_date": "",
        },
    ],
}


def good_tables() -> dict[str, Rows]:
    """A fresh copy of the good tables, to spoil in a test."""
    return copy.deepcopy(GOOD)


def write_csv(path: Path, rows: Rows, columns: list[str] | None = None) -> Path:
    """Write ``rows`` as a CSV file with ``columns`` (default: the first row's keys)."""
    columns = columns if columns is not None else list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_dir(directory: Path, tables: dict[str, Rows]) -> Path:
    """Write each table as ``<name>.csv`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_csv(directory / f"{name}.csv", rows)
    return directory


def problems_of(directory: Path, **known: set[str]) -> list[RowProblem]:
    """The problems for which reading ``directory`` is rejected."""
    with pytest.raises(ImportRejected) as caught:
        read_ledger_dir(directory, **known)
    return caught.value.problems


def only(problems: list[RowProblem], file: str, row: int | None, field: str | None) -> RowProblem:
    """The one problem at ``file``, ``row``, ``field``."""
    found = [p for p in problems if (p.file, p.row, p.field) == (file, row, field)]
    assert len(found) == 1, problems
    return found[0]


def test_good_directory_reads_into_typed_frames(tmp_path: Path) -> None:
    result = read_ledger_dir(write_dir(tmp_path, good_tables()))
    ledger = result.ledger

    assert set(result.files) == set(TABLES)
    assert result.files["invoices"] == tmp_path / "invoices.csv"
    for name, frame in ledger.tables().items():
        expected = empty_frame(TABLES[name]).dtypes
        assert frame.dtypes[expected.index].equals(expected), name

    invoices = ledger.invoices
    assert invoices["invoice_id"].tolist() == ["F001", "F002", "F003"]
    assert invoices["amount_cents"].tolist() == [120050, 9990, 10000]
    assert invoices["due_date"].tolist() == [
        pd.Timestamp("2024-02-09"),
        pd.Timestamp("2024-03-02"),
        pd.Timestamp("2024-02-05"),
    ]
    assert invoices["paid_date"].isna().tolist() == [False, True, True]
    assert invoices["currency"].tolist() == ["EUR", "EUR", "EUR"]  # empty -> default
    assert invoices["doc_type"].tolist() == ["invoice", "invoice", "credit_note"]
    assert invoices["disputed"].tolist() == [False, True, False]
    assert invoices["written_off"].tolist() == [False, False, False]
    assert invoices["credited_invoice_id"].tolist() == [None, None, "F001"]
    assert invoices["x_channel"].tolist() == ["edi", None, "web"]
    assert "legacy_code" not in invoices
    effets = ledger.effets
    assert effets["kind"].tolist() == ["lcr"]
    assert effets["amount_cents"].tolist() == [9990]
    assert effets["remittance"].tolist() == ["discount"]
    assert effets["due_date"].tolist() == [pd.Timestamp("2024-03-31")]
    assert any("legacy_code" in w and "invoices.csv" in w for w in result.warnings)

    clients = ledger.clients
    assert clients["country"].tolist() == ["FR", "FR"]
    assert clients["is_public_sector"].tolist() == [False, True]
    assert clients["payment_terms_days"].tolist() == [30, pd.NA]
    assert clients["credit_limit_cents"].tolist() == [1_000_000, 0]
    assert clients["created_on"].isna().tolist() == [False, True]
    assert clients["x_segment"].tolist() == ["key account", None]
    assert all(type(v) is str for v in clients["name"])

    assert ledger.payments["invoice_id"].tolist() == ["F001"]
    assert ledger.advances["amount_cents"].tolist() == [50000]
    assert ledger.unbilled["expected_issue_date"].tolist() == [pd.Timestamp("2024-03-10")]
    assert ledger.actions["channel"].tolist() == ["email"]
    assert ledger.actions["promised_date"].tolist() == [pd.Timestamp("2024-03-20")]


def test_absent_optional_tables_are_empty_frames(tmp_path: Path) -> None:
    tables = good_tables()
    result = read_ledger_dir(write_dir(tmp_path, {k: tables[k] for k in ("clients", "invoices")}))

    assert set(result.files) == {"clients", "invoices"}
    for name in ("payments", "advances", "unbilled", "actions"):
        frame = getattr(result.ledger, name)
        assert frame.empty
        assert frame.dtypes.equals(empty_frame(TABLES[name]).dtypes)


def test_bom_crlf_padding_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    text = "\ufeffclient_id , name,country\n  C001 , Acme SA ,FR\n\n,,\nC002,Beta,DE\n"
    (tmp_path / "clients.csv").write_text(text, encoding="utf-8", newline="\r\n")

    clients = read_ledger_dir(tmp_path).ledger.clients

    assert clients["client_id"].tolist() == ["C001", "C002"]
    assert clients["name"].tolist() == ["Acme SA", "Beta"]
    assert clients.index.tolist() == [0, 1]


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_text("client_id,country\nC001,FR\n\nC002,France\n")

    problems = problems_of(tmp_path)

    assert only(problems, "clients.csv", 3, "country").value == "France"


BAD_CASES = [
    # table, row (1-based), field, value, words of the message
    ("invoices", 2, "client_id", "C999", "client C999 is not in the clients file nor already"),
    ("invoices", 1, "due_date", "2024-01-01", "due date 2024-01-01 is before the issue date"),
    ("invoices", 1, "paid_date", "2024-01-09", "paid date 2024-01-09 is before the issue date"),
    ("invoices", 1, "amount", "-5", "amount must be greater than zero"),
    ("invoices", 1, "amount", "0.00", "amount must be greater than zero"),
    ("invoices", 1, "amount", "12,50", "write decimals with a dot"),
    ("invoices", 1, "amount", "abc", "'abc' is not an amount"),
    ("invoices", 1, "amount", "12.345", "'12.345' has more than 2 decimals"),
    ("invoices", 3, "issue_date", "2024/13/01", "'2024/13/01' is not a date in the YYYY-MM-DD"),
    ("invoices", 3, "issue_date", "01/02/2024", "'01/02/2024' is not a date in the YYYY-MM-DD"),
    ("invoices", 3, "issue_date", "2023-02-29", "'2023-02-29' is not a real calendar date"),
    ("invoices", 3, "issue_date", "9999-12-31", "not between the years 1900 and 2200"),
    ("invoices", 2, "issue_date", "", "required value is empty"),
    ("invoices", 2, "disputed", "maybe", "'maybe' is not true or false"),
    ("invoices", 2, "doc_type", "avoir", "'avoir' is not one of invoice, credit_note"),
    ("invoices", 2, "currency", "EURO", "currency must be a 3-letter ISO code"),
    ("invoices", 3, "credited_invoice_id", "F404", "invoice F404 is not in the invoices file"),
    ("clients", 1, "country", "France", "country must be a 2-letter ISO code"),
    ("clients", 1, "credit_limit", "-1", "credit limit cannot be negative"),
    ("clients", 1, "payment_terms_days", "30.5", "'30.5' is not a whole number"),
    ("clients", 1, "payment_terms_days", "-30", "payment terms days cannot be negative"),
    ("payments", 1, "invoice_id", "F999", "invoice F999 is not in the invoices file"),
    ("payments", 1, "client_id", "", "required value is empty"),
    ("advances", 1, "amount", "0", "amount must be greater than zero"),
    ("unbilled", 1, "client_id", "C404", "client C404 is not in the clients file"),
    ("actions", 1, "channel", "xx", "'xx' is not one of email, call, letter, formal_notice, legal"),
    ("actions", 1, "invoice_id", "F999", "invoice F999 is not in the invoices file"),
]


@pytest.mark.parametrize(("table", "row", "field", "value", "message"), BAD_CASES)
def test_a_bad_value_is_named_with_file_row_field_and_words(
    tmp_path: Path, table: str, row: int, field: str, value: str, message: str
) -> None:
    tables = good_tables()
    tables[table][row - 1][field] = value

    problems = problems_of(write_dir(tmp_path, tables))

    assert len(problems) == 1, problems
    problem = only(problems, f"{table}.csv", row, field)
    assert message in problem.message
    assert problem.value == (value or None)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.5", 123450),
        ("1234.50", 123450),
        ("+7", 700),
        ("0012.3000", 1230),
        ("99.", 9900),
        ("9999999999999999.99", 999_999_999_999_999_999),
    ],
)
def test_amounts_become_exact_cents(tmp_path: Path, text: str, cents: int) -> None:
    tables = good_tables()
    tables["invoices"][0]["amount"] = text

    ledger = read_ledger_dir(write_dir(tmp_path, tables)).ledger

    assert ledger.invoices["amount_cents"].iloc[0] == cents


def test_an_amount_beyond_the_database_precision_is_refused(tmp_path: Path) -> None:
    tables = good_tables()
    big = "1" + "0" * 16 + ".00"  # 17 digits before the point; Numeric(18, 2) holds 16
    tables["invoices"][0]["amount"] = big

    problem = only(problems_of(write_dir(tmp_path, tables)), "invoices.csv", 1, "amount")

    assert problem.message == f"'{big}' is too large an amount"


def test_a_duplicate_id_names_every_row_it_is_on(tmp_path: Path) -> None:
    tables = good_tables()
    tables["invoices"][2]["invoice_id"] = "F001"
    tables["invoices"][2]["credited_invoice_id"] = ""

    problems = problems_of(write_dir(tmp_path, tables))

    assert [(p.row, p.field) for p in problems] == [(1, "invoice_id"), (3, "invoice_id")]
    assert problems[0].message == "invoice F001 appears twice in this file (rows 1 and 3)"


def test_a_missing_required_column_is_one_problem_for_the_file(tmp_path: Path) -> None:
    tables = good_tables()
    columns = [c for c in tables["invoices"][0] if c != "due_date"]
    write_dir(tmp_path, tables)
    write_csv(tmp_path / "invoices.csv", tables["invoices"], columns)

    problems = problems_of(tmp_path)

    assert len(problems) == 1, problems
    assert only(problems, "invoices.csv", None, "due_date").message == (
        "required column due_date is missing"
    )


def test_every_problem_of_every_file_is_reported_in_row_order(tmp_path: Path) -> None:
    tables = good_tables()
    tables["invoices"][0]["issue_date"] = "10/01/2024"
    tables["invoices"][1]["amount"] = "-99.90"
    tables["invoices"][2]["client_id"] = "C999"
    tables["invoices"][2]["disputed"] = "peut-être"
    tables["clients"][1]["country"] = "FRA"

    problems = problems_of(write_dir(tmp_path, tables))

    assert [(p.file, p.row, p.field) for p in problems] == [
        ("clients.csv", 2, "country"),
        ("invoices.csv", 1, "issue_date"),
        ("invoices.csv", 2, "amount"),
        ("invoices.csv", 3, "client_id"),
        ("invoices.csv", 3, "disputed"),
    ]
    assert "invoices.csv, row 2, column amount: amount must be greater than zero" in str(
        problems[2]
    )


def test_problems_per_rule_are_capped_but_counted(tmp_path: Path) -> None:
    tables = good_tables()
    template = tables["invoices"][1]
    tables["invoices"] = [
        {**template, "invoice_id": f"F{i}", "due_date": "01/03/2024"} for i in range(1500)
    ]
    del tables["actions"], tables["payments"], tables["effets"]

    problems = problems_of(write_dir(tmp_path, tables))

    assert len(problems) == 1001
    assert [p.row for p in problems[:3]] == [1, 2, 3]
    assert problems[-1].row is None
    assert problems[-1].message.startswith("... and 500 more rows where")


def test_known_client_ids_let_an_invoices_only_import_pass(tmp_path: Path) -> None:
    write_dir(tmp_path, {"invoices": good_tables()["invoices"]})

    result = read_ledger_dir(tmp_path, known_client_ids={"C001", "C002"})

    assert result.ledger.invoices["invoice_id"].tolist() == ["F001", "F002", "F003"]
    assert result.ledger.clients.empty
    problems = problems_of(tmp_path, known_client_ids={"C001"})
    assert only(problems, "invoices.csv", 2, "client_id").message == (
        "client C002 is not already in the ledger and no clients file was given"
    )


def test_known_invoice_ids_let_a_payments_import_pass(tmp_path: Path) -> None:
    tables = good_tables()
    write_dir(tmp_path, {"clients": tables["clients"], "payments": tables["payments"]})

    result = read_ledger_dir(tmp_path, known_invoice_ids={"F001"})

    assert result.ledger.payments["payment_id"].tolist() == ["P001"]
    assert result.ledger.invoices.empty


def test_a_folder_without_clients_or_invoices_is_rejected(tmp_path: Path) -> None:
    write_dir(tmp_path, {"payments": good_tables()["payments"]})

    problems = problems_of(tmp_path, known_client_ids={"C001"}, known_invoice_ids={"F001"})

    assert [p.message for p in problems] == [
        "the folder has neither a clients file nor an invoices file"
    ]


def test_stray_files_warn_and_subdirectories_are_ignored(tmp_path: Path) -> None:
    write_dir(tmp_path, good_tables())
    (tmp_path / "notes.txt").write_text("hello")
    write_dir(tmp_path / "truth", {"late": [{"invoice_id": "F001"}]})

    result = read_ledger_dir(tmp_path)

    assert [w for w in result.warnings if "notes.txt" in w]
    assert not [w for w in result.warnings if "truth" in w or "late" in w]


def test_the_same_table_as_csv_and_parquet_is_a_problem(tmp_path: Path) -> None:
    tables = good_tables()
    write_dir(tmp_path, tables)
    pd.DataFrame(tables["payments"]).to_parquet(tmp_path / "payments.parquet")

    problems = problems_of(tmp_path)

    assert len(problems) == 1
    assert "payments.csv and payments.parquet" in problems[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"client_id,name\nC001,Acme,extra\n", "line 2 has 3 values but the header has 2"),
        (b"client_id,name,client_id\nC001,Acme,C001\n", "column client_id appears more than"),
    ],
)
def test_an_unreadable_file_is_one_problem(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "clients.csv").write_bytes(content)

    problems = problems_of(tmp_path)

    assert len(problems) == 1, problems
    assert problems[0].file == "clients.csv"
    assert problems[0].row is None
    assert message in problems[0].message


def test_parquet_reads_like_csv(tmp_path: Path) -> None:
    tables = good_tables()
    from_csv = read_ledger_dir(write_dir(tmp_path / "csv", tables)).ledger
    (tmp_path / "pq").mkdir()
    for name, rows in tables.items():
        pd.DataFrame(rows).to_parquet(tmp_path / "pq" / f"{name}.parquet", index=False)

    from_parquet = read_ledger_dir(tmp_path / "pq").ledger

    for name, frame in from_csv.tables().items():
        pd.testing.assert_frame_equal(getattr(from_parquet, name), frame, obj=name)


def test_parquet_native_types_are_accepted(tmp_path: Path) -> None:
    clients = pa.table({"client_id": ["C001"], "payment_terms_days": pa.array([45], pa.int32())})
    invoices = pa.table(
        {
            "invoice_id": ["F001", "F002"],
            "client_id": ["C001", "C001"],
            "issue_date": pa.array([dt.date(2024, 1, 10), dt.date(2024, 1, 11)]),
            "due_date": pa.array([dt.datetime(2024, 2, 9), dt.datetime(2024, 2, 10)]),
            "amount": pa.array([1200.5, 0.1]),
            "disputed": pa.array([True, None]),
            "paid_date": pa.array([None, dt.date(2024, 2, 1)], pa.date32()),
        }
    )
    pq.write_table(clients, tmp_path / "clients.parquet")
    pq.write_table(invoices, tmp_path / "invoices.parquet")

    ledger = read_ledger_dir(tmp_path).ledger

    assert ledger.clients["payment_terms_days"].tolist() == [45]
    assert ledger.invoices["issue_date"].tolist() == [
        pd.Timestamp("2024-01-10"),
        pd.Timestamp("2024-01-11"),
    ]
    assert ledger.invoices["due_date"].dtype == "datetime64[ns]"
    assert ledger.invoices["amount_cents"].tolist() == [120050, 10]
    assert ledger.invoices["disputed"].tolist() == [True, False]
    assert ledger.invoices["paid_date"].isna().tolist() == [True, False]


def test_parquet_timestamps_with_a_time_are_not_dates(tmp_path: Path) -> None:
    pq.write_table(pa.table({"client_id": ["C001"]}), tmp_path / "clients.parquet")
    invoices = {**GOOD["invoices"][0], "issue_date": dt.datetime(2024, 1, 10, 14, 30)}
    del invoices["credited_invoice_id"]
    pq.write_table(pa.Table.from_pylist([invoices]), tmp_path / "invoices.parquet")

    problems = problems_of(tmp_path)

    problem = only(problems, "invoices.parquet", 1, "issue_date")
    assert "is not a date in the YYYY-MM-DD format" in problem.message


def dates(*texts: str | None) -> pd.Series:
    """A ``datetime64[ns]`` column from ISO texts (``None`` is missing)."""
    return pd.Series(
        [pd.NaT if t is None else pd.Timestamp(t) for t in texts], dtype="datetime64[ns]"
    )


def objects(*values: str | None) -> pd.Series:
    """A text column of ``str`` objects and ``None``."""
    return pd.Series(list(values), dtype="object")


def hand_ledger() -> Ledger:
    """A small ledger with every table, missing values and user columns."""
    clients = pd.DataFrame(
        {
            "client_id": objects("C001", "C002"),
            "name": objects("Acme, SA", None),
            "country": objects("FR", "BE"),
            "sector": objects(None, "retail"),
            "is_public_sector": [False, True],
            "created_on": dates("2019-05-01", None),
            "payment_terms_days": pd.array([30, None], dtype="Int64"),
            "credit_limit_cents": pd.array([500_000, None], dtype="Int64"),
            "x_region": objects("Nord", None),
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": objects("F001", "F002"),
            "client_id": objects("C001", "C002"),
            "issue_date": dates("2024-01-31", "2024-02-29"),
            "due_date": dates("2024-03-15", "2024-02-29"),
            "amount_cents": pd.array([1, 123_456_789_012], dtype="Int64"),
            "currency": objects("EUR", "USD"),
            "doc_type": objects("invoice", "credit_note"),
            "disputed": [True, False],
            "paid_date": dates(None, "2024-03-01"),
            "written_off": [False, True],
            "credited_invoice_id": objects(None, "F001"),
            "doubtful_date": dates("2024-06-30", None),
            "reference": objects("VE 0123", None),
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": objects("P1"),
            "client_id": objects("C001"),
            "payment_date": dates("2024-03-20"),
            "amount_cents": pd.array([50], dtype="Int64"),
            "currency": objects("EUR"),
            "reference": objects('VIR "ACME" 2024'),
            "invoice_id": objects(None),
        }
    )
    actions = pd.DataFrame(
        {
            "invoice_id": objects("F001"),
            "action_date": dates("2024-03-20"),
            "channel": objects("formal_notice"),
            "outcome": objects(None),
            "promised_date": dates(None),
        }
    )
    effets = pd.DataFrame(
        {
            "effet_id": objects("LCR1"),
            "client_id": objects("C001"),
            "invoice_id": objects("F001"),
            "kind": objects("billet"),
            "drawn_date": dates("2024-02-01"),
            "due_date": dates("2024-03-15"),
            "amount_cents": pd.array([1], dtype="Int64"),
            "currency": objects("EUR"),
            "remitted_date": dates(None),
            "remittance": objects(None),
            "unpaid_date": dates(None),
        }
    )
    return Ledger(
        clients=clients, invoices=invoices, payments=payments, actions=actions, effets=effets
    )


def assert_ledgers_equal(got: Ledger, expected: Ledger) -> None:
    """Every table of ``got`` equals the one of ``expected``."""
    for name, frame in expected.tables().items():
        pd.testing.assert_frame_equal(getattr(got, name), frame, obj=name)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_then_read_gives_back_the_ledger(tmp_path: Path, fmt: str) -> None:
    ledger = hand_ledger()
    write_ledger(ledger, tmp_path, fmt)  # type: ignore[arg-type]

    assert_ledgers_equal(read_ledger_dir(tmp_path).ledger, ledger)


invoice_rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=10**15 - 1),  # cents
        st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2150, 12, 31)),
        st.integers(min_value=0, max_value=120),  # terms in days
        st.one_of(st.none(), st.integers(min_value=0, max_value=400)),  # paid after issue
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=20, deadline=None)
@given(rows=invoice_rows)
def test_round_trip_of_random_amounts_and_dates(
    rows: list[tuple[int, dt.date, int, int | None]],
) -> None:
    issue = pd.Series([pd.Timestamp(d) for _, d, _, _ in rows], dtype="datetime64[ns]")
    paid_after = pd.to_timedelta([p if p is not None else pd.NA for *_, p in rows], unit="D")
    invoices = pd.DataFrame(
        {
            "invoice_id": objects(*(f"F{i}" for i in range(len(rows)))),
            "client_id": objects(*("C001" for _ in rows)),
            "issue_date": issue,
            "due_date": issue + pd.to_timedelta([t for _, _, t, _ in rows], unit="D"),
            "amount_cents": pd.array([c for c, *_ in rows], dtype="Int64"),
            "currency": objects(*("EUR" for _ in rows)),
            "doc_type": objects(*("invoice" for _ in rows)),
            "disputed": [c % 2 == 0 for c, *_ in rows],
            "paid_date": (issue + paid_after).astype("datetime64[ns]"),
            "written_off": [False for _ in rows],
            "credited_invoice_id": objects(*(None for _ in rows)),
            "doubtful_date": pd.Series(pd.NaT, index=range(len(rows)), dtype="datetime64[ns]"),
            "reference": objects(*(None for _ in rows)),
        }
    )
    ledger = Ledger(clients=hand_ledger().clients, invoices=invoices)
    with tempfile.TemporaryDirectory() as folder:
        write_ledger(ledger, Path(folder))

        assert_ledgers_equal(read_ledger_dir(Path(folder)).ledger, ledger)
