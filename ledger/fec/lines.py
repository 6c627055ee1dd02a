"""A FEC file read as text, its lines checked and typed (dates, signed cents)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ledger.conventions import DateFormat
from ledger.errors import RowProblem
from ledger.money import format_cents
from ledger.reading import csv_table, stripped_text
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
    """The lines after the header as text columns, and the lines of the wrong width.

    Raises:
        UnreadableFile: the file is not text in ``encoding``, or not CSV at all.
    """

    def read(use_threads: bool) -> tuple[pa.Table, list[str]]:
        return csv_table(
            path,
            len(names),
            separator,
            encoding,
            use_threads=use_threads,
            quoted=is_quoted,
            item="fields",
        )

    table, bad_lines = read(True)
    if bad_lines:  # only a single-threaded read knows line numbers: worth it on the way out
        table, bad_lines = read(False)
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


def _constant(message: str) -> Callable[[int], str]:
    """A row explanation that is the same for every row."""
    return lambda _: message
