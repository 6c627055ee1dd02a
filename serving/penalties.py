"""What an overdue invoice costs its client by law: late-payment penalties and the 40 € indemnity.

Between businesses (Code de commerce, art. L441-10), penalties run from the day after the
due date, without any reminder, at the ECB's main refinancing rate plus 10 points unless
the terms say otherwise (at least three times the taux d'intérêt légal); each overdue
invoice also owes a fixed 40 € indemnité forfaitaire pour frais de recouvrement
(art. D441-5). Public buyers owe intérêts moratoires at the ECB rate plus 8 points and the
same 40 € (Code de la commande publique, art. L2192-13, R2192-31 and D2192-35).

penalties = open amount TTC × rate × days past due / 365, rounded half up to the cent,
as a hand calculation (or a spreadsheet's ROUND) gives it. The amount is the one still
open: instalments already paid late also owed penalties for their days, left out here
because the worklist shows what can still be claimed with the invoice.

The law takes the ECB rate in force on 1 January for the first half of the year and on
1 July for the second; one configured rate stands for the current half-year (see
:class:`PenaltyRates`). The legal figures are written once, in :mod:`config.legal`: the
settings' defaults and :class:`PenaltyRates`'s are both theirs. The functions here take plain
arguments; the settings are turned into :class:`PenaltyRates` at the edge (the CLI, the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from config.legal import (
    ECB_RATE_PERCENT,
    PENALTY_MARGIN_POINTS,
    PUBLIC_PENALTY_MARGIN_POINTS,
    RECOVERY_INDEMNITY,
)
from ledger.money import CENT

DAYS_PER_YEAR = 365
_RATE_SCALE = 10_000  # rates are handled as integer ten-thousandths of a percent


@dataclass(frozen=True)
class PenaltyRates:
    """Annual penalty rates in percent: the ECB rate plus a margin in points.

    ``ecb_rate_percent`` must be updated each half-year (the rate in force on 1 January
    and 1 July); the defaults are the law's, from :mod:`config.legal`.
    """

    ecb_rate_percent: Decimal = ECB_RATE_PERCENT
    margin_points: Decimal = PENALTY_MARGIN_POINTS
    public_margin_points: Decimal = PUBLIC_PENALTY_MARGIN_POINTS

    @property
    def rate_percent(self) -> Decimal:
        """Rate owed by businesses: ECB + 10 points by default."""
        return self.ecb_rate_percent + self.margin_points

    @property
    def public_rate_percent(self) -> Decimal:
        """Rate owed by public buyers (intérêts moratoires): ECB + 8 points by default."""
        return self.ecb_rate_percent + self.public_margin_points


class PenaltySettings(Protocol):
    """The penalty figures of the settings (:class:`config.Settings` has them)."""

    ecb_rate_percent: Decimal
    penalty_margin_points: Decimal
    public_penalty_margin_points: Decimal


def rates_from_settings(settings: PenaltySettings) -> PenaltyRates:
    """The penalty rates configured in ``settings`` (``ENCOURS_ECB_RATE_PERCENT``...)."""
    return PenaltyRates(
        ecb_rate_percent=settings.ecb_rate_percent,
        margin_points=settings.penalty_margin_points,
        public_margin_points=settings.public_penalty_margin_points,
    )


def _rate_units(rate_percent: Decimal) -> int:
    """A rate as integer ten-thousandths of a percent; more decimals are refused."""
    units = Decimal(rate_percent) * _RATE_SCALE
    if units != units.to_integral_value() or units < 0:
        raise ValueError(f"penalty rate {rate_percent} %: at most 4 decimals, not negative")
    return int(units)


def late_penalty(amount: Decimal, days_past_due: int, rate_percent: Decimal) -> Decimal:
    """Penalties on ``amount`` for ``days_past_due`` days at ``rate_percent`` a year.

    0 for an invoice not overdue (``days_past_due <= 0``).
    """
    if days_past_due <= 0 or amount <= 0:
        return Decimal("0.00")
    exact = Decimal(amount) * Decimal(rate_percent) / 100 * days_past_due / DAYS_PER_YEAR
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def late_penalty_cents(
    open_cents: np.ndarray, days_past_due: np.ndarray, rate_percent: np.ndarray | Decimal
) -> np.ndarray:
    """:func:`late_penalty` of many invoices in integer cents, exactly (no float rounding).

    ``rate_percent`` holds one ``Decimal`` per invoice, or one for all.
    """
    rates = pd.Series(np.broadcast_to(np.asarray(rate_percent, dtype=object), len(open_cents)))
    mapped = rates.map({r: _rate_units(Decimal(str(r))) for r in rates.unique()})
    units = np.array(mapped.tolist(), dtype=object)  # Python integers, see below
    days = np.maximum(np.asarray(days_past_due, dtype=np.int64), 0).astype(object)
    cents = np.maximum(np.asarray(open_cents, dtype=np.int64), 0).astype(object)
    # Python integers: cents × rate × days overflows int64 on large amounts and long delays.
    numerator = cents * units * days
    denominator = DAYS_PER_YEAR * 100 * _RATE_SCALE
    rounded = (2 * numerator + denominator) // (2 * denominator)  # half up, all >= 0
    return rounded.astype(np.int64)


def recovery_indemnity_cents(days_past_due: np.ndarray) -> np.ndarray:
    """The 40 € indemnity of each invoice in euro cents: owed once it is overdue."""
    owed = np.asarray(days_past_due, dtype=np.int64) > 0
    return np.where(owed, int(RECOVERY_INDEMNITY * 100), 0).astype(np.int64)
