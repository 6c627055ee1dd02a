"""The sheets of an Excel workbook (``.xlsx``) as the text a contract CSV would hold.

Cells arrive typed: dates as ``datetime``, numbers as ``float``, ticks as ``bool``.
Each becomes the contract's text, so that ``ledger.validation`` checks a workbook as
it checks a CSV file: dates at midnight as ``YYYY-MM-DD`` (with a time, kept and
refused where a date is expected), numbers as Excel shows them, to 15 significant
digits, so that ``0.1 + 0.2`` is ``0.3`` and an id typed as ``123`` is ``123``, not
``123.0``. Amounts are rounded to the cent, half up, as Excel shows them in a money
format and writes them to CSV; the rounded cells are named in a warning. Text cells
stay text (``31/01/2024`` typed as text is read in the file's conventions).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from ledger.money import CENT

SIGNIFICANT_DIGITS = 15  # what Excel stores and shows of a number


@dataclass
class SheetText:
    """One sheet as text: the header names, each column's cells, the rounded amounts."""

    names: list[str]
    columns: list[list[str | None]]
    rounded: dict[str, list[int]] = field(default_factory=dict)  # column -> data rows


class UnreadableWorkbook(Exception):
    """A file that openpyxl cannot open as an ``.xlsx`` workbook."""


def sheet_names(path: Path) -> list[str]:
    """The names of the sheets of the workbook at ``path``, in order."""
    book = open_workbook(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def open_workbook(path: Path) -> Workbook:
    """The workbook at ``path``, read-only with the cached values of formulas."""
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... alike
        raise UnreadableWorkbook(f"the file could not be read as an Excel workbook: {exc}") from exc


def sheet_text(path: Path, sheet: str, money_columns: Collection[str]) -> SheetText:
    """The sheet ``sheet`` of the workbook as text columns; the first row names them.

    Args:
        path: the ``.xlsx`` file.
        sheet: the sheet's name.
        money_columns: header names whose numbers are amounts, rounded to the cent.
    """
    book = open_workbook(path)
    try:
        rows = book[sheet].iter_rows(values_only=True)
        header = next(rows, ())
        names = ["" if v is None else str(v).strip() for v in header]
        money = [name in money_columns for name in names]
        out = SheetText(names, [[] for _ in names])
        for number, row in enumerate(rows, start=1):
            for position, column in enumerate(out.columns):
                value = row[position] if position < len(row) else None
                text, rounded = cell_text(value, money=money[position])
                column.append(text)
                if rounded:
                    out.rounded.setdefault(names[position], []).append(number)
        return out
    finally:
        book.close()


def cell_text(value: object, *, money: bool) -> tuple[str | None, bool]:
    """A cell's value as contract text, and whether it was an amount rounded to the cent."""
    if value is None:
        return None, False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, dt.datetime):
        at_midnight = value.time() == dt.time()
        return (value.date().isoformat() if at_midnight else value.isoformat(sep=" ")), False
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), False
    if isinstance(value, int):
        return str(value), False
    if isinstance(value, float):
        return number_text(value, money=money)
    return str(value), False


def number_text(value: float, *, money: bool) -> tuple[str, bool]:
    """A float as Excel shows it (15 significant digits), amounts to the cent, half up.

    ``0.30000000000000004`` -> ``0.3``, ``123.0`` -> ``123``, an amount ``12.345`` ->
    ``12.35`` (rounded: True).
    """
    if not math.isfinite(value):
        return str(value), False
    shown = Decimal(format(value, f".{SIGNIFICANT_DIGITS}g"))
    rounded = False
    if money:
        cents = shown.quantize(CENT, rounding=ROUND_HALF_UP)
        rounded = cents != shown
        shown = cents
    if shown == shown.to_integral_value():
        return str(int(shown)), rounded
    return format(shown, "f"), rounded
