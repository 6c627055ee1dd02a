"""The feature pipeline held to its spec: the oracle, no leakage, online = offline.

Random small ledgers (hypothesis) with many ties on dates, since "before t" is strict and
ties are where point-in-time bugs hide. The oracle (tests/features/oracle.py) is written
from the spec alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.pipeline import FeatureBuilder, build_features, feature_names
from features.timeline import NEVER, days
from ledger.contract import (
    ACTIONS,
    CHANNELS,
    CLIENTS,
    INVOICES,
    OUTCOMES,
    PAYMENTS,
    Ledger,
    TableSpec,
    empty_frame,
)
from ledger.days import NEVER as LEDGER_NEVER
from ledger.days import day_numbers
from simulator import Simulation, SimulationConfig, simulate
from tests.features.oracle import oracle_features

BASE = pd.Timestamp("2024-01-01")
CLIENT_IDS = ("C1", "C2", "C3")
X_CHANNELS = ("edi", "email", "paper")
# The invoice columns the spec says `invoices` carries (plus the user's x_* columns).
INPUT_COLUMNS = [
    "invoice_id",
    "client_id",
    "issue_date",
    "due_date",
    "amount_cents",
    "currency",
    "disputed",
]
PAIR_COLUMNS = [*INPUT_COLUMNS, "x_channel"]  # with the random ledgers' user column
RTOL = 1e-9
ATOL = 1e-9  # a difference of two equal means may come out as 1e-15 instead of 0

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def day(n: int) -> pd.Timestamp:
    """Day ``n`` of the test calendar (day 0 is 2024-01-01)."""
    return BASE + pd.Timedelta(days=n)


def day_number(value: pd.Timestamp) -> int:
    """The inverse of :func:`day`."""
    return int((value - BASE).days)


def frame(spec: TableSpec, records: list[dict[str, Any]], extra: dict[str, str]) -> pd.DataFrame:
    """An in-memory frame of ``spec`` (every contract column, contract dtypes) plus extras.

    Args:
        spec: the contract table.
        records: the rows; missing keys are missing values.
        extra: user columns to add, name -> dtype.
    """
    empty = empty_frame(spec)
    columns = {
        name: pd.Series([r.get(name) for r in records], dtype=empty[name].dtype)
        for name in empty.columns
    }
    for name, dtype in extra.items():
        columns[name] = pd.Series([r.get(name) for r in records], dtype=dtype)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


# --- the strategy: random small ledgers with many ties -----------------------------------


def days_between(lo: int, hi: int, pool: list[int]) -> st.SearchStrategy[int]:
    """A day in [lo, hi], often one of the ``pool`` of shared days (ties on purpose)."""
    tied = [p for p in pool if lo <= p <= hi]
    anywhere = st.integers(min_value=lo, max_value=hi)
    return st.one_of(st.sampled_from(tied), anywhere) if tied else anywhere


@st.composite
def client_rows(draw: st.DrawFn, n: int) -> tuple[list[dict[str, Any]], str]:
    """``n`` clients, some without created_on / credit limit / sector; a numeric x_ column."""
    as_text = draw(st.booleans())  # as a CSV import would give it: digits in text
    rows = []
    for client_id in CLIENT_IDS[:n]:
        score = draw(st.one_of(st.none(), st.integers(-500, 5000).map(lambda v: v / 10)))
        rows.append(
            {
                "client_id": client_id,
                "name": draw(st.sampled_from([f"Client {client_id}", None])),
                "country": draw(st.sampled_from(["FR", "BE", None])),
                "sector": draw(st.sampled_from(["retail", "industry", None])),
                "is_public_sector": draw(st.booleans()),
                "created_on": draw(st.one_of(st.none(), st.integers(-2000, 200).map(day))),
                "payment_terms_days": draw(st.sampled_from([None, 0, 30, 45, 60])),
                "credit_limit_cents": draw(
                    st.one_of(st.none(), st.just(0), st.integers(1, 50_000_000))
                ),
                "x_score": str(score) if as_text and score is not None else score,
            }
        )
    return rows, ("object" if as_text else "float64")


@st.composite
def invoice_rows(draw: st.DrawFn, clients: list[str], pool: list[int]) -> list[dict[str, Any]]:
    """0-15 invoices over ~200 days: random terms, some disputed, paid, credit notes."""
    n = draw(st.integers(0, 15))
    numbers = draw(st.permutations(range(1, n + 1)))  # "F10" sorts before "F2": ids matter
    rows = []
    for number in numbers:
        issue = draw(days_between(0, 200, pool))
        terms = draw(st.one_of(st.sampled_from([0, 30, 45, 60]), st.integers(0, 90)))
        # The contract rejects a paid date before the issue date (ledger.validation).
        paid = draw(st.one_of(st.none(), days_between(issue, issue + 150, pool)))
        rows.append(
            {
                "invoice_id": f"F{number}",
                "client_id": draw(st.sampled_from(clients)),
                "issue_date": day(issue),
                "due_date": day(issue + terms),
                "amount_cents": draw(st.one_of(st.integers(1, 10_000_000), st.just(10_000))),
                "currency": draw(st.sampled_from(["EUR", "EUR", "EUR", "USD"])),
                "doc_type": draw(st.sampled_from(["invoice"] * 4 + ["credit_note"])),
                "disputed": draw(st.booleans()),
                "paid_date": None if paid is None else day(paid),
                "written_off": paid is None and draw(st.booleans()),
                "credited_invoice_id": None,
                "x_channel": draw(st.sampled_from([*X_CHANNELS, None])),
            }
        )
    return rows


@st.composite
def payment_rows(
    draw: st.DrawFn, invoices: list[dict[str, Any]], clients: list[str], pool: list[int]
) -> list[dict[str, Any]]:
    """Partial payments matched to invoices (before the paid date), and a few unmatched."""
    rows = []
    for k in range(draw(st.integers(0, 8 if invoices else 2))):
        invoice = draw(st.one_of(st.none(), st.sampled_from(invoices))) if invoices else None
        if invoice is None:
            when = draw(days_between(0, 230, pool))
            client, invoice_id, amount = draw(st.sampled_from(clients)), None, 50_000
        else:
            paid = invoice["paid_date"]
            issue = day_number(invoice["issue_date"])
            last = 230 if paid is None else day_number(paid)
            when = draw(days_between(min(issue - 10, last), last, pool))
            client, invoice_id = invoice["client_id"], invoice["invoice_id"]
            amount = invoice["amount_cents"]
        rows.append(
            {
                "payment_id": f"P{k}",
                "client_id": client,
                "payment_date": day(when),
                "amount_cents": draw(st.integers(1, amount)),
                "currency": "EUR",
                "reference": draw(st.sampled_from([None, "VIR SEPA"])),
                "invoice_id": invoice_id,
            }
        )
    return rows


@st.composite
def action(draw: st.DrawFn, invoice: dict[str, Any], first: int, pool: list[int]) -> dict:
    """One dunning action on ``invoice`` dated on or after day ``first``."""
    when = draw(days_between(first, first + 200, pool))
    outcome = draw(st.sampled_from([None, *OUTCOMES]))
    promised = None
    if outcome == "promise_to_pay":
        promised = draw(st.one_of(st.none(), days_between(when, when + 30, pool).map(day)))
    return {
        "invoice_id": invoice["invoice_id"],
        "action_date": day(when),
        "channel": draw(st.sampled_from(CHANNELS)),
        "outcome": outcome,
        "promised_date": promised,
    }


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    """A random small ledger in the in-memory form, with many ties on dates."""
    pool = draw(st.lists(st.integers(0, 230), min_size=1, max_size=5))
    clients, score_dtype = draw(client_rows(draw(st.integers(1, 3))))
    client_ids = [c["client_id"] for c in clients]
    invoices = draw(invoice_rows(client_ids, pool))
    payments = draw(payment_rows(invoices, client_ids, pool))
    actions = []
    if invoices:
        for _ in range(draw(st.integers(0, 8))):
            invoice = draw(st.sampled_from(invoices))
            actions.append(draw(action(invoice, day_number(invoice["issue_date"]), pool)))
    return Ledger(
        clients=frame(CLIENTS, clients, {"x_score": score_dtype}),
        invoices=frame(INVOICES, invoices, {"x_channel": "object"}),
        payments=frame(PAYMENTS, payments, {}),
        actions=frame(ACTIONS, actions, {}),
    )


def event_days(ledger: Ledger) -> list[pd.Timestamp]:
    """Every date of the ledger: the as_of dates where ties with events happen."""
    columns = [
        ledger.invoices["issue_date"],
        ledger.invoices["due_date"],
        ledger.invoices["paid_date"],
        ledger.payments["payment_date"],
        ledger.actions["action_date"],
        ledger.actions["promised_date"],
    ]
    found = pd.concat(columns).dropna().unique()
    return sorted(pd.Timestamp(d) for d in found)


def as_of_dates(ledger: Ledger) -> st.SearchStrategy[pd.Timestamp]:
    """An as_of: often a date of the ledger (ties), else any day around it."""
    anywhere = st.integers(-10, 260).map(day)
    events = event_days(ledger)
    return st.one_of(st.sampled_from(events), anywhere) if events else anywhere


def stored_invoices(ledger: Ledger) -> pd.DataFrame:
    """The ledger's invoices proper (no credit notes)."""
    return ledger.invoices[ledger.invoices["doc_type"] == "invoice"]


def as_input(rows: pd.DataFrame) -> pd.DataFrame:
    """Invoice rows reduced to the columns the spec says `invoices` carries."""
    keep = INPUT_COLUMNS + [c for c in rows.columns if c.startswith("x_")]
    return rows[keep]


@st.composite
def prospective_invoice(draw: st.DrawFn, ledger: Ledger) -> dict[str, Any]:
    """An invoice not in the ledger (invoice_id None) for any client, clientless ones too."""
    issue = draw(st.integers(0, 230))
    return {
        "invoice_id": None,
        "client_id": draw(st.sampled_from(list(ledger.clients["client_id"]))),
        "issue_date": day(issue),
        "due_date": day(issue + draw(st.integers(0, 90))),
        "amount_cents": draw(st.integers(1, 10_000_000)),
        "currency": "EUR",
        "disputed": draw(st.booleans()),
        "x_channel": draw(st.sampled_from([*X_CHANNELS, "fax", None])),  # fax: never seen
    }


def with_index(rows: pd.DataFrame, start: int = 100) -> pd.DataFrame:
    """The rows under a fresh index that is not 0..n-1: the output must follow it."""
    return rows.set_axis(pd.RangeIndex(start, start + len(rows)))


@st.composite
def ledgers_and_pairs(draw: st.DrawFn) -> tuple[Ledger, pd.DataFrame, pd.Series]:
    """A ledger and 1-6 (invoice, as_of) pairs: stored invoices and prospective ones."""
    ledger = draw(ledgers())
    stored = stored_invoices(ledger)
    rows, dates = [], []
    for _ in range(draw(st.integers(1, 6))):
        if len(stored) and draw(st.integers(0, 3)):
            row = stored.iloc[draw(st.integers(0, len(stored) - 1))]
            at_issue = draw(st.booleans())
            rows.append(row[PAIR_COLUMNS].to_dict())
            dates.append(row["issue_date"] if at_issue else draw(as_of_dates(ledger)))
        else:
            rows.append(draw(prospective_invoice(ledger)))
            dates.append(
                rows[-1]["issue_date"] if draw(st.booleans()) else draw(as_of_dates(ledger))
            )
    invoices = with_index(frame(INVOICES, rows, {"x_channel": "object"})[PAIR_COLUMNS])
    return ledger, invoices, pd.Series(dates, index=invoices.index, dtype="datetime64[ns]")


# --- comparing feature frames --------------------------------------------------------------


def differences(
    got: pd.DataFrame, want: pd.DataFrame, categorical: set[str]
) -> list[tuple[Any, str, Any, Any]]:
    """(row, column, got, want) for every cell that differs; NaN equals NaN.

    Numbers agree to rtol 1e-9 (atol 1e-9); categorical columns are compared by value.
    """
    found = []
    for name in want.columns:
        if name in categorical:
            g = got[name].astype(object).where(got[name].notna(), None)
            w = want[name].astype(object).where(want[name].notna(), None)
            bad = ~((g == w) | (g.isna() & w.isna()))
        else:
            g, w = got[name].to_numpy(float), want[name].to_numpy(float)
            bad = pd.Series(~np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True), want.index)
            g, w = got[name], want[name]
        found += [(idx, name, g.loc[idx], w.loc[idx]) for idx in want.index[bad.to_numpy()]]
    return found


def assert_same_features(
    got: pd.DataFrame,
    want: pd.DataFrame,
    invoices: pd.DataFrame,
    as_of: pd.Series,
    what: str = "pipeline",
    ignore: Callable[[Any, str], bool] = lambda idx, name: False,
    check_dtype: Callable[[str], bool] = lambda name: True,
) -> None:
    """Fail with every differing cell named by invoice, as_of and feature.

    Args:
        got: the frame under test.
        want: the expected frame; its dtypes say which columns are categorical.
        invoices: the pairs' invoices, and as_of: their dates (to name the pairs).
        what: what ``got`` is, in the message.
        ignore: cells (index, column) not to compare.
        check_dtype: columns whose dtype must be float64 / category as in ``want``.
    """
    assert list(got.index) == list(want.index), "not indexed like the invoices"
    assert sorted(got.columns) == sorted(want.columns)
    categorical = {c for c in want.columns if isinstance(want[c].dtype, pd.CategoricalDtype)}
    for name in filter(check_dtype, want.columns):
        expected = "category" if name in categorical else "float64"
        assert str(got[name].dtype) == expected, f"{name}: {got[name].dtype}, not {expected}"
    bad = [d for d in differences(got, want[got.columns], categorical) if not ignore(d[0], d[1])]
    lines = [
        f"  {invoices.loc[idx, 'invoice_id']} at {as_of.loc[idx].date()}: {name} "
        f"{what}={g!r} expected={w!r}"
        for idx, name, g, w in bad
    ]
    assert not lines, "features differ:\n" + "\n".join(lines)


def describe(ledger: Ledger) -> str:
    """The ledger's rows, for a failing example's report."""
    parts = []
    for name, table in ledger.tables().items():
        if len(table):
            parts.append(f"{name}:\n{table.to_string()}")
    return "\n".join(parts)


# --- the pipeline against the oracle ---------------------------------------------------------


@SETTINGS
@given(case=ledgers_and_pairs())
def test_pipeline_equals_the_oracle(case: tuple[Ledger, pd.DataFrame, pd.Series]) -> None:
    ledger, invoices, as_of = case
    got = build_features(ledger, invoices, as_of)
    want = oracle_features(ledger, invoices, as_of)
    assert list(got.columns) == feature_names(ledger)
    try:
        assert_same_features(got, want, invoices, as_of)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{describe(ledger)}") from None


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    """A small simulated ledger: realistic dtypes (pandas strings), partial payments, actions."""
    return simulate(SimulationConfig(n_clients=40, n_months=12, seed=1))


def test_pipeline_equals_the_oracle_on_a_simulated_ledger(simulation: Simulation) -> None:
    ledger = simulation.ledger
    stored = stored_invoices(ledger)
    rng = np.random.default_rng(7)
    picked = stored.iloc[rng.choice(len(stored), size=40, replace=False)]
    # each at its issue date, at the end of the window, and at one of the ledger's dates
    events = event_days(ledger)
    dates = [
        *picked["issue_date"],
        *[simulation.end] * len(picked),
        *rng.choice(np.array(events, dtype="datetime64[ns]"), size=len(picked)),
    ]
    invoices = with_index(as_input(pd.concat([picked] * 3)))
    as_of = pd.Series(dates, index=invoices.index, dtype="datetime64[ns]")
    got = build_features(ledger, invoices, as_of)
    assert list(got.columns) == feature_names(ledger)
    assert_same_features(got, oracle_features(ledger, invoices, as_of), invoices, as_of)


# --- nothing on or after as_of changes the features -------------------------------------------


@st.composite
def later(draw: st.DrawFn, value: pd.Timestamp) -> pd.Timestamp:
    """The same date or up to 60 days later."""
    return value + pd.Timedelta(days=draw(st.integers(0, 60)))


@st.composite
def rewritten_future(
    draw: st.DrawFn, ledger: Ledger, as_of: pd.Timestamp, keep: set[str]
) -> Ledger:
    """``ledger`` with every event on or after ``as_of`` altered or removed.

    Settlements on or after as_of move later or vanish (the invoice is open again);
    payments and actions on or after as_of move, change or vanish, and new ones appear;
    invoices issued on or after as_of (but those in ``keep``) change or vanish.
    """
    t = day_number(as_of)
    invoices = []
    for row in ledger.invoices.to_dict("records"):
        issued_later = row["issue_date"] >= as_of and row["invoice_id"] not in keep
        if issued_later:
            fate = draw(st.sampled_from(["keep", "remove", "change"]))
            if fate == "remove":
                continue
            if fate == "change":
                issue = day_number(row["issue_date"]) + draw(st.integers(0, 20))
                paid = draw(st.one_of(st.none(), st.integers(max(issue - 5, t), issue + 150)))
                row |= {
                    "client_id": draw(st.sampled_from(list(ledger.clients["client_id"]))),
                    "issue_date": day(issue),
                    "due_date": day(issue + draw(st.integers(0, 90))),
                    "amount_cents": draw(st.integers(1, 10_000_000)),
                    "doc_type": draw(st.sampled_from(["invoice", "credit_note"])),
                    "disputed": draw(st.booleans()),
                    "paid_date": None if paid is None else day(paid),
                    "x_channel": draw(st.sampled_from([*X_CHANNELS, None])),
                }
        if not pd.isna(row["paid_date"]) and row["paid_date"] >= as_of:
            row["paid_date"] = draw(st.one_of(st.none(), later(row["paid_date"])))
        invoices.append(row)
    for k in range(draw(st.integers(0, 2))):  # invoices not yet issued at as_of
        issue = t + draw(st.integers(0, 30))
        invoices.append(
            {
                "invoice_id": f"N{k}",
                "client_id": draw(st.sampled_from(list(ledger.clients["client_id"]))),
                "issue_date": day(issue),
                "due_date": day(issue + 30),
                "amount_cents": 12_345,
                "currency": "EUR",
                "doc_type": "invoice",
                "disputed": False,
                "paid_date": draw(st.one_of(st.none(), st.just(day(issue + 10)))),
                "written_off": False,
                "x_channel": draw(st.sampled_from(X_CHANNELS)),
            }
        )
    ids = [r["invoice_id"] for r in invoices]

    payments = []
    for row in ledger.payments.to_dict("records"):
        if row["payment_date"] >= as_of:
            fate = draw(st.sampled_from(["keep", "move", "resize", "remove"]))
            if fate == "remove":
                continue
            if fate == "move":
                row["payment_date"] = draw(later(row["payment_date"]))
            if fate == "resize":
                row["amount_cents"] = draw(st.integers(1, 20_000_000))
        payments.append(row)
    for k in range(draw(st.integers(0, 2)) if ids else 0):
        payments.append(
            {
                "payment_id": f"Q{k}",
                "client_id": draw(st.sampled_from(list(ledger.clients["client_id"]))),
                "payment_date": day(t + draw(st.integers(0, 30))),
                "amount_cents": draw(st.integers(1, 20_000_000)),
                "currency": "EUR",
                "invoice_id": draw(st.sampled_from(ids)),
            }
        )

    actions = []
    for row in ledger.actions.to_dict("records"):
        if row["action_date"] >= as_of:
            fate = draw(st.sampled_from(["keep", "change", "remove"]))
            if fate == "remove":
                continue
            if fate == "change":
                row |= draw(action(row, day_number(row["action_date"]), []))
        actions.append(row)
    for _ in range(draw(st.integers(0, 2)) if ids else 0):
        target = {"invoice_id": draw(st.sampled_from(ids))}
        actions.append(draw(action(target, t, [t])))

    return Ledger(
        clients=ledger.clients,
        invoices=frame(INVOICES, invoices, {"x_channel": "object"}),
        payments=frame(PAYMENTS, payments, {}),
        actions=frame(ACTIONS, actions, {}),
    )


@SETTINGS
@given(data=st.data())
def test_nothing_on_or_after_as_of_changes_the_features(data: st.DataObject) -> None:
    ledger = data.draw(ledgers())
    as_of = data.draw(as_of_dates(ledger))
    stored = stored_invoices(ledger)
    picked = data.draw(st.lists(st.integers(0, max(len(stored) - 1, 0)), max_size=4))
    targets = stored.iloc[sorted(set(picked))] if len(stored) else stored
    # The prospective invoice carries a user category the pairs keep in the ledger, or an
    # unseen one: categories are learnt at fit time from the whole ledger, so a category
    # carried only by an invoice issued after as_of would rightly vanish with it.
    prospective = data.draw(prospective_invoice(ledger))
    vocabulary = sorted(set(targets["x_channel"].dropna()))
    prospective["x_channel"] = data.draw(st.sampled_from([None, "fax", *vocabulary]))
    targets = pd.concat([as_input(targets), pd.DataFrame([prospective])], ignore_index=True)
    targets = with_index(frame(INVOICES, targets.to_dict("records"), {"x_channel": "object"}))
    targets = targets[PAIR_COLUMNS]
    altered = data.draw(rewritten_future(ledger, as_of, set(targets["invoice_id"].dropna())))
    dates = pd.Series(as_of, index=targets.index, dtype="datetime64[ns]")

    before = build_features(ledger, targets, dates)
    after = build_features(altered, targets, dates)
    try:
        # A user column whose every value is removed with the future invoices is all
        # missing, hence numeric: its values are compared, not its dtype.
        assert_same_features(
            after,
            before,
            targets,
            dates,
            what="after",
            check_dtype=lambda name: not name.startswith(("x_", "cli_x_")),
        )
    except AssertionError as error:
        raise AssertionError(
            f"{error}\n--- before:\n{describe(ledger)}\n--- after:\n{describe(altered)}"
        ) from None


def test_an_invoice_paid_after_as_of_counts_as_open() -> None:
    # F1 issued 01-01, due 01-31, paid 03-01: at 02-15 it is open and 15 days overdue.
    clients = frame(CLIENTS, [{"client_id": "C1", "is_public_sector": False}], {})
    invoice = {
        "invoice_id": "F1",
        "client_id": "C1",
        "issue_date": day(0),
        "due_date": day(30),
        "amount_cents": 100_000,
        "currency": "EUR",
        "doc_type": "invoice",
        "disputed": False,
        "paid_date": day(60),
        "written_off": False,
    }
    ledger = Ledger(clients=clients, invoices=frame(INVOICES, [invoice], {}))
    new = with_index(as_input(frame(INVOICES, [invoice | {"invoice_id": None}], {})))
    got = build_features(ledger, new, day(45)).iloc[0]
    assert got["hist_n_paid"] == 0
    assert got["exp_n_open"] == 1
    assert got["exp_open_amount"] == 1_000.0
    assert got["exp_overdue_amount"] == 1_000.0
    assert got["exp_oldest_open_days"] == 45
    # On the paid date itself the payment is not yet known; the day after it is.
    on_paid = build_features(ledger, new, day(60)).iloc[0]
    assert (on_paid["hist_n_paid"], on_paid["exp_n_open"]) == (0, 1)
    after = build_features(ledger, new, day(61)).iloc[0]
    assert (after["hist_n_paid"], after["exp_n_open"], after["hist_last_days_late"]) == (1, 0, 30)


# --- online features equal the batch's ---------------------------------------------------------


def test_online_transform_equals_the_batch_row(simulation: Simulation) -> None:
    ledger = simulation.ledger
    stored = stored_invoices(ledger)
    middle = simulation.end - pd.Timedelta(days=120)
    builder = FeatureBuilder().fit(ledger)
    for as_of in (simulation.end, middle):
        open_then = stored[(stored["issue_date"] < as_of) & ~(stored["paid_date"] < as_of)]
        assert len(open_then) >= 20
        batch = build_features(ledger, stored, as_of)
        for idx in open_then.index[:: max(len(open_then) // 20, 1)]:
            one = stored.loc[[idx]]
            online = builder.transform(one, as_of)
            pd.testing.assert_frame_equal(online, batch.loc[[idx]], rtol=RTOL)
            as_series = builder.transform(one, pd.Series(as_of, index=one.index))
            pd.testing.assert_frame_equal(as_series, online)


# --- missing history ---------------------------------------------------------------------------

HISTORY_STATISTICS = [
    "hist_mean_days_late",
    "hist_median_days_late",
    "hist_p90_days_late",
    "hist_share_late",
    "hist_amount_weighted_days_late",
    "hist_ewm_days_late",
    "hist_recent_mean_days_late",
    "hist_trend_days_late",
    "hist_max_days_late",
    "hist_last_days_late",
    "hist_share_paid_month_end",
    "hist_share_paid_tenth",
    "hist_days_since_last_late",
    "hist_paydays_in_term",
    "hist_excess_share_late",
    "hist_excess_days_late",
]


def small_ledger() -> Ledger:
    """C1 has two invoices (the first paid 5 days late), C2 none; C2 lacks every option."""
    clients = frame(
        CLIENTS,
        [
            {
                "client_id": "C1",
                "country": "FR",
                "sector": "retail",
                "is_public_sector": False,
                "created_on": day(-365),
                "payment_terms_days": 30,
                "credit_limit_cents": 5_000_000,
            },
            {"client_id": "C2", "is_public_sector": True},
        ],
        {},
    )
    common = {"currency": "EUR", "doc_type": "invoice", "disputed": False, "written_off": False}
    invoices = frame(
        INVOICES,
        [
            common
            | {
                "invoice_id": "F1",
                "client_id": "C1",
                "issue_date": day(0),
                "due_date": day(30),
                "amount_cents": 100_000,
                "paid_date": day(35),
            },
            common
            | {
                "invoice_id": "F2",
                "client_id": "C1",
                "issue_date": day(40),
                "due_date": day(70),
                "amount_cents": 50_000,
            },
        ],
        {},
    )
    return Ledger(clients=clients, invoices=invoices)


def test_a_first_invoice_has_no_history_not_a_perfect_one() -> None:
    ledger = small_ledger()
    first = with_index(as_input(ledger.invoices.iloc[[0]]))
    as_of = pd.Series(first["issue_date"])
    got = build_features(ledger, first, as_of).iloc[0]
    assert got["hist_n_paid"] == 0
    assert got["exp_n_invoices"] == 0
    assert got["dun_n_actions_client"] == 0
    assert got[[*HISTORY_STATISTICS, "inv_amount_vs_usual", "exp_oldest_open_days"]].isna().all()
    assert_same_features(
        build_features(ledger, first, as_of), oracle_features(ledger, first, as_of), first, as_of
    )


def test_a_client_without_invoices_gets_features() -> None:
    ledger = small_ledger()
    new = {
        "invoice_id": None,
        "client_id": "C2",
        "issue_date": day(50),
        "due_date": day(110),
        "amount_cents": 75_000,
        "currency": "EUR",
        "disputed": False,
    }
    invoices = with_index(as_input(frame(INVOICES, [new], {})))
    as_of = pd.Series(invoices["issue_date"])
    got = build_features(ledger, invoices, as_of)
    row = got.iloc[0]
    assert (row["hist_n_paid"], row["exp_n_invoices"], row["exp_n_open"]) == (0, 0, 0)
    assert row[HISTORY_STATISTICS].isna().all()
    # C2 has no sector, no creation date, no terms, no credit limit: NaN, not 0.
    assert row[["cli_relationship_days", "cli_terms_days", "cli_log_credit_limit"]].isna().all()
    assert pd.isna(row["cli_sector"])
    assert row["cli_public_sector"] == 1
    assert_same_features(got, oracle_features(ledger, invoices, as_of), invoices, as_of)


# --- a prospective invoice is the stored invoice seen at its issue date -----------------------


def without(ledger: Ledger, invoice_id: str) -> Ledger:
    """``ledger`` without one invoice, nor its payments and actions."""
    return Ledger(
        clients=ledger.clients,
        invoices=ledger.invoices[ledger.invoices["invoice_id"] != invoice_id],
        payments=ledger.payments[ledger.payments["invoice_id"] != invoice_id],
        actions=ledger.actions[ledger.actions["invoice_id"] != invoice_id],
    )


@SETTINGS
@given(data=st.data())
def test_a_prospective_invoice_equals_the_stored_one_at_its_issue_date(
    data: st.DataObject,
) -> None:
    ledger = data.draw(ledgers())
    stored = stored_invoices(ledger)
    if stored.empty:
        return
    row = stored.iloc[[data.draw(st.integers(0, len(stored) - 1))]]
    invoice_id = str(row["invoice_id"].iloc[0])
    as_of = pd.Series(row["issue_date"])
    as_stored = build_features(ledger, as_input(row), as_of)
    prospective = as_input(row).assign(invoice_id=None)
    # Same ledger, no id: nothing about the invoice is known at its issue date anyway.
    same_ledger = build_features(ledger, prospective, as_of)
    assert_same_features(same_ledger, as_stored, prospective, as_of, what="prospective")
    # Not in the ledger at all: the same features, but for a user category that only this
    # invoice carried, which is unseen at fit time (NaN).
    others = without(ledger, invoice_id)
    channel = row["x_channel"].iloc[0]
    unseen = channel is not None and channel not in set(others.invoices["x_channel"].dropna())
    not_stored = build_features(others, prospective, as_of)
    try:
        assert_same_features(
            not_stored,
            as_stored,
            prospective,
            as_of,
            what="prospective",
            ignore=lambda idx, name: unseen and name == "x_channel",
            # A user column left with no value at all is numeric: only its dtype may differ.
            check_dtype=lambda name: not (unseen and name == "x_channel"),
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{describe(ledger)}") from None
    if unseen:
        assert not_stored["x_channel"].isna().all()


@pytest.mark.parametrize("unit", ["D", "s", "ms", "us", "ns"])
@pytest.mark.parametrize("form", ["series", "array"])
def test_days_of_timestamps_of_any_unit(unit: str, form: str) -> None:
    # A date as_of comes in seconds, the ledger's dates in nanoseconds, a request's dates
    # as an array of days: the same days.
    moments = ["1970-01-02 00:00", None, "2025-12-31 23:59"]
    stamps = np.array(pd.to_datetime(moments).to_numpy(), dtype=f"datetime64[{unit}]")
    last = dt.date(2025, 12, 31).toordinal() - dt.date(1970, 1, 1).toordinal()
    assert days(pd.Series(stamps) if form == "series" else stamps).tolist() == [1, NEVER, last]


def test_the_timeline_days_are_the_ledgers() -> None:
    # features.timeline's old names stay importable and are ledger.days' own.
    assert days is day_numbers
    assert NEVER == LEDGER_NEVER == 1 << 31
