"""The LME use: clients and invoices beyond the legal payment terms."""

from __future__ import annotations

import datetime as dt

from ledger.contract import Ledger
from serving.lme import LmeReport, lme_report
from serving.penalties import PenaltySettings, rates_from_settings


def lme(
    ledger: Ledger,
    settings: PenaltySettings,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
) -> LmeReport:
    """The LME report at ``as_of`` (default today) on the invoices issued from ``since``
    (default a year before), public buyers' moratory rate from the settings' rates."""
    return lme_report(ledger, as_of or dt.date.today(), since, rates_from_settings(settings))
