"""MT940 (SWIFT customer statement), read with the ``mt-940`` library.

Each ``:61:`` statement line is a movement: value date ``YYMMDD``, optional entry date
``MMDD``, mark ``C`` / ``D`` / ``RC`` / ``RD``, amount with a decimal comma, transaction
type, the payer's reference, ``//`` the bank's reference. The ``:86:`` after it is free
text, or structured in ``?NN`` subfields (as German and some French banks send it):
``?00`` booking text, ``?20``-``?29`` and ``?60``-``?63`` remittance information,
``?32``-``?33`` the payer's name; the other subfields (IBAN, BIC, codes) are left out.

Only ``C`` lines become bank lines (dated by the entry date, else the value date). ``D``
lines are counted as debits. Reversals are skipped with a note, both ways: ``RC`` takes a
credit back (a debit in effect), and ``RD`` returns money we paid out (a rejected direct
debit, a bounced transfer), which is no customer paying an invoice: matched by amount, it
could settle an invoice it has nothing to do with.

The label joins the ``:86:`` text, the payer's reference of the ``:61:`` (often the
invoice number; ``NONREF`` dropped) and its supplementary details. The line id is the
bank's reference, else a stable hash: the payer's reference is the payer's choice and
repeats across statements.

Why ``mt-940``: maintained (releases in 2025-2026), BSD, no dependencies, it reads
``:61:`` in the variants banks produce (missing entry dates, funds codes, long
supplementary details) and splits files of several statements, each with its own
currency. Its options are all switched on (``RC`` signed as a debit, ``:86:`` kept whole,
byte-order mark dropped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import InvalidOperation

import mt940

from ledger.bank_formats.lines import BankLine, ParsedStatement, join_label, positive_cents
from ledger.errors import ImportRejected, RowProblem

_STRUCTURED = re.compile(r"^(?:\d{3})?\?\d{2}")
_SUBFIELD = re.compile(r"\?(\d{2})")
_LABEL_SUBFIELDS = frozenset(("00", "32", "33", *map(str, range(20, 30)), "60", "61", "62", "63"))
_SWIFT_LINE = 65  # longest line of a field
_SUBFIELD_WIDTH = 27  # longest ``?NN`` subfield
_NO_REFERENCE = "NONREF"


def parse_mt940(data: bytes, file: str) -> ParsedStatement:
    """The credits of an MT940 file, or :class:`ImportRejected` naming the bad line."""
    text = _decoded(data)
    try:
        with _quiet():
            statements = mt940.parse_statements(text, options=mt940.Options.all())
    except RuntimeError as error:
        raise ImportRejected([_problem(file, text, error)]) from None
    except (ValueError, InvalidOperation) as error:
        problem = RowProblem(file, None, ":61:", f"a statement line cannot be read: {error}")
        raise ImportRejected([problem]) from None
    transactions = [t for statement in statements for t in statement]
    rows = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(":61:")]
    if len(rows) != len(transactions):  # a :61: not at a line start: count them instead
        rows = list(range(1, len(transactions) + 1))
    out = ParsedStatement("mt940", "SWIFT MT940")
    problems: list[RowProblem] = []
    for row, transaction in zip(rows, transactions, strict=True):
        _transaction(file, row, transaction.data, out, problems)
    if problems:
        raise ImportRejected(problems)
    return out


def _decoded(data: bytes) -> str:
    """The file's text: UTF-8 when it is, else Latin-1 (SWIFT's own charset is ASCII)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence ``mt940``'s own error log (the whole pattern, for a developer) meanwhile:
    the user gets one :class:`RowProblem` instead."""
    logger = logging.getLogger("mt940")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _problem(file: str, text: str, error: RuntimeError) -> RowProblem:
    """The library's parse error as a problem naming the file's line and tag."""
    tag = getattr(error.args[1], "id", "") if len(error.args) > 1 else ""
    value = str(error.args[2]) if len(error.args) > 2 else ""
    first = value.splitlines()[0] if value else ""
    prefix = f":{tag}:{first}"
    row = next((n for n, line in enumerate(text.splitlines(), 1) if line.startswith(prefix)), None)
    return RowProblem(file, row, f":{tag}:", "does not follow the MT940 layout", first)


def _transaction(
    file: str, row: int, data: dict[str, object], out: ParsedStatement, problems: list[RowProblem]
) -> None:
    """The ``:61:`` at ``row`` (with its ``:86:``) into ``out``, if a credit."""
    status = str(data.get("status") or "").upper()
    if status == "D":
        out.debits += 1
        return
    if status in ("RC", "RD"):
        out.notes.append(f"line {row}: a reversal ({status}), skipped")
        return
    amount = data.get("amount")
    cents = positive_cents(abs(amount.amount)) if isinstance(amount, mt940.models.Amount) else None
    if cents is None:
        problems.append(RowProblem(file, row, ":61: amount", "not an amount > 0", str(amount)))
        return
    currency = str(data.get("currency") or "")
    if not currency:
        message = "no currency: the statement has no opening balance :60F:"
        problems.append(RowProblem(file, row, ":60F:", message))
        return
    day = data.get("entry_date") or data.get("date")
    if not isinstance(day, date):
        problems.append(RowProblem(file, row, ":61: date", "no date"))
        return
    payer_ref = str(data.get("customer_reference") or "").strip()
    label = join_label(
        details_label(str(data.get("transaction_details") or "")),
        "" if payer_ref.upper() == _NO_REFERENCE else payer_ref,
        str(data.get("extra_details") or ""),
    )
    reference = str(data.get("bank_reference") or "").strip() or None
    day = date(day.year, day.month, day.day)  # mt940's own Date subclass, made plain
    out.lines.append(BankLine(row, reference, day, cents, currency, label))


def details_label(details: str) -> str:
    """The text of an ``:86:`` for lettrage: the label subfields when it is structured."""
    lines = details.splitlines()
    if _STRUCTURED.match(details):
        parts = _SUBFIELD.split("".join(lines))[1:]
        fields = zip(parts[::2], parts[1::2], strict=True)
        return _unwrapped(
            [value for key, value in fields if key in _LABEL_SUBFIELDS], _SUBFIELD_WIDTH
        )
    return _unwrapped(lines, _SWIFT_LINE)


def _unwrapped(pieces: list[str], width: int) -> str:
    """Pieces of a text wrapped at ``width`` characters, joined back.

    A piece of the full width was cut wherever the text reached it, mid-word or
    mid-number: it joins the next without a space; a shorter one ended at a space.
    """
    text = ""
    for piece in pieces:
        text += piece + ("" if len(piece) >= width else " ")
    return join_label(text)
