"""Bank statements read from a file: camt.053, CFONB 120, MT940 or our own CSV.

A statement file is read by :func:`read_statement`, in the format its content shows:
camt.053, CFONB 120 or MT940 as banks send them (parsed in :mod:`ledger.bank_formats`),
or our own CSV (:func:`read_bank_lines`).

A bank line is one credit on the company's account: ``line_id``, ``date``,
``amount_cents``, ``label`` (the bank's text), ``client_id`` (when the bank or the
payment platform identifies the payer; None otherwise) and ``currency``.

A simulated statement, with the true matches, is made by :mod:`simulator.bank_statement`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from ledger.bank_formats.camt053 import parse_camt053
from ledger.bank_formats.cfonb120 import RECORD_CODES, WIDTH, parse_cfonb120
from ledger.bank_formats.lines import MAX_ID, ParsedStatement, line_ids
from ledger.bank_formats.mt940 import parse_mt940
from ledger.contract import DEFAULT_CURRENCY, id_problem
from ledger.errors import ImportRejected, RowProblem
from ledger.money import decimal_to_cents

BANK_LINE_COLUMNS = ("line_id", "date", "amount_cents", "label", "client_id", "currency")
"""Columns of bank lines in memory (files carry ``amount`` in currency units)."""

_FILE_COLUMNS = ("line_id", "date", "amount", "label")
_OPTIONAL_FILE_COLUMNS = ("client_id", "currency")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- reading a statement file --------------------------------------------------------

STATEMENT_FORMATS = ("csv", "camt053", "cfonb120", "mt940")
"""The statement formats :func:`read_statement` reads."""

_PARSERS = {"camt053": parse_camt053, "cfonb120": parse_cfonb120, "mt940": parse_mt940}
_MT940_START = re.compile(rb"(?m)^:20:")
_MT940_TAG = re.compile(rb"(?m)^:(25|28C|60F|60M|61):")
_CFONB_START = re.compile(rb"^0[1-7]\d{5}")  # record code, bank code


@dataclass
class StatementFile:
    """A statement file as read: its format, its credit lines and what was left out.

    Attributes:
        format: one of :data:`STATEMENT_FORMATS`.
        detail: the version or variant read (``camt.053.001.08``).
        lines: the credits, :data:`BANK_LINE_COLUMNS`.
        debits: debit lines skipped: lettrage matches customer receipts.
        notes: other lines skipped and why (reversals, entries not booked).
    """

    format: str
    detail: str
    lines: pd.DataFrame
    debits: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for the user: the format read and what was skipped."""
        text = f"read {self.format} ({self.detail}): {len(self.lines)} credit line(s)"
        if self.debits:
            text += f", {self.debits} debit(s) skipped"
        return "; ".join((text, *self.notes))

    def as_json(self) -> dict[str, object]:
        """The format and what was skipped, for ``--json``."""
        return {
            "format": self.format,
            "detail": self.detail,
            "debits_skipped": self.debits,
            "notes": self.notes,
        }


def detect_format(data: bytes) -> str:
    """The format of a statement file from its content: XML is camt.053, ``:20:`` with
    MT940 tags is MT940, records of up to 120 characters starting with a record code
    ``01``..``07`` and a 5-digit bank code are CFONB 120; anything else is the CSV."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return "camt053"
    if _MT940_START.search(head) and _MT940_TAG.search(head):
        return "mt940"
    first = data.lstrip().split(b"\n", 1)[0].rstrip(b"\r")
    codes = {c.encode() for c in RECORD_CODES}
    blocks = len(first) % WIDTH == 0 and first[WIDTH : WIDTH + 2] in codes
    if _CFONB_START.match(first) and first[:2] in codes and (len(first) <= WIDTH or blocks):
        return "cfonb120"
    return "csv"


def read_statement(path: Path, format: str = "auto") -> StatementFile:
    """The credit lines of a statement file in ``format`` (detected when ``auto``).

    Raises:
        ImportRejected: a line or entry that cannot be read, named with its field; then
            no line is returned, so nothing is applied.
        ValueError: an unknown ``format``.
    """
    if format not in ("auto", *STATEMENT_FORMATS):
        raise ValueError(f"unknown statement format {format!r}")
    data = path.read_bytes()
    found = detect_format(data) if format == "auto" else format
    if found == "csv":
        return StatementFile("csv", "line_id,date,amount,label", read_bank_lines(path))
    parsed = _PARSERS[found](data, path.name)
    return StatementFile(parsed.format, parsed.detail, _frame(parsed), parsed.debits, parsed.notes)


def _frame(parsed: ParsedStatement) -> pd.DataFrame:
    """The bank lines of a parsed statement, ids given, as :func:`bank_lines_frame`."""
    rows = [
        (line_id, line.day, line.amount_cents, line.label, None, line.currency)
        for line_id, line in zip(line_ids(parsed.format, parsed.lines), parsed.lines, strict=True)
    ]
    return bank_lines_frame(pd.DataFrame(rows, columns=list(BANK_LINE_COLUMNS)))


def read_bank_lines(path: Path) -> pd.DataFrame:
    """The bank lines of a CSV file, or :class:`ImportRejected` naming every bad row.

    Columns ``line_id, date, amount, label`` and optionally ``client_id, currency``;
    dates ``YYYY-MM-DD``, amounts in currency units (``1234.56``), greater than zero.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    raw.columns = [str(c).strip() for c in raw.columns]
    name = path.name
    missing = [c for c in _FILE_COLUMNS if c not in raw.columns]
    if missing:
        raise ImportRejected([RowProblem(name, None, c, f"missing column {c!r}") for c in missing])
    problems: list[RowProblem] = []
    rows = [_bank_line(name, n, record, problems) for n, record in enumerate(_records(raw), 1)]
    seen: set[str] = set()
    for n, row in enumerate(rows, 1):
        if row["line_id"] in seen:
            problems.append(RowProblem(name, n, "line_id", "line_id repeated", row["line_id"]))
        seen.add(str(row["line_id"]))
    if problems:
        raise ImportRejected(problems)
    return bank_lines_frame(pd.DataFrame(rows, columns=list(BANK_LINE_COLUMNS)))


def _records(raw: pd.DataFrame) -> list[dict[str, str]]:
    columns = [c for c in (*_FILE_COLUMNS, *_OPTIONAL_FILE_COLUMNS) if c in raw.columns]
    return [{str(k): str(v).strip() for k, v in r.items()} for r in raw[columns].to_dict("records")]


def _bank_line(
    file: str, n: int, record: dict[str, str], problems: list[RowProblem]
) -> dict[str, object]:
    """One file row in memory; what is wrong with it goes to ``problems``."""
    if not record["line_id"]:
        problems.append(RowProblem(file, n, "line_id", "line_id is empty"))
    problems += _id_problems(file, n, record)
    day: object = None
    try:
        day = date.fromisoformat(record["date"])
    except ValueError:
        problems.append(RowProblem(file, n, "date", "not a date YYYY-MM-DD", record["date"]))
    cents: object = None
    try:
        amount = Decimal(record["amount"])
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
        cents = decimal_to_cents(amount)
    except InvalidOperation:
        problems.append(
            RowProblem(
                file, n, "amount", "not an amount > 0 with at most 2 decimals", record["amount"]
            )
        )
    currency = record.get("currency") or DEFAULT_CURRENCY
    if not _CURRENCY.match(currency):
        problems.append(RowProblem(file, n, "currency", "not an ISO 4217 code", currency))
    return {
        "line_id": record["line_id"],
        "date": day,
        "amount_cents": cents,
        "label": record["label"],
        "client_id": record.get("client_id") or None,
        "currency": currency,
    }


def _id_problems(file: str, n: int, record: dict[str, str]) -> list[RowProblem]:
    """The ids of a row that the database cannot hold or a person cannot read.

    A line id has at most :data:`MAX_ID` characters: its payments are ``<line_id>-<n>``.
    """
    problems = []
    for column in ("line_id", "client_id"):
        value = record.get(column) or ""
        why = id_problem(value) if value else None
        if why is None and column == "line_id" and len(value) > MAX_ID:
            why = f"a bank line id has at most {MAX_ID} characters, this one has {len(value)}"
        if why is not None:
            problems.append(RowProblem(file, n, column, why, value))
    return problems


def bank_lines_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Bank lines with the in-memory dtypes; ``client_id`` and ``currency`` filled in."""
    out = pd.DataFrame(index=frame.index)
    out["line_id"] = frame["line_id"].astype(str).astype(object)
    out["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    out["amount_cents"] = frame["amount_cents"].astype("int64")
    out["label"] = frame["label"].fillna("").astype(str).astype(object)
    client = frame["client_id"] if "client_id" in frame else pd.Series(None, index=frame.index)
    out["client_id"] = client.astype(object).where(client.notna(), None)
    currency = frame.get("currency", pd.Series(DEFAULT_CURRENCY, index=frame.index))
    out["currency"] = currency.astype(object).where(currency.notna(), DEFAULT_CURRENCY)
    return out.reset_index(drop=True)
