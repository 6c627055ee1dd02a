"""Read a directory of data-contract files into a typed ``Ledger``, or reject it whole.

Each file (``<table>.csv`` or ``<table>.parquet``) is first read as text, every
column a stripped string with empty meaning missing, so that nothing is guessed
(no date or number inference, ``00123`` stays ``00123``). ``ledger.validation``
then checks and types it. Any problem anywhere rejects the whole directory, with
every bad row named: an import is all or nothing. The inverse is
``ledger.files.write_ledger``.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ledger.contract import TABLES, Ledger
from ledger.errors import ImportRejected, RowProblem
from ledger.validation import (
    MAX_PROBLEMS_PER_RULE,
    CheckedTable,
    check_table,
    reference_failures,
)

SUFFIXES = (".csv", ".parquet")
PANDAS_INDEX_PREFIX = "__index_level_"  # written by pandas' to_parquet(index=True)
NOT_UTF8 = "the file is not UTF-8 text: save it again as 'CSV UTF-8'"


@dataclass
class ReadResult:
    """A directory read and validated: the ledger, the file of each table, the warnings."""

    ledger: Ledger
    files: dict[str, Path]
    warnings: list[str]


@dataclass
class Listing:
    """The contract files found in a directory and what is wrong with the set of them."""

    files: dict[str, Path] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class UnreadableFile(Exception):
    """A file that cannot be read as a table at all; carries one message per problem."""

    def __init__(self, *messages: str) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(messages))


def read_ledger_dir(
    directory: Path,
    *,
    known_client_ids: AbstractSet[str] = frozenset(),
    known_invoice_ids: AbstractSet[str] = frozenset(),
) -> ReadResult:
    """The ledger held in the contract files of ``directory``, checked and typed.

    Any subset of the tables may be given (an import of new payments alone), but
    not a directory without a clients or invoices file. Absent tables are empty.

    Args:
        directory: holds ``clients.csv``, ``invoices.parquet``... Subdirectories are
            ignored; other files draw a warning.
        known_client_ids: clients already in the ledger, which rows may name.
        known_invoice_ids: invoices already in the ledger, which rows may name.

    Raises:
        ImportRejected: carrying every problem of every file; nothing is returned.
    """
    listing = contract_files(directory)
    problems = list(listing.problems)
    checked: dict[str, CheckedTable] = {}
    for name, path in listing.files.items():
        try:
            text = read_text_frame(path)
        except UnreadableFile as exc:
            problems += [RowProblem(path.name, None, None, m) for m in exc.messages]
            continue
        checked[name] = check_table(TABLES[name], text, path.name)
    known = {"clients": known_client_ids, "invoices": known_invoice_ids}
    for name, failures in reference_failures(checked, known, set(listing.files)).items():
        checked[name].failures += failures
    for table in checked.values():
        problems += table.report()
    if problems:
        raise ImportRejected(problems)
    frames = {name: table.frame.reset_index(drop=True) for name, table in checked.items()}
    warnings = listing.warnings + [w for table in checked.values() for w in table.warnings]
    return ReadResult(Ledger(**frames), dict(listing.files), warnings)


def contract_files(directory: Path) -> Listing:
    """The file of each contract table in ``directory``, in contract order."""
    listing = Listing()
    folder = directory.name or str(directory)
    if not directory.is_dir():
        listing.problems.append(
            RowProblem(folder, None, None, f"folder {directory} does not exist")
        )
        return listing
    candidates: dict[str, list[Path]] = {name: [] for name in TABLES}
    for path in sorted(directory.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        table = path.stem.lower()
        if path.suffix.lower() in SUFFIXES and table in candidates:
            candidates[table].append(path)
        else:
            listing.warnings.append(
                f"{path.name} is not a data-contract file and was ignored (expected "
                f"{', '.join(TABLES)} as .csv or .parquet)"
            )
    for table, paths in candidates.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            message = f"both {names} hold the {table}: keep only one of them"
            listing.problems.append(RowProblem(folder, None, None, message))
        elif paths:
            listing.files[table] = paths[0]
    if not (candidates["clients"] or candidates["invoices"]):
        message = "the folder has neither a clients file nor an invoices file"
        listing.problems.append(RowProblem(folder, None, None, message))
    return listing


def read_text_frame(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as stripped text, indexed by data row number (1 = first row).

    Raises:
        UnreadableFile: the file is not a table that can be read.
    """
    if path.suffix.lower() == ".csv":
        names, columns = csv_columns(path)
    else:
        names, columns = parquet_columns(path)
    return text_frame(names, columns)


def text_frame(names: list[str], columns: list[pa.ChunkedArray]) -> pd.DataFrame:
    """Text columns as a frame: stripped, empty as NaN, rows numbered from 1.

    Rows left wholly empty (a blank line, a spreadsheet's trailing ``,,,``) are
    dropped; the others keep the number a person counts in the file.
    """
    rows = pd.RangeIndex(1, (len(columns[0]) if columns else 0) + 1)
    data: dict[str, pd.Series] = {}
    for position, (name, column) in enumerate(zip(names, columns, strict=True)):
        if name.startswith(PANDAS_INDEX_PREFIX):
            continue
        series = stripped_text(column).set_axis(rows)
        if not name:
            if series.isna().all():
                continue
            name = f"(unnamed column {position + 1})"
        data[name] = series
    frame = pd.DataFrame(data, index=rows)
    return frame[frame.notna().any(axis=1)] if len(frame.columns) else frame


def stripped_text(column: pa.ChunkedArray) -> pd.Series:
    """A text column without surrounding spaces, empty values missing (NaN)."""
    stripped = pc.utf8_trim_whitespace(column)
    missing = pa.scalar(None, pa.string())
    return pc.if_else(pc.equal(stripped, ""), missing, stripped).to_pandas().astype("str")


def csv_columns(path: Path) -> tuple[list[str], list[pa.ChunkedArray]]:
    """The header names and every column as text of a UTF-8 CSV file (BOM or not).

    Raises:
        UnreadableFile: the file is not UTF-8 CSV, or some lines do not have as many
            values as the header has columns (named by line: data row numbers after
            such a line would be off, so its other rows are not checked).
    """
    names = csv_header(path)
    table, bad_lines = csv_table(path, len(names), use_threads=True)
    if bad_lines:
        # Only a single-threaded read knows line numbers: worth it on the way out.
        _, bad_lines = csv_table(path, len(names), use_threads=False)
        raise UnreadableFile(*bad_lines)
    return names, table.columns


def csv_table(path: Path, width: int, *, use_threads: bool) -> tuple[pa.Table, list[str]]:
    """A CSV file after its header as ``width`` text columns, and its malformed lines."""
    positional = [f"c{i}" for i in range(width)]
    bad_lines: list[str] = []

    def skip_bad_line(row: pacsv.InvalidRow) -> str:
        if len(bad_lines) < MAX_PROBLEMS_PER_RULE:
            where = "a line" if row.number is None else f"line {row.number}"
            bad_lines.append(
                f"{where} has {row.actual_columns} values but the header has "
                f"{row.expected_columns} columns: {row.text!r}"
            )
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=positional, skip_rows=1, use_threads=use_threads
            ),
            parse_options=pacsv.ParseOptions(
                ignore_empty_lines=False, invalid_row_handler=skip_bad_line
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positional, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise UnreadableFile(NOT_UTF8) from exc
        raise UnreadableFile(f"the file could not be read as CSV: {exc}") from exc
    return table, bad_lines


def csv_header(path: Path) -> list[str]:
    """The stripped column names of a CSV file's first line.

    Raises:
        UnreadableFile: the file is empty, not UTF-8, separated by semicolons or has a
            column name twice.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(NOT_UTF8) from exc
    if not header:
        raise UnreadableFile("the file is empty: the first line must name the columns")
    if len(header) == 1 and ";" in header[0]:
        raise UnreadableFile(
            "the columns are separated by semicolons: the contract uses commas "
            "(and a dot for decimals)"
        )
    names = [name.strip() for name in header]
    check_unique(names)
    return names


def check_unique(names: list[str]) -> None:
    """Raise ``UnreadableFile`` naming every column name given twice (blank names aside)."""
    counts = Counter(n for n in names if n)
    twice = sorted(n for n, count in counts.items() if count > 1)
    if twice:
        raise UnreadableFile(*(f"column {n} appears more than once in the header" for n in twice))


def parquet_columns(path: Path) -> tuple[list[str], list[pa.ChunkedArray]]:
    """The column names and every column as text of a Parquet file."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableFile(f"the file could not be read as Parquet: {exc}") from exc
    names = [name.strip() for name in table.column_names]
    check_unique(names)
    columns = []
    for name, column in zip(names, table.columns, strict=True):
        try:
            columns.append(as_text(column))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise UnreadableFile(
                f"column {name} holds {column.type} values, not text, numbers or dates"
            ) from exc
    return names, columns


def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column as the text a CSV would hold (dates as ``YYYY-MM-DD``).

    Timestamps at midnight become plain dates; others keep their time and will be
    refused where a date is expected rather than silently cut to the day.
    """
    if pa.types.is_timestamp(column.type):
        day = pc.floor_temporal(column, unit="day")
        as_date = pc.cast(pc.cast(column, pa.date32()), pa.string())
        return pc.if_else(pc.equal(day, column), as_date, pc.cast(column, pa.string()))
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    return pc.cast(column, pa.string())
