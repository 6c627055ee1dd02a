"""The LME check: payment terms beyond what French law allows, by client and by invoice.

Between businesses (Code de commerce L441-10, I, loi de modernisation de l'économie), an
agreed term may not exceed 60 days from the invoice date or, by derogation, 45 days end of
month; with no agreed term, payment is due 30 days after delivery (the invoice date stands
for it: the ledger has no delivery date). Public buyers (State, local authorities) pay
within 30 days (Code de la commande publique R2192-10) and owe intérêts moratoires at the
ECB rate plus 8 points beyond (:mod:`serving.penalties`). The figures are in
:mod:`config.legal`.

45 days end of month is computed two ways, both accepted by the DGCCRF: 45 days then the
end of that month, or the end of the invoice's month then 45 days. An invoice is within
the law when its due date is on or before the latest of issue + 60 days and the two:
the check flags only what no reading allows. A client's agreed term in days (its
``payment_terms_days``) counts from each invoice date: more than 60 days is beyond the law
for an invoice issued on the last day of a month (where 45 days end of month gives at most
60), so it is flagged as such; a public buyer's beyond 30.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from config.legal import (
    AGREED_TERMS_MAX_DAYS,
    DEFAULT_TERMS_DAYS,
    END_OF_MONTH_TERMS_DAYS,
    PUBLIC_TERMS_MAX_DAYS,
)
from ledger.contract import Ledger
from serving.penalties import PenaltyRates

Rule = Literal["public_30", "agreed_60_or_45_eom", "default_30"]
LOOKBACK_DAYS = 365
"""Invoices checked by default: those issued in the year to ``as_of``."""


def _month_end(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return days + pd.offsets.MonthEnd(0)


def latest_due_dates(issue: pd.Series, rule: pd.Series) -> pd.Series:
    """The latest lawful due date of each invoice issued on ``issue`` under ``rule``."""
    day = pd.DatetimeIndex(issue)
    agreed = np.maximum.reduce(
        [
            (day + pd.Timedelta(days=AGREED_TERMS_MAX_DAYS)).to_numpy(),
            _month_end(day + pd.Timedelta(days=END_OF_MONTH_TERMS_DAYS)).to_numpy(),
            (_month_end(day) + pd.Timedelta(days=END_OF_MONTH_TERMS_DAYS)).to_numpy(),
        ]
    )
    short = (day + pd.Timedelta(days=DEFAULT_TERMS_DAYS)).to_numpy()
    public = (day + pd.Timedelta(days=PUBLIC_TERMS_MAX_DAYS)).to_numpy()
    code = rule.to_numpy()
    latest = np.where(code == "agreed_60_or_45_eom", agreed, short)
    latest = np.where(code == "public_30", public, latest)
    return pd.Series(latest, index=issue.index).astype("datetime64[ns]")


def client_rules(clients: pd.DataFrame) -> pd.DataFrame:
    """Per client (indexed by id): its ``rule``, agreed ``terms_days`` (NA when none), the
    term's ``limit_days`` and whether the agreed term exceeds it (``terms_over_limit``)."""
    known = clients.drop_duplicates("client_id").set_index("client_id")
    public = known["is_public_sector"].fillna(False).astype(bool)
    terms = known["payment_terms_days"].astype("Int64")
    rule = np.where(
        public, "public_30", np.where(terms.notna(), "agreed_60_or_45_eom", "default_30")
    )
    limit = np.where(public, PUBLIC_TERMS_MAX_DAYS, AGREED_TERMS_MAX_DAYS)
    limit = np.where(rule == "default_30", DEFAULT_TERMS_DAYS, limit)
    over = (terms.fillna(0).to_numpy(np.int64) > limit) & terms.notna().to_numpy()
    return pd.DataFrame(
        {
            "name": known["name"],
            "is_public_sector": public,
            "rule": rule,
            "terms_days": terms,
            "limit_days": limit.astype(np.int64),
            "terms_over_limit": over,
        },
        index=known.index,
    )


def checked_invoices(ledger: Ledger, as_of: dt.date, since: dt.date | None = None) -> pd.DataFrame:
    """Invoices issued from ``since`` (default a year before) to ``as_of``, with the latest
    lawful due date of each and the days their due date is beyond it (<= 0: within)."""
    start = pd.Timestamp(since or as_of - dt.timedelta(days=LOOKBACK_DAYS))
    inv = ledger.invoices
    inv = inv[
        (inv["doc_type"] == "invoice")
        & (inv["issue_date"] >= start)
        & (inv["issue_date"] <= pd.Timestamp(as_of))
    ]
    rules = client_rules(ledger.clients)
    rule = inv["client_id"].map(rules["rule"]).fillna("default_30")
    latest = latest_due_dates(inv["issue_date"], rule)
    beyond = (inv["due_date"] - latest).dt.days
    out = pd.DataFrame(
        {
            "invoice_id": inv["invoice_id"],
            "client_id": inv["client_id"],
            "issue_date": inv["issue_date"],
            "due_date": inv["due_date"],
            "terms_days": (inv["due_date"] - inv["issue_date"]).dt.days,
            "latest_due_date": latest,
            "days_beyond": beyond,
            "rule": rule,
            "amount_cents": inv["amount_cents"].astype(np.int64),
            "currency": inv["currency"],
        }
    )
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class LmeReport:
    """Clients and invoices beyond the LME's terms at ``as_of``, invoices issued from
    ``since``."""

    as_of: dt.date
    since: dt.date
    clients: pd.DataFrame
    invoices: pd.DataFrame

    def as_json(self, every_client: bool = False) -> dict[str, Any]:
        """The report as ``--json`` and the API give it: the flagged clients (all with
        ``every_client``) and the invoices beyond."""
        clients = self.clients if every_client else self.clients[self.clients["flagged"]]
        invoices = self.invoices.assign(
            amount=self.invoices["amount_cents"] / 100,
            **{c: self.invoices[c].dt.strftime("%Y-%m-%d") for c in _DATES},
        ).drop(columns="amount_cents")
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat(),
            "clients": [_plain(r) for r in clients.reset_index().to_dict("records")],
            "invoices": [_plain(r) for r in invoices.to_dict("records")],
        }


_DATES = ("issue_date", "due_date", "latest_due_date")


def _plain(record: dict[Any, Any]) -> dict[str, Any]:
    """A record with JSON values: numpy numbers as Python ones, missing as None."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            out[str(key)] = None
        elif isinstance(value, np.generic):
            out[str(key)] = value.item()
        else:
            out[str(key)] = value
    return out


def lme_report(
    ledger: Ledger, as_of: dt.date, since: dt.date | None = None, rates: PenaltyRates | None = None
) -> LmeReport:
    """Every client's rule, agreed term and invoices beyond the law, and those invoices
    (worst first).

    A client is ``flagged`` when its agreed term exceeds its limit or an invoice of the
    period was issued with a term beyond the law. Public buyers carry the rate of their
    intérêts moratoires (``moratory_rate_percent``; None for businesses).
    """
    start = since or as_of - dt.timedelta(days=LOOKBACK_DAYS)
    rates = rates or PenaltyRates()
    rules = client_rules(ledger.clients)
    checked = checked_invoices(ledger, as_of, start)
    beyond = checked[checked["days_beyond"] > 0].sort_values(
        ["days_beyond", "invoice_id"], ascending=[False, True]
    )
    by_client = beyond.groupby("client_id")
    counts = checked["client_id"].value_counts()
    clients = rules.assign(
        invoices_checked=counts.reindex(rules.index).fillna(0).astype(np.int64),
        invoices_beyond=by_client.size().reindex(rules.index).fillna(0).astype(np.int64),
        amount_beyond=by_client["amount_cents"].sum().reindex(rules.index).fillna(0) / 100,
        max_days_beyond=by_client["days_beyond"].max().reindex(rules.index).fillna(0),
    )
    clients["max_days_beyond"] = clients["max_days_beyond"].astype(np.int64)
    clients["flagged"] = clients["terms_over_limit"] | (clients["invoices_beyond"] > 0)
    moratory = np.full(len(clients), None, dtype=object)
    moratory[clients["is_public_sector"].to_numpy(bool)] = float(rates.public_rate_percent)
    clients["moratory_rate_percent"] = moratory
    clients.index.name = "client_id"
    return LmeReport(as_of, start, clients, beyond.reset_index(drop=True))


def client_lme(
    ledger: Ledger, client_id: str, as_of: dt.date, rates: PenaltyRates | None = None
) -> dict[str, Any] | None:
    """One client's line of the report (the client risk's ``lme``), from its own rows only;
    None when the ledger does not hold the client."""
    mine = Ledger(
        clients=ledger.clients[ledger.clients["client_id"] == client_id],
        invoices=ledger.invoices[ledger.invoices["client_id"] == client_id],
    )
    clients = lme_report(mine, as_of, rates=rates).clients
    if client_id not in clients.index:
        return None
    line = _plain(clients.loc[client_id].to_dict())
    return {k: v for k, v in line.items() if k != "name"}
