"""The clients of a simulation: what a ledger shows of them and their latent behaviour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulator.parameters import (
    _CITIES,
    _COUNTRIES,
    _COUNTRY_DELAY,
    _COUNTRY_P,
    _LEGAL_FORMS,
    _NEVER,
    _PRIVATE_SECTORS,
    _PUBLIC_SECTORS,
    _SEGMENT_P,
    _SEGMENT_RATE,
    _SEGMENT_SCALE,
    _SEGMENTS,
    _SURNAMES,
    KEY_ACCOUNT_SLOWER,
    PAY_CALENDARS,
    PUBLIC_SLOWER,
    TENDENCY_CENTRE,
    TENDENCY_SD,
    BoolArray,
    FloatArray,
    IntArray,
    SimulationConfig,
)

Draws = dict[str, np.ndarray]
"""Arrays drawn by one step, one entry per client, named as the fields of ``_Clients``."""


@dataclass
class _Clients:
    """Drawn client attributes and latent behaviour, one entry per client."""

    ids: npt.NDArray[np.str_]
    names: npt.NDArray[np.str_]
    country: IntArray
    sector: npt.NDArray[np.str_]
    public: BoolArray
    segment: IntArray
    created: IntArray
    terms: IntArray
    credit_limit_cents: IntArray
    channel: IntArray
    rate: FloatArray
    scale_eur: FloatArray
    amount_sigma: FloatArray
    month_end_billing: BoolArray
    calendar: IntArray
    on_time_logit: FloatArray
    late_scale: FloatArray
    late_shape: FloatArray
    early_days: FloatArray
    dispute_propensity: FloatArray
    default_day: IntArray
    drift_start: IntArray
    drift_slope: FloatArray
    uses_advances: BoolArray


def _draw_clients(
    cfg: SimulationConfig, rng: np.random.Generator, start: int, end: int
) -> _Clients:
    """Clients with their observable attributes and their latent payment behaviour.

    Drawn in steps, in the order of the random draws (the same seed gives the same
    clients): 1. kind (public sector, segment, country, sector), 2. name,
    3. relationship (start, terms, volume, credit limit, billing channel, payment
    calendar), 4. payment behaviour, 5. default and deterioration, 6. advances and
    month-end billing.
    """
    n = cfg.n_clients
    window = end - start + 1
    width = max(5, len(str(n)))
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    kind = _draw_kind(cfg, rng, n)
    names = _draw_names(rng, kind)
    relationship = _draw_relationship(cfg, rng, kind, start, window)
    behaviour = _draw_behaviour(rng, kind)
    failures = _draw_failures(cfg, rng, n, start, window, relationship["created"])
    btp = kind["sector"] == "btp"
    uses_advances = rng.random(n) < cfg.advance_rate * np.where(btp, 2.0, 1.0)
    return _Clients(
        ids=ids,
        names=names,
        country=kind["country"],
        sector=kind["sector"],
        public=kind["public"],
        segment=kind["segment"],
        **relationship,
        **behaviour,
        **failures,
        month_end_billing=rng.random(n) < 0.35,
        uses_advances=uses_advances,
    )


def _draw_kind(cfg: SimulationConfig, rng: np.random.Generator, n: int) -> Draws:
    """Public sector, segment, country and sector (with the sector's delay and indexes)."""
    public = rng.random(n) < cfg.public_share
    segment = rng.choice(len(_SEGMENTS), size=n, p=_SEGMENT_P)
    segment = np.where(public, 1, segment)  # public buyers are mid-market in size
    country = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P)
    country = np.where(public, np.where(rng.random(n) < 0.95, 0, 1), country)

    priv = rng.choice(len(_PRIVATE_SECTORS), size=n, p=[s[2] for s in _PRIVATE_SECTORS])
    pub = rng.choice(len(_PUBLIC_SECTORS), size=n, p=[s[2] for s in _PUBLIC_SECTORS])
    sector = np.where(
        public,
        np.array([s[0] for s in _PUBLIC_SECTORS])[pub],
        np.array([s[0] for s in _PRIVATE_SECTORS])[priv],
    )
    sector_delay = np.where(
        public,
        np.array([s[1] for s in _PUBLIC_SECTORS])[pub],
        np.array([s[1] for s in _PRIVATE_SECTORS])[priv],
    )
    return {
        "public": public,
        "segment": segment,
        "country": country,
        "sector": sector,
        "sector_delay": sector_delay,
        "private_sector": priv,
        "public_sector": pub,
    }


def _draw_names(rng: np.random.Generator, kind: Draws) -> npt.NDArray[np.str_]:
    """Names: a surname (or two), the sector's word and the legal form; or a public body."""
    n = len(kind["public"])
    priv, pub = kind["private_sector"], kind["public_sector"]
    surname = _SURNAMES[rng.integers(0, len(_SURNAMES), n)]
    second = _SURNAMES[rng.integers(0, len(_SURNAMES), n)]
    surname = np.where(rng.random(n) < 0.3, np.char.add(np.char.add(surname, "-"), second), surname)
    private_name = np.char.add(
        np.char.add(surname, " "), np.array([s[3] for s in _PRIVATE_SECTORS])[priv]
    )
    legal_form = np.array(_LEGAL_FORMS)[kind["country"]]
    private_name = np.char.add(np.char.add(private_name, " "), legal_form)
    public_name = np.char.add(
        np.array([s[3] + " " for s in _PUBLIC_SECTORS])[pub],
        _CITIES[rng.integers(0, len(_CITIES), n)],
    )
    return np.asarray(np.where(kind["public"], public_name, private_name))


def _draw_relationship(
    cfg: SimulationConfig, rng: np.random.Generator, kind: Draws, start: int, window: int
) -> Draws:
    """Start of the relationship, payment terms, volume, credit limit, channel, calendar."""
    public, segment, country = kind["public"], kind["segment"], kind["country"]
    n = len(public)
    # Relationship start: most clients predate the window, some join during it.
    old = rng.random(n) < 0.7
    created = np.where(
        old,
        start - rng.integers(30, 15 * 365, n),
        start + (rng.random(n) * 0.85 * window).astype(np.int64),
    )
    foreign = country != 0
    terms = rng.choice(np.array([30, 45, 60]), size=n, p=[0.45, 0.30, 0.25])
    terms = np.where(foreign, rng.choice(np.array([30, 60]), size=n), terms)
    hospital = public & (kind["sector"] == "santé publique")
    terms = np.where(public, np.where(hospital, 60, 30), terms)

    rate = cfg.invoices_per_month * np.exp(rng.normal(0.0, 0.6, n)) * _SEGMENT_RATE[segment]
    rate = np.clip(rate, 0.1, 40.0)
    scale_eur = 1500.0 * np.exp(rng.normal(0.0, 0.9, n)) * _SEGMENT_SCALE[segment]
    amount_sigma = rng.uniform(0.3, 0.9, n)
    monthly = rate * scale_eur * np.where(foreign, 1.0, 1.2)
    limit_eur = np.maximum(1000.0, np.round(monthly * rng.uniform(1.5, 4.0, n) / 1000.0) * 1000.0)

    channel_p = np.where(
        (segment == 0)[:, None],
        np.array([0.7, 0.25, 0.05]),
        np.where(public[:, None], np.array([0.85, 0.05, 0.10]), np.array([0.1, 0.7, 0.2])),
    )
    channel = (rng.random(n)[:, None] > np.cumsum(channel_p, axis=1)[:, :-1]).sum(axis=1)

    calendar = rng.choice(len(PAY_CALENDARS), size=n, p=[0.55, 0.25, 0.10, 0.10])
    calendar = np.where(public, rng.choice(3, size=n, p=[0.8, 0.1, 0.1]), calendar)
    return {
        "created": created.astype(np.int64),
        "terms": terms.astype(np.int64),
        "credit_limit_cents": (limit_eur * 100).astype(np.int64),
        "channel": channel.astype(np.int64),
        "rate": rate,
        "scale_eur": scale_eur,
        "amount_sigma": amount_sigma,
        "calendar": calendar.astype(np.int64),
    }


def _draw_behaviour(rng: np.random.Generator, kind: Draws) -> Draws:
    """Latent payment behaviour: how early, how often on time, how late, how disputed."""
    public, segment, country = kind["public"], kind["segment"], kind["country"]
    n = len(public)
    early_days = rng.uniform(0.5, 8.0, n)
    on_time_logit = (
        rng.normal(TENDENCY_CENTRE, TENDENCY_SD, n)
        - PUBLIC_SLOWER * public
        - KEY_ACCOUNT_SLOWER * (segment == 0)
    )
    late_scale = (
        10.0
        * np.exp(rng.normal(0.0, 0.5, n))
        * kind["sector_delay"]
        * _COUNTRY_DELAY[country]
        * np.where(public, 1.8, 1.0)
    )
    late_shape = rng.uniform(1.3, 3.0, n)
    dispute_propensity = np.exp(rng.normal(-0.18, 0.6, n))
    return {
        "on_time_logit": on_time_logit,
        "late_scale": late_scale,
        "late_shape": late_shape,
        "early_days": early_days,
        "dispute_propensity": dispute_propensity,
    }


def _draw_failures(
    cfg: SimulationConfig,
    rng: np.random.Generator,
    n: int,
    start: int,
    window: int,
    created: IntArray,
) -> Draws:
    """Default days (``_NEVER`` for most) and the drift of delays before and beyond."""
    defaults = rng.random(n) < cfg.default_rate
    default_day = np.where(
        defaults,
        np.maximum(start + rng.integers(180, max(window + 90, 181), n), created + 180),
        _NEVER,
    )
    drifts = defaults | (rng.random(n) < cfg.deterioration_rate)
    drift_start = np.where(
        defaults,
        default_day - rng.integers(120, 365, n),
        start + rng.integers(0, max(window, 1), n),
    )
    drift_slope = np.where(
        drifts, np.where(defaults, rng.uniform(0.10, 0.25, n), rng.uniform(0.03, 0.12, n)), 0.0
    )
    drift_start = np.where(drifts, drift_start, _NEVER)
    return {
        "default_day": default_day.astype(np.int64),
        "drift_start": drift_start.astype(np.int64),
        "drift_slope": drift_slope,
    }
