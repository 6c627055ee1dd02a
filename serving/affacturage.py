"""Affacturage: which open invoices to sell to a factor to meet a cash need at a confidence.

A treasurer needs, say, 300,000 € by the 15th, 90 % sure. Each open invoice either waits
for its client, who pays by then with probability ``p`` (the payment-time model's
distribution, given the invoice is still open today), or is sold to the factor today:

- advance = open amount × (1 − retention): the retenue de garantie comes back when the
  client pays, after the need date here, so it is not counted;
- cost of factoring = commission % × open amount + financing rate × advance × days from
  today to the expected payment (the distribution's median; its horizon's end when the
  median lies beyond) / 365, both taken off the advance, as factors do;
- cash it brings by the need date: the advance less that cost, for sure.

(The service reads ``p`` from the cash-in forecast's daily probabilities, payment runs
included, scaled by what the model collected lately: :mod:`serving.services.affacturage`.)

Cash by the date is then the factored invoices' net advances plus the payments of the
others, Σ a_i B_i with B_i ~ Bernoulli(p_i). Its level reached with the confidence asked
is read as the cash-in forecast reads its bands (:mod:`serving.forecast`): mean − z σ,
invoices of one client correlated (:data:`serving.forecast.CLIENT_RHO`), clients
independent, clipped at 0. Every open invoice counts for what it brings by waiting;
only the eligible ones (the offer's clients, at least its minimum amount, not yet due
unless the offer takes overdue ones, not disputed) may be sold.

The choice is greedy: the invoice adding the most assured cash per euro of cost first
(recomputed after each pick, as a sale changes σ), until the need is covered at that
confidence; then each invoice chosen, the costliest first, is dropped if the need stays
covered without it. Where selling every eligible invoice cannot cover the need, the plan
sells those that add assured cash and says the need is not met. The ranking shows the
trade-off invoice by invoice: the cost of factoring beside the cost of waiting (the
amount that may not be in by the date, open × (1 − p)).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class FactorOffer:
    """A factor's terms (percentages as numbers: 0.5 for 0.5 %)."""

    commission_percent: Decimal
    financing_rate_percent: Decimal
    retention_percent: Decimal = Decimal("10")
    eligible_clients: tuple[str, ...] = ()
    """Clients whose invoices the factor buys; empty: every client."""
    min_invoice: Decimal = Decimal("0")
    """Smallest open amount bought, in currency units."""
    include_overdue: bool = False
    """Factors usually buy invoices not yet due only."""


@dataclass(frozen=True)
class CashNeed:
    """Cash needed by a date (end of day) with a confidence."""

    amount: Decimal
    by: dt.date
    confidence: float = 0.9

    def __post_init__(self) -> None:
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence {self.confidence}: between 0.5 and 1 (excluded)")
        if self.amount <= 0:
            raise ValueError(f"cash need {self.amount}: must be more than 0")


def factoring_costs(
    open_cents: np.ndarray, days_financed: np.ndarray, offer: FactorOffer
) -> pd.DataFrame:
    """Per invoice: ``advance_cents``, ``commission_cents``, ``interest_cents``,
    ``cost_cents`` and ``net_cents`` (the advance less the cost), rounded to the cent."""
    amount = np.asarray(open_cents, dtype="float64")
    advance = np.rint(amount * (1 - float(offer.retention_percent) / 100))
    commission = np.rint(amount * float(offer.commission_percent) / 100)
    days = np.maximum(np.asarray(days_financed, dtype="float64"), 0)
    interest = np.rint(advance * float(offer.financing_rate_percent) / 100 * days / DAYS_PER_YEAR)
    cost = commission + interest
    return pd.DataFrame(
        {
            "advance_cents": advance.astype(np.int64),
            "commission_cents": commission.astype(np.int64),
            "interest_cents": interest.astype(np.int64),
            "cost_cents": cost.astype(np.int64),
            "net_cents": (advance - cost).astype(np.int64),
        }
    )


def eligible(invoices: pd.DataFrame, offer: FactorOffer, as_of: dt.date) -> np.ndarray:
    """Which ``invoices`` (client_id, open_cents, due_date, disputed) the factor may buy."""
    ok = invoices["open_cents"].to_numpy() >= int(offer.min_invoice * 100)
    if offer.eligible_clients:
        ok &= invoices["client_id"].isin(offer.eligible_clients).to_numpy()
    if not offer.include_overdue:
        ok &= (invoices["due_date"] >= pd.Timestamp(as_of)).to_numpy()
    if "disputed" in invoices:
        ok &= ~invoices["disputed"].fillna(False).astype(bool).to_numpy()
    return np.asarray(ok, dtype=bool)


@dataclass
class _Pool:
    """The invoices left to wait: sums giving the mean and variance of their cash by the
    date (see :func:`serving.forecast.moments`), updated as invoices are sold."""

    amounts: np.ndarray
    p: np.ndarray
    codes: np.ndarray
    rho: float
    mean: float = 0.0
    independent: float = 0.0
    spread: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def of(cls, amounts: np.ndarray, p: np.ndarray, clients: np.ndarray, rho: float) -> _Pool:
        codes, uniques = pd.factorize(pd.Series(clients, dtype=object))
        pool = cls(amounts, p, codes, rho)
        pool.mean = float(amounts @ p)
        pool.independent = float((amounts * amounts) @ (p * (1 - p)))
        pool.spread = np.zeros(len(uniques))
        np.add.at(pool.spread, codes, amounts * np.sqrt(p * (1 - p)))
        return pool

    def sd(self) -> float:
        """σ of the cash the pool brings by the date."""
        var = (1 - self.rho) * self.independent + self.rho * float(self.spread @ self.spread)
        return float(np.sqrt(max(var, 0.0)))

    def sd_without(self, rows: np.ndarray) -> np.ndarray:
        """σ of the pool without each one of ``rows`` (each alone)."""
        a, p = self.amounts[rows], self.p[rows]
        s = a * np.sqrt(p * (1 - p))
        spread = self.spread[self.codes[rows]]
        clients = float(self.spread @ self.spread) - spread**2 + (spread - s) ** 2
        var = (1 - self.rho) * (self.independent - a * a * p * (1 - p)) + self.rho * clients
        return np.sqrt(np.maximum(var, 0.0))

    def remove(self, row: int) -> None:
        """Take invoice ``row`` out of the pool (it is sold)."""
        a, p = self.amounts[row], self.p[row]
        self.mean -= a * p
        self.independent -= a * a * p * (1 - p)
        self.spread[self.codes[row]] -= a * np.sqrt(p * (1 - p))


def assured_cents(pool: _Pool, sold_net: float, z: float) -> float:
    """Cash by the date at the confidence of ``z``: the sold invoices' net advances plus
    the pool's mean − z σ (clipped at 0)."""
    return sold_net + max(pool.mean - z * pool.sd(), 0.0)


@dataclass(frozen=True)
class FactoringPlan:
    """The invoices to sell, what they cost and bring, and the two plain choices beside."""

    need: CashNeed
    as_of: dt.date
    invoices: pd.DataFrame
    """Every eligible invoice, cheapest per euro assured first, ``chosen`` flagged."""
    assured_cents: int
    cost_cents: int
    covered: bool
    nothing: dict[str, Any]
    everything: dict[str, Any]

    def as_json(self, rows: int | None = None) -> dict[str, Any]:
        """The plan as ``--json`` and the API give it (its first ``rows`` ranked invoices)."""
        table = self.invoices.head(rows) if rows is not None else self.invoices
        money = [c for c in table.columns if c.endswith("_cents")]
        out = table.drop(columns=money).assign(
            **{c.removesuffix("_cents"): table[c] / 100 for c in money},
            due_date=table["due_date"].dt.strftime("%Y-%m-%d"),
        )
        return {
            "as_of": self.as_of.isoformat(),
            "need": {
                "amount": float(self.need.amount),
                "by": self.need.by.isoformat(),
                "confidence": self.need.confidence,
            },
            "covered": self.covered,
            "chosen": int(self.invoices["chosen"].sum()),
            "cost": self.cost_cents / 100,
            "assured": self.assured_cents / 100,
            "nothing": self.nothing,
            "everything": self.everything,
            "invoices": out.to_dict("records"),
        }


def _choose(
    pool: _Pool, rows: np.ndarray, costs: pd.DataFrame, need: float, z: float, close: bool
) -> list[int]:
    """Greedy: the most assured cash per euro of cost first, until ``need`` is assured;
    with ``close``, the cheapest sale that alone closes the gap when there is one."""
    chosen: list[int] = []
    left = list(rows)
    sold = 0.0
    net = costs["net_cents"].to_numpy(dtype="float64")
    cost = np.maximum(costs["cost_cents"].to_numpy(dtype="float64"), 1.0)
    while left and assured_cents(pool, sold, z) < need:
        candidates = np.asarray(left)
        now = assured_cents(pool, sold, z)
        mean_after = pool.mean - pool.amounts[candidates] * pool.p[candidates]
        after = sold + net[candidates] + np.maximum(mean_after - z * pool.sd_without(candidates), 0)
        gain = after - now
        if not (gain > 0).any():
            break
        closing = (after >= need) & (gain > 0)
        if close and closing.any():  # one sale closes the gap: the cheapest that does
            pick = int(np.flatnonzero(closing)[np.argmin(cost[candidates][closing])])
        else:
            pick = int(np.argmax(np.where(gain > 0, gain / cost[candidates], -np.inf)))
        row = int(candidates[pick])
        pool.remove(row)
        sold += net[row]
        chosen.append(row)
        left.remove(row)
    return chosen


def _pruned(
    chosen: list[int],
    amounts: np.ndarray,
    p: np.ndarray,
    clients: np.ndarray,
    rho: float,
    costs: pd.DataFrame,
    need: float,
    z: float,
) -> list[int]:
    """``chosen`` without the sales the need does not require, the costliest tried first."""
    kept = list(chosen)
    net = costs["net_cents"].to_numpy(dtype="float64")
    cost = costs["cost_cents"].to_numpy()
    for row in sorted(chosen, key=lambda r: -cost[r]):
        trial = [r for r in kept if r != row]
        if _assured_selling(trial, amounts, p, clients, rho, net, z) >= need:
            kept = trial
    return kept


def _assured_selling(
    sold: list[int],
    amounts: np.ndarray,
    p: np.ndarray,
    clients: np.ndarray,
    rho: float,
    net: np.ndarray,
    z: float,
) -> float:
    """Cash assured at ``z`` when the invoices ``sold`` are sold and the others wait."""
    waiting = np.ones(len(amounts), dtype=bool)
    waiting[sold] = False
    pool = _Pool.of(amounts[waiting], p[waiting], clients[waiting], rho)
    return assured_cents(pool, float(net[sold].sum()), z)


def _exact(
    amounts: np.ndarray,
    p: np.ndarray,
    clients: np.ndarray,
    rho: float,
    rows: np.ndarray,
    costs: pd.DataFrame,
    need: float,
    z: float,
) -> list[int] | None:
    """The cheapest subset of ``rows`` to sell that assures ``need``, trying them all (a few
    thousand for a dozen invoices, at once in arrays); None when none does."""
    pool = _Pool.of(amounts, p, clients, rho)
    k = len(rows)
    masks = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype("float64")
    a, q = amounts[rows], p[rows]
    mean = pool.mean - masks @ (a * q)
    independent = pool.independent - masks @ (a * a * q * (1 - q))
    touched, where = np.unique(pool.codes[rows], return_inverse=True)
    by_client = np.zeros((k, len(touched)))
    by_client[np.arange(k), where] = a * np.sqrt(q * (1 - q))
    spread = pool.spread[touched][None, :] - masks @ by_client
    others = float(pool.spread @ pool.spread) - float(pool.spread[touched] @ pool.spread[touched])
    var = (1 - rho) * independent + rho * (others + (spread * spread).sum(axis=1))
    waiting = np.maximum(mean - z * np.sqrt(np.maximum(var, 0)), 0)
    assured = masks @ costs["net_cents"].to_numpy(dtype="float64")[rows] + waiting
    cost = masks @ costs["cost_cents"].to_numpy(dtype="float64")[rows]
    covering = np.flatnonzero(assured >= need)
    if not len(covering):
        return None
    best = covering[np.argmin(cost[covering])]
    return [int(r) for r in rows[masks[best].astype(bool)]]


def _greedy(
    amounts: np.ndarray,
    p: np.ndarray,
    clients: np.ndarray,
    rho: float,
    rows: np.ndarray,
    costs: pd.DataFrame,
    need: float,
    z: float,
) -> list[int]:
    """The cheaper of two greedy choices (closing the gap with one sale when one can, or
    not), each pruned of the sales the need does not require."""
    net = costs["net_cents"].to_numpy(dtype="float64")
    found = []
    for close in (True, False):
        chosen = _choose(_Pool.of(amounts, p, clients, rho), rows, costs, need, z, close)
        covered = _assured_selling(chosen, amounts, p, clients, rho, net, z) >= need
        if covered:
            chosen = _pruned(chosen, amounts, p, clients, rho, costs, need, z)
        found.append((not covered, int(costs["cost_cents"].to_numpy()[chosen].sum()), chosen))
    return min(found, key=lambda f: (f[0], f[1]))[2]


EXACT_LIMIT = 14
"""Up to this many eligible invoices, every subset is tried (16,384 at most); beyond, the
greedy choice."""


def plan_factoring(
    invoices: pd.DataFrame,
    offer: FactorOffer,
    need: CashNeed,
    as_of: dt.date,
    rho: float = 0.0,
    exact_limit: int = EXACT_LIMIT,
) -> FactoringPlan:
    """The cheapest set of eligible invoices to sell so that ``need`` is met at its
    confidence: exactly up to ``exact_limit`` eligible invoices, greedily beyond (see the
    module's docstring).

    Args:
        invoices: the open invoices: ``invoice_id``, ``client_id``, ``open_cents``,
            ``due_date``, ``p_paid`` (P(paid by the need date), given open today) and
            ``days_financed`` (today to the expected payment); ``disputed`` if known.
        rho: correlation of two invoices of one client.
    """
    inv = invoices.reset_index(drop=True)
    z = NormalDist().inv_cdf(need.confidence)
    target = float(need.amount * 100)
    amounts = inv["open_cents"].to_numpy(dtype="float64")
    p = np.clip(inv["p_paid"].to_numpy(dtype="float64"), 0, 1)
    clients = inv["client_id"].to_numpy(dtype=object)
    costs = factoring_costs(amounts, inv["days_financed"].to_numpy(), offer)
    rows = np.flatnonzero(eligible(inv, offer, as_of))
    args = (amounts, p, clients, rho, rows, costs, target, z)
    exact = _exact(*args) if len(rows) <= exact_limit else None
    chosen = exact if exact is not None else _greedy(*args)
    net = costs["net_cents"].to_numpy(dtype="float64")
    assured = _assured_selling(chosen, amounts, p, clients, rho, net, z)
    nothing = _assured_selling([], amounts, p, clients, rho, net, z)
    everything = _assured_selling(list(rows), amounts, p, clients, rho, net, z)
    table = _ranking(inv, costs, rows, chosen, _Pool.of(amounts, p, clients, rho), z)
    cost = int(costs["cost_cents"].to_numpy()[chosen].sum())
    return FactoringPlan(
        need,
        as_of,
        table,
        round(assured),
        cost,
        assured >= target,
        {"cost": 0.0, "assured": round(nothing) / 100, "covered": nothing >= target},
        {
            "cost": int(costs["cost_cents"].to_numpy()[rows].sum()) / 100,
            "assured": round(everything) / 100,
            "covered": everything >= target,
            "invoices": len(rows),
        },
    )


def _ranking(
    inv: pd.DataFrame,
    costs: pd.DataFrame,
    rows: np.ndarray,
    chosen: list[int],
    pool: _Pool,
    z: float,
) -> pd.DataFrame:
    """The eligible invoices with their figures, the cheapest per euro assured first."""
    now = max(pool.mean - z * pool.sd(), 0.0)
    mean_after = pool.mean - pool.amounts[rows] * pool.p[rows]
    after = costs["net_cents"].to_numpy()[rows] + np.maximum(
        mean_after - z * pool.sd_without(rows), 0
    )
    gain = after - now
    cost = costs["cost_cents"].to_numpy()[rows]
    table = pd.concat(
        [
            inv.loc[rows, ["invoice_id", "client_id", "due_date", "open_cents", "p_paid"]],
            costs.iloc[rows],
        ],
        axis=1,
    )
    table["waiting_cents"] = np.rint(table["open_cents"] * (1 - table["p_paid"])).astype(np.int64)
    table["assured_gain_cents"] = np.rint(gain).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["cost_per_euro"] = np.where(gain > 0, cost / gain, np.inf)
    table["chosen"] = np.isin(rows, chosen)
    table["p_paid"] = table["p_paid"].round(4)
    table["cost_per_euro"] = table["cost_per_euro"].round(4)
    return table.sort_values(
        ["chosen", "cost_per_euro", "invoice_id"], ascending=[False, True, True]
    ).reset_index(drop=True)
