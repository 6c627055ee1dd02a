"""Read data-contract files into a typed ``Ledger``, or reject them whole.

The files are a directory of ``<table>.csv``, ``<table>.parquet`` or ``<table>.xlsx``,
or one Excel workbook with a sheet per table (named like the files, in any case).
Each is first read as text, every column a stripped string with empty meaning
missing, so that no value is guessed (no type inference, ``00123`` stays ``00123``).
``ledger.validation`` then checks and types it. Any problem anywhere rejects the
whole lot, with every bad row named: an import is all or nothing. The inverse is
``ledger.files.write_ledger``.

Each file is read in the conventions it shows, detected on its own
(``ledger.conventions``) and reported in ``ReadResult.detected``:

- CSV **encoding**: UTF-8 with or without BOM, CP1252 or ISO-8859-15;
- CSV **separator**: ``,`` ``;`` tab or ``|``;
- **decimal mark**: point or comma (``1234,56``), thousands grouped by spaces,
  no-break spaces (U+00A0, U+202F) or, with a decimal comma, dots (``1.234,56``);
  English ``1,234.56`` and amounts that could be read two ways are refused;
- **dates**: ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``DD-MM-YYYY`` or ``DD.MM.YYYY``, one
  layout per file (a file mixing them is refused, naming the rows); day-first dates
  none of which has a day above 12 are read day first, and the report says so;
- **booleans**: true/false, yes/no, oui/non, vrai/faux, 1/0;
- **Excel cells** typed as dates and numbers (``ledger.workbooks``).
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

from ledger.contract import TABLES, Ledger, TableSpec
from ledger.conventions import Conventions, detect_encoding, detect_separator, has_bom
from ledger.errors import ImportRejected, RowProblem
from ledger.validation import (
    MAX_PROBLEMS_PER_RULE,
    CheckedTable,
    check_table,
    reference_failures,
)
from ledger.workbooks import UnreadableWorkbook, sheet_names, sheet_text

WORKBOOK = ".xlsx"
SUFFIXES = (".csv", ".parquet", WORKBOOK)
PANDAS_INDEX_PREFIX = "__index_level_"  # written by pandas' to_parquet(index=True)
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass
class ReadResult:
    """Files read and validated: the ledger, the file of each table, the warnings.

    ``detected`` has one line per file saying how it was written, e.g.
    ``invoices.csv: separator ';', encoding cp1252, decimal comma, dates dd/mm/yyyy``.
    """

    ledger: Ledger
    files: dict[str, Path]
    warnings: list[str]
    detected: list[str] = field(default_factory=list)


@dataclass
class Listing:
    """The contract files found and what is wrong with the set of them.

    ``sheets`` names the sheet of each table read from a workbook of several tables.
    """

    files: dict[str, Path] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """Where one table is read from: a file, and in a workbook of several tables its sheet."""

    path: Path
    sheet: str | None = None

    @property
    def label(self) -> str:
        """How problems and the report name it: ``invoices.csv``, ``books.xlsx, sheet Factures``."""
        return self.path.name if self.sheet is None else f"{self.path.name}, sheet {self.sheet}"


@dataclass
class TextRead:
    """One table read as text, how it was written, and what a person should know of it."""

    frame: pd.DataFrame
    how: str  # "separator ';', encoding cp1252" or "typed cells"
    typed: bool  # values arrived typed (Parquet, Excel): text conventions only if shown
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
        directory: holds ``clients.csv``, ``invoices.parquet``, ``payments.xlsx``...
            Subdirectories are ignored; other files draw a warning. May also be one
            ``.xlsx`` workbook with a sheet per table, or a single contract file.
        known_client_ids: clients already in the ledger, which rows may name.
        known_invoice_ids: invoices already in the ledger, which rows may name.

    Raises:
        ImportRejected: carrying every problem of every file; nothing is returned.
    """
    listing = contract_files(directory)
    problems = list(listing.problems)
    checked: dict[str, CheckedTable] = {}
    detected: list[str] = []
    read_warnings: list[str] = []
    for name, path in listing.files.items():
        source = Source(path, listing.sheets.get(name))
        try:
            read = read_source(source, TABLES[name])
        except UnreadableFile as exc:
            problems += [RowProblem(source.label, None, None, m) for m in exc.messages]
            continue
        checked[name] = check_table(TABLES[name], read.frame, source.label)
        detected.append(detected_line(source, read, checked[name].conventions))
        read_warnings += read.warnings
    known = {"clients": known_client_ids, "invoices": known_invoice_ids}
    for name, failures in reference_failures(checked, known, set(listing.files)).items():
        checked[name].failures += failures
    for table in checked.values():
        problems += table.report()
    if problems:
        raise ImportRejected(problems)
    frames = {name: table.frame.reset_index(drop=True) for name, table in checked.items()}
    warnings = listing.warnings + read_warnings
    warnings += [w for table in checked.values() for w in table.warnings]
    return ReadResult(Ledger(**frames), dict(listing.files), warnings, detected)


def detected_line(source: Source, read: TextRead, conventions: Conventions) -> str:
    """How one file was written, in a line: ``invoices.csv: separator ';', ..., decimal comma``."""
    parts = [read.how]
    if not (read.typed and conventions.is_contract):
        parts += conventions.describe()
    return f"{source.label}: {', '.join(parts)}"


def contract_files(directory: Path) -> Listing:
    """The file of each contract table in ``directory``, in contract order.

    ``directory`` may also be one file: a workbook with a sheet per table, or one
    contract file (``payments.csv``).
    """
    folder = directory.name or str(directory)
    if directory.is_file() and directory.suffix.lower() == WORKBOOK:
        return workbook_sheets(directory)
    if directory.is_file() and directory.suffix.lower() in SUFFIXES:
        return listing_of({directory.stem.lower(): [directory]}, folder)
    if not directory.is_dir():
        listing = Listing()
        listing.problems.append(
            RowProblem(folder, None, None, f"folder {directory} does not exist")
        )
        return listing
    candidates: dict[str, list[Path]] = {name: [] for name in TABLES}
    warnings = []
    for path in sorted(directory.iterdir()):
        if path.is_dir() or path.name.startswith((".", "~$")):  # ~$: Excel's lock file
            continue
        table = path.stem.lower()
        if path.suffix.lower() in SUFFIXES and table in candidates:
            candidates[table].append(path)
        else:
            warnings.append(
                f"{path.name} is not a data-contract file and was ignored (expected "
                f"{', '.join(TABLES)} as .csv, .parquet or .xlsx)"
            )
    listing = listing_of(candidates, folder)
    listing.warnings[:0] = warnings
    return listing


def listing_of(candidates: dict[str, list[Path]], where: str) -> Listing:
    """The listing of candidate files by table: one per table, clients or invoices given."""
    listing = Listing()
    for table in TABLES:
        paths = candidates.get(table, [])
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            message = f"both {names} hold the {table}: keep only one of them"
            listing.problems.append(RowProblem(where, None, None, message))
        elif paths:
            listing.files[table] = paths[0]
    unknown = set(candidates) - set(TABLES)
    if unknown:
        message = (
            f"{', '.join(sorted(unknown))} is not a table of the contract ({', '.join(TABLES)})"
        )
        listing.problems.append(RowProblem(where, None, None, message))
    elif not (candidates.get("clients") or candidates.get("invoices")):
        message = "the folder has neither a clients file nor an invoices file"
        listing.problems.append(RowProblem(where, None, None, message))
    return listing


def workbook_sheets(path: Path) -> Listing:
    """The sheet of each contract table in a workbook (sheets named like the tables)."""
    try:
        names = sheet_names(path)
    except UnreadableWorkbook as exc:
        return Listing(problems=[RowProblem(path.name, None, None, str(exc))])
    listing = Listing()
    by_table: dict[str, list[str]] = {}
    for name in names:
        if name.strip().lower() in TABLES:
            by_table.setdefault(name.strip().lower(), []).append(name)
        else:
            listing.warnings.append(
                f"{path.name}: sheet {name} is not a data-contract table and was ignored "
                f"(expected sheets named {', '.join(TABLES)})"
            )
    for table, sheets in by_table.items():
        if len(sheets) > 1:
            message = f"sheets {' and '.join(sheets)} both hold the {table}: keep only one"
            listing.problems.append(RowProblem(path.name, None, None, message))
        else:
            listing.files[table], listing.sheets[table] = path, sheets[0]
    if not ({"clients", "invoices"} & set(by_table)):
        message = "the workbook has neither a clients sheet nor an invoices sheet"
        listing.problems.append(RowProblem(path.name, None, None, message))
    listing.files = {t: listing.files[t] for t in TABLES if t in listing.files}
    return listing


def read_source(source: Source, spec: TableSpec) -> TextRead:
    """One table as stripped text, indexed by data row number (1 = first row).

    Raises:
        UnreadableFile: the file is not a table that can be read.
    """
    suffix = source.path.suffix.lower()
    if suffix == WORKBOOK:
        return read_sheet(source, spec)
    if suffix == ".csv":
        names, columns, how = csv_columns(source.path, spec.column_names)
        return TextRead(text_frame(names, columns), how, typed=False)
    names, columns = parquet_columns(source.path)
    return TextRead(text_frame(names, columns), "Parquet columns", typed=True)


def read_sheet(source: Source, spec: TableSpec) -> TextRead:
    """A workbook sheet as text (the sheet named like the table, else the first one)."""
    try:
        sheet = source.sheet or table_sheet(sheet_names(source.path), spec.name)
        read = sheet_text(source.path, sheet, [c.name for c in spec.columns if c.kind == "money"])
    except UnreadableWorkbook as exc:
        raise UnreadableFile(str(exc)) from exc
    check_unique(read.names)
    columns = [pa.chunked_array([pa.array(c, pa.string())]) for c in read.columns]
    how = "typed cells" if source.sheet else f"typed cells of sheet {sheet}"
    warnings = [
        f"{source.label}: {len(rows)} amount(s) of column {name} had more than 2 decimals and "
        f"were rounded to the cent as Excel shows them (rows {', '.join(map(str, rows[:10]))}"
        f"{'...' if len(rows) > 10 else ''})"
        for name, rows in read.rounded.items()
    ]
    return TextRead(text_frame(read.names, columns), how, typed=True, warnings=warnings)


def table_sheet(names: list[str], table: str) -> str:
    """The sheet named like ``table`` in any case, else the first sheet."""
    if not names:
        raise UnreadableFile("the workbook has no sheet")
    return next((n for n in names if n.strip().lower() == table), names[0])


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


def csv_columns(path: Path, known: list[str]) -> tuple[list[str], list[pa.ChunkedArray], str]:
    """The header names, every column as text, and how a CSV file is written.

    The encoding is told by the bytes, the separator by the header (``known`` are the
    column names expected); the last part is ``separator ';', encoding cp1252``.

    Raises:
        UnreadableFile: the file is empty or has a column twice, or some lines do not
            have as many values as the header has columns (named by line: data row
            numbers after such a line would be off, so its other rows are not checked).
    """
    encoding = detect_encoding(path)
    bom = encoding == "utf-8" and has_bom(path)
    header = first_line(path, "utf-8-sig" if bom else encoding)
    separator = detect_separator(header, known)
    names = csv_header(header, separator)
    table, bad_lines = csv_table(path, len(names), separator, encoding, use_threads=True)
    if bad_lines:
        # Only a single-threaded read knows line numbers: worth it on the way out.
        _, bad_lines = csv_table(path, len(names), separator, encoding, use_threads=False)
        raise UnreadableFile(*bad_lines)
    how = f"separator {SEPARATOR_NAMES[separator]}, encoding {encoding}"
    return names, table.columns, how + (" with BOM" if bom else "")


def first_line(path: Path, encoding: str) -> str:
    """The first line of a text file, decoded, without its line break."""
    with path.open(encoding=encoding, newline="") as handle:
        return handle.readline().rstrip("\r\n")


def csv_table(
    path: Path,
    width: int,
    separator: str,
    encoding: str,
    *,
    use_threads: bool,
    quoted: bool = True,
    item: str = "values",
) -> tuple[pa.Table, list[str]]:
    """A CSV file after its header as ``width`` text columns, and its malformed lines.

    ``quoted`` False reads ``"`` as any other character (a FEC that quotes nothing);
    ``item`` is what a malformed line's message calls its parts ("fields" in a FEC).
    """
    positional = [f"c{i}" for i in range(width)]
    bad_lines: list[str] = []

    def skip_bad_line(row: pacsv.InvalidRow) -> str:
        if len(bad_lines) < MAX_PROBLEMS_PER_RULE:
            where = "a line" if row.number is None else f"line {row.number}"
            bad_lines.append(
                f"{where} has {row.actual_columns} {item} but the header has "
                f"{row.expected_columns} columns: {row.text!r}"
            )
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=positional,
                skip_rows=1,
                use_threads=use_threads,
                encoding="utf8" if encoding == "utf-8" else encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=separator,
                quote_char='"' if quoted else False,
                ignore_empty_lines=False,
                invalid_row_handler=skip_bad_line,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positional, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"the file could not be read as CSV in {encoding}: {exc}") from exc
    return table, bad_lines


def csv_header(header: str, separator: str) -> list[str]:
    """The stripped column names of a CSV header line.

    Raises:
        UnreadableFile: the line is empty or names a column twice.
    """
    names = [name.strip() for name in next(csv.reader([header], delimiter=separator), [])]
    if not any(names):
        raise UnreadableFile("the file is empty: the first line must name the columns")
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
