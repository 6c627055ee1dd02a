"""CFONB 120: the French fixed-width "relevé de compte" of 120-character records.

Records: ``01`` old balance, ``04`` movement, ``05`` complement of the movement before it,
``07`` new balance. Positions (1-based, inclusive) of a ``04``:

=========  ======================================================================
1-2        record code
3-7        bank code; 8-11 internal operation code; 12-16 branch (guichet)
17-19      currency; 20 number of decimals of the amount
22-32      account number; 33-34 interbank operation code
35-40      date of operation (booking), DDMMYY; 43-48 value date, DDMMYY
49-79      label (31 characters)
82-88      entry number (numéro d'écriture)
91-104     amount: 13 digits then a sign character standing for the last digit:
           ``{`` ``A``-``I`` for +0..+9 (a credit), ``}`` ``J``-``R`` for -0..-9 (a debit)
105-120    reference
=========  ======================================================================

A ``05`` carries a qualifier at 46-48 and 70 characters of text at 49-118; the text of
``LIB``, ``LCC``, ``LC2``, ``LCS``, ``LCZ`` (more label), ``NPY``, ``NPO`` (payer's
name), ``RCN``, ``REF`` (the payer's reference) is appended to its movement's label,
where lettrage looks for the invoice numbers and the name. Other qualifiers (``MMO``
amount in the original currency, ``IPY`` payer identifier, ``NBE`` our own name...) are
noise for lettrage and left out.

Only credits become bank lines; debits are counted. The line id is the account, the date
of operation and the entry number (an entry number alone restarts with each statement);
without an entry number, a stable hash. Records may end with CR/LF, LF or nothing at all
(a file of 120-character blocks), as banks deliver them; a line shorter than 120
characters is taken as cut of its trailing blanks.

Why our own parser: PyPI has no CFONB 120 reader outside Odoo add-ons (which need Odoo);
the layout is fixed-width and a few slices read it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from ledger.bank_formats.lines import BankLine, ParsedStatement, join_label
from ledger.errors import ImportRejected, RowProblem

WIDTH = 120
RECORD_CODES = ("01", "04", "05", "07")
_SIGNS = {c: (1, d) for d, c in enumerate("{ABCDEFGHI")} | {
    c: (-1, d) for d, c in enumerate("}JKLMNOPQR")
}
_LABEL_QUALIFIERS = frozenset(("LIB", "LCC", "LC2", "LCS", "LCZ", "NPY", "NPO", "RCN", "REF"))
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def records(text: str) -> list[str]:
    """The 120-character records of a file: lines, or fixed blocks when it has no breaks.

    Lines cut of their trailing blanks (as some transfers between systems leave them) are
    padded back to 120 characters: the blanks were part of the layout.
    """
    if "\n" not in text and "\r" not in text:
        return [text[k : k + WIDTH] for k in range(0, len(text), WIDTH)]
    return [line.rstrip("\r").ljust(WIDTH) for line in text.splitlines() if line.strip()]


def signed_amount(field: str, decimals: int) -> int:
    """Cents from a 14-character amount whose last character encodes a sign and a digit.

    ``0000000012345{`` with 2 decimals is +1234.50 (``{`` = +0); with ``}`` it is -1234.50.
    Raises ValueError for anything else.
    """
    digits, sign_char = field[:-1], field[-1:]
    if len(field) != 14 or not digits.isdigit() or sign_char not in _SIGNS:
        raise ValueError(field)
    sign, last = _SIGNS[sign_char]
    units = int(digits) * 10 + last
    scale = 2 - decimals  # cents have 2 decimals; a record may have 0 to 3
    if scale < 0:
        if units % 10**-scale:
            raise ValueError(field)
        return sign * units // 10**-scale
    return sign * units * 10**scale


def parse_cfonb120(data: bytes, file: str) -> ParsedStatement:
    """The credits of a CFONB 120 statement, or :class:`ImportRejected` naming bad records."""
    out = ParsedStatement("cfonb120", "relevé de compte 120 caractères")
    problems: list[RowProblem] = []
    current: list[str] = []  # the credit being read: its label, then its complements
    line: BankLine | None = None
    for n, record in enumerate(records(data.decode("latin-1")), 1):
        code = record[:2]
        if len(record) != WIDTH or code not in RECORD_CODES:
            message = f"not a record of {WIDTH} characters with code 01, 04, 05 or 07"
            problems.append(RowProblem(file, n, "record", message, record[:20]))
            continue
        if code == "05":
            if line is not None and record[45:48] in _LABEL_QUALIFIERS:
                current.append(record[48:118])
            continue
        _credit(line, current, out)
        line, current = None, []
        if code == "04":
            line = _movement(file, n, record, problems)
            if line is not None and line.amount_cents < 0:
                out.debits += 1
                line = None
            current = [line.label] if line else []
    _credit(line, current, out)
    if problems:
        raise ImportRejected(problems)
    return out


def _credit(line: BankLine | None, label: list[str], out: ParsedStatement) -> None:
    """``line`` into ``out`` with its label and complements joined; nothing when None."""
    if line is not None:
        out.lines.append(replace(line, label=join_label(*label)))


def _movement(file: str, n: int, record: str, problems: list[RowProblem]) -> BankLine | None:
    """A ``04`` record as a line (negative cents for a debit); None with problems if bad."""
    found = len(problems)
    currency = record[16:19]
    if not _CURRENCY.match(currency):
        problems.append(RowProblem(file, n, "currency (17-19)", "not an ISO 4217 code", currency))
    decimals = record[19]
    if not decimals.isdigit() or int(decimals) > 3:
        problems.append(RowProblem(file, n, "decimals (20)", "not 0 to 3", decimals))
    day = _date(record[34:40])
    if day is None:
        problems.append(RowProblem(file, n, "date (35-40)", "not a date DDMMYY", record[34:40]))
    cents = 0
    try:
        cents = signed_amount(record[90:104], int(decimals) if decimals.isdigit() else 2)
    except ValueError:
        message = "not 13 digits and a sign character ({, A-I, }, J-R)"
        problems.append(RowProblem(file, n, "amount (91-104)", message, record[90:104]))
    if cents == 0 and len(problems) == found:
        problems.append(RowProblem(file, n, "amount (91-104)", "a movement of zero", "0"))
    if len(problems) > found or day is None:
        return None
    entry = record[81:88].strip()
    reference = f"{record[21:32].strip()}.{day:%y%m%d}.{entry}" if entry else None
    return BankLine(n, reference, day, cents, currency, join_label(record[48:79]))


def _date(text: str) -> date | None:
    """A DDMMYY date, or None."""
    try:
        return datetime.strptime(text, "%d%m%y").date()
    except ValueError:
        return None
