"""The worklist as files people open in Excel: CSV in English or French conventions, and .xlsx.

``en`` (the default) writes the CSV as it always was: ``,``, decimal point, ISO dates,
column ids as headers, so that scripts keep reading it. ``fr`` writes what Excel in
French opens right with a double click: ``;`` between columns, decimal commas,
``dd/mm/yyyy`` dates (Excel-FR would read ISO dates too, but shows and users expect
``31/01/2024``), ``oui``/``non``, in UTF-8 with a BOM, without which Excel reads the
accents as CP1252. The headers stay the column ids in both, so that a script reads
either, and ``encours import`` reads the conventions of both.

The Excel workbook (both formats) is for people: headers in words (French with ``fr``),
amounts as numbers formatted ``#,##0.00``, probabilities as percentages, dates as real
dates, the header row frozen and filtered, columns wide enough to read.

No cell of either may attack the person who opens it: a client named
``=HYPERLINK("http://evil.example";"Garnier")`` would be a live formula in Excel or
LibreOffice (OWASP's "CSV injection"). Text starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (:data:`FORMULA_STARTS`) is written as text: in CSV with a single
quote before it, the way spreadsheets mark text; in the workbook as a string cell
carrying Excel's quote prefix, so that the exact name shows and editing the cell keeps it
text. Numbers (a negative amount), dates and booleans keep their type.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

ExportFormat = Literal["en", "fr"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("en", "fr")
SHEET = "relances"

# Column id -> header words in English and in French.
HEADERS: dict[str, tuple[str, str]] = {
    "invoice_id": ("Invoice", "Facture"),
    "reference": ("Reference", "N° de pièce"),
    "client_id": ("Client", "Client"),
    "client_name": ("Client name", "Nom du client"),
    "currency": ("Currency", "Devise"),
    "open": ("Open amount", "Montant ouvert"),
    "issue_date": ("Issue date", "Date de facture"),
    "due_date": ("Due date", "Échéance"),
    "days_past_due": ("Days past due", "Jours de retard"),
    "disputed": ("Disputed", "En litige"),
    "p_late": ("Late probability", "Probabilité de retard"),
    "risk": ("Risk", "Risque"),
    "risk_basis": ("Risk basis", "Base du risque"),
    "amount_at_risk": ("Amount at risk", "Montant à risque"),
    "profile": ("Client profile", "Profil client"),
    "recommended_step": ("Recommended step", "Relance conseillée"),
    "next_step": ("Next step", "Étape suivante"),
    "next_step_date": ("Next step date", "Date de l'étape suivante"),
    "promised_date": ("Promised date", "Date promise"),
    "penalties": ("Late penalties", "Pénalités de retard"),
    "indemnity_eur": ("Recovery indemnity (EUR)", "Indemnité forfaitaire (€)"),
    "expected_payment_date": ("Expected payment date", "Paiement attendu"),
    "payment_p10_date": ("Payment P10", "Paiement P10"),
    "payment_p90_date": ("Payment P90", "Paiement P90"),
    "collector": ("Collector", "Chargé de recouvrement"),
}
MONEY_COLUMNS = frozenset({"open", "amount_at_risk", "penalties", "indemnity_eur"})
SHARE_COLUMNS = frozenset({"p_late", "risk"})
MONEY_FORMAT = "#,##0.00"  # Excel shows it with the reader's own separators
SHARE_FORMAT = "0.0%"
DATE_FORMATS: dict[ExportFormat, str] = {"en": "yyyy-mm-dd", "fr": "dd/mm/yyyy"}
MIN_WIDTH, MAX_WIDTH = 8, 40
WIDTH_SAMPLE = 200  # rows looked at to size a column
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what makes a cell a formula
TEXT_QUOTE = "'"


def is_formula_like(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_text(value: object) -> object:
    """``value`` with a single quote before it when a spreadsheet would run it; else as is.

    Only text is touched: a negative number is a number, not a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_QUOTE + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell made safe by :func:`safe_text` (a copy when changed).

    Columns of numbers, dates and booleans are left alone; text columns are checked
    vectorised, and only those holding a formula-like cell are rewritten.
    """
    out = frame
    for column in text_columns(frame):
        values = frame[column]
        if not values.map(is_formula_like).any():
            continue
        if out is frame:
            out = frame.copy()
        out[column] = values.map(safe_text)
    return out


def text_columns(frame: pd.DataFrame) -> list[object]:
    """The columns of ``frame`` that may hold text (not numbers, dates nor booleans)."""
    types = pd.api.types
    return [
        c
        for c in frame.columns
        if types.is_object_dtype(frame[c]) or types.is_string_dtype(frame[c])
    ]


def header_words(column: str, fmt: ExportFormat) -> str:
    """The header of ``column`` in words, in the export's language (the id if unknown)."""
    english, french = HEADERS.get(column, (column, column))
    return french if fmt == "fr" else english


def write_csv(frame: pd.DataFrame, path: Path, fmt: ExportFormat = "en") -> None:
    """Write rows as CSV for people, in English (as always) or French conventions.

    Text a spreadsheet would run as a formula is quoted (:func:`neutralised`).
    """
    safe = neutralised(frame)
    ending = line_ending(safe)
    if fmt == "en":
        safe.to_csv(path, index=False, lineterminator=ending)
        return
    french = safe.copy()
    for column in french.columns:
        values = french[column]
        if column in MONEY_COLUMNS:
            french[column] = values.map(
                lambda v: "" if pd.isna(v) else f"{v:.2f}".replace(".", ",")
            )
        elif pd.api.types.is_bool_dtype(values):
            french[column] = values.map({True: "oui", False: "non"})
    french.to_csv(
        path,
        index=False,
        sep=";",
        decimal=",",
        date_format="%d/%m/%Y",
        encoding="utf-8-sig",
        lineterminator=ending,
    )


def line_ending(frame: pd.DataFrame) -> str:
    """``\n`` as always, or ``\r\n`` when a text cell holds a carriage return.

    Python's CSV writer quotes a field only for the characters of the line ending: with
    ``\n`` alone, a bare CR inside a field would be written unquoted, and readers would
    break the row there.
    """
    for column in text_columns(frame):
        if frame[column].map(lambda v: isinstance(v, str) and "\r" in v).any():
            return "\r\n"
    return "\n"


def write_excel(frame: pd.DataFrame, path: Path, fmt: ExportFormat = "en") -> None:
    """Write the worklist rows as an .xlsx sheet ``relances`` people can sort and filter."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    columns = [str(c) for c in frame.columns]
    headers = [header_words(c, fmt) for c in columns]
    formats = [cell_format(frame[c], c, fmt) for c in columns]
    for position, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
        width = column_width(header, frame[column], formats[position - 1])
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    bold = Font(bold=True)
    sheet.append([styled(sheet, h, None, bold) for h in headers])
    for row in frame.itertuples(index=False, name=None):
        sheet.append([styled(sheet, cell_value(v), f) for v, f in zip(row, formats, strict=True)])
    book.save(path)


def cell_format(values: pd.Series, column: str, fmt: ExportFormat) -> str | None:
    """The Excel number format of a column: money, percentage, date, or none."""
    if column in MONEY_COLUMNS:
        return MONEY_FORMAT
    if column in SHARE_COLUMNS:
        return SHARE_FORMAT
    if pd.api.types.is_datetime64_any_dtype(values):
        return DATE_FORMATS[fmt]
    return None


def cell_value(value: object) -> object:
    """A frame value as openpyxl writes it: dates at midnight as dates, missing as empty."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def styled(
    sheet: object, value: object, number_format: str | None, font: Font | None = None
) -> object:
    """A write-only cell with its number format and font, or the bare value when unstyled.

    Text a spreadsheet would run as a formula becomes a string cell with Excel's quote
    prefix: shown as written, never evaluated, still text when a person edits it.
    """
    formula_like = is_formula_like(value)
    if number_format is None and font is None and not formula_like:
        return value
    cell = WriteOnlyCell(sheet, value)
    if formula_like:
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def column_width(header: str, values: pd.Series, number_format: str | None) -> float:
    """A width that shows the header and the first rows' values, within bounds."""
    if number_format is not None and number_format != MONEY_FORMAT:
        longest = len(dt.date(2024, 12, 31).strftime("%d/%m/%Y"))  # dates and percentages
    else:
        sample = values.head(WIDTH_SAMPLE).dropna()
        shown = sample.map(lambda v: f"{v:,.2f}") if number_format else sample.astype(str)
        longest = int(shown.str.len().max()) if len(shown) else 0
    return float(min(max(len(header), longest, MIN_WIDTH) + 2, MAX_WIDTH))
