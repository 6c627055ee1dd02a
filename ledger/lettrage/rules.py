"""The lettrage rules, their confidences and what the user can tune (:class:`LettrageConfig`).

The confidences are calibrated on simulated statements (``bench/lettrage.py``); the
rules are described in :mod:`ledger.lettrage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
IndexArray = npt.NDArray[np.intp]

RULES: dict[str, str] = {
    "reference": "invoice number in the label; the amount settles it (within the tolerance)",
    "reference_fuzzy": "invoice number in the label with a one-character typo; the amount "
    "settles it",
    "partial": "invoice number in the label; the amount is less than its open amount",
    "exact_amount": "no usable number; the only open invoice of the client with this amount",
    "tolerance": "no usable number; the only open invoice of the client within the tolerance",
    "subset_sum": "no usable number; the only set of open invoices of the client summing to "
    "the amount",
}
"""The rules, most reliable first, each with what it found."""

CLIENT_SOURCES: dict[str, str] = {
    "line": "the client id given with the bank line",
    "name": "the payer's name in the label, as the client's name",
    "name_fuzzy": "the payer's name in the label, truncated, abbreviated or misspelt",
    "reference": "no client known: the invoice numbers and the amount identify the invoice",
}
"""Where the client of an allocation comes from."""

PROPOSAL_COLUMNS = (
    "line_id",
    "invoice_id",
    "client_id",
    "amount_cents",
    "rule",
    "confidence",
    "client_from",
)

# Confidence of each rule when the bank gives the client; calibrated on simulated
# statements (bench/lettrage.py prints the precision of each rule).
_REFERENCE = 0.99
_REFERENCE_TOLERANCE = 0.97
_REFERENCE_SUBSET = 0.96
_REFERENCE_OVERPAID = 0.96  # more paid than the numbers named: they are taken whole
_REFERENCE_OTHER_CLIENT = 0.85  # a number of another client than the bank's: review
_FUZZY = 0.96
_FUZZY_TOLERANCE = 0.93
_FUZZY_SUBSET = 0.94
_PARTIAL = 0.97
_FUZZY_PARTIAL = 0.75
# Several numbers, no subset settles the amount: oldest first, the last one in part;
# surer when every invoice named gets some of the amount than when some get nothing.
_PARTIAL_SPLIT = 0.93
_PARTIAL_SHORT = 0.7
_EXACT_AMOUNT = 0.96
_TOLERANCE = 0.92
_SUBSET = 0.94
_SUBSET_TOLERANCE = 0.8
_AMBIGUOUS = 0.5  # several candidates fit equally: the best guess, for review
_CONFLICT = 0.5  # clipped because another line took part of the invoice first
_NAMED_ELSEWHERE = 0.5  # the label names invoices the amount does not fit
_Confidences = tuple[str, float, float, float, float]
# (rule, if the amount settles the named invoices exactly, within the tolerance, settles
# a subset of them, or exceeds them all)
_REFERENCE_RULES: _Confidences = (
    "reference",
    _REFERENCE,
    _REFERENCE_TOLERANCE,
    _REFERENCE_SUBSET,
    _REFERENCE_OVERPAID,
)
_FUZZY_RULES: _Confidences = (
    "reference_fuzzy",
    _FUZZY,
    _FUZZY_TOLERANCE,
    _FUZZY_SUBSET,
    _FUZZY_PARTIAL,
)
# Times the confidence of the tolerance rule when the payer's name is several clients'.
_FEW = 5
_FEW_HOMONYMS = 0.97
_MANY_HOMONYMS = 0.8
# Times the rule's confidence, by where the client comes from.
_CLIENT_FACTOR = {"line": 1.0, "name": 0.98, "name_fuzzy": 0.95, "reference": 0.97}

_NAMING_RULES = ("reference", "reference_fuzzy", "partial")  # the label names the invoices
SEPA_LABEL_WIDTH = 140  # characters of remittance information a SEPA transfer carries
_MIN_FUZZY_DIGITS = 3  # shorter numbers are dates and counters, not invoice numbers
_MIN_NAME_CHARS = 5  # shorter payer names match too many clients by prefix


@dataclass(frozen=True)
class LettrageConfig:
    """How matches are proposed and which are applied without review.

    Attributes:
        auto_threshold: allocations with at least this confidence are applied.
        tolerance_cents: largest difference between the amount and what it settles that
            counts as bank fees or rounding (the invoice is then deemed settled).
        tolerance_ratio: the difference must also be at most this share of the amount
            settled (so that 5 € of fees do not settle a 20 € invoice paid 15 €).
        max_subset_size: largest number of invoices one amount-only payment may settle.
        max_candidates: open invoices of the client tried by the subset sum (those due
            nearest the line's date); bounds its cost, ``C(n, k)`` sums per line.
        max_name_clients: a payer name matching more clients than this identifies none.
        name_score_cutoff: lowest rapidfuzz ratio (0-100) for a misspelt payer name.
    """

    auto_threshold: float = 0.9
    tolerance_cents: int = 500
    tolerance_ratio: float = 0.05
    max_subset_size: int = 5
    max_candidates: int = 16
    max_name_clients: int = 50
    name_score_cutoff: float = 88.0

    def gap(self, cents: int) -> int:
        """Largest tolerated difference when settling ``cents``."""
        return min(self.tolerance_cents, int(self.tolerance_ratio * cents))

    def gaps(self, cents: IntArray) -> IntArray:
        """Largest tolerated difference when settling each of ``cents``."""
        return np.minimum(self.tolerance_cents, (self.tolerance_ratio * cents).astype(np.int64))
