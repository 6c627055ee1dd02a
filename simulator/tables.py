"""The contract tables and the truth of a simulation, from the rows its months drew."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.contract import (
    ACTIONS,
    ADVANCES,
    CHANNELS,
    CLIENTS,
    DEFAULT_CURRENCY,
    DOC_TYPES,
    INVOICES,
    OUTCOMES,
    PAYMENTS,
    UNBILLED,
)
from ledger.days import dates_of
from simulator.clients import _Clients
from simulator.parameters import (
    _CHANNELS,
    _COUNTRIES,
    _NEVER,
    _PLAN_NAMES,
    _SEGMENTS,
    PAY_CALENDARS,
    BoolArray,
    IntArray,
    Rows,
    SimulationConfig,
)

# Text columns are built as pandas strings (pyarrow-backed in pandas 3): the distinct
# values once, then ``take`` by code, which is much faster and smaller than numpy text.


def _vocab(values: npt.ArrayLike) -> pd.Series:
    """Distinct text values as a pandas string column, to ``_take`` from."""
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def _take(values: pd.Series, codes: IntArray) -> pd.Series:
    """``values[codes]`` as a fresh column; code ``-1`` gives a missing value."""
    return pd.Series(values.array.take(codes, allow_fill=True))


def _ids(prefix: str, count: int, width: int) -> pd.Series:
    """``prefix`` + zero-padded numbers 1 .. count: ``F0000001``."""
    width = max(width, len(str(count)))
    return prefix + pd.Series(np.arange(1, count + 1)).astype("str").str.zfill(width)


def _dates(days: IntArray) -> pd.Series:
    """Day numbers as ``datetime64[ns]`` at midnight; ``_NEVER`` becomes NaT."""
    return pd.Series(dates_of(days, int(_NEVER)), dtype="datetime64[ns]")


def _statement_name(name: str) -> str:
    """A name as a bank statement prints it: upper case, no accents."""
    return name.upper().translate(str.maketrans("ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ'", "AAACEEEEIIOOUUU "))


def _concat(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}


def _sorted(rows: dict[str, np.ndarray], *keys: str) -> dict[str, np.ndarray]:
    """Rows ordered by ``keys`` (the first key first)."""
    order = np.lexsort(tuple(rows[k] for k in reversed(keys)))
    return {k: v[order] for k, v in rows.items()}


def _payment_references(
    rng: np.random.Generator, invoice_ids: pd.Series, names: pd.Series, partial: BoolArray
) -> pd.Series:
    """Bank-statement texts, from a clean ``VIR SEPA FAC F0000123`` to no reference at all."""
    kind = rng.choice(5, size=len(invoice_ids), p=[0.55, 0.15, 0.10, 0.10, 0.10])
    kind = np.where(partial, 5, kind)
    formats: list[Callable[[pd.Series, pd.Series], pd.Series]] = [
        lambda ids, _: "VIR SEPA FAC " + ids,
        lambda ids, who: "VIR " + who + " REF " + ids,
        lambda ids, _: "REGLEMENT FACTURE " + ids.str.lstrip("F0"),
        lambda _, who: "VIR SEPA " + who,
        lambda ids, _: "LCR ECH " + ids,
        lambda ids, _: "VIR SEPA FAC " + ids + " PARTIEL",
    ]
    order = np.argsort(kind, kind="stable")
    bounds = np.searchsorted(kind[order], np.arange(len(formats) + 1))
    pieces = []
    for k, fmt in enumerate(formats):
        rows = order[bounds[k] : bounds[k + 1]]
        pieces.append(fmt(invoice_ids.take(rows), names.take(rows)))
    texts = pd.concat(pieces, ignore_index=True)
    return _take(texts, np.argsort(order))


def _unbilled(
    rng: np.random.Generator, cfg: SimulationConfig, cl: _Clients, end: int, client_ids: pd.Series
) -> pd.DataFrame:
    """Deliveries of the last weeks not yet invoiced at the end (factures à émettre)."""
    active = (cl.created <= end - 30) & (cl.default_day > end)
    take = np.flatnonzero(active & (rng.random(len(cl.ids)) < cfg.unbilled_rate))
    m = len(take)
    delivered = end - rng.integers(0, 31, m)
    expected = delivered + rng.integers(3, 31, m)
    ht = cl.scale_eur[take] * np.exp(cl.amount_sigma[take] * rng.normal(0.0, 1.0, m))
    cents = np.maximum(100, np.round(ht * 100 * np.where(cl.country[take] == 0, 1.2, 1.0)))
    return pd.DataFrame(
        {
            "client_id": _take(client_ids, take),
            "delivered_date": _dates(np.where(rng.random(m) < 0.1, _NEVER, delivered)),
            "expected_issue_date": _dates(expected),
            "amount_cents": cents.astype(np.int64),
            "currency": DEFAULT_CURRENCY,
        },
        columns=UNBILLED.memory_names,
    )


def _held_advances(rng: np.random.Generator, cl: _Clients, end: int) -> dict[str, np.ndarray]:
    """Advances received in the last two months for invoices not issued yet."""
    active = (cl.created <= end - 60) & (cl.default_day > end)
    take = np.flatnonzero(active & cl.uses_advances & (rng.random(len(cl.ids)) < 0.3))
    m = len(take)
    value = cl.scale_eur[take] * rng.uniform(0.2, 0.6, m) * 100
    return {
        "client": take.astype(np.int64),
        "received": (end - rng.integers(0, 61, m)).astype(np.int64),
        "amount": np.maximum(100, np.round(value)).astype(np.int64),
        "applied": np.full(m, _NEVER, dtype=np.int64),
    }


def _invoice_table(
    inv: Rows, cn: Rows, client_ids: pd.Series, invoice_ids: pd.Series
) -> pd.DataFrame:
    """Invoices and credit notes together, in order of issue."""
    n, m = len(inv["inv"]), len(cn["inv"])
    issue = np.concatenate([inv["issue"], cn["issue"]])
    order = np.argsort(issue, kind="stable")
    is_note = order >= n

    def pick(invoice_values: np.ndarray, note_values: np.ndarray) -> np.ndarray:
        out = np.empty(len(order), dtype=np.result_type(invoice_values, note_values))
        out[~is_note] = invoice_values[order[~is_note]]
        out[is_note] = note_values[order[is_note] - n]
        return out

    no_notes = np.zeros(m, dtype=bool)
    all_ids = pd.concat([invoice_ids, _ids("AV", m, 7)], ignore_index=True)
    return pd.DataFrame(
        {
            "invoice_id": _take(all_ids, order),
            "client_id": _take(client_ids, pick(inv["client"], cn["client"])),
            "issue_date": _dates(issue[order]),
            "due_date": _dates(pick(inv["due"], cn["issue"])),
            "amount_cents": pick(inv["amount"], cn["amount"]).astype(np.int64),
            "currency": _take(_vocab([DEFAULT_CURRENCY]), np.zeros(n + m, dtype=np.int64)),
            "doc_type": _take(_vocab(DOC_TYPES), is_note.astype(np.int64)),
            "disputed": pick(inv["disputed"], no_notes),
            "paid_date": _dates(pick(inv["paid_day"], cn["paid_day"])),
            "written_off": pick(inv["written_off"], no_notes),
            "credited_invoice_id": _take(invoice_ids, pick(np.full(n, -1), cn["inv"])),
            "doubtful_date": pd.Series(pd.NaT, index=range(n + m), dtype="datetime64[ns]"),
            "reference": np.full(n + m, None, dtype=object),
            "x_channel": _take(_vocab(_CHANNELS), pick(inv["channel"], cn["channel"])),
        },
        columns=[*INVOICES.memory_names, "x_channel"],
    )


def _payment_table(
    rng: np.random.Generator,
    pay: Rows,
    cl: _Clients,
    client_ids: pd.Series,
    invoice_ids: pd.Series,
) -> pd.DataFrame:
    """Payments with the texts a bank statement gives them."""
    pay_invoice_ids = _take(invoice_ids, pay["inv"])
    names = _vocab([_statement_name(name) for name in cl.names.tolist()])
    return pd.DataFrame(
        {
            "payment_id": _ids("P", len(pay["inv"]), 7),
            "client_id": _take(client_ids, pay["client"]),
            "payment_date": _dates(pay["day"]),
            "amount_cents": pay["amount"].astype(np.int64),
            "currency": DEFAULT_CURRENCY,
            "reference": _payment_references(
                rng, pay_invoice_ids, _take(names, pay["client"]), pay["partial"]
            ),
            "invoice_id": pay_invoice_ids,
        },
        columns=PAYMENTS.memory_names,
    )


def _action_table(act: Rows, invoice_ids: pd.Series) -> pd.DataFrame:
    """The relances taken, with their outcomes."""
    return pd.DataFrame(
        {
            "invoice_id": _take(invoice_ids, act["inv"]),
            "action_date": _dates(act["day"]),
            "channel": _take(_vocab(CHANNELS), act["channel"]),
            "outcome": _take(_vocab(OUTCOMES), act["outcome"]),
            "promised_date": _dates(act["promised"]),
        },
        columns=ACTIONS.memory_names,
    )


def _advance_table(rng: np.random.Generator, adv: Rows, client_ids: pd.Series) -> pd.DataFrame:
    """Advances received (compte 419), with the order number they name."""
    order_numbers = rng.integers(100_000, 1_000_000, len(adv["client"]))
    return pd.DataFrame(
        {
            "client_id": _take(client_ids, adv["client"]),
            "received_date": _dates(adv["received"]),
            "amount_cents": adv["amount"].astype(np.int64),
            "currency": DEFAULT_CURRENCY,
            "reference": "ACOMPTE CDE " + pd.Series(order_numbers).astype("str"),
            "applied_date": _dates(adv["applied"]),
        },
        columns=ADVANCES.memory_names,
    )


def _client_table(cl: _Clients, client_ids: pd.Series) -> pd.DataFrame:
    """The clients as the ledger shows them."""
    return pd.DataFrame(
        {
            "client_id": client_ids,
            "name": _vocab(cl.names),
            "country": _take(_vocab(_COUNTRIES), cl.country),
            "sector": _vocab(cl.sector),
            "is_public_sector": cl.public.astype(bool),
            "created_on": _dates(cl.created),
            "payment_terms_days": cl.terms.astype(np.int64),
            "credit_limit_cents": cl.credit_limit_cents.astype(np.int64),
            "x_segment": _take(_vocab(_SEGMENTS), cl.segment),
        },
        columns=[*CLIENTS.memory_names, "x_segment"],
    )


def _truth_table(inv: Rows, client_ids: pd.Series, invoice_ids: pd.Series) -> pd.DataFrame:
    """One row per invoice: its payment-time distribution and the drawn payment date."""
    return pd.DataFrame(
        {
            "invoice_id": invoice_ids,
            "client_id": _take(client_ids, inv["client"]),
            "issue_date": _dates(inv["issue"]),
            "due_date": _dates(inv["due"]),
            "on_time_prob": inv["q"],
            "early_days": inv["early"],
            "late_scale": inv["scale"],
            "late_shape": inv["shape"],
            "dunning_plan": _take(_vocab(_PLAN_NAMES), inv["plan"]),
            "pay_calendar": _take(_vocab(PAY_CALENDARS), inv["calendar"]),
            "default_date": _dates(inv["default_day"]),
            "p_late": 1.0 - inv["p_on_time"],
            "p_on_time": inv["p_on_time"],
            "p_1_30": inv["p_1_30"],
            "p_31_60": inv["p_31_60"],
            "p_61_90": inv["p_61_90"],
            "p_over_90": inv["p_over_90"],
            "p_never_paid": inv["p_never_paid"],
            "drawn_paid_date": _dates(inv["drawn"]),
        }
    )


def _clients_truth_table(cl: _Clients, client_ids: pd.Series) -> pd.DataFrame:
    """The latent per-client parameters the invoices were drawn from."""
    every_client = np.arange(len(cl.ids), dtype=np.int64)
    return pd.DataFrame(
        {
            "client_id": _take(client_ids, every_client),
            "invoices_per_month": cl.rate,
            "amount_scale_eur": cl.scale_eur,
            "amount_sigma": cl.amount_sigma,
            "month_end_billing": cl.month_end_billing,
            "pay_calendar": _take(_vocab(PAY_CALENDARS), cl.calendar),
            "on_time_logit": cl.on_time_logit,
            "late_scale": cl.late_scale,
            "late_shape": cl.late_shape,
            "early_days": cl.early_days,
            "dispute_propensity": cl.dispute_propensity,
            "drift_start": _dates(cl.drift_start),
            "drift_slope_per_month": cl.drift_slope,
            "default_date": _dates(cl.default_day),
            "uses_advances": cl.uses_advances,
        }
    )
