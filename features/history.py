"""Payment history of the client: its invoices settled strictly before as_of.

An invoice issued earlier but settled on or after as_of is not history yet (it is
open, see the exposure family). Settlement order is (paid date, issue date, invoice id).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from features.pay_runs import Run, on_run, run_in_term
from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import Timeline
from ledger.day_calendar import month_end_run, tenth_run
from ledger.days import NEVER, day_numbers

FAMILY = "history"
EWM_HALFLIFE = 3  # invoices
RECENT = 5  # invoices
PRIOR_WEIGHT = 5  # invoices: how much the population's figures weigh in the shrunk ones

SPECS = register(
    FeatureSpec(
        "hist_n_paid",
        "invoices of the client settled before this date",
        FAMILY,
        description_fr="factures du client réglées avant cette date",
    ),
    FeatureSpec(
        "hist_mean_days_late",
        "mean days late of the client's settled invoices",
        FAMILY,
        description_fr="retard moyen en jours des factures réglées du client",
        direction=1,
    ),
    FeatureSpec(
        "hist_median_days_late",
        "median days late of the settled invoices",
        FAMILY,
        description_fr="retard médian en jours des factures réglées",
        direction=1,
    ),
    FeatureSpec(
        "hist_p90_days_late",
        "90th percentile of days late (the bad tail)",
        FAMILY,
        description_fr="90e centile du retard en jours (les pires retards)",
        direction=1,
    ),
    FeatureSpec(
        "hist_share_late",
        "share of the settled invoices paid after their due date",
        FAMILY,
        description_fr="part des factures réglées payées après leur échéance",
        direction=1,
    ),
    FeatureSpec(
        "hist_amount_weighted_days_late",
        "days late weighted by invoice amount",
        FAMILY,
        description_fr="retard en jours pondéré par le montant des factures",
        direction=1,
    ),
    FeatureSpec(
        "hist_ewm_days_late",
        f"days late, recent invoices weighted most (half-life {EWM_HALFLIFE} invoices)",
        FAMILY,
        description_fr=f"retard en jours, les factures récentes pesant le plus (demi-vie de "
        f"{EWM_HALFLIFE} factures)",
        direction=1,
    ),
    FeatureSpec(
        "hist_recent_mean_days_late",
        f"mean days late of the last {RECENT} settled invoices",
        FAMILY,
        description_fr=f"retard moyen en jours des {RECENT} dernières factures réglées",
        direction=1,
    ),
    FeatureSpec(
        "hist_trend_days_late",
        f"last {RECENT} invoices' mean days late minus the long-run mean (> 0: slowing down)",
        FAMILY,
        description_fr=f"retard moyen des {RECENT} dernières factures moins le retard moyen de "
        "long terme (> 0 : le client ralentit)",
    ),
    FeatureSpec(
        "hist_max_days_late",
        "longest delay of the client so far, in days",
        FAMILY,
        description_fr="plus long retard du client jusqu'ici, en jours",
        direction=1,
    ),
    FeatureSpec(
        "hist_last_days_late",
        "days late of the client's last settled invoice",
        FAMILY,
        description_fr="retard en jours de la dernière facture réglée du client",
        direction=1,
    ),
    FeatureSpec(
        "hist_share_paid_month_end",
        "share of the settled invoices paid on a month's last business day (a client paying "
        "in month-end runs)",
        FAMILY,
        description_fr="part des factures réglées payées le dernier jour ouvré d'un mois (un "
        "client qui paie en fin de mois)",
    ),
    FeatureSpec(
        "hist_share_paid_tenth",
        "share of the settled invoices paid on the 10th of a month, or the Monday after (a "
        "client paying in runs on the 10th)",
        FAMILY,
        description_fr="part des factures réglées payées le 10 d'un mois, ou le lundi suivant "
        "(un client qui paie le 10)",
    ),
    FeatureSpec(
        "hist_days_since_last_late",
        "days since the client last paid an invoice late",
        FAMILY,
        description_fr="jours depuis le dernier règlement en retard du client",
        direction=-1,
    ),
    FeatureSpec(
        "hist_paydays_in_term",
        "share of the settled invoices paid on a kind of day that falls in this invoice's "
        "term: any other day, or a month-end or 10th run if one falls after issue and by "
        "the due date (0: a client paying in runs has none before the due date)",
        FAMILY,
        description_fr="part des factures réglées payées un jour d'un type présent dans le "
        "délai de cette facture : un jour ordinaire, ou une fin de mois ou un 10 du mois s'il en "
        "tombe un après l'émission et au plus tard à l'échéance (0 : un client qui paie à "
        "date fixe n'en a aucun avant l'échéance)",
        direction=-1,
    ),
    FeatureSpec(
        "hist_shrunk_share_late",
        f"share paid late, pulled toward all clients' share as if {PRIOR_WEIGHT} more invoices "
        "(a short history says little)",
        FAMILY,
        description_fr="part payée en retard, rapprochée de celle de tous les clients comme "
        f"s'il y avait {PRIOR_WEIGHT} factures de plus (un historique court dit peu)",
        direction=1,
    ),
    FeatureSpec(
        "hist_shrunk_mean_days_late",
        f"mean days late, pulled toward all clients' mean as if {PRIOR_WEIGHT} more invoices",
        FAMILY,
        description_fr="retard moyen en jours, rapproché de la moyenne de tous les clients "
        f"comme s'il y avait {PRIOR_WEIGHT} factures de plus",
        direction=1,
    ),
    FeatureSpec(
        "hist_excess_share_late",
        "share paid late beyond all clients' for invoices of the same kind (disputed or not)",
        FAMILY,
        description_fr="part payée en retard au-delà de celle de tous les clients pour les "
        "factures de même nature (en litige ou non)",
        direction=1,
    ),
    FeatureSpec(
        "hist_excess_days_late",
        "mean days late beyond all clients' for invoices of the same kind (disputed or not): "
        "the client's own habit, a dispute's delay set apart",
        FAMILY,
        description_fr="retard moyen en jours au-delà de celui de tous les clients pour les "
        "factures de même nature (en litige ou non) : l'habitude propre du client, le retard "
        "dû à un litige mis à part",
        direction=1,
    ),
)
NAMES = [s.name for s in SPECS]
RUNNING = NAMES[: NAMES.index("hist_days_since_last_late")]  # read off the client's timeline


def _settlement_order(settled: pd.DataFrame) -> np.ndarray:
    """Positions of ``settled`` in (code, paid day, issue day, invoice id) order, stable.

    The three day and code columns are sorted as integers; only rows tied on all three go
    through the (slower) sort on invoice ids, with the same stable multi-column sort.
    """
    code, paid, issue = (settled[c].to_numpy() for c in ("code", "paid_day", "issue_day"))
    order = np.lexsort((issue, paid, code))
    same = (
        (code[order][1:] == code[order][:-1])
        & (paid[order][1:] == paid[order][:-1])
        & (issue[order][1:] == issue[order][:-1])
    )
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        # Tie blocks are contiguous and keep their places: re-sort the rows inside them.
        rows = order[tied]
        block = settled.iloc[rows].reset_index(drop=True)
        inside = block.sort_values(["code", "paid_day", "issue_day", "invoice_id"], kind="stable")
        order[tied] = rows[inside.index.to_numpy()]
    return order


def _first_of_client(code: np.ndarray) -> np.ndarray:
    """Whether each row of a ``code``-sorted array is its client's first."""
    return np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, dtype=bool)


def _client_starts(code: np.ndarray) -> np.ndarray:
    """For each row of a ``code``-sorted array, the position of its client's first row."""
    first = np.where(_first_of_client(code), np.arange(len(code)), 0)
    return np.maximum.accumulate(first).astype(np.int64)


class _SinceClientStart(BaseIndexer):
    """Rolling windows from each row's client's first row (``start``) to the row itself."""

    start: np.ndarray

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Window ``[start[i], i + 1)`` of each row ``i``."""
        return self.start, np.arange(1, num_values + 1, dtype=np.int64)


def _ewm_mean(values: np.ndarray, code: np.ndarray, halflife: float) -> np.ndarray:
    """Expanding exponentially weighted mean per client (``adjust=True``), as pandas does it.

    ``code`` is sorted. The recursion runs over the position within each client, all
    clients at once, with pandas' float operations in pandas' order (values are never
    missing here), so the results are the very same floats.
    """
    decay = 1 - np.exp(np.log(0.5) / halflife)
    alpha = 1.0 / (1.0 + float(1 / decay - 1))
    old_wt_factor = 1.0 - alpha
    starts = np.flatnonzero(_first_of_client(code))
    sizes = np.diff(np.r_[starts, len(code)])
    by_size = np.argsort(-sizes, kind="stable")  # clients still running form a prefix
    starts, sizes = starts[by_size], sizes[by_size]
    out = values.astype("float64")
    weighted = out[starts].copy()
    old_wt = np.ones(len(starts))
    for i in range(1, int(sizes.max()) if len(sizes) else 0):
        running = int(np.searchsorted(-sizes, -i, side="left"))  # clients with size > i
        at = starts[:running] + i
        cur = out[at]
        wt = old_wt[:running]
        wt *= old_wt_factor
        w = weighted[:running]
        # pandas skips the update when the mean already equals the value (constant series)
        w[:] = np.where(w != cur, (wt * w + cur) / (wt + 1.0), w)
        wt += 1.0
        out[at] = w
    return out


def _running_history(settled: pd.DataFrame) -> pd.DataFrame:
    """Running statistics after each settlement, in settlement order per client.

    ``settled`` is sorted by client code, then in settlement order.
    """
    code = settled["code"].to_numpy()
    late_days = settled["days_late"].astype("float64")
    by = late_days.groupby(code, sort=False)
    n = by.cumcount().to_numpy() + 1.0
    amount = settled["amount_cents"].astype("float64")
    late = (late_days > 0).astype("float64")
    disputed = settled["disputed"].astype("float64")
    weighted = (late_days * amount).groupby(code, sort=False).cumsum()
    paid_day = settled["paid_day"].to_numpy()

    def share_paid_on(run: Run) -> np.ndarray:
        on = pd.Series(on_run(paid_day, run).astype("float64"))
        return on.groupby(code, sort=False).cumsum().to_numpy() / n

    # Expanding windows of each client as one rolling window over all rows: pandas' own
    # kernels, without a Python call per client.
    window = _SinceClientStart(start=_client_starts(code))
    since_client_start = late_days.rolling(window, min_periods=1)
    running_sum = by.cumsum().to_numpy()
    mean = running_sum / n
    # Mean of the last RECENT: days late are whole numbers, so these sums are exact and
    # equal to pandas' rolling ones.
    behind = np.arange(len(code)) - RECENT
    in_window = np.where(n > RECENT, running_sum[np.maximum(behind, 0)], 0.0)
    recent = (running_sum - in_window) / np.minimum(n, RECENT)
    last_late_day = (
        pd.Series(np.where(late > 0, settled["paid_day"].astype("float64"), np.nan))
        .groupby(code, sort=False)
        .ffill()
    )
    return pd.DataFrame(
        {
            "hist_n_paid": n,
            "hist_mean_days_late": mean,
            "hist_median_days_late": since_client_start.median().to_numpy(),
            "hist_p90_days_late": since_client_start.quantile(0.9).to_numpy(),
            "hist_share_late": late.groupby(code, sort=False).cumsum().to_numpy() / n,
            "hist_amount_weighted_days_late": weighted.to_numpy()
            / amount.groupby(code, sort=False).cumsum().to_numpy(),
            "hist_ewm_days_late": _ewm_mean(late_days.to_numpy(), code, EWM_HALFLIFE),
            "hist_recent_mean_days_late": recent,
            "hist_trend_days_late": recent - mean,
            "hist_max_days_late": by.cummax().to_numpy(),
            "hist_last_days_late": late_days.to_numpy(),
            "hist_share_paid_month_end": share_paid_on(month_end_run),
            "hist_share_paid_tenth": share_paid_on(tenth_run),
            "last_late_day": last_late_day.to_numpy(),
            "sum_days_late": running_sum,
            "n_disputed": disputed.groupby(code, sort=False).cumsum().to_numpy(),
        }
    )


def _paydays_in_term(running: Columns, pairs: Pairs) -> np.ndarray:
    """Share of the client's payments made on a kind of day found in each pair's term."""
    issue, due = day_numbers(pairs.invoices["issue_date"]), day_numbers(pairs.invoices["due_date"])
    month_end = np.asarray(running["hist_share_paid_month_end"], dtype="float64")
    tenth = np.asarray(running["hist_share_paid_tenth"], dtype="float64")
    return (
        1.0
        - month_end * ~run_in_term(issue, due, month_end_run)
        - tenth * ~run_in_term(issue, due, tenth_run)
    )


def settlement_deltas(
    paid_day: np.ndarray, due_day: np.ndarray, disputed: np.ndarray
) -> pd.DataFrame:
    """What each settled invoice adds to the population's figures, with its ``paid_day``.

    Every value is a whole number: the running sums are exact in any order, so the
    population of a ledger split by client is the same floats as the whole ledger's.
    """
    days_late = (paid_day - due_day).astype("float64")
    flag = np.asarray(disputed, dtype="float64")
    return pd.DataFrame(
        {
            "paid_day": paid_day,
            "n": np.ones(len(paid_day)),
            "late": (days_late > 0).astype("float64"),
            "days": days_late,
            "disputed": flag,
            "disputed_late": flag * (days_late > 0),
            "disputed_days": flag * days_late,
        }
    )


def population_timeline(deltas: pd.DataFrame) -> Timeline:
    """Every client's settlements together (:func:`settlement_deltas`): the prior a short
    history is shrunk toward."""
    return Timeline.from_deltas(
        np.zeros(len(deltas), dtype="int64"),
        deltas["paid_day"].to_numpy(),
        deltas.drop(columns="paid_day"),
    )


class HistoryFeatures:
    """The history family: fit on a prepared ledger, transform pairs.

    ``population``, when given, is the prior of every client's settlements (a ledger split
    by client hands each part the whole ledger's); otherwise it is the fitted ledger's.
    """

    def __init__(self, population: Timeline | None = None) -> None:
        self.population = population

    def fit(self, prepared: PreparedLedger) -> HistoryFeatures:
        """Compute the running history of every client once."""
        inv = prepared.invoices
        settled = inv[inv["paid_day"] != NEVER].assign(
            days_late=lambda f: f["paid_day"] - f["due_day"]
        )
        settled = settled.iloc[_settlement_order(settled)].reset_index(drop=True)
        running = _running_history(settled)
        self.timeline_ = Timeline.from_running(
            settled["code"].to_numpy(), settled["paid_day"].to_numpy(), running
        )
        self.population_ = (
            self.population
            if self.population is not None
            else population_timeline(
                settlement_deltas(
                    settled["paid_day"].to_numpy(),
                    settled["due_day"].to_numpy(),
                    settled["disputed"].to_numpy(),
                )
            )
        )
        return self

    def _population(self, pairs: Pairs) -> dict[str, np.ndarray]:
        """Every client's settlements before each pair's date: counts and days late."""
        everyone = np.zeros(len(pairs.t), dtype="int64")
        pos = self.population_.positions(everyone, pairs.t)
        return {name: self.population_.take(name, pos) for name in self.population_.values}

    @staticmethod
    def _shrunk(
        population: dict[str, np.ndarray], n: np.ndarray, share: np.ndarray, mean: np.ndarray
    ) -> Columns:
        total = population["n"]
        weight = PRIOR_WEIGHT
        with np.errstate(invalid="ignore", divide="ignore"):
            prior_share = population["late"] / total
            prior_mean = population["days"] / total
            known = n > 0
            return {
                "hist_shrunk_share_late": (np.where(known, n * share, 0.0) + weight * prior_share)
                / (n + weight),
                "hist_shrunk_mean_days_late": (np.where(known, n * mean, 0.0) + weight * prior_mean)
                / (n + weight),
            }

    @staticmethod
    def _excess(
        population: dict[str, np.ndarray],
        figure: str,
        client_total: np.ndarray,
        n: np.ndarray,
        n_disputed: np.ndarray,
    ) -> np.ndarray:
        """The client's mean ``figure`` less all clients' mean for the same kind of invoice.

        ``figure`` names the population's running total (``days`` or ``late``); its total
        over disputed invoices is ``disputed_<figure>``.
        """
        disputed_total = population[f"disputed_{figure}"]
        with np.errstate(invalid="ignore", divide="ignore"):
            undisputed_mean = (population[figure] - disputed_total) / (
                population["n"] - population["disputed"]
            )
            disputed_mean = disputed_total / population["disputed"]
            expected = np.where(n > n_disputed, (n - n_disputed) * undisputed_mean, 0.0) + np.where(
                n_disputed > 0, n_disputed * disputed_mean, 0.0
            )
            return np.where(n > 0, (client_total - expected) / n, np.nan)

    def transform(self, pairs: Pairs) -> Columns:
        """History features of each pair."""
        pos = self.timeline_.positions(pairs.code, pairs.t, pairs.order)
        out: Columns = {name: self.timeline_.take(name, pos) for name in RUNNING}
        out["hist_n_paid"] = self.timeline_.take("hist_n_paid", pos, missing=0.0)
        out["hist_days_since_last_late"] = pairs.t - self.timeline_.take("last_late_day", pos)
        out["hist_paydays_in_term"] = _paydays_in_term(out, pairs)
        n = np.asarray(out["hist_n_paid"], dtype="float64")
        share = np.asarray(out["hist_share_late"], dtype="float64")
        mean = np.asarray(out["hist_mean_days_late"], dtype="float64")
        population = self._population(pairs)
        n_disputed = self.timeline_.take("n_disputed", pos, missing=0.0)
        out |= self._shrunk(population, n, share, mean)
        days_total = self.timeline_.take("sum_days_late", pos)
        out["hist_excess_share_late"] = self._excess(population, "late", n * share, n, n_disputed)
        out["hist_excess_days_late"] = self._excess(population, "days", days_total, n, n_disputed)
        return out
