"""How a file writes its text, numbers and dates, told from the file itself.

French users export from Excel-FR and French accounting packages: CP1252 text,
``;`` separators, decimal commas, ``1 234,56`` and ``31/01/2024``. Each file is
read in its own conventions, detected here, so that the same data written the
French way or the contract's way (UTF-8, ``,``, ``1234.56``, ``2024-01-31``)
gives the same ledger. Detection never guesses between two readings that
would both be plausible: such values are refused and named (see
``ledger.validation``), except dates whose day is never above 12, read day
first as a French file means them (and said so in the import report).

- **encoding**: UTF-8 (with or without BOM), else CP1252 when the bytes hold one
  of its letters in 0x80-0x9F (€, œ, ’), else ISO-8859-15;
- **separator**: the one of ``,`` ``;`` tab ``|`` that splits the header into the
  most contract column names;
- **decimal mark**: comma or point, by the amounts that show one (``12,50``,
  ``1.234.567``...); amounts of the other mark are refused, so are English
  ``1,234.56`` and, when no amount shows the mark, ``1.234`` or ``1,234``;
  thousands may be grouped by a space, a no-break space (U+00A0) or a narrow
  no-break space (U+202F), or by dots when the decimal is a comma;
- **date layout**: ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``DD-MM-YYYY`` or ``DD.MM.YYYY``,
  two digits for day and month, whichever most dates of the file follow; dates in
  another layout are refused. Two-digit years (``31/01/24``) are refused: the
  century of a ``created_on`` is not worth guessing.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.contract import USER_COLUMN_PREFIX, TableSpec

C1_BYTES = bytes(range(0x80, 0xA0))  # control codes in ISO-8859-15, letters in CP1252
UTF8_BOM = codecs.BOM_UTF8
SEPARATORS = (",", ";", "\t", "|")

DecimalMark = Literal[",", "."]

# Amount shapes, tried in this order; [0-9], not \d, so that no other script's digits pass.
SPACES = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space
SIGN = "[+-]?"
HEAD = "[1-9][0-9]{0,2}"  # the first group of a number grouped by thousands
INTEGER = rf"(?:[0-9]+|{HEAD}(?:{SPACES}[0-9]{{3}})+)"
DOTTED = rf"{HEAD}(?:\.[0-9]{{3}})+"
AMOUNT_SHAPES: dict[str, str] = {
    "whole": rf"{SIGN}{INTEGER}",
    "dot_group": rf"{SIGN}{HEAD}\.[0-9]{{3}}",  # 1.234: a thousands dot, or 3 decimals
    "comma_group": rf"{SIGN}{HEAD},[0-9]{{3}}",  # 1,234: a thousands comma, or 3 decimals
    "point": rf"{SIGN}{INTEGER}\.[0-9]*",
    # 12,50 or 1.234,50, or 1.234.567: dots only group thousands where the comma is decimal
    "comma": rf"{SIGN}(?:{INTEGER}|{DOTTED}),[0-9]*|{SIGN}{HEAD}(?:\.[0-9]{{3}}){{2,}}",
    "english": rf"{SIGN}{HEAD}(?:,[0-9]{{3}})+\.[0-9]*|{SIGN}{HEAD}(?:,[0-9]{{3}}){{2,}}",
}
SHOWS_MARK: dict[str, DecimalMark] = {"point": ".", "comma": ","}
# The shapes each decimal mark reads; the others are refused (None: no amount shows it).
READABLE: dict[DecimalMark | None, frozenset[str]] = {
    ",": frozenset({"whole", "dot_group", "comma_group", "comma"}),
    ".": frozenset({"whole", "dot_group", "point"}),
    None: frozenset({"whole"}),
}


@dataclass(frozen=True)
class DateFormat:
    """A strict date layout: its shape, how to parse it and how to name it to a person."""

    shape: str  # regular expression of the whole text
    strptime: str
    day_at: int  # where the two digits of the day start
    layout: str  # "YYYY-MM-DD"
    name: str  # "the YYYY-MM-DD format"
    example: str

    @property
    def month_at(self) -> int | None:
        """Where the two digits of the month start, for day-first layouts."""
        return 3 if self.day_at == 0 else None


ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ISO = DateFormat(ISO_DATE, "%Y-%m-%d", 8, "YYYY-MM-DD", "the YYYY-MM-DD format", "2024-01-31")


def day_first(separator: str) -> DateFormat:
    """The French layout ``DD<sep>MM<sep>YYYY``."""
    sep = "\\" + separator
    layout = f"DD{separator}MM{separator}YYYY"
    return DateFormat(
        f"[0-9]{{2}}{sep}[0-9]{{2}}{sep}[0-9]{{4}}",
        f"%d{separator}%m{separator}%Y",
        0,
        layout,
        f"the {layout} format",
        f"31{separator}01{separator}2024",
    )


DATE_LAYOUTS = (ISO, day_first("/"), day_first("-"), day_first("."))  # ties go to the first
SHORT_YEAR = r"[0-9]{2}[/.-][0-9]{2}[/.-][0-9]{2}"


@dataclass(frozen=True)
class Conventions:
    """How the numbers and dates of one file are written."""

    decimal: DecimalMark | None = "."  # None: no amount shows a decimal mark
    dates: DateFormat = ISO
    has_amounts: bool = False
    has_dates: bool = False
    day_first_assumed: bool = False  # day-first dates, none with a day above 12

    @property
    def is_contract(self) -> bool:
        """Whether the file writes numbers and dates the contract's way."""
        return self.decimal in (".", None) and self.dates == ISO

    def describe(self) -> list[str]:
        """What was detected, in a few words each: ``["decimal comma", "dates dd/mm/yyyy"]``."""
        parts = []
        if self.has_amounts:
            mark = {",": "decimal comma", ".": "decimal point", None: "whole amounts"}
            parts.append(mark[self.decimal])
        if self.has_dates:
            dates = f"dates {self.dates.layout.lower()}"
            if self.day_first_assumed:
                dates += " (no day above 12: read day first, the French way)"
            parts.append(dates)
        return parts


CONTRACT = Conventions()


def detect_encoding(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else ISO-8859-15 (CP1252 if it has € etc.).

    Bytes 0x80-0x9F are control codes in ISO-8859-15 that no text holds, but letters
    (€, œ, ’) in Windows' CP1252, which some packages write and call "ANSI".
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if len(chunk.translate(None, C1_BYTES)) < len(chunk):
                return "cp1252"
    return "iso-8859-15"


def has_bom(path: Path) -> bool:
    """Whether the file starts with the UTF-8 byte-order mark (Excel's "CSV UTF-8")."""
    with path.open("rb") as handle:
        return handle.read(len(UTF8_BOM)) == UTF8_BOM


def detect_separator(header: str, known: Collection[str]) -> str:
    """The separator that splits ``header`` into the most ``known`` column names.

    Column names are fixed by the contract, so the header tells the separator without
    looking at the data; with no known name at all, the one giving the most columns.
    """

    def score(separator: str) -> tuple[int, int]:
        names = [n.strip() for n in next(csv.reader([header], delimiter=separator), [])]
        ours = sum(n in known or n.startswith(USER_COLUMN_PREFIX) for n in names)
        return ours, len(names)

    return max(SEPARATORS, key=score)  # max keeps the first of equals: "," by default


def amount_shapes(text: pd.Series) -> pd.Series:
    """The shape of each amount text (``whole``, ``point``, ``comma``...; ``other``)."""
    names = first_match(text, [f"(?:{shape})" for shape in AMOUNT_SHAPES.values()])
    shapes = np.array([*AMOUNT_SHAPES, "other"], dtype=object)[names]
    return pd.Series(shapes, index=text.index, dtype="object").where(text.notna())


def first_match(text: pd.Series, patterns: list[str]) -> npt.NDArray[np.int64]:
    """For each text, the index of the first of ``patterns`` it matches whole (-1: none).

    Values already matched are not tried again, and the search stops once every value
    has its pattern, so that a file in the contract's conventions is classified after
    a pattern or two. Measured on a simulated ledger of 455,000 rows (3,000 clients, 24
    months) on two busy cores: read in 4.0 s before conventions were detected, 4.5 s
    now (5.6 s written the French way); trying every pattern on every value took 5.8 s.
    """
    found = np.full(len(text), -1, dtype=np.int64)
    left = text.notna().to_numpy(bool, copy=True)
    for position, pattern in enumerate(patterns):
        if not left.any():
            break
        match = text.where(left).str.fullmatch(pattern).fillna(False).to_numpy(bool)
        found[match] = position
        left &= ~match
    return found


def decimal_mark(shapes: Iterable[pd.Series]) -> tuple[DecimalMark | None, bool]:
    """The decimal mark most amounts show (a tie goes to the point), and whether any is given."""
    counts = pd.concat(list(shapes) or [pd.Series(dtype="object")]).value_counts()
    point, comma = int(counts.get("point", 0)), int(counts.get("comma", 0))
    mark: DecimalMark | None = None if point == comma == 0 else "," if comma > point else "."
    return mark, bool(counts.sum())


def canonical_amounts(text: pd.Series, shapes: pd.Series, mark: DecimalMark | None) -> pd.Series:
    """Amounts in the contract's form (``1234.56``); the others left as written.

    Thousands spaces go; with a decimal comma, thousands dots go and the comma becomes
    a point. Values of a shape the mark does not read are left for the caller to refuse.
    """
    readable = shapes.isin(READABLE[mark])
    out = text.where(~readable, text.str.replace(SPACES, "", regex=True))
    if mark == ",":
        out = out.where(~readable, out.str.replace(".", "", regex=False))
        out = out.where(~readable, out.str.replace(",", ".", regex=False))
    return out


def date_layouts(text: pd.Series) -> pd.Series:
    """The index in ``DATE_LAYOUTS`` of each date text's layout (-1: none of them)."""
    return pd.Series(first_match(text, [f.shape for f in DATE_LAYOUTS]), index=text.index)


def detect_conventions(spec: TableSpec, text: pd.DataFrame) -> Conventions:
    """The decimal mark and date layout of one file, from all its amount and date columns."""
    present = [c for c in spec.columns if c.name in text]
    amounts = [text[c.name].dropna() for c in present if c.kind == "money"]
    mark, has_amounts = decimal_mark(amount_shapes(a) for a in amounts)
    given = [text[c.name].dropna() for c in present if c.kind == "date"]
    dates = pd.concat(given or [pd.Series()], ignore_index=True).astype("str")
    layouts = date_layouts(dates).to_numpy(int)
    counts = np.bincount(layouts[layouts >= 0], minlength=len(DATE_LAYOUTS))
    fmt = DATE_LAYOUTS[int(counts.argmax())]  # argmax keeps the first of equals: ISO
    assumed = False
    if fmt.month_at is not None and counts.max() > 0:
        days = dates[layouts == DATE_LAYOUTS.index(fmt)].str.slice(0, 2).astype(int)
        assumed = not (days > 12).any()
    return Conventions(mark, fmt, has_amounts, len(dates) > 0, assumed)
