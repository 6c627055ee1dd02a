"""Client uses: the risk of a client in the ledger, the score of a prospective one."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.client import ClientFeatures
from features.pipeline import FeatureBuilder
from ledger.balances import open_amounts
from ledger.client_rows import client_ledger
from ledger.contract import Ledger
from serving.client_risk import client_risk as score_client
from serving.client_risk import invoice_frame
from serving.lme import client_lme
from serving.penalties import rates_from_settings
from serving.risk_score import (
    MAX_DAYS_LATE,
    RiskInputs,
    RiskScore,
    Terms,
    risk_score,
    suggested_limit,
    suggested_terms,
)
from serving.scoring import LoadedModel
from serving.services.context import Context
from training.models import LATE_MODEL, ONBOARDING_MODEL

PROSPECT_ID = "\x00prospect"
"""A client id no ledger holds: the builder gives its client features as missing."""


@dataclass(frozen=True)
class ClientRisk:
    """The risk of one client at one date, from the late-payment champion ``model``."""

    client_id: str
    as_of: dt.date
    model: LoadedModel
    score: RiskScore
    open_invoices: int
    """Open invoices scored; 0 when a typical invoice was scored instead."""
    lme: dict[str, Any] | None = None
    """The client's line of the LME check (:func:`serving.lme.client_lme`)."""

    def as_json(self) -> dict[str, Any]:
        """The figures as the command line's ``--json`` and the API give them."""
        return {
            "client_id": self.client_id,
            "as_of": self.as_of.isoformat(),
            "score": self.score.score,
            "grade": self.score.grade,
            "open_invoices": self.open_invoices,
            "reasons": [vars(r) for r in self.score.reasons],
            "lme": self.lme,
        }


def client_risk(ctx: Context, client_id: str, as_of: dt.date | None = None) -> ClientRisk:
    """The 0–100 risk score of a client of the ledger at ``as_of`` (default today).

    Raises:
        UnknownClient: the ledger does not hold ``client_id`` (told before any model).
        ModelUnavailable: no late-payment champion is served.
    """
    ctx.require_clients([client_id])
    model = ctx.champion(LATE_MODEL)
    day = as_of or dt.date.today()
    return ctx.remembered(
        ("client_risk", client_id, day, model.version), lambda: _risk(ctx, model, client_id, day)
    )


def own_rows(ctx: Context, client_id: str) -> Ledger:
    """The client's own rows (:func:`ledger.client_rows.client_ledger`), kept with the
    snapshot: its sheet asks its open amounts at 13 dates, each a fraction of the work
    on them than on the whole ledger."""
    return ctx.remembered(
        ("client_ledger", client_id), lambda: client_ledger(ctx.ledger, client_id)
    )


def _risk(ctx: Context, model: LoadedModel, client_id: str, day: dt.date) -> ClientRisk:
    """:func:`client_risk` computed."""
    docs = open_amounts(own_rows(ctx, client_id), day)
    score, n_open = score_client(ctx.ledger, ctx.features, model, client_id, day, docs)
    terms = client_lme(own_rows(ctx, client_id), client_id, day, rates_from_settings(ctx.settings))
    return ClientRisk(client_id, day, model, score, n_open, terms)


class Prospect(Protocol):
    """What is known of a prospective client (the API's ``ProspectIn``)."""

    @property
    def country(self) -> str | None: ...
    @property
    def sector(self) -> str | None: ...
    @property
    def is_public_sector(self) -> bool: ...
    @property
    def payment_terms_days(self) -> int | None: ...
    @property
    def credit_limit(self) -> Decimal | None: ...
    @property
    def x(self) -> Mapping[str, str | float | None]: ...


class FirstOrder(Protocol):
    """The first order of a prospective client (the API's ``FirstOrderIn``)."""

    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def issue_date(self) -> dt.date: ...
    @property
    def due_date(self) -> dt.date: ...
    @property
    def x(self) -> Mapping[str, str | float | None]: ...


class Onboarding(Protocol):
    """A prospective client and its first order (the API's ``OnboardingRequest``)."""

    @property
    def client(self) -> Prospect: ...
    @property
    def first_order(self) -> FirstOrder: ...


def prospect_features(features: FeatureBuilder, body: Onboarding) -> pd.DataFrame:
    """One feature row for the first order of a client the ledger does not hold: its client
    columns (``cli_*``, the client's ``x_*``) set from the request with the builder's fitted
    categories (a value never seen is missing), ``cli_relationship_days`` 0."""
    order, who = body.first_order, body.client
    frame = invoice_frame(
        PROSPECT_ID,
        [pd.Timestamp(order.issue_date)],
        [pd.Timestamp(order.due_date)],
        [int(order.amount * 100)],
        [order.currency],
        [False],
    )
    for column in features.user_.invoice_columns_:
        frame[column] = pd.Series([order.x.get(column)], dtype=object)
    x = features.transform(frame, pd.Timestamp(order.issue_date))
    family = next(f for f in features.families_ if isinstance(f, ClientFeatures))
    terms = who.payment_terms_days
    if terms is None:
        terms = (order.due_date - order.issue_date).days
    limit = math.log1p(float(who.credit_limit)) if who.credit_limit is not None else np.nan
    x["cli_sector"] = family.sector_.encode(np.array([who.sector], dtype=object))
    x["cli_country"] = family.country_.encode(np.array([who.country], dtype=object))
    x["cli_public_sector"] = float(who.is_public_sector)
    x["cli_relationship_days"] = 0.0
    x["cli_terms_days"] = float(terms)
    x["cli_log_credit_limit"] = limit
    user = features.user_
    for name in user.client_values_:
        value = np.array([who.x.get(name.removeprefix("cli_"))], dtype=object)
        if user.numeric_[name]:
            x[name] = pd.to_numeric(pd.Series(value), errors="coerce").to_numpy(dtype="float64")
        else:
            x[name] = user.categories_[name].encode(value)
    return x


def expected_days_late(model: LoadedModel, x: pd.DataFrame, order: FirstOrder) -> float | None:
    """Expected days late (0 if early) of the one row of ``x``; the worst case (90) when no
    payment is likely within the horizon; None when the model has no payment-time part."""
    if not hasattr(model.model, "distribution"):
        return None
    dates = pd.DataFrame(
        {
            "issue_date": pd.to_datetime([order.issue_date]).astype("datetime64[ns]"),
            "due_date": pd.to_datetime([order.due_date]).astype("datetime64[ns]"),
        }
    )
    dist = model.model.distribution(model.columns_of(x), dates["issue_date"], dates["due_date"])
    offset = float(dist.expected_offset()[0])
    return MAX_DAYS_LATE if math.isnan(offset) else max(offset, 0.0)


@dataclass(frozen=True)
class ProspectScore:
    """The onboarding champion's view of a prospective client's first order."""

    model: LoadedModel
    p_late: float
    expected_days_late: float | None
    score: RiskScore
    terms: Terms
    credit_limit: Decimal
    """Suggested credit limit, in the order's currency."""


def prospect_score(ctx: Context, body: Onboarding) -> ProspectScore:
    """Score, grade and suggested terms of a prospective client, from its first order.

    Raises:
        ModelUnavailable: no onboarding champion is served.
    """
    model = ctx.champion(ONBOARDING_MODEL)
    x = prospect_features(ctx.features, body)
    order = body.first_order
    p_late = float(model.predict_late(x)[0])
    days = expected_days_late(model, x, order)
    limit = body.client.credit_limit
    exposure = float(order.amount / limit) if limit else None
    score = risk_score(RiskInputs(p_late=p_late, days_late=days, exposure=exposure))
    return ProspectScore(
        model,
        p_late,
        days,
        score,
        suggested_terms(score.grade),
        suggested_limit(score.grade, Decimal(order.amount)),
    )
