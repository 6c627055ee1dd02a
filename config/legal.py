"""What the law sets for an overdue invoice, written once (French law, see serving.penalties).

The settings' defaults (``ENCOURS_ECB_RATE_PERCENT``...) and those of
:class:`serving.penalties.PenaltyRates` both read these.
"""

from __future__ import annotations

from decimal import Decimal

ECB_RATE_PERCENT = Decimal("2.15")
"""ECB main refinancing rate in force, in percent: 2.15 from 11 June 2025. The law takes the
rate in force on 1 January or 1 July: update it each half-year."""
PENALTY_MARGIN_POINTS = Decimal("10")
"""Points added to the ECB rate between businesses (Code de commerce L441-10), unless the
terms say otherwise."""
PUBLIC_PENALTY_MARGIN_POINTS = Decimal("8")
"""Points added to the ECB rate for public buyers' intérêts moratoires (Code de la commande
publique R2192-31)."""
RECOVERY_INDEMNITY = Decimal("40.00")
"""Indemnité forfaitaire pour frais de recouvrement, in euros, per overdue invoice
(Code de commerce D441-5; Code de la commande publique D2192-35)."""
AGREED_TERMS_MAX_DAYS = 60
"""Longest agreed payment term from the invoice date between businesses (Code de commerce
L441-10, I, loi LME)."""
END_OF_MONTH_TERMS_DAYS = 45
"""By derogation, 45 days end of month from the invoice date, when the contract says so
(Code de commerce L441-10, I)."""
DEFAULT_TERMS_DAYS = 30
"""Term when none is agreed: 30 days after receipt of the goods or the service (Code de
commerce L441-10, I); the invoice date stands for it here."""
PUBLIC_TERMS_MAX_DAYS = 30
"""Longest term of the State and local authorities (Code de la commande publique R2192-10;
50 days for public hospitals, 60 for public companies: set a client's own terms then)."""
