"""Read and write a FEC, the French legal ledger export (article A47 A-1 du LPF).

A FEC lists every line of every accounting entry (écriture) in 18 columns, separated
by tabs or pipes, dates ``YYYYMMDD``, amounts with a decimal comma, often in
ISO-8859-15. The receivables ledger of the data contract is derived from it:

- **clients**: the client accounts, i.e. the lines on 411 (and 413 effets à recevoir,
  416 clients douteux) accounts with their auxiliary account (``CompAuxNum``,
  ``CompAuxLib``), or the 411 sub-account itself (``411DUPONT``, ``CompteLib``) when a
  line has no auxiliary (a 413/416 line without one belongs to its entry's 411 client);
- **invoices**: debits on client accounts, dated by ``PieceDate``; **credit notes**:
  credits on client accounts in sales entries (entries with a 70x or 4457x line and no
  bank line). Where ``PieceRef`` numbers invoices, an invoice is the lines of one number
  (installments summed); where it numbers batches (one piece a month for every
  client's invoices), an invoice is one client's lines within one entry (see
  :func:`_document_ids`);
- **payments**: the other credits on client accounts: bank receipts, and also advances
  or compensations set against an invoice, which lower what the client owes just the
  same. Credits in entries with a 654 line are write-offs (pertes sur créances): they
  become payment rows too (the client account is credited, the books no longer hold the
  amount), and a group they settle marks its invoices written off. Debits in bank
  entries (refunds, rejected payments) are amounts owed again, keyed by their entry;
- **à-nouveaux** (opening entries: journal ``AN``/``RAN`` or labelled "à nouveaux"):
  their debits are last year's open invoices, dated by their ``PieceDate``, their
  credits open payments;
- **advances** (compte 419): credits on 4191 accounts, applied once 4191 debits of the
  same client (and lettrage code) cover them, first in first out;
- **lettrage**: the lines of a client account sharing an ``EcritureLet`` code form a
  group. A group that balances is settled: its invoices and credit notes are settled on
  its latest ``DateLet``, or when ``DateLet`` is empty on the date of its latest line
  (the lettered payment), never before a line of the group. In every group, payments are
  set against invoices in date order, so that one invoice settled by two payments and
  one payment settling two invoices (split into one payment row per invoice) both come
  out; a group with a write-off marks its invoices written off.

Amounts are the book's euros (``Debit``, ``Credit``); an invoice in another currency keeps
``Idevise`` and ``Montantdevise`` as the user columns ``x_idevise``, ``x_montantdevise``.
Due dates are not in a FEC: an invoice is due its client's ``payment_terms_days`` after
its date when the clients are given, else after ``default_terms_days`` (30, the legal
default). Ids: invoices from ``PieceRef`` or from their entry
(``<JournalCode>-<EcritureNum>-<EcritureDate>-<client>``), clients from ``CompAuxNum``
(or the 411 sub-account), payments from the entry
(``<JournalCode>-<EcritureNum>-<EcritureDate>``), stable from one export of the same
books to the next.

Variants real packages write, all read (each has a fixture in
``tests/ledger/test_fec_variants.py`` or ``tests/ledger/test_fec.py``):

- tab or pipe separators; UTF-8 (with or without BOM), ISO-8859-15 or CP1252; header
  names in any case; fields quoted or not; CRLF or LF;
- 18 columns, or ``Montant`` + ``Sens`` instead of ``Debit`` + ``Credit``, or 19 to 22
  with the cash-regime columns ``DateRglt``, ``ModeRglt``, ``NatOp``, ``IdClient``;
  other columns ignored with a warning;
- a trailing separator on every line, with or without one on the header;
- fields space-padded; amounts zero-padded (``0000000074,70``), with a comma or a dot,
  a sign, or fewer than two decimals;
- journal codes in any case; ``EcritureNum`` numbering entries (restarting each year:
  ids carry the date), or constant (``0`` on every line: entries known by ``PieceRef``
  and ``PieceDate``); ``PieceRef`` numbering invoices, batches, or empty;
- ``EcritureLet`` with ``DateLet`` empty; à-nouveaux on 411 lettered or not, detailed
  (one line per open invoice) or one line per client;
- counter takings on 411 pseudo-clients (``RECETTE CB``): imported, named in a warning,
  left out with ``exclude_clients``.

Rejected, with the row and the reason: a header that is not a FEC's (``;`` or ``,``
separators: a FEC is tab or pipe separated by law), a required column missing, a line
with fewer fields than the header, dates other than ``YYYYMMDD`` (the legal format:
another would be guessed, not read), amounts that are not numbers, with thousands
separators or more than two decimals, entries whose debits and credits differ, ids
longer than the database holds. Not read: the XML FEC (rare, allowed by the same
article), the 4181 factures à établir: the accrual is most often booked on the general
account with no client, and reversed in bulk the next period, so it cannot be set against
one client's deliveries; a warning counts them, give them as ``unbilled``.

Effets à recevoir (413): see :mod:`ledger.fec_effets`; the bills become the ``effets``
table, and a transfer from 411 to 416 marks its invoice douteuse (``doubtful_date``).

A file with any problem is rejected whole; every problem names its row as in the other
imports: row 1 is the first line after the header, i.e. line 2 of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Engine, select

from ledger.contract import (
    ADVANCES,
    CLIENTS,
    DEFAULT_CURRENCY,
    INVOICES,
    PAYMENTS,
    Ledger,
    contract_frame,
)
from ledger.conventions import DateFormat, detect_encoding
from ledger.errors import ImportRejected, LedgerError, RowProblem
from ledger.fec_effets import effet_ids_by_row, effets_of, with_effet_due_dates
from ledger.fec_ids import built_id_failures, client_id_failures
from ledger.importing import ImportReport
from ledger.money import format_cents
from ledger.reading import read_ledger_dir, stripped_text
from ledger.schema import TABLE_OBJECTS
from ledger.storage import known_ids, migrate, save_ledger
from ledger.validation import (
    AT_MOST_CENTS,
    MAX_PROBLEMS_PER_RULE,
    NOT_TOO_LARGE,
    NUMBER,
    ROWS_NAMED,
    Failure,
    cents_of,
    failures_where,
    quoted,
    rows_in_words,
    strict_dates,
)

IntArray = npt.NDArray[np.int64]

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
SIGNED_COLUMNS = ("Montant", "Sens")  # the legal alternative to Debit and Credit
REGIME_COLUMNS = ("DateRglt", "ModeRglt", "NatOp", "IdClient")  # added by some regimes
UNUSED_COLUMNS = ("ValidDate", "Montantdevise", "Idevise")  # legal, not needed here
REQUIRED_COLUMNS = tuple(
    c for c in FEC_COLUMNS if c not in UNUSED_COLUMNS and c not in ("Debit", "Credit")
)
KNOWN_COLUMNS = (*FEC_COLUMNS, *SIGNED_COLUMNS, *REGIME_COLUMNS)

CLIENT_ACCOUNTS = r"41[136]"  # clients, effets à recevoir, clients douteux
MIN_TAKINGS = 3  # invoices, all settled the day of issue, before a client looks like takings
DEFAULT_TERMS_DAYS = 30  # LME: 30 days when nothing else is agreed
FEC_DATE = r"[0-9]{8}"
FEC_DATE_FORMAT = DateFormat(
    FEC_DATE, "%Y%m%d", 6, "YYYYMMDD", "the FEC format YYYYMMDD", "20240131"
)
DEBIT_WORDS = ("D", "+1", "1", "DEBIT", "DÉBIT")
CREDIT_WORDS = ("C", "-1", "CREDIT", "CRÉDIT")
OPENING_CODE = r"R?ANO?[0-9]*|A-?NOUV.*"
OPENING_LABEL = r".*(nouveau|ouverture|report).*"

# Roles of the lines on client accounts.
INVOICE, CREDIT_NOTE, PAYMENT, WRITE_OFF, OTHER_DEBIT, TRANSFER = (
    "invoice",
    "credit_note",
    "payment",
    "write_off",
    "other_debit",
    "transfer",  # between a client's 411 and its 416 (douteux) or 413 (effets)
)
OWED_ROLES = (INVOICE, OTHER_DEBIT)
DOCUMENT_ROLES = (INVOICE, OTHER_DEBIT, CREDIT_NOTE)  # each becomes a row of invoices
SETTLING_ROLES = (PAYMENT, CREDIT_NOTE, WRITE_OFF)
CREDITED_ROLES = (PAYMENT, WRITE_OFF)  # each becomes payment rows: the account is credited

# What write_fec writes: (account, label).
CLIENTS_ACCOUNT = ("411000", "Clients")
ADVANCES_ACCOUNT = ("419100", "Clients - avances et acomptes reçus")
SALES_ACCOUNT = ("706000", "Prestations de services")
VAT_ACCOUNT = ("445710", "TVA collectée")
BANK_ACCOUNT = ("512000", "Banque")
LOSSES_ACCOUNT = ("654000", "Pertes sur créances irrécouvrables")
JOURNALS = {"VT": "Ventes", "BQ": "Banque", "OD": "Opérations diverses"}
VAT_RATE_PERCENT = 20  # French clients; others are invoiced without VAT (intra-EU, export)


@dataclass(frozen=True)
class FecRead:
    """A FEC read: the ledger, what was set aside, and how the file was written."""

    ledger: Ledger
    warnings: list[str]
    encoding: str
    separator: str
    bill_due_dates: pd.Series  # per row of ledger.effets: the due date the file gives, or NaT


@dataclass(frozen=True)
class FecWritten:
    """What ``write_fec`` wrote."""

    path: Path
    lines: int
    entries: int


# --- reading the file as text ----------------------------------------------------------


def _header(path: Path, encoding: str) -> str:
    """The first line of the file, decoded, without its line break or byte-order mark."""
    with path.open("rb") as handle:
        first = handle.readline()
    return first.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")


def _layout(header: str, file: str) -> tuple[str, list[str], bool, list[RowProblem]]:
    """The separator, the column names, whether fields are quoted, and layout problems."""
    if not header.strip():
        return "\t", [], False, [RowProblem(file, None, None, "the file is empty")]
    separator = "\t" if header.count("\t") >= header.count("|") else "|"
    if separator not in header:
        other = next((s for s in (";", ",") if s in header), None)
        how = f"separated by {other!r}" if other else "not separated"
        message = (
            f"the first line is not a FEC header: its columns are {how}, but a FEC separates "
            "its 18 columns (JournalCode, JournalLib, EcritureNum...) by tabs or pipes (|)"
        )
        return separator, [], False, [RowProblem(file, None, None, message)]
    raw = [name.strip() for name in header.split(separator)]
    is_quoted = all(len(n) >= 2 and n[0] == n[-1] == '"' for n in raw if n)
    names = [n.strip('"').strip() for n in raw] if is_quoted else raw
    return separator, names, is_quoted, []


def _columns(names: list[str], file: str) -> tuple[dict[int, str], list[RowProblem], list[str]]:
    """Which position holds which FEC column, problems with the header, and warnings."""
    known = {c.lower(): c for c in KNOWN_COLUMNS}
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    problems: list[RowProblem] = []
    ignored = []
    for position, name in enumerate(names):
        canonical = known.get(name.lower())
        if canonical is None:
            if name:
                ignored.append(name)
            continue
        if canonical in seen:
            message = f"column {canonical} appears more than once in the header"
            problems.append(RowProblem(file, None, canonical, message))
            continue
        seen[canonical] = position
        positions[position] = canonical
    has_debit_credit = "Debit" in seen and "Credit" in seen
    has_signed = "Montant" in seen and "Sens" in seen
    required = list(REQUIRED_COLUMNS)
    if not has_signed or has_debit_credit:
        required += ["Debit", "Credit"]
    missing = [c for c in required if c not in seen]
    if missing and not seen:
        message = (
            "the first line is not a FEC header: expected the columns "
            f"{', '.join(FEC_COLUMNS)}, found {', '.join(names[:6])}..."
        )
        problems.append(RowProblem(file, None, None, message))
    else:
        for column in missing:
            message = f"required FEC column {column} is missing from the header"
            if column in ("Debit", "Credit"):
                message += " (or give Montant and Sens instead of Debit and Credit)"
            problems.append(RowProblem(file, None, column, message))
    warnings = []
    if ignored:
        warnings.append(
            f"{file}: column(s) {', '.join(ignored)} are not FEC columns and were ignored"
        )
    return positions, problems, warnings


def _read_text(
    path: Path, encoding: str, separator: str, is_quoted: bool, names: list[str]
) -> tuple[pa.Table, list[str]]:
    """The lines after the header as text columns, and the lines of the wrong width."""
    positional = [f"c{i}" for i in range(len(names))]
    bad_lines: list[str] = []

    def skip_bad_line(row: pacsv.InvalidRow) -> str:
        if len(bad_lines) < MAX_PROBLEMS_PER_RULE:
            where = "a line" if row.number is None else f"line {row.number}"
            bad_lines.append(
                f"{where} has {row.actual_columns} fields but the header has "
                f"{row.expected_columns} columns: {row.text!r}"
            )
        return "skip"

    def read(use_threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=positional,
                skip_rows=1,
                use_threads=use_threads,
                encoding="utf8" if encoding == "utf-8" else encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=separator,
                quote_char='"' if is_quoted else False,
                ignore_empty_lines=False,
                invalid_row_handler=skip_bad_line,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positional, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    table = read(True)
    if bad_lines:
        # Only a single-threaded read knows line numbers: worth it on the way out.
        bad_lines.clear()
        table = read(False)
    return table, bad_lines


def _text_frame(table: pa.Table, positions: dict[int, str]) -> pd.DataFrame:
    """The FEC columns as stripped text (missing: NaN), indexed by data row number."""
    rows = pd.RangeIndex(1, table.num_rows + 1)
    data = {name: stripped_text(table.column(p)).set_axis(rows) for p, name in positions.items()}
    frame = pd.DataFrame(data, index=rows)
    return frame[frame.notna().any(axis=1)]


# --- checking and typing the lines ----------------------------------------------------


def _fec_dates(text: pd.Series, column: str) -> tuple[pd.Series, list[Failure]]:
    """``YYYYMMDD`` texts as ``datetime64[ns]``; missing stays NaT."""
    return strict_dates(text, column, FEC_DATE_FORMAT)


def _fec_amounts(text: pd.Series, column: str) -> tuple[pd.Series, list[Failure]]:
    """Amounts with a decimal comma (or dot) as ``Int64`` cents: empty is 0, bad is NA."""
    present = text.notna()
    dotted = text.str.replace(",", ".", regex=False)
    number = dotted.str.fullmatch(NUMBER)
    cents_only = dotted.str.fullmatch(AT_MOST_CENTS)
    too_large = number & ~dotted.str.fullmatch(NOT_TOO_LARGE)
    valid = number & cents_only & ~too_large
    cents = cents_of(dotted.where(valid)).mask(~present, 0)
    show = quoted(text)
    failures = [
        *failures_where(
            column,
            present & ~number,
            "the amount is not a number",
            lambda r: (
                f"{show(r)} is not an amount: write it like 1234,50 "
                "(no thousands separator, no currency sign)"
            ),
            text,
        ),
        *failures_where(
            column,
            number & ~cents_only,
            "the amount has more than 2 decimals",
            lambda r: f"{show(r)} has more than 2 decimals",
            text,
        ),
        *failures_where(
            column,
            too_large,
            "the amount is too large",
            lambda r: f"{show(r)} is too large an amount",
            text,
        ),
    ]
    return cents, failures


def _signed_cents(text: pd.DataFrame) -> tuple[pd.Series, list[Failure]]:
    """Debit minus credit of each line, in cents (NA where an amount is bad)."""
    if "Debit" in text and "Credit" in text:
        debit, failures = _fec_amounts(text["Debit"], "Debit")
        credit, more = _fec_amounts(text["Credit"], "Credit")
        return debit - credit, failures + more
    amount, failures = _fec_amounts(text["Montant"], "Montant")
    sens = text["Sens"].str.upper()
    sign = pd.Series(np.where(sens.isin(DEBIT_WORDS), 1, -1), index=text.index)
    show = quoted(text["Sens"])
    failures += failures_where(
        "Sens",
        ~sens.isin(DEBIT_WORDS) & ~sens.isin(CREDIT_WORDS),
        "the direction is not D or C",
        lambda r: f"{show(r)} is not a direction: write D (débit) or C (crédit)",
        text["Sens"],
    )
    return amount * sign, failures


def _required_failures(text: pd.DataFrame, columns: Collection[str]) -> list[Failure]:
    """Rows where a value needed on every line is empty."""
    failures: list[Failure] = []
    for column in columns:
        message = f"{column} is empty: every line needs one"
        failures += failures_where(column, text[column].isna(), message, _constant(message))
    return failures


def _euros(cents: int) -> str:
    """Cents in the FEC's own writing: ``123456`` -> ``1234,56``."""
    return format_cents(pd.Series([cents])).iloc[0].replace(".", ",")


def _balance_failures(lines: pd.DataFrame) -> list[Failure]:
    """Entries (same JournalCode and EcritureNum) whose debits and credits differ.

    Reported on the first line of the entry; entries with a bad amount are left to
    that problem.
    """
    keyed = lines[lines["journal"].notna() & lines["entry"].notna()]
    keys = [keyed["journal"], keyed["entry"]]
    signed = keyed["signed"]
    bad_amount = signed.isna().groupby(keys, sort=False).transform("any")
    net = signed.fillna(0).groupby(keys, sort=False).transform("sum")
    unbalanced = (net != 0) & ~bad_amount
    if not unbalanced.any():
        return []
    wrong = keyed[unbalanced]
    sides = pd.DataFrame(
        {"debit": wrong["signed"].clip(lower=0), "credit": -wrong["signed"].clip(upper=0)}
    )
    totals = sides.groupby([wrong["journal"], wrong["entry"]]).sum()
    sums = dict(zip(totals.index, zip(totals["debit"], totals["credit"], strict=True), strict=True))
    rows_of = {
        k: [int(r) for r in v] for k, v in wrong.groupby(["journal", "entry"]).groups.items()
    }

    def explain(row: int) -> str:
        key = (wrong.at[row, "journal"], wrong.at[row, "entry"])
        rows = rows_of[key]
        debit, credit = sums[key]
        return (
            f"entry {key[1]!s} of journal {key[0]!s} is unbalanced: debits {_euros(debit)}, "
            f"credits {_euros(credit)} ({rows_in_words(rows[:ROWS_NAMED], len(rows))})"
        )

    first = ~wrong.duplicated(["journal", "entry"])
    mask = pd.Series(False, index=lines.index)
    mask[first[first].index] = True
    return failures_where("EcritureNum", mask, "the entry is unbalanced", explain)


def _report(file: str, failures: list[Failure]) -> list[RowProblem]:
    """Failures as problems, by row then column, at most ``MAX_PROBLEMS_PER_RULE`` a rule."""
    order = {name: i for i, name in enumerate(KNOWN_COLUMNS)}
    shown: list[RowProblem] = []
    overflow: list[RowProblem] = []
    for failure in failures:
        for row in failure.rows[:MAX_PROBLEMS_PER_RULE]:
            r = int(row)
            shown.append(
                RowProblem(file, r, failure.field, failure.explain(r), failure.value_at(r))
            )
        extra = len(failure.rows) - MAX_PROBLEMS_PER_RULE
        if extra > 0:
            message = f"... and {extra} more rows where {failure.rule}"
            overflow.append(RowProblem(file, None, failure.field, message))
    shown.sort(key=lambda p: (p.row or 0, order.get(p.field or "", -1)))
    return shown + overflow


def _typed_lines(text: pd.DataFrame) -> tuple[pd.DataFrame, list[Failure]]:
    """The lines with dates, signed cents and plain names; the rows that break a rule."""
    failures = _required_failures(text, ("JournalCode", "EcritureNum", "CompteNum"))
    entry_date, more = _fec_dates(text["EcritureDate"], "EcritureDate")
    failures += more + _required_failures(text, ("EcritureDate",))
    piece_date, more = _fec_dates(text["PieceDate"], "PieceDate")
    failures += more
    let_date, more = _fec_dates(text["DateLet"], "DateLet")
    failures += more
    settle_date = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if "DateRglt" in text:
        settle_date, more = _fec_dates(text["DateRglt"], "DateRglt")
        failures += more
    signed, more = _signed_cents(text)
    failures += more
    lines = pd.DataFrame(
        {
            "journal": text["JournalCode"],
            "journal_lib": text["JournalLib"],
            "entry": text["EcritureNum"],
            "entry_date": entry_date,
            "account": text["CompteNum"],
            "account_lib": text["CompteLib"],
            "aux": text["CompAuxNum"],
            "aux_lib": text["CompAuxLib"],
            "piece_ref": text["PieceRef"],
            "piece_date": piece_date.fillna(entry_date),
            "label": text["EcritureLib"],
            "signed": signed,
            "let_code": text["EcritureLet"],
            "let_date": let_date,
            "settle_date": settle_date,
            "currency": text.get("Idevise", np.nan),
            "currency_amount": text.get("Montantdevise", np.nan),
        },
        index=text.index,
    )
    return lines, failures + _balance_failures(lines)


# --- from lines to the ledger ---------------------------------------------------------


def _objects(values: pd.Series) -> pd.Series:
    """Text as plain ``object`` values with ``None`` where missing, as the importer gives."""
    return values.astype(object).where(values.notna(), None)


def _pick(values: npt.NDArray[np.object_], at: IntArray) -> npt.NDArray[np.object_]:
    """``values[at]``, ``None`` where ``at`` is -1."""
    out = np.full(len(at), None, dtype=object)
    found = at >= 0
    out[found] = values[at[found]]
    return out


def _entry_keys(lines: pd.DataFrame) -> pd.Series:
    """The key of each line's entry within its journal, stable from one export to the next.

    ``EcritureNum`` and ``EcritureDate`` where ``EcritureNum`` numbers the entries (the
    date too, since packages restart the numbers each year); ``PieceRef`` and
    ``PieceDate`` in a journal whose lines all carry one ``EcritureNum`` (``0`` on every
    line) although they hold several pieces.
    """
    day = lines["entry_date"].dt.strftime("%Y%m%d").fillna("")
    numbered = lines["entry"].fillna("") + "-" + day
    piece_day = lines["piece_date"].dt.strftime("%Y%m%d").fillna("")
    by_piece = lines["piece_ref"].fillna("") + "-" + piece_day
    journal = lines["journal"].fillna("")
    numbers = lines["entry"].groupby(journal).transform("nunique")
    pieces = by_piece.groupby(journal).transform("nunique")
    constant = (numbers <= 1) & (pieces > 1)
    return by_piece.where(constant, numbered)


def _classify(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines with their entry's nature and, on client accounts, their role."""
    account = lines["account"].fillna("")
    lines = lines.assign(entry_key=_entry_keys(lines))
    entry = lines.groupby(["journal", "entry_key"], sort=False).ngroup().to_numpy()
    flags = pd.DataFrame(
        {
            "bank": account.str.match(r"5[134]"),
            "sales": account.str.match(r"70|4457"),
            "loss": account.str.startswith("654"),
            "on_411": account.str.startswith("411"),
            "on_413_416": account.str.match(r"41[36]"),
        }
    )
    per_entry = flags.groupby(entry).transform("any")
    code = lines["journal"].fillna("").str.upper().str.fullmatch(OPENING_CODE)
    opening = code | lines["journal_lib"].fillna("").str.lower().str.fullmatch(OPENING_LABEL)
    bank, sales, loss = per_entry["bank"], per_entry["sales"], per_entry["loss"]
    moves = per_entry["on_411"] & per_entry["on_413_416"] & ~(bank | sales | loss)
    client = account.str.match(CLIENT_ACCOUNTS)
    signed = lines["signed"].fillna(0)
    debit, credit = client & (signed > 0), client & (signed < 0)
    role = np.select(
        [
            (debit | credit) & moves & ~opening,
            debit & opening,
            debit & bank & ~sales,
            debit,
            credit & opening,
            credit & loss,
            credit & sales & ~bank,
            credit,
        ],
        [TRANSFER, INVOICE, OTHER_DEBIT, INVOICE, PAYMENT, WRITE_OFF, CREDIT_NOTE, PAYMENT],
        default="",
    )
    has_aux = lines["aux"].notna()
    # Documents are dated by their piece, and so is whatever an opening entry carries over.
    documents = opening | pd.Series(np.isin(role, DOCUMENT_ROLES), index=lines.index)
    client_id = lines["aux"].where(has_aux, lines["account"])
    client_id = client_id.where(has_aux | ~account.str.match(r"41[36]"), _entry_client(lines))
    return lines.assign(
        role=role,
        opening=opening,
        client_id=client_id.where(client_id.notna(), lines["account"]),
        client_name=lines["aux_lib"].where(has_aux, lines["account_lib"]),
        date=lines["piece_date"].where(documents, lines["entry_date"]),
        is_advance=account.str.startswith("4191"),
        row=lines.index,
    )


def _entry_client(lines: pd.DataFrame) -> pd.Series:
    """The one client of each line's entry on 411, missing when it has none or several.

    A transfer to 416 (clients douteux) or 413 (effets à recevoir) often names no
    auxiliary account: it belongs to the client whose 411 line it balances.
    """
    on_411 = lines["account"].fillna("").str.startswith("411")
    client = lines["aux"].where(lines["aux"].notna(), lines["account"]).where(on_411)
    keys = [lines["journal"], lines["entry_key"]]
    count = client.groupby(keys, sort=False).transform("nunique")
    first = client.groupby(keys, sort=False).transform("first")
    return first.where(count == 1)


def _allocate(
    owed_group: IntArray, owed_cents: IntArray, paying_group: IntArray, paying_cents: IntArray
) -> pd.DataFrame:
    """Set paying amounts against owed amounts of the same group, first in first out.

    Both sides are sorted by group, then in the order they settle, with amounts > 0.
    Each group is laid on one number line after the previous ones; the owed items and
    the paying items each tile it from the group's start, and every stretch between two
    consecutive boundaries belongs to at most one owed and one paying item.

    Returns:
        One row per stretch: ``owed`` and ``paying`` positions (-1 when the stretch is
        owed but unpaid, or paid beyond what its group owes) and ``cents``.
    """
    groups = np.union1d(owed_group, paying_group)
    owed_total = pd.Series(owed_cents).groupby(owed_group).sum().reindex(groups, fill_value=0)
    paid_total = pd.Series(paying_cents).groupby(paying_group).sum().reindex(groups, fill_value=0)
    span = np.maximum(owed_total.to_numpy(np.int64), paid_total.to_numpy(np.int64))
    offset = pd.Series(np.cumsum(span) - span, index=groups)

    def tiles(group: IntArray, cents: IntArray) -> tuple[IntArray, IntArray]:
        within = pd.Series(cents).groupby(group).cumsum().to_numpy(np.int64)
        end = offset.reindex(group).to_numpy(np.int64) + within
        return end - cents, end

    owed_start, owed_end = tiles(owed_group, owed_cents)
    paid_start, paid_end = tiles(paying_group, paying_cents)
    points = np.unique(np.concatenate([owed_start, owed_end, paid_start, paid_end]))
    start, length = points[:-1], np.diff(points)

    def cover(item_start: IntArray, item_end: IntArray) -> IntArray:
        at = np.searchsorted(item_end, start, side="right")
        inside = at < len(item_end)
        inside[inside] = item_start[at[inside]] <= start[inside]
        return np.where(inside, at, -1)

    owed, paying = cover(owed_start, owed_end), cover(paid_start, paid_end)
    keep = (owed >= 0) | (paying >= 0)
    return pd.DataFrame({"owed": owed[keep], "paying": paying[keep], "cents": length[keep]})


def _in_settlement_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Lines by group, then in date order, then as they come in the file."""
    return frame.sort_values(["group", "date", "row"], kind="stable")


def _document_ids(docs: pd.DataFrame) -> tuple[pd.Series, list[Failure]]:
    """The id of each invoice or credit-note line, and the rows in conflict.

    In a journal where ``PieceRef`` numbers the invoices (each number belongs to one
    client and one kind of document), the id is the ``PieceRef``, and the lines of one
    number are one invoice. Where it numbers batches instead (one sales piece per month
    holding every client's invoices, ``VE 0123``; or no number at all), an invoice is one
    client's lines within one entry: ``<JournalCode>-<entry key>-<client>`` (see
    :func:`_entry_keys`), ``/AV`` added for a credit note. Bank debits (refunds, rejected
    payments) are keyed by their entry the same way. Opening entries sometimes carry one
    piece for several clients (a ``PieceRef`` such as ``AN``): those lines get
    ``<PieceRef>-<client>``.
    """
    ref = docs["piece_ref"]
    by_entry = _entry_document_ids(docs)
    opening = docs["opening"]
    clients_of_ref = docs.groupby("piece_ref")["client_id"].transform("nunique")
    shared = opening & (clients_of_ref.fillna(0) > 1)
    carried = ref.where(~shared, ref + "-" + docs["client_id"]).where(ref.notna(), by_entry)
    numbered = _journals_numbering_invoices(docs)
    uses_ref = ~opening & docs["journal"].isin(numbered) & (docs["role"] != OTHER_DEBIT)
    ids = by_entry.where(~uses_ref, ref).where(~opening, carried)
    failures = _id_conflicts(docs, ids) + built_id_failures(ids, docs, "PieceRef")
    return ids, failures


def _entry_document_ids(docs: pd.DataFrame) -> pd.Series:
    """``<JournalCode>-<entry key>-<client>`` (``/AV`` for credit notes) for each line."""
    base = docs["journal"] + "-" + docs["entry_key"] + "-" + docs["client_id"]
    return base.where(docs["role"] != CREDIT_NOTE, base + "/AV")


def _journals_numbering_invoices(docs: pd.DataFrame) -> pd.Index:
    """Journals whose ``PieceRef`` numbers invoices, not batches of them.

    A journal numbers invoices when every document line of it has a ``PieceRef`` and no
    such number is used, anywhere outside the opening entries, for several clients or for
    both an invoice and a credit note.
    """
    current = docs[~docs["opening"] & (docs["role"] != OTHER_DEBIT)]
    ref = current["piece_ref"]
    clients = current.groupby("piece_ref")["client_id"].transform("nunique")
    kinds = current.groupby("piece_ref")["role"].transform("nunique")
    batch = ref.isna() | (clients > 1) | (kinds > 1)
    journals = current["journal"]
    return pd.Index(journals.unique()).difference(pd.Index(journals[batch].unique()))


def _id_conflicts(docs: pd.DataFrame, ids: pd.Series) -> list[Failure]:
    """Rows whose id names documents of several clients, or an invoice and a credit note."""
    clients = docs["client_id"].groupby(ids).transform("nunique")
    kinds = docs["role"].replace(OTHER_DEBIT, INVOICE).groupby(ids).transform("nunique")
    many_clients, both_kinds = clients > 1, kinds > 1
    conflict = many_clients | both_kinds
    shown = ids[conflict].drop_duplicates().iloc[:MAX_PROBLEMS_PER_RULE]
    among = ids[conflict & ids.isin(shown)]
    rows_of = {str(k): [int(r) for r in v] for k, v in among.groupby(among).groups.items()}

    def where(row: int) -> str:
        rows = rows_of.get(str(ids.at[row]), [row])
        return rows_in_words(rows[:ROWS_NAMED], len(rows))

    return [
        *failures_where(
            "PieceRef",
            many_clients,
            "the invoice number is used for several clients",
            lambda r: (
                f"invoice number {ids.at[r]} is used for several clients ({where(r)}): "
                "each invoice belongs to one client"
            ),
        ),
        *failures_where(
            "PieceRef",
            both_kinds & ~many_clients,
            "the number is both an invoice and a credit note",
            lambda r: (
                f"{ids.at[r]} is both an invoice and a credit note ({where(r)}): "
                "give the credit note its own number"
            ),
        ),
    ]


def _constant(message: str) -> Callable[[int], str]:
    """A row explanation that is the same for every row."""
    return lambda _: message


def _joined_across_transfers(client_lines: pd.DataFrame, group: pd.Series) -> pd.Series:
    """Lettrage groups, those tied by a transfer between client accounts made one.

    Moving an invoice from 411 to 416 (douteux) or 413 (effets) letters it on 411 with
    the transfer's credit, and opens it again on the other account with the transfer's
    debit, lettered there with what finally settles it: both groups are one story. A
    side of the transfer left unlettered (a bill still held on 413) joins the other's
    group, so that the invoice stays open until that side is settled.
    """
    moves = client_lines[client_lines["role"] == TRANSFER]
    if moves.empty:
        return group
    keys = [moves["journal"], moves["entry_key"], moves["client_id"]]
    moved = group[moves.index].where(group[moves.index] >= 0)
    lowest = moved.groupby(keys).transform("min")
    named = moved.notna()
    renamed = pd.Series(lowest[named].to_numpy(), index=moved[named].astype(np.int64))
    renamed = renamed.groupby(level=0).min()
    joined = group.map(renamed).fillna(group)
    loose = lowest.notna() & moved.isna()
    joined[loose[loose].index] = lowest[loose]
    return joined.astype(np.int64)


def _lettrage(client_lines: pd.DataFrame) -> pd.DataFrame:
    """Per client line: its lettrage group (-1 if none), settlement date and write-off.

    A group is the lines of one client account with one ``EcritureLet`` code; when it
    balances it settles its lines, on its latest ``DateLet`` or line date.
    """
    lettered = client_lines["let_code"].notna()
    keys = [client_lines["account"], client_lines["client_id"], client_lines["let_code"]]
    group = client_lines.groupby(keys, sort=False, dropna=False).ngroup().where(lettered, -1)
    group = _joined_across_transfers(client_lines, group)
    lettered = group >= 0
    in_group = client_lines[lettered]
    by_group = in_group.groupby(group[lettered])
    balanced = by_group["signed"].sum() == 0
    latest = pd.concat([by_group["let_date"].max(), by_group["date"].max()], axis=1).max(axis=1)
    lost = (in_group["role"] == WRITE_OFF).groupby(group[lettered]).any()
    settled = balanced.reindex(group, fill_value=False).to_numpy(dtype=bool)
    to_416 = (in_group["role"] == TRANSFER) & in_group["account"].str.startswith("416")
    doubtful = in_group["entry_date"].where(to_416).groupby(group[lettered]).min()
    return pd.DataFrame(
        {
            "group": group.to_numpy(np.int64),
            "doubtful_on": doubtful.reindex(group).to_numpy(dtype="datetime64[ns]"),
            "settled_on": latest.reindex(group).where(settled).to_numpy(dtype="datetime64[ns]"),
            "written_off": lost.reindex(group, fill_value=False).to_numpy(dtype=bool) & settled,
        },
        index=client_lines.index,
    )


def _documents(docs: pd.DataFrame, credited: pd.Series) -> pd.DataFrame:
    """Invoices and credit notes, one row per invoice number (its lines summed).

    Due dates are the issue dates here; :func:`with_terms` sets those of invoices.
    """
    docs = docs.assign(
        cents=docs["signed"].abs(),
        open=docs["settled_on"].isna(),
        credited_invoice_id=credited.reindex(docs.index),
    )
    out = (
        docs.groupby("invoice_id", sort=False)
        .agg(
            client_id=("client_id", "first"),
            role=("role", "first"),
            issue_date=("date", "min"),
            amount_cents=("cents", "sum"),
            paid_date=("settled_on", "max"),
            open=("open", "any"),
            written_off=("written_off", "any"),
            doubtful_date=("doubtful_on", "min"),
            reference=("piece_ref", "first"),
            credited_invoice_id=("credited_invoice_id", "first"),
            currency=("currency", "first"),
            currency_amount=("currency_amount", "first"),
            first_row=("row", "min"),
        )
        .sort_values(["issue_date", "first_row"], kind="stable")
    )
    is_invoice = out["role"] != CREDIT_NOTE
    written_off = out["written_off"] & is_invoice
    invoices = contract_frame(
        INVOICES,
        len(out),
        invoice_id=pd.Series(out.index),
        client_id=out["client_id"],
        issue_date=out["issue_date"],
        due_date=out["issue_date"],
        amount_cents=out["amount_cents"],
        doc_type=np.where(is_invoice, "invoice", "credit_note"),
        paid_date=out["paid_date"].where(~out["open"] & ~written_off),
        written_off=written_off.to_numpy(dtype=bool),
        doubtful_date=out["doubtful_date"].where(is_invoice),
        reference=_objects(out["reference"].where(out["reference"] != out.index)),
        credited_invoice_id=out["credited_invoice_id"].where(~is_invoice),
    )
    currency = out["currency"].astype(object)
    foreign = currency.notna() & (currency.astype(str).str.upper() != DEFAULT_CURRENCY)
    if foreign.any():
        # Amounts are the book's euros; the invoice's own currency travels as user columns.
        invoices["x_idevise"] = _objects(currency.where(foreign)).to_numpy()
        invoices["x_montantdevise"] = _objects(
            out["currency_amount"].astype(object).where(foreign)
        ).to_numpy()
    return invoices


def with_terms(
    invoices: pd.DataFrame, clients: pd.DataFrame | None, default_terms_days: int
) -> pd.DataFrame:
    """Invoices due their client's ``payment_terms_days`` after issue (else the default).

    Credit notes are due on their issue date: there is nothing to collect.
    """
    terms = pd.Series(dtype="int64")
    if clients is not None and "payment_terms_days" in clients:
        known = clients.dropna(subset=["payment_terms_days"])
        terms = pd.Series(
            known["payment_terms_days"].astype("int64").to_numpy(), index=known["client_id"]
        )
        terms = terms[~terms.index.duplicated(keep="last")]
    days = terms.reindex(invoices["client_id"]).fillna(default_terms_days).to_numpy(np.int64)
    days = np.where(invoices["doc_type"].to_numpy() == "invoice", days, 0)
    return invoices.assign(due_date=invoices["issue_date"] + pd.to_timedelta(days, unit="D"))


def _settlements(client_lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Payment rows (one per payment line and invoice it settles), each credit note's invoice.

    Within each lettrage group, payments, credit notes and write-offs settle the group's
    debits in date order; a payment's money beyond them stays unmatched (no invoice).
    """
    grouped = client_lines[client_lines["group"] >= 0]
    owed = _in_settlement_order(grouped[grouped["role"].isin(OWED_ROLES)])
    paying = _in_settlement_order(grouped[grouped["role"].isin(SETTLING_ROLES)])
    stretches = _allocate(
        owed["group"].to_numpy(np.int64),
        owed["signed"].to_numpy(np.int64),
        paying["group"].to_numpy(np.int64),
        (-paying["signed"]).to_numpy(np.int64),
    )
    stretches = stretches[stretches["paying"] >= 0]
    owed_ids = owed["invoice_id"].to_numpy(dtype=object)
    at = stretches["paying"].to_numpy()
    settling = pd.DataFrame(
        {
            "row": paying["row"].to_numpy()[at],
            "role": paying["role"].to_numpy()[at],
            "invoice_id": _pick(owed_ids, stretches["owed"].to_numpy()),
            "cents": stretches["cents"].to_numpy(),
        }
    )
    notes = settling[(settling["role"] == CREDIT_NOTE) & settling["invoice_id"].notna()]
    credited = notes.groupby("row")["invoice_id"].first()

    payments = client_lines[client_lines["role"].isin(CREDITED_ROLES)]
    unlettered = payments[payments["group"] < 0]
    split = pd.concat(
        [
            settling[settling["role"].isin(CREDITED_ROLES)].drop(columns="role"),
            pd.DataFrame(
                {
                    "row": unlettered["row"].to_numpy(),
                    "invoice_id": np.full(len(unlettered), None, dtype=object),
                    "cents": (-unlettered["signed"]).to_numpy(np.int64),
                }
            ),
        ],
        ignore_index=True,
    )
    rows = (
        split.assign(key=split["invoice_id"].fillna("\x00"))
        .groupby(["row", "key"], sort=False)
        .agg(invoice_id=("invoice_id", "first"), cents=("cents", "sum"))
        .reset_index()
        .sort_values("row", kind="stable", ignore_index=True)
    )
    return rows, credited


def _payments(client_lines: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The payments table: ids ``<JournalCode>-<EcritureNum>-<EcritureDate>``.

    ``.k`` marks the k-th payment line of an entry (a remittance of several cheques),
    ``/k`` the k-th invoice a payment line settles (its first one keeps the plain id, so
    that an id stays when a later export splits the payment).
    """
    lines = client_lines[client_lines["role"].isin(CREDITED_ROLES)]
    at = rows["row"]
    label = lines["label"].fillna(lines["piece_ref"])
    return contract_frame(
        PAYMENTS,
        len(rows),
        payment_id=_payment_ids(client_lines, rows).to_numpy(dtype=object),
        client_id=lines["client_id"].reindex(at),
        payment_date=lines["date"].reindex(at),
        amount_cents=rows["cents"],
        reference=label.reindex(at),
        invoice_id=rows["invoice_id"],
    )


def _payment_ids(client_lines: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """The id of each payment row (see :func:`_payments`), indexed by its line's row."""
    lines = client_lines[client_lines["role"].isin(CREDITED_ROLES)]
    day = lines["entry_date"].dt.strftime("%Y%m%d")
    base = lines["journal"] + "-" + lines["entry"] + "-" + day
    nth_line = lines.groupby(["journal", "entry"], sort=False).cumcount() + 1
    base = base.where(nth_line == 1, base + "." + nth_line.astype(str))
    at = rows["row"]
    nth_invoice = rows.groupby("row").cumcount() + 1
    suffix = np.where(nth_invoice > 1, "/" + nth_invoice.astype(str), "")
    ids = base.reindex(at).astype(str).to_numpy(dtype=object) + suffix.astype(object)
    return pd.Series(ids, index=pd.Index(at), dtype=object)


def _advance_clients(advances: pd.DataFrame, client_ids: pd.Index) -> pd.Series:
    """The client of each 4191 line: its auxiliary, else the 411 account of its suffix."""
    guessed = "411" + advances["account"].str.slice(4)
    return advances["aux"].where(advances["aux"].notna(), guessed.where(guessed.isin(client_ids)))


def _advances(
    lines: pd.DataFrame, client_ids: pd.Index, file: str
) -> tuple[pd.DataFrame, list[str]]:
    """Advances received (4191 credits), applied once 4191 debits cover them in full.

    A line without an auxiliary account belongs to the client of the 411 sub-account
    with the same suffix (4191DUPONT -> 411DUPONT); lines of no known client are set
    aside with a warning.
    """
    adv = lines[lines["is_advance"] & (lines["signed"].fillna(0) != 0)]
    client = _advance_clients(adv, client_ids)
    warnings = []
    if client.isna().any():
        rows = [int(r) for r in adv.index[client.isna()]]
        warnings.append(
            f"{file}: {len(rows)} line(s) on 4191 accounts name no client (no CompAuxNum, "
            "and no 411 account with the same suffix) and were not imported as advances "
            f"({rows_in_words(rows[:ROWS_NAMED], len(rows))})"
        )
    adv = adv.assign(client_id=client)[client.notna()]
    keys = [adv["account"], adv["client_id"], adv["let_code"].fillna("")]
    adv = _in_settlement_order(adv.assign(group=adv.groupby(keys, sort=False).ngroup()))
    received = adv[adv["signed"] < 0]
    applied = adv[adv["signed"] > 0]
    stretches = _allocate(
        received["group"].to_numpy(np.int64),
        (-received["signed"]).to_numpy(np.int64),
        applied["group"].to_numpy(np.int64),
        applied["signed"].to_numpy(np.int64),
    )
    stretches = stretches[stretches["owed"] >= 0]
    covering = stretches["paying"].to_numpy()
    dates = pd.Series(_pick(applied["date"].to_numpy(dtype=object), covering)).astype(
        "datetime64[ns]"
    )
    by_receipt = pd.DataFrame(
        {"owed": stretches["owed"].to_numpy(), "covered": covering >= 0, "date": dates}
    ).groupby("owed")
    positions = range(len(received))
    fully = by_receipt["covered"].all().reindex(positions, fill_value=False)
    applied_date = by_receipt["date"].max().reindex(positions).where(fully)
    advances = contract_frame(
        ADVANCES,
        len(received),
        client_id=received["client_id"],
        received_date=received["date"],
        amount_cents=-received["signed"],
        reference=received["label"].fillna(received["piece_ref"]),
        applied_date=applied_date,
    )
    order = np.lexsort((received["row"].to_numpy(), advances["received_date"].to_numpy()))
    return advances.iloc[order].reset_index(drop=True), warnings


def _clients(client_lines: pd.DataFrame, advance_lines: pd.DataFrame) -> pd.DataFrame:
    """One row per client account, named by its latest label (411 labels first)."""
    named = pd.concat([advance_lines, client_lines])
    last = named.groupby("client_id")["client_name"].last()
    names = last.reindex(pd.Index(named["client_id"].unique()).sort_values())
    return contract_frame(CLIENTS, len(names), client_id=pd.Series(names.index), name=names)


def _checked_lines(text: pd.DataFrame, file: str) -> pd.DataFrame:
    """The lines typed and classified, client lines with their lettrage and document id.

    Raises:
        ImportRejected: carrying every problem of the file.
    """
    typed, failures = _typed_lines(text)
    bad_rows = pd.Index([row for f in failures for row in f.rows]).unique()
    lines = _classify(typed.drop(index=bad_rows))
    client_lines = lines[lines["role"] != ""]
    failures += client_id_failures(client_lines)
    client_lines = client_lines.join(_lettrage(client_lines))
    docs = client_lines[client_lines["role"].isin(DOCUMENT_ROLES)]
    ids, more = _document_ids(docs)
    failures += more
    if failures:
        raise ImportRejected(_report(file, failures))
    return lines.join(client_lines[["group", "settled_on", "written_off", "doubtful_on"]]).assign(
        invoice_id=ids.reindex(lines.index)
    )


def _build_ledger(
    lines: pd.DataFrame, file: str, excluded: Collection[str] = ()
) -> tuple[Ledger, list[str]]:
    """The ledger held in the checked lines of a FEC (see the module docstring).

    Lines of the ``excluded`` client accounts are left out. Invoices are due on their
    issue date here: :func:`with_terms` sets their due dates.
    """
    lines = lines[~lines["client_id"].isin(excluded)]
    client_lines = lines[lines["role"] != ""]
    docs = client_lines[client_lines["role"].isin(DOCUMENT_ROLES)]
    payment_rows, credited = _settlements(client_lines)
    failures = built_id_failures(_payment_ids(client_lines, payment_rows), lines, "EcritureNum")
    failures += built_id_failures(effet_ids_by_row(lines), lines, "EcritureNum")
    if failures:
        raise ImportRejected(_report(file, failures))
    invoices = _documents(docs, credited)
    client_ids = pd.Index(client_lines["client_id"].unique())
    advances, warnings = _advances(lines, client_ids, file)
    advances = advances[~advances["client_id"].isin(excluded)].reset_index(drop=True)
    refunds = int((client_lines["role"] == OTHER_DEBIT).sum())
    if refunds:
        warnings.append(
            f"{file}: {refunds} debit(s) on client accounts in bank entries (refunds, "
            "rejected payments) are imported as amounts owed, numbered by their entry, so "
            "that the encours equals the client accounts"
        )
    warnings += _takings_warning(invoices, file)
    unbilled = int(lines["account"].fillna("").str.startswith("4181").sum())
    if unbilled:
        warnings.append(
            f"{file}: {unbilled} line(s) on 4181 (factures à établir) are not imported: "
            "give them as unbilled.csv in a folder imported with the FEC (encours import "
            "FOLDER --fec FILE) so that the encours counts them"
        )
    on_419 = lines[lines["is_advance"] & lines["aux"].notna()]
    ledger = Ledger(
        clients=_clients(client_lines, on_419.assign(client_id=on_419["aux"])),
        invoices=invoices,
        payments=_payments(client_lines, payment_rows),
        advances=advances,
        effets=effets_of(lines),
    )
    return ledger, warnings


def _takings_warning(invoices: pd.DataFrame, file: str) -> list[str]:
    """A warning naming the clients whose every invoice settles the day it is issued.

    Counter sales booked on 411 (``RECETTE CB``, ``RECETTE ESPECES``) look so: receivables
    settled at once, which tell the models nothing about paying late.
    """
    docs = invoices[invoices["doc_type"] == "invoice"]
    same_day = (docs["paid_date"] == docs["issue_date"]).groupby(docs["client_id"])
    counts = same_day.agg(["all", "size"])
    takings = counts.index[counts["all"] & (counts["size"] >= MIN_TAKINGS)].tolist()
    if not takings:
        return []
    shown = ", ".join(takings[:ROWS_NAMED]) + (" ..." if len(takings) > ROWS_NAMED else "")
    return [
        f"{file}: {len(takings)} client account(s) have every invoice settled the day it is "
        f"issued, like counter takings ({shown}): leave them out of the encours and the "
        "models with --exclude-client"
    ]


def _file_lines(path: Path) -> tuple[pd.DataFrame, list[str], str, str]:
    """The checked lines of a FEC file, the warnings, its encoding and separator.

    Raises:
        ImportRejected: the layout is unknown, some lines are bad or some entries do not
            balance; every problem is named.
    """
    file = path.name
    if not path.is_file():
        raise ImportRejected([RowProblem(file, None, None, f"file {path} does not exist")])
    encoding = detect_encoding(path)
    separator, names, is_quoted, problems = _layout(_header(path, encoding), file)
    if problems:
        raise ImportRejected(problems)
    positions, problems, warnings = _columns(names, file)
    if problems:
        raise ImportRejected(problems)
    names += [""] * _trailing_fields(path, encoding, separator, len(names))
    try:
        table, bad_lines = _read_text(path, encoding, separator, is_quoted, names)
    except pa.ArrowInvalid as exc:
        message = f"the file could not be read as a FEC: {exc}"
        raise ImportRejected([RowProblem(file, None, None, message)]) from exc
    if bad_lines:
        raise ImportRejected([RowProblem(file, None, None, m) for m in bad_lines])
    return _checked_lines(_text_frame(table, positions), file), warnings, encoding, separator


def _trailing_fields(path: Path, encoding: str, separator: str, width: int) -> int:
    """How many empty fields the first data line has beyond the header's ``width``.

    Some packages end every line, but not the header, with a separator.
    """
    with path.open("rb") as handle:
        handle.readline()
        first = handle.readline().decode(encoding, errors="replace").rstrip("\r\n")
    fields = first.split(separator)
    extra = fields[width:]
    return len(extra) if extra and not any(f.strip() for f in extra) else 0


def parse_fec(
    path: Path,
    *,
    default_terms_days: int = DEFAULT_TERMS_DAYS,
    clients: pd.DataFrame | None = None,
    exclude_clients: Collection[str] = (),
) -> FecRead:
    """Read a FEC file, separator and encoding detected, every line checked.

    Args:
        path: the FEC.
        default_terms_days: days from invoice to due date for clients without terms.
        clients: clients whose ``payment_terms_days`` set their invoices' due dates.
        exclude_clients: client accounts left out (counter takings, internal accounts).

    Raises:
        ImportRejected: the layout is unknown, some lines are bad or some entries do not
            balance; every problem is named. Nothing is returned.
    """
    lines, warnings, encoding, separator = _file_lines(path)
    ledger, more = _build_ledger(lines, path.name, exclude_clients)
    given = ledger.effets["due_date"]
    if given.isna().any():
        more.append(
            f"{path.name}: {int(given.isna().sum())} bill(s) on 413 give no due date (no "
            "DateRglt, no date in their label): each is due when its invoice is"
        )
    ledger.invoices = with_terms(ledger.invoices, clients, default_terms_days)
    ledger.effets = with_effet_due_dates(ledger.effets, ledger.invoices, default_terms_days)
    return FecRead(ledger, warnings + more, encoding, separator, given)


def book_lines(path: Path) -> pd.DataFrame:
    """The lines of a FEC on client accounts and on 4191, as the books hold them.

    Columns: ``client_id`` (advances: the client found as :func:`parse_fec` finds it,
    missing when none), ``account``, ``entry_date`` (the accounting date), ``date`` (the
    date the ledger counts the line from: the piece date of a document), ``signed``
    (debit minus credit, in cents), ``role`` and ``is_advance``.

    Raises:
        ImportRejected: as :func:`parse_fec`.
    """
    lines, _, _, _ = _file_lines(path)
    clients = pd.Index(lines.loc[lines["role"] != "", "client_id"].unique())
    advances = lines[lines["is_advance"]]
    lines = lines.assign(client_id=lines["client_id"].where(~lines["is_advance"]))
    lines.loc[advances.index, "client_id"] = _advance_clients(advances, clients)
    kept = (lines["role"] != "") | lines["is_advance"]
    columns = ["client_id", "account", "entry_date", "date", "signed", "role", "is_advance"]
    return lines.loc[kept, columns].reset_index(drop=True)


def read_fec(
    path: Path, default_terms_days: int = DEFAULT_TERMS_DAYS, clients: pd.DataFrame | None = None
) -> Ledger:
    """The receivables ledger held in a FEC file (see the module docstring).

    Args:
        path: the FEC, tab- or pipe-separated, UTF-8 or ISO-8859-15.
        default_terms_days: days from invoice to due date for clients without terms.
        clients: clients of the data contract (``client_id``, ``payment_terms_days``)
            whose terms set the due dates of their invoices.

    Raises:
        ImportRejected: carrying every problem, each with its row number.
    """
    return parse_fec(path, default_terms_days=default_terms_days, clients=clients).ledger


# --- importing into the database ------------------------------------------------------


def _stored_clients(engine: Engine) -> pd.DataFrame:
    """Client ids and payment terms already in the database."""
    table = TABLE_OBJECTS["clients"]
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.client_id, table.c.payment_terms_days)).all()
    return pd.DataFrame(rows, columns=["client_id", "payment_terms_days"], dtype=object)


def import_fec(
    engine: Engine,
    path: Path,
    *,
    directory: Path | None = None,
    default_terms_days: int = DEFAULT_TERMS_DAYS,
    exclude_clients: Collection[str] = (),
) -> ImportReport:
    """Read a FEC (and the contract files of ``directory``), save them in one transaction.

    The FEC gives the client accounts, invoices, credit notes, payments and advances.
    ``directory`` may add what a FEC lacks: the clients file (payment terms, sector,
    credit limit...), unbilled deliveries and dunning actions. Clients already in the
    database or in the clients file keep their details; only new ones are created from
    the FEC, with their name. Due dates follow the payment terms, stored or given.

    Raises:
        ImportRejected: a file has a problem; the database is unchanged.
    """
    migrate(engine)
    client_ids, invoice_ids = known_ids(engine)
    read = parse_fec(path, default_terms_days=default_terms_days, exclude_clients=exclude_clients)
    fec = read.ledger
    files: dict[str, Path] = {"fec": path}
    warnings = list(read.warnings)
    extra = Ledger()
    if directory is not None:
        result = read_ledger_dir(
            directory,
            known_client_ids=client_ids | set(fec.clients["client_id"]),
            known_invoice_ids=invoice_ids | set(fec.invoices["invoice_id"]),
        )
        from_fec = ("invoices", "payments", "advances", "effets")
        clash = [result.files[n] for n in from_fec if n in result.files]
        if clash:
            raise ImportRejected(
                [
                    RowProblem(
                        f.name,
                        None,
                        None,
                        f"{f.stem} come from the FEC: leave {f.name} out of the folder "
                        "(it may hold clients, unbilled and actions)",
                    )
                    for f in clash
                ]
            )
        files.update(result.files)
        warnings += result.warnings
        extra = result.ledger
    stored = _stored_clients(engine)
    given = extra.clients[["client_id", "payment_terms_days"]]
    terms = pd.concat([stored[~stored["client_id"].isin(given["client_id"])], given])
    new_clients = fec.clients[~fec.clients["client_id"].isin(terms["client_id"])]
    invoices = with_terms(fec.invoices, terms, default_terms_days)
    ledger = Ledger(
        clients=pd.concat([extra.clients, new_clients], ignore_index=True),
        invoices=invoices,
        payments=fec.payments,
        advances=fec.advances,
        effets=with_effet_due_dates(
            fec.effets.assign(due_date=read.bill_due_dates), invoices, default_terms_days
        ),
        unbilled=extra.unbilled,
        actions=extra.actions,
    )
    summary = save_ledger(engine, ledger)
    return ImportReport(files=files, warnings=warnings, summary=summary)


# --- writing ---------------------------------------------------------------------------


def _letters(numbers: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``...: lettrage codes as accounting packages write."""
    n = np.asarray(numbers, dtype=np.int64) + 1
    out = np.full(len(n), "", dtype=object)
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
    while (n > 0).any():
        live = n > 0
        out[live] = alphabet[(n[live] - 1) % 26] + out[live]
        n = np.where(live, (n - 1) // 26, 0)
    return out


def _vat_split(cents: pd.Series, taxed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts TTC split into HT and VAT (20 % where ``taxed``), summing exactly."""
    rate = VAT_RATE_PERCENT
    ht = ((cents * 200 + 100 + rate) // (200 + 2 * rate)).where(taxed, cents)
    return ht, cents - ht


@dataclass(frozen=True)
class _Entries:
    """Entries of one kind to write, one row each.

    ``frame`` has ``date``, ``piece_ref``, ``label``, ``client_id``, ``client_name``,
    ``taxed`` and, when lettered, ``let_code`` and ``let_date``; a default index.
    """

    frame: pd.DataFrame
    journal: str
    kind: int  # orders the kinds of entries of one day


def _line(
    entries: _Entries,
    position: int,
    account: tuple[str, str],
    cents: pd.Series,
    debit: bool,
    *,
    client: bool = False,
) -> pd.DataFrame:
    """Line ``position`` of each entry: ``cents`` on ``account``, on the client if ``client``.

    Lines on a client account carry the entry's lettrage.
    """
    e = entries.frame
    zero = pd.Series(0, index=e.index, dtype="int64")
    cents = cents.astype("int64")
    none = pd.Series(None, index=e.index, dtype=object)
    return pd.DataFrame(
        {
            "date": e["date"],
            "journal": entries.journal,
            "kind": entries.kind,
            "seq": e.index,
            "position": position,
            "account": account[0],
            "account_lib": account[1],
            "aux": e["client_id"] if client else none,
            "aux_lib": e["client_name"] if client else none,
            "piece_ref": e["piece_ref"],
            "label": e["label"],
            "debit": cents if debit else zero,
            "credit": zero if debit else cents,
            "let_code": e["let_code"] if client else none,
            "let_date": e["let_date"] if client else pd.Series(pd.NaT, index=e.index),
        }
    )


def _sale(entries: _Entries, client_account: tuple[str, str], reverse: bool) -> list[pd.DataFrame]:
    """A sale of ``cents`` TTC to the client's account (or its reversal, a credit note)."""
    cents = entries.frame["cents"]
    ht, vat = _vat_split(cents, entries.frame["taxed"])
    lines = [
        _line(entries, 0, client_account, cents, not reverse, client=True),
        _line(entries, 1, SALES_ACCOUNT, ht, reverse),
    ]
    taxed = vat > 0
    if taxed.any():
        subset = _Entries(entries.frame[taxed], entries.journal, entries.kind)
        lines.append(_line(subset, 2, VAT_ACCOUNT, vat[taxed], reverse))
    return lines


def _transfer(
    entries: _Entries, client_account: tuple[str, str], other: tuple[str, str], client_debit: bool
) -> list[pd.DataFrame]:
    """``cents`` between the client's account and ``other`` (the bank, a loss)."""
    cents = entries.frame["cents"]
    return [
        _line(entries, 0, client_account, cents, client_debit, client=True),
        _line(entries, 1, other, cents, not client_debit),
    ]


def _text(values: pd.Series, *, clean: bool = True) -> pa.Array:
    """Text fit for a FEC field: no tab, pipe or line break; empty where missing.

    ``clean=False`` for text written here, which holds none of them.
    """
    text = pc.fill_null(pa.array(values, type=pa.string(), from_pandas=True), "")
    if not clean:
        return text
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"[\t|\r\n]+", " "))


def _fec_date(values: pd.Series) -> pa.Array:
    """Dates as ``YYYYMMDD``, empty where missing (arithmetic: strftime is slow)."""
    days = pa.array(values.astype("datetime64[s]"), from_pandas=True)
    number = pc.add(pc.multiply(pc.year(days), 10_000), pc.multiply(pc.month(days), 100))
    return pc.fill_null(pc.cast(pc.add(number, pc.day(days)), pa.string()), "")


def _fec_amount(cents: pd.Series) -> pa.Array:
    """Cents (zero or more) as ``1234,56``."""
    values = pa.array(cents.astype("int64"))
    whole = pc.cast(pc.divide(values, 100), pa.string())
    fraction = pc.utf8_lpad(
        pc.cast(pc.subtract(values, pc.multiply(pc.divide(values, 100), 100)), pa.string()), 2, "0"
    )
    return pc.binary_join_element_wise(whole, fraction, ",")


def _check_euros(ledger: Ledger) -> None:
    """Refuse amounts in another currency: the FEC is kept in euros."""
    tables = (ledger.invoices, ledger.payments, ledger.advances)
    foreign = sum(
        int((t["currency"].fillna(DEFAULT_CURRENCY) != DEFAULT_CURRENCY).sum()) for t in tables
    )
    if foreign:
        raise LedgerError(
            f"{foreign} invoice(s), payment(s) or advance(s) are not in {DEFAULT_CURRENCY}: "
            "a FEC is kept in euros, and the ledger has no exchange rates to convert them"
        )


def write_fec(ledger: Ledger, path: Path, encoding: str = "iso-8859-15") -> FecWritten:
    """Write ``ledger`` as a FEC: the 18 columns, tab-separated, every entry balanced.

    Journals: ``VT`` (invoices, credit notes, advances turned into sales), ``BQ``
    (payments, advances received), ``OD`` (write-offs). An invoice debits the client's
    auxiliary account on 411000 and credits 706000 and 445710 (20 % VAT for French
    clients); a payment credits 411000 against 512000; advances go through 419100. Each
    invoice that something settles gets a lettrage code shared by its payments, credit
    notes and write-off, with its settlement date as ``DateLet``, so that
    :func:`read_fec` gives back the same invoices, amounts, clients and settlement
    dates. An invoice settled beyond what its payments show gets a payment of the rest
    on its settlement date (or a refund of an excess); a written-off invoice is written
    off (654000) on the last date of the ledger. Unbilled deliveries, dunning actions,
    disputes and the clients' details are not in a FEC.

    Raises:
        LedgerError: some amounts are not in euros.
    """
    _check_euros(ledger)
    clients = ledger.clients.set_index("client_id")
    names = clients["name"]
    french = clients["country"].fillna("FR").eq("FR")

    def parties(frame: pd.DataFrame) -> pd.DataFrame:
        client = frame["client_id"]
        return frame.reset_index(drop=True).assign(
            client_name=names.reindex(client).fillna(client).to_numpy(dtype=object),
            taxed=french.reindex(client).fillna(True).to_numpy(dtype=bool),
        )

    invoices = parties(ledger.invoices[ledger.invoices["doc_type"] == "invoice"])
    notes = parties(ledger.invoices[ledger.invoices["doc_type"] == "credit_note"])
    pay = parties(ledger.payments)
    adv = parties(ledger.advances)
    days = [invoices["issue_date"], notes["issue_date"], pay["payment_date"]]
    days += [adv["received_date"], adv["applied_date"]]
    last_day = max((d.max() for d in days if d.notna().any()), default=pd.Timestamp.today())

    # What remains of each invoice once its payments and credit notes are set against it.
    by_id = invoices.set_index("invoice_id")
    amount = by_id["amount_cents"].astype("int64")
    paid = pay.groupby("invoice_id")["amount_cents"].sum().astype("int64")
    credited = notes.groupby("credited_invoice_id")["amount_cents"].sum().astype("int64")
    remaining = amount - paid.reindex(amount.index, fill_value=0)
    remaining -= credited.reindex(amount.index, fill_value=0)
    settled = by_id["paid_date"].notna() & ~by_id["written_off"]
    lost = by_id["written_off"] & (remaining > 0)
    lost_on = by_id["paid_date"].fillna(pd.Timestamp(last_day)).clip(lower=by_id["issue_date"])
    with_payment = pay.groupby("invoice_id").size().reindex(amount.index).notna()
    with_note = notes.groupby("credited_invoice_id").size().reindex(amount.index).notna()
    settles = with_payment | with_note | (settled & (remaining != 0)) | lost
    lettered = by_id[settles].sort_values("issue_date", kind="stable")
    code = pd.Series(
        _letters(lettered.groupby("client_id").cumcount()), index=lettered.index, dtype=object
    )
    let_date = by_id["paid_date"].where(settled, lost_on.where(lost)).reindex(code.index)

    def entries(
        frame: pd.DataFrame, journal: str, kind: int, invoice: str | None, **columns: Any
    ) -> _Entries:
        if invoice is not None:
            target = frame[invoice]
            columns["let_code"] = code.reindex(target).to_numpy(dtype=object)
            columns["let_date"] = let_date.reindex(target).to_numpy(dtype="datetime64[ns]")
        return _Entries(frame.assign(**columns), journal, kind)

    def words(prefix: str, frame: pd.DataFrame, column: str) -> pd.Series:
        return prefix + " " + frame[column].astype(str) + " " + _text(frame["client_name"])

    lines: list[pd.DataFrame] = []
    sales = entries(
        invoices,
        "VT",
        0,
        "invoice_id",
        date=invoices["issue_date"],
        piece_ref=invoices["invoice_id"],
        label=words("Facture", invoices, "invoice_id"),
        cents=invoices["amount_cents"],
    )
    lines += _sale(sales, CLIENTS_ACCOUNT, reverse=False)
    credit_notes = entries(
        notes,
        "VT",
        1,
        "credited_invoice_id",
        date=notes["issue_date"],
        piece_ref=notes["invoice_id"],
        label=words("Avoir", notes, "invoice_id"),
        cents=notes["amount_cents"],
    )
    lines += _sale(credit_notes, CLIENTS_ACCOUNT, reverse=True)
    receipts = entries(
        pay,
        "BQ",
        2,
        "invoice_id",
        date=pay["payment_date"],
        piece_ref=pay["payment_id"],
        label=pay["reference"].fillna("Règlement " + pay["client_name"].astype(str)),
        cents=pay["amount_cents"],
    )
    lines += _transfer(receipts, CLIENTS_ACCOUNT, BANK_ACCOUNT, client_debit=False)

    # Settlements the payments do not show: the rest paid, an excess refunded, a loss.
    extra = (
        (settled & (remaining > 0), remaining, by_id["paid_date"], "BQ", "Règlement facture"),
        (settled & (remaining < 0), -remaining, by_id["paid_date"], "BQ", "Trop-perçu facture"),
        (lost, remaining, lost_on, "OD", "Créance irrécouvrable facture"),
    )
    for kind, (which, cents, day, journal, word) in enumerate(extra, start=3):
        # Filtered after assign: assigning a Series to an empty frame would take its index.
        frame = parties(by_id.assign(cents=cents, day=day)[which].reset_index())
        batch = entries(
            frame,
            journal,
            kind,
            "invoice_id",
            date=frame["day"],
            piece_ref="REG-" + frame["invoice_id"].astype(str),
            label=words(word, frame, "invoice_id"),
        )
        other = LOSSES_ACCOUNT if journal == "OD" else BANK_ACCOUNT
        lines += _transfer(batch, CLIENTS_ACCOUNT, other, client_debit=kind == 4)

    # Advances: received in the bank, turned into sales when set against an invoice.
    applied = adv["applied_date"].notna()
    adv_code = np.full(len(adv), None, dtype=object)
    adv_code[applied.to_numpy()] = _letters(adv[applied].groupby("client_id").cumcount().to_numpy())
    reference = adv["reference"].fillna("Acompte")
    advances = entries(
        adv,
        "BQ",
        6,
        None,
        date=adv["received_date"],
        piece_ref=reference,
        label=adv["reference"].fillna("Acompte reçu " + adv["client_name"].astype(str)),
        cents=adv["amount_cents"],
        let_code=adv_code,
        let_date=adv["applied_date"],
    )
    lines += _transfer(advances, ADVANCES_ACCOUNT, BANK_ACCOUNT, client_debit=False)
    used = advances.frame[applied]
    imputed = _Entries(
        used.assign(date=used["applied_date"], label="Acompte imputé " + used["piece_ref"]),
        "VT",
        7,
    )
    lines += _sale(imputed, ADVANCES_ACCOUNT, reverse=False)
    return _write_lines(pd.concat(lines, ignore_index=True), path, encoding)


def _write_lines(lines: pd.DataFrame, path: Path, encoding: str) -> FecWritten:
    """Number the entries journal by journal in date order, and write the file."""
    lines = lines.sort_values(
        ["date", "journal", "kind", "seq", "position"], kind="stable", ignore_index=True
    )
    starts = lines["position"] == 0
    number = starts.astype("int64").groupby(lines["journal"]).cumsum()
    entry_date = _fec_date(lines["date"])
    empty = pa.array(np.full(len(lines), ""), type=pa.string())
    fields = [
        _text(lines["journal"], clean=False),
        _text(lines["journal"].map(JOURNALS), clean=False),
        pc.utf8_lpad(pc.cast(pa.array(number.to_numpy()), pa.string()), 6, "0"),
        entry_date,
        _text(lines["account"], clean=False),
        _text(lines["account_lib"], clean=False),
        _text(lines["aux"]),
        _text(lines["aux_lib"]),
        _text(lines["piece_ref"]),
        entry_date,
        _text(lines["label"]),
        _fec_amount(lines["debit"]),
        _fec_amount(lines["credit"]),
        _text(lines["let_code"]),
        _fec_date(lines["let_date"]),
        entry_date,
        empty,
        empty,
    ]
    text = pc.binary_join_element_wise(*fields, "\t").to_pylist()
    with path.open("w", encoding=encoding, errors="replace", newline="\n") as handle:
        handle.write("\t".join(FEC_COLUMNS) + "\n")
        for start in range(0, len(text), 100_000):
            handle.write("\n".join(text[start : start + 100_000]) + "\n")
    return FecWritten(path=path, lines=len(lines), entries=int(starts.sum()))
