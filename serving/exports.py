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
}
MONEY_COLUMNS = frozenset({"open", "amount_at_risk", "penalties", "indemnity_eur"})
SHARE_COLUMNS = frozenset({"p_late", "risk"})
MONEY_FORMAT = "#,##0.00"  # Excel shows it with the reader's own separators
SHARE_FORMAT = "0.0%"
DATE_FORMATS: dict[ExportFormat, str] = {"en": "yyyy-mm-dd", "fr": "dd/mm/yyyy"}
MIN_WIDTH, MAX_WIDTH = 8, 40
WIDTH_SAMPLE = 200  # rows looked at to size a column


def header_words(column: str, fmt: ExportFormat) -> str:
    """The header of ``column`` in words, in the export's language (the id if unknown)."""
    english, french = HEADERS.get(column, (column, column))
    return french if fmt == "fr" else english


def write_csv(frame: pd.DataFrame, path: Path, fmt: ExportFormat = "en") -> None:
    """Write the worklist rows as CSV, in English (as always) or French conventions."""
    if fmt == "en":
        frame.to_csv(path, index=False)
        return
    french = frame.copy()
    for column in french.columns:
        values = french[column]
        if column in MONEY_COLUMNS:
            french[column] = values.map(
                lambda v: "" if pd.isna(v) else f"{v:.2f}".replace(".", ",")
            )
        elif pd.api.types.is_bool_dtype(values):
            french[column] = values.map({True: "oui", False: "non"})
    french.to_csv(
        path, index=False, sep=";", decimal=",", date_format="%d/%m/%Y", encoding="utf-8-sig"
    )


def comma_cents(amount: float) -> str:
    """An amount in currency units with two decimals after a comma: ``1234.5`` -> ``1234,50``."""
    return "" if pd.isna(amount) else f"{amount:.2f}".replace(".", ",")


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
    """A write-only cell with its number format and font, or the bare value when unstyled."""
    if number_format is None and font is None:
        return value
    cell = WriteOnlyCell(sheet, value)
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
