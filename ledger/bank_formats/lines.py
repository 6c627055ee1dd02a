"""What every statement format is read into: credit lines, what was skipped, stable ids.

The parsers know nothing of pandas nor of lettrage: each returns a
:class:`ParsedStatement`, and :func:`ledger.bank_statement.read_statement` makes the frame.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.contract import id_problem

MAX_ID = 60
"""Longest line id the lettrage store takes (payment ids are ``<line_id>-<n>``)."""


@dataclass(frozen=True)
class BankLine:
    """One credit of a statement, before it gets its line id.

    Attributes:
        where: the entry or record number in the file, as a person counts it (1 = first),
            to name it in problems and notes.
        reference: the bank's reference of the line, None when it gives none.
        day: booking date (or value date when the bank gives no booking date).
        amount_cents: the amount credited, > 0.
        currency: ISO 4217 code.
        label: the bank's text, the remittance information and the payer's name.
    """

    where: int
    reference: str | None
    day: date
    amount_cents: int
    currency: str
    label: str


@dataclass
class ParsedStatement:
    """The credits of a statement file and what was left out of it.

    Attributes:
        format: ``csv``, ``camt053``, ``cfonb120`` or ``mt940``.
        detail: the version or variant read (``camt.053.001.08``), for the user.
        lines: the credits, in the file's order.
        debits: debit lines skipped (lettrage matches customer receipts only).
        notes: other lines skipped and why (reversals, pending entries).
    """

    format: str
    detail: str = ""
    lines: list[BankLine] = field(default_factory=list)
    debits: int = 0
    notes: list[str] = field(default_factory=list)


def join_label(*parts: str | None) -> str:
    """Label parts joined by one space, blanks dropped and inner spacing collapsed."""
    return " ".join(" ".join(p.split()) for p in parts if p and p.strip())


def positive_cents(amount: Decimal) -> int | None:
    """Integer cents of an amount > 0 with at most two decimals; None for any other."""
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount.scaleb(2))


def line_ids(prefix: str, lines: list[BankLine]) -> list[str]:
    """Each line's id: the bank's reference when it is unique in the file, else a hash.

    The hash covers the date, amount, currency, label and the line's rank among identical
    lines, so reading the same file again gives the same ids (lettrage then applies
    nothing twice). A reference the file repeats identifies nothing: those lines get the
    hash too, as do references longer than :data:`MAX_ID` and those that could not be
    an id (:func:`ledger.contract.id_problem`: a control or an invisible character).
    """
    repeated = Counter(line.reference for line in lines if line.reference)
    seen: Counter[str] = Counter()
    out = []
    for line in lines:
        ref = line.reference
        if ref and repeated[ref] == 1 and len(ref) <= MAX_ID and id_problem(ref) is None:
            out.append(ref)
            continue
        key = "|".join(
            (line.day.isoformat(), str(line.amount_cents), line.currency, line.label, ref or "")
        )
        seen[key] += 1
        digest = hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()[:20]
        out.append(f"{prefix}-{digest}")
    return out
