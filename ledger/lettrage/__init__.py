"""Lettrage (cash application): which open invoices each bank-statement line settles.

Pure functions: bank lines, open invoices and client names in, one row per proposed
allocation ``(line_id, invoice_id, amount_cents)`` out; nothing is read or written
(:mod:`ledger.lettrage_store` stores and applies the proposals).

Each allocation names the rule that made it and a confidence in [0, 1]: the estimated
probability that the line really pays that invoice, calibrated on simulated statements
(``bench/lettrage.py`` prints the precision of each rule). Allocations at or above
``auto_threshold`` are applied automatically, the others go to a review queue. The
rules, most reliable first, with their confidence when the bank gives the client:

==================  ====  ==========================================================
``reference``       0.99  invoice numbers in the label (spaces, prefixes such as
                          ``FAC`` or ``INV``, zero-padding ignored), the amount
                          settles them; 0.97 within the tolerance (bank fees,
                          rounding), 0.96 a subset of them, 0.96 more paid than named
``reference_fuzzy`` 0.96  a number one typo (digit substituted, dropped, doubled, two
                          swapped) from exactly one of the client's own open invoices,
                          the amount settles it; 0.93 within the tolerance
``partial``         0.97  a number found, the amount below its open amount; 0.93
                          spread over several numbers, oldest first
``exact_amount``    0.96  no usable number; the only open invoice of the client with
                          this amount
``subset_sum``      0.94  no usable number; the only set of 2 to ``max_subset_size``
                          invoices of one client (among the ``max_candidates`` due
                          nearest the line) summing to the amount
``tolerance``       0.92  no usable number; the only open invoice of the client within
                          the tolerance of the amount
==================  ====  ==========================================================

Where the client comes from is recorded apart, in ``client_from``, and multiplies the
confidence: ``line`` (the bank gave it, x1), ``name`` (the payer's name in the label is
a client's name once legal forms, accents and spacing are set aside, x0.98),
``name_fuzzy`` (a truncated, abbreviated or misspelt name, x0.95) or ``reference`` (no
client: the numbers and the amount alone identify the invoices, x0.97). A name several
clients share gives all of them as candidates; the match must then be unique across all
of them, and near amounts (``tolerance``) count for less.

Ambiguity sends a proposal to review (0.5): two invoices with the amount, two subsets,
an amount equal to what lettrage left of an invoice another line paid part of (that
remainder is an artefact of the other line's amount), an amount-only match on a line
whose label names invoices the amount does not fit.

Allocation is greedy by confidence, in two passes: the allocations at or above the
threshold first, rule by rule, then, for what is left, those below it. A line is never
allocated more than its amount, an invoice never more than its open amount, across all
lines.

The modules: :mod:`ledger.lettrage.rules` (the rules, their confidences, the config),
:mod:`ledger.lettrage.text` (labels and names read), :mod:`ledger.lettrage.candidates`
(open invoices, bank lines, subsets), :mod:`ledger.lettrage.matching` (the rules applied
and the allocation); :func:`propose_matches` runs them.
"""

from __future__ import annotations

import pandas as pd

from ledger.lettrage.candidates import _book, _lines, open_items, settling_subsets
from ledger.lettrage.matching import _Matcher
from ledger.lettrage.rules import (
    CLIENT_SOURCES,
    PROPOSAL_COLUMNS,
    RULES,
    SEPA_LABEL_WIDTH,
    LettrageConfig,
)
from ledger.lettrage.text import (
    BANK_WORDS,
    LEGAL_FORMS,
    _NameIndex,
    invoice_key,
    label_name,
    label_numbers,
    name_tokens,
    number_keys,
    plain_upper,
)

__all__ = [
    "BANK_WORDS",
    "CLIENT_SOURCES",
    "LEGAL_FORMS",
    "PROPOSAL_COLUMNS",
    "RULES",
    "SEPA_LABEL_WIDTH",
    "LettrageConfig",
    "invoice_key",
    "label_name",
    "label_numbers",
    "name_tokens",
    "number_keys",
    "open_items",
    "plain_upper",
    "propose_matches",
    "settling_subsets",
]


def propose_matches(
    lines: pd.DataFrame,
    open_invoices: pd.DataFrame,
    clients: pd.DataFrame,
    config: LettrageConfig | None = None,
) -> pd.DataFrame:
    """Proposed allocations of bank lines to open invoices, each with its rule and confidence.

    Args:
        lines: ``line_id, date, amount_cents, label`` and optionally ``client_id`` (None
            when the bank does not give it) and ``currency`` (default EUR).
        open_invoices: ``invoice_id, client_id, open_cents, issue_date, due_date`` and
            optionally ``currency`` (as :func:`open_items` gives them) and ``lettered``
            (True when lettrage matched part of the invoice before: what is left of it
            is then no evidence for amount-only rules, as within a run).
        clients: ``client_id, name``: to find the client of lines that do not give it.
        config: thresholds and bounds; the defaults when None.

    Returns:
        One row per allocation: ``line_id, invoice_id, client_id, amount_cents, rule,
        confidence, client_from`` (see :data:`RULES` and :data:`CLIENT_SOURCES`), in the
        lines' order. Lines nothing was found for have no row.
    """
    config = config or LettrageConfig()
    book = _book(open_invoices)
    names = _NameIndex(clients, config)
    known = set(clients["client_id"].astype(str))
    matcher = _Matcher(book, _lines(lines, known, names, book.currencies), config)
    rules = (
        matcher.references,
        matcher.fuzzy_references,
        matcher.exact_amounts,
        matcher.subsets,
        matcher.tolerances,
    )
    # First what is applied automatically, then what is left, for review.
    for min_confidence, clip in ((config.auto_threshold, False), (0.0, True)):
        for rule in rules:
            matcher.accept(rule(), min_confidence, clip)
    return matcher.proposals()
