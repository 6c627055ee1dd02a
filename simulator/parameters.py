"""What a simulation is asked for and what it gives; the fixed laws it draws from.

The client mix (segments, countries, sectors, names), the relance plans, the seasons and
the base on-time tendency: every constant the steps of :mod:`simulator` share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.contract import (
    CHANNELS,
    OUTCOMES,
    Ledger,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Rows = dict[str, np.ndarray]
"""One month's invoices (or rows derived from them), one array per column."""

# A day number standing for "never" (no default, never paid): far beyond any window.
_NEVER = np.int64(10**7)
# Longest intended delay after the due date, in days; caps the log-logistic tail so that
# dates stay representable (the truth differs from the draw only beyond a century).
_MAX_DELAY_DAYS = 36_500.0
_DAYS_PER_MONTH = 30.4375

PAY_CALENDARS = ("business_day", "month_end", "tenth", "tenth_and_month_end")
"""When a client's transfers land: any business day, or only in payment runs."""

DUNNING_PLANS: dict[str, tuple[tuple[int, str, float], ...]] = {
    "small": ((1, "email", 0.9), (15, "call", 0.75), (30, "letter", 0.85)),
    "standard": ((1, "email", 0.9), (15, "call", 0.75), (30, "formal_notice", 0.6)),
    "large": (
        (1, "email", 0.9),
        (15, "call", 0.75),
        (30, "formal_notice", 0.6),
        (75, "legal", 0.7),
    ),
    "public": ((1, "email", 0.9), (15, "call", 0.75), (45, "letter", 0.85)),
    "disputed": ((1, "email", 0.9), (15, "call", 0.75)),
}
"""Relance plans: (days after due, channel, factor applied to the remaining delay).

``small`` is for amounts under 1,000 €, ``large`` for 10,000 € and over (private
clients), ``public`` for public-sector buyers, ``disputed`` stops after the call while
the litigation runs.
"""

_PLAN_NAMES = tuple(DUNNING_PLANS)
_PROMISE = OUTCOMES.index("promise_to_pay")
_MAX_ACTIONS = max(len(p) for p in DUNNING_PLANS.values())
_NO_ACTION = 1e12  # offset of the missing steps of a shorter plan
_PLAN_OFFSETS = np.full((len(_PLAN_NAMES), _MAX_ACTIONS), _NO_ACTION)
_PLAN_FACTORS = np.ones((len(_PLAN_NAMES), _MAX_ACTIONS))
_PLAN_CHANNELS = np.full((len(_PLAN_NAMES), _MAX_ACTIONS), -1, dtype=np.int64)
for _p, _steps in enumerate(DUNNING_PLANS.values()):
    for _k, (_offset, _channel, _factor) in enumerate(_steps):
        _PLAN_OFFSETS[_p, _k] = _offset
        _PLAN_FACTORS[_p, _k] = _factor
        _PLAN_CHANNELS[_p, _k] = CHANNELS.index(_channel)

_SEGMENTS = ("key_account", "mid_market", "sme")
_SEGMENT_P = (0.08, 0.22, 0.70)
_SEGMENT_SCALE = np.array([5.0, 2.0, 1.0])  # invoice size multiplier
_SEGMENT_RATE = np.array([3.0, 1.4, 0.8])  # invoices per month multiplier

_COUNTRIES = ("FR", "BE", "DE", "ES", "IT", "NL", "LU", "PT", "AT", "CH")
_COUNTRY_P = (0.80, 0.05, 0.04, 0.03, 0.03, 0.02, 0.01, 0.01, 0.005, 0.005)
_COUNTRY_DELAY = np.array([1.0, 1.1, 0.7, 1.5, 1.5, 0.75, 1.0, 1.4, 0.75, 0.8])
_LEGAL_FORMS = ("SAS", "SRL", "GmbH", "SL", "Srl", "BV", "Sàrl", "Lda", "GmbH", "AG")

# (sector, delay multiplier, share, word used in names)
_PRIVATE_SECTORS = (
    ("industrie", 1.0, 0.18, "Industrie"),
    ("btp", 1.4, 0.14, "Construction"),
    ("commerce de gros", 1.0, 0.14, "Négoce"),
    ("distribution", 0.9, 0.08, "Distribution"),
    ("transport et logistique", 1.2, 0.08, "Transports"),
    ("services aux entreprises", 0.9, 0.14, "Services"),
    ("informatique", 0.8, 0.08, "Informatique"),
    ("agroalimentaire", 0.9, 0.06, "Alimentaire"),
    ("santé", 1.1, 0.05, "Médical"),
    ("hôtellerie-restauration", 1.3, 0.05, "Hôtels"),
)
_PUBLIC_SECTORS = (
    ("administration d'État", 1.0, 0.3, "Préfecture de"),
    ("collectivité territoriale", 1.2, 0.5, "Commune de"),
    ("santé publique", 1.8, 0.2, "Centre hospitalier de"),
)
# Word lists read better as text than as one quoted word per line.
_SURNAMES = np.array(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "  # noqa: SIM905
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier "
    "Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guerin "
    "Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier Dumont Lopez Fontaine "
    "Chevalier Robin Masson".split()
)
_CITIES = np.array(
    "Lyon Marseille Toulouse Nice Nantes Strasbourg Montpellier Bordeaux Lille Rennes Reims "  # noqa: SIM905
    "Dijon Angers Grenoble Brest Tours Limoges Amiens Metz Besançon Perpignan Orléans Rouen "
    "Caen Nancy Poitiers Pau Annecy Valence Quimper".split()
)
_CHANNELS = ("edi", "email", "paper")
# Invoices per month of the year (January first): August and December are quieter.
_SEASON = np.array([1.0, 1.0, 1.05, 1.0, 0.95, 1.0, 0.95, 0.6, 1.05, 1.05, 1.0, 0.85])
_SLOW_MONTHS = (8, 12)


@dataclass
class SimulationConfig:
    """What to simulate; every rate is a share of invoices unless it says clients.

    Attributes:
        n_clients: number of clients (some start during the window).
        n_months: length of the window in months.
        seed: random seed; the same config gives the same ledger.
        start: first month of the window (the day of the month is ignored).
        invoices_per_month: median rhythm of a small client (Poisson mean).
        public_share: share of clients in the public sector (slow payers).
        dispute_rate: base share of invoices disputed (scaled per client).
        credit_note_rate: share of invoices partially credited (more if disputed).
        partial_payment_rate: share of paid invoices settled in two instalments.
        default_rate: share of clients that fail during (or just after) the window.
        deterioration_rate: share of clients whose delays drift upward from some month.
        advance_rate: share of clients paying advances (acomptes) on some invoices.
        unbilled_rate: share of active clients with a delivery not yet invoiced at the end.
        write_off_lag_days: days after a default before its invoices are written off.
        scenario: a drift scenario (:mod:`simulator.scenarios`), or None.
        scenario_start: when it starts; None: four months before the end.
    """

    n_clients: int = 200
    n_months: int = 24
    seed: int = 42
    start: date = date(2024, 1, 1)
    invoices_per_month: float = 2.0
    public_share: float = 0.12
    dispute_rate: float = 0.03
    credit_note_rate: float = 0.02
    partial_payment_rate: float = 0.08
    default_rate: float = 0.03
    deterioration_rate: float = 0.08
    advance_rate: float = 0.10
    unbilled_rate: float = 0.08
    write_off_lag_days: int = 90
    scenario: str | None = None
    scenario_start: date | None = None

    @property
    def scenario_date(self) -> date | None:
        """The scenario's first day; None without a scenario."""
        if self.scenario is None:
            return None
        from simulator.scenarios import default_start

        return self.scenario_start or default_start(self.start, self.n_months)

    @property
    def scenario_day(self) -> int | None:
        """The scenario's first day as a day number; None without a scenario."""
        from simulator.scenarios import day_number

        started = self.scenario_date
        return None if started is None else day_number(started)


@dataclass
class Simulation:
    """A simulated ledger, its truth (evaluation only) and the last day of its window.

    Attributes:
        ledger: the contract tables, as an import would give them.
        truth: one row per invoice (not credit notes): its payment-time distribution
            (the parameters :func:`true_paid_by` reads), the bucket probabilities and
            the uncensored drawn payment date.
        end: the last day of the window, the "today" of the ledger.
        clients_truth: the latent per-client parameters the invoices were drawn from.
    """

    ledger: Ledger
    truth: pd.DataFrame
    end: pd.Timestamp
    clients_truth: pd.DataFrame = field(default_factory=pd.DataFrame)


TENDENCY_CENTRE = 0.5
TENDENCY_SD = 1.1
PUBLIC_SLOWER = 0.8
KEY_ACCOUNT_SLOWER = 0.3
"""A client's base on-time log-odds: drawn around ``TENDENCY_CENTRE`` (spread
``TENDENCY_SD``), lower for public buyers and key accounts (see :func:`tendency_mean`)."""
