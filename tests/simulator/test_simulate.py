"""The ledger simulator: contract invariants, determinism, and a truth that matches the draws."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.contract import TABLES
from ledger.day_calendar import is_business_day
from simulator import (
    TENDENCY_SD,
    Simulation,
    SimulationConfig,
    expected_invoices,
    simulate,
    tendency_mean,
    true_p_late_shifted,
    true_paid_by,
    write_simulation,
)

BUCKETS = ["p_on_time", "p_1_30", "p_31_60", "p_61_90", "p_over_90"]


@pytest.fixture(scope="module")
def small() -> Simulation:
    return simulate(SimulationConfig(n_clients=60, n_months=12, seed=3))


@pytest.fixture(scope="module")
def big() -> Simulation:
    """About 80,000 invoices: enough to compare the truth with what was drawn."""
    return simulate(SimulationConfig(n_clients=1500, n_months=24, seed=2024))


def invoices_only(sim: Simulation) -> pd.DataFrame:
    """The invoices (not credit notes), in truth order, with the truth columns beside."""
    inv = sim.ledger.invoices
    inv = inv[inv["doc_type"] == "invoice"].set_index("invoice_id")
    truth = sim.truth.set_index("invoice_id")
    return inv.loc[truth.index].join(truth.drop(columns=["client_id", "issue_date", "due_date"]))


def realised_late(frame: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Late as known at the end: paid after due, or still open past due."""
    return (frame["paid_date"] > frame["due_date"]) | (
        frame["paid_date"].isna() & (frame["due_date"] < end)
    )


def assert_contract_shape(sim: Simulation) -> None:
    """Every frame has the contract's in-memory columns and dtypes."""
    for name, frame in sim.ledger.tables().items():
        spec = TABLES[name]
        assert list(frame.columns[: len(spec.columns)]) == spec.memory_names, name
        assert all(str(c).startswith("x_") for c in frame.columns[len(spec.columns) :]), name
        for col in spec.columns:
            values = frame[col.memory_name]
            where = f"{name}.{col.memory_name}"
            if col.kind == "money":
                assert values.dtype == np.int64, where
            elif col.kind == "date":
                assert values.dtype == "datetime64[ns]", where
                present = values.dropna()
                assert (present == present.dt.normalize()).all(), where
            elif col.kind == "bool":
                assert values.dtype == bool, where
            elif col.kind == "int":
                assert pd.api.types.is_integer_dtype(values), where
            else:
                assert all(isinstance(v, str) for v in values.dropna()), where
            if col.required:
                assert values.notna().all(), where
            if col.choices:
                assert values.dropna().isin(col.choices).all(), where
    assert "x_channel" in sim.ledger.invoices
    assert "x_segment" in sim.ledger.clients


def assert_invariants(sim: Simulation) -> None:
    """Ids, references, dates, amounts and settlement rules of a simulated ledger."""
    led, end = sim.ledger, sim.end
    clients, inv, pay = led.clients, led.invoices, led.payments
    assert clients["client_id"].is_unique
    assert inv["invoice_id"].is_unique
    assert pay["payment_id"].is_unique
    client_set = set(clients["client_id"])
    for frame in (inv, pay, led.advances, led.unbilled):
        assert set(frame["client_id"]) <= client_set
    assert set(led.actions["invoice_id"]) <= set(inv["invoice_id"])
    assert (inv["due_date"] >= inv["issue_date"]).all()
    for frame in (inv, pay, led.advances, led.unbilled):
        assert (frame["amount_cents"] > 0).all()
    for frame, col in [
        (inv, "issue_date"),
        (inv, "paid_date"),
        (pay, "payment_date"),
        (led.actions, "action_date"),
        (led.advances, "received_date"),
        (led.advances, "applied_date"),
        (led.unbilled, "delivered_date"),
    ]:
        assert (frame[col].dropna() <= end).all(), col

    by_id = inv.set_index("invoice_id")
    is_note = inv["doc_type"] == "credit_note"
    assert (inv["credited_invoice_id"].notna() == is_note).all()
    notes = inv[is_note]
    credited = by_id.loc[notes["credited_invoice_id"]]
    assert (credited["doc_type"] == "invoice").all()
    assert (credited["client_id"].to_numpy() == notes["client_id"].to_numpy()).all()
    assert (credited["amount_cents"].to_numpy() > notes["amount_cents"].to_numpy()).all()
    assert (notes["issue_date"].to_numpy() > credited["issue_date"].to_numpy()).all()
    assert (notes["due_date"] == notes["issue_date"]).all()
    # A credit note is set against its invoice when that invoice is settled.
    pd.testing.assert_series_equal(
        notes["paid_date"].reset_index(drop=True),
        credited["paid_date"].reset_index(drop=True),
    )
    assert not notes["written_off"].any() and not notes["disputed"].any()

    # Payments: matched to an invoice of the same client, after its issue.
    paid_inv = by_id.loc[pay["invoice_id"]]
    assert (paid_inv["doc_type"] == "invoice").all()
    assert (paid_inv["client_id"].to_numpy() == pay["client_id"].to_numpy()).all()
    assert (pay["payment_date"].to_numpy() > paid_inv["issue_date"].to_numpy()).all()

    invoices = inv[~is_note].set_index("invoice_id")
    paid_sum = pay.groupby("invoice_id")["amount_cents"].sum()
    last_payment = pay.groupby("invoice_id")["payment_date"].max()
    note_sum = notes.groupby("credited_invoice_id")["amount_cents"].sum()
    settled = (
        paid_sum.reindex(invoices.index, fill_value=0)
        + note_sum.reindex(invoices.index, fill_value=0)
    ).astype("int64")
    paid = invoices["paid_date"].notna()
    assert (settled[paid] == invoices.loc[paid, "amount_cents"]).all()
    assert (last_payment.reindex(invoices.index)[paid] == invoices.loc[paid, "paid_date"]).all()
    # Open invoices (right-censored): not fully settled, nothing written after the end.
    assert (settled[~paid] < invoices.loc[~paid, "amount_cents"]).all()
    # Written off: never paid at all.
    written_off = invoices["written_off"]
    assert invoices.loc[written_off, "paid_date"].isna().all()
    assert not set(invoices.index[written_off]) & set(pay["invoice_id"])

    # Dunning happens after the due date, while the invoice is unpaid.
    acts = led.actions.join(by_id[["due_date", "paid_date"]], on="invoice_id")
    assert (acts["action_date"] > acts["due_date"]).all()
    assert (acts["paid_date"].isna() | (acts["action_date"] < acts["paid_date"])).all()
    assert (acts["promised_date"].notna() == (acts["outcome"] == "promise_to_pay")).all()
    adv = led.advances
    assert (adv["applied_date"].isna() | (adv["received_date"] <= adv["applied_date"])).all()
    unb = led.unbilled
    assert (
        unb["delivered_date"].isna() | (unb["delivered_date"] <= unb["expected_issue_date"])
    ).all()


def assert_truth(sim: Simulation) -> None:
    """The truth covers every invoice and is a proper distribution."""
    truth, inv = sim.truth, sim.ledger.invoices
    ids = inv.loc[inv["doc_type"] == "invoice", "invoice_id"]
    assert sorted(truth["invoice_id"]) == sorted(ids)
    probs = truth[["p_late", *BUCKETS, "p_never_paid"]].to_numpy()
    assert ((probs >= 0) & (probs <= 1)).all()
    np.testing.assert_allclose(truth[BUCKETS].sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(truth["p_late"], 1.0 - truth["p_on_time"], atol=1e-12)
    assert (truth["p_never_paid"] <= truth["p_over_90"] + 1e-12).all()
    # The ledger shows the drawn payment date when it falls in the window.
    frame = invoices_only(sim)
    drawn = frame["drawn_paid_date"].where(frame["drawn_paid_date"] <= sim.end)
    pd.testing.assert_series_equal(frame["paid_date"], drawn, check_names=False)


def test_the_ledger_follows_the_contract(small: Simulation) -> None:
    assert_contract_shape(small)
    assert_invariants(small)
    assert_truth(small)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_clients=st.integers(1, 25),
    n_months=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    start=st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    dispute_rate=st.floats(0.0, 0.5),
    credit_note_rate=st.floats(0.0, 0.5),
    partial_payment_rate=st.floats(0.0, 1.0),
    default_rate=st.floats(0.0, 1.0),
)
def test_invariants_hold_for_any_config(
    n_clients: int,
    n_months: int,
    seed: int,
    start: date,
    dispute_rate: float,
    credit_note_rate: float,
    partial_payment_rate: float,
    default_rate: float,
) -> None:
    config = SimulationConfig(
        n_clients=n_clients,
        n_months=n_months,
        seed=seed,
        start=start,
        dispute_rate=dispute_rate,
        credit_note_rate=credit_note_rate,
        partial_payment_rate=partial_payment_rate,
        default_rate=default_rate,
    )
    sim = simulate(config)
    assert_contract_shape(sim)
    assert_invariants(sim)
    assert_truth(sim)
    first = date(start.year, start.month, 1)
    assert sim.ledger.invoices["issue_date"].ge(pd.Timestamp(first)).all()
    assert sim.end == pd.Timestamp(first) + pd.DateOffset(months=n_months) - pd.Timedelta(days=1)


def test_same_seed_same_ledger_other_seed_other_ledger() -> None:
    config = SimulationConfig(n_clients=40, n_months=6, seed=11)
    one, two = simulate(config), simulate(config)
    for name, frame in one.ledger.tables().items():
        pd.testing.assert_frame_equal(frame, two.ledger.tables()[name], obj=name)
    pd.testing.assert_frame_equal(one.truth, two.truth)
    pd.testing.assert_frame_equal(one.clients_truth, two.clients_truth)
    assert one.end == two.end
    other = simulate(SimulationConfig(n_clients=40, n_months=6, seed=12))
    assert not other.ledger.invoices.equals(one.ledger.invoices)
    assert not other.ledger.clients.equals(one.ledger.clients)


def test_progress_counts_months() -> None:
    seen: list[int] = []
    simulate(SimulationConfig(n_clients=5, n_months=7), progress=seen.append)
    assert seen == list(range(1, 8))


def test_rejects_an_empty_config() -> None:
    with pytest.raises(ValueError):
        simulate(SimulationConfig(n_clients=0))


def test_expected_invoices_is_close(big: Simulation) -> None:
    expected = expected_invoices(SimulationConfig(n_clients=1500, n_months=24, seed=2024))
    assert len(big.truth) == pytest.approx(expected, rel=0.02)


def test_due_dates_follow_the_terms(small: Simulation) -> None:
    inv = small.ledger.invoices
    inv = inv[inv["doc_type"] == "invoice"].merge(
        small.ledger.clients[["client_id", "payment_terms_days"]], on="client_id"
    )
    net = inv["payment_terms_days"] != 45
    days = (inv["due_date"] - inv["issue_date"]).dt.days
    assert (days[net] == inv.loc[net, "payment_terms_days"]).all()
    # 45 jours fin de mois: issue + 45 days, then the end of that month.
    eom = (inv.loc[~net, "issue_date"] + pd.Timedelta(days=45)) + pd.offsets.MonthEnd(0)
    assert (inv.loc[~net, "due_date"] == eom).all()
    assert set(inv["payment_terms_days"]) <= {30, 45, 60}


def test_invoices_are_issued_and_paid_on_business_days(small: Simulation) -> None:
    # 2024 has Good Friday, Easter Monday, 1 and 8 May, Ascension, Whit Monday, 14 July
    # (Sunday), 15 August, 1 and 11 November, 25 and 26 December: none is used.
    inv = small.ledger.invoices
    used = [
        inv.loc[inv["doc_type"] == "invoice", "issue_date"],
        inv["paid_date"].dropna(),
        small.ledger.payments["payment_date"],
    ]
    for column in used:
        day = column.to_numpy().astype("datetime64[D]").astype(np.int64)
        assert is_business_day(day).all(), column.name


def test_the_ledger_has_every_kind_of_row(big: Simulation) -> None:
    led = big.ledger
    inv, clients = led.invoices, led.clients
    assert inv["disputed"].mean() == pytest.approx(0.035, abs=0.02)
    notes = inv["doc_type"] == "credit_note"
    assert 0.005 < notes.mean() < 0.06
    assert inv["written_off"].any()
    assert (led.payments["invoice_id"].value_counts() == 2).mean() > 0.03
    assert set(led.actions["channel"]) == {"email", "call", "letter", "formal_notice", "legal"}
    assert set(led.actions["outcome"]) == {"promise_to_pay", "dispute", "no_answer", "paid"}
    assert led.advances["applied_date"].notna().any() and led.advances["applied_date"].isna().any()
    assert 0 < len(led.unbilled) < 0.2 * len(clients)
    assert 0.05 < clients["is_public_sector"].mean() < 0.2
    assert 0.6 < (clients["country"] == "FR").mean() < 0.95
    assert (clients["created_on"] < pd.Timestamp("2024-01-01")).any()
    assert (clients["created_on"] > pd.Timestamp("2024-06-01")).any()
    assert set(inv["x_channel"]) == {"edi", "email", "paper"}
    assert set(clients["x_segment"]) == {"key_account", "mid_market", "sme"}
    assert led.payments["reference"].str.contains("VIR SEPA FAC F").mean() > 0.4


def test_truth_matches_the_realised_outcomes(big: Simulation) -> None:
    frame, end = invoices_only(big), big.end
    # Lateness is known for every invoice due before the end, paid or not.
    known = frame["due_date"] < end
    late = realised_late(frame, end)
    assert late[known].mean() == pytest.approx(frame.loc[known, "p_late"].mean(), abs=0.01)
    # Buckets are known once due + 90 days has passed.
    resolved = frame["due_date"] + pd.Timedelta(days=90) < end
    days_late = (frame["paid_date"] - frame["due_date"]).dt.days.fillna(10**6)
    bucket = pd.cut(days_late, [-np.inf, 0, 30, 60, 90, np.inf], labels=BUCKETS)
    realised = bucket[resolved].value_counts(normalize=True)
    for name in BUCKETS:
        assert realised[name] == pytest.approx(frame.loc[resolved, name].mean(), abs=0.01), name


def test_true_paid_by_matches_the_empirical_cdf(big: Simulation) -> None:
    frame, end = invoices_only(big), big.end
    # Whether an invoice was paid within d days is known when it was issued >= d days ago.
    horizon = 365
    old = frame["issue_date"] <= end - pd.Timedelta(days=horizon)
    truth = big.truth.set_index("invoice_id").loc[frame.index[old]].reset_index()
    days_to_pay = (frame.loc[old, "paid_date"] - frame.loc[old, "issue_date"]).dt.days
    for d in (10, 20, 30, 45, 60, 75, 90, 120, 180, horizon):
        empirical = (days_to_pay <= d).mean()
        assert empirical == pytest.approx(true_paid_by(truth, d).mean(), abs=0.01), d


def test_a_shifted_base_tendency_moves_p_late_the_right_way(small: Simulation) -> None:
    truth = small.truth
    # No shift: the truth itself.
    np.testing.assert_allclose(
        true_p_late_shifted(truth, np.zeros(len(truth))), truth["p_late"], atol=1e-12
    )
    # Higher on-time log-odds, fewer late payments, for every invoice.
    grid = np.tile(np.linspace(-4, 4, 9), (len(truth), 1))
    p_late = true_p_late_shifted(truth, grid)
    assert p_late.shape == grid.shape
    assert (np.diff(p_late, axis=1) <= 1e-12).all()
    assert p_late[:, 0].mean() > truth["p_late"].mean() + 0.2 > p_late[:, -1].mean() + 0.4


def test_base_tendencies_are_drawn_around_their_kind_s_mean(big: Simulation) -> None:
    clients = big.clients_truth.merge(
        big.ledger.clients[["client_id", "is_public_sector", "x_segment"]], on="client_id"
    )
    mean = tendency_mean(clients["is_public_sector"], clients["x_segment"] == "key_account")
    own = clients["on_time_logit"] - mean
    assert own.mean() == pytest.approx(0.0, abs=0.1)
    assert own.std() == pytest.approx(TENDENCY_SD, rel=0.1)


def test_true_paid_by_is_a_cdf(small: Simulation) -> None:
    truth = small.truth
    grid = np.tile(np.arange(-5, 401), (len(truth), 1))
    cdf = true_paid_by(truth, grid)
    assert cdf.shape == grid.shape
    assert (np.diff(cdf, axis=1) >= -1e-12).all()
    assert ((cdf >= 0) & (cdf <= 1)).all()
    assert (cdf[:, 0] == 0).all()  # nothing is paid before it is issued
    np.testing.assert_allclose(true_paid_by(truth, 60), cdf[:, 65])
    per_row = (truth["due_date"] - truth["issue_date"]).dt.days.to_numpy()
    np.testing.assert_allclose(true_paid_by(truth, per_row), truth["p_on_time"])
    np.testing.assert_allclose(
        true_paid_by(truth, per_row + 30), truth["p_on_time"] + truth["p_1_30"]
    )
    # What is left after ~2,700 years is the log-logistic tail (and defaults).
    np.testing.assert_allclose(
        true_paid_by(truth, 10**6), 1.0 - truth["p_never_paid"], rtol=0, atol=1e-5
    )


def test_public_sector_pays_later(big: Simulation) -> None:
    frame, end = invoices_only(big), big.end
    public_ids = big.ledger.clients.loc[big.ledger.clients["is_public_sector"], "client_id"]
    public = frame["client_id"].isin(public_ids)
    known = frame["due_date"] < end
    late = realised_late(frame, end)
    assert late[known & public].mean() > late[known & ~public].mean() + 0.05
    days_late = (frame["paid_date"] - frame["due_date"]).dt.days
    assert days_late[public].mean() > days_late[~public].mean() + 3


@pytest.mark.parametrize("column", ["issue_date", "due_date"])
def test_august_and_december_are_slower(big: Simulation, column: str) -> None:
    frame, end = invoices_only(big), big.end
    known = frame["due_date"] < end
    late = realised_late(frame, end)
    slow = frame[column].dt.month.isin([8, 12])
    assert late[known & slow].mean() > late[known & ~slow].mean() + 0.03


def test_disputed_and_paper_invoices_are_slower(big: Simulation) -> None:
    frame, end = invoices_only(big), big.end
    known = frame["due_date"] < end
    late = realised_late(frame, end)
    disputed = frame["disputed"]
    assert late[known & disputed].mean() > late[known & ~disputed].mean() + 0.2
    days_late = (frame["paid_date"] - frame["due_date"]).dt.days
    assert days_late[disputed].mean() > days_late[~disputed].mean() + 15
    paper, edi = frame["x_channel"] == "paper", frame["x_channel"] == "edi"
    assert late[known & paper].mean() > late[known & edi].mean()


def test_deteriorating_clients_get_later(big: Simulation) -> None:
    drift = big.clients_truth.set_index("client_id")
    drifting = drift.index[(drift["drift_slope_per_month"] > 0) & drift["default_date"].isna()]
    truth = big.truth[big.truth["client_id"].isin(drifting)]
    start = drift.loc[truth["client_id"], "drift_start"].to_numpy()
    before = truth["issue_date"].to_numpy() < start
    after = truth["issue_date"].to_numpy() > start + np.timedelta64(180, "D")
    assert truth.loc[after, "p_late"].mean() > truth.loc[before, "p_late"].mean() + 0.05


def test_defaults_are_written_off_and_never_paid(big: Simulation) -> None:
    frame = invoices_only(big)
    written_off = frame["written_off"]
    assert written_off.any()
    assert frame.loc[written_off, "p_never_paid"].gt(0).all()
    assert frame.loc[written_off, "drawn_paid_date"].isna().all()
    assert frame.loc[written_off, "default_date"].notna().all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_simulation_puts_the_truth_apart(tmp_path: Path, small: Simulation, fmt: str) -> None:
    written = write_simulation(small, tmp_path, fmt=fmt)  # type: ignore[arg-type]
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    tables = {"clients", "invoices", "payments", "advances", "unbilled", "actions"}
    assert names == {f"{t}.{fmt}" for t in tables} | {
        f"truth/invoices.{fmt}",
        f"truth/clients.{fmt}",
    }
    assert all(p.exists() for p in written)
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    invoices = read(tmp_path / f"invoices.{fmt}")
    assert "p_late" not in invoices and "x_channel" in invoices
    assert len(invoices) == len(small.ledger.invoices)
    truth = read(tmp_path / "truth" / f"invoices.{fmt}")
    assert list(truth["invoice_id"]) == list(small.truth["invoice_id"])
    # The truth read back from its file gives the same probabilities.
    for d in (0, 30, 61, 200):
        np.testing.assert_allclose(true_paid_by(truth, d), true_paid_by(small.truth, d))
