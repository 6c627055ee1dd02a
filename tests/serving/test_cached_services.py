"""The service figures kept with a snapshot equal those computed anew, and change with the
ledger: a write raises its version, the next check brings a new snapshot, new figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.contract import Ledger
from ledger.storage import make_engine, migrate, save_ledger
from serving import services
from serving.champions import ModelSet
from serving.ledger_source import LedgerSource, Snapshot
from serving.scoring import LoadedModel
from serving.services.monitoring import kept_monitoring, watched_day
from serving.services.warming import warm_results
from serving.worklist_filter import WorklistFilter
from tests.ledger.factories import dates, small_ledger
from tests.serving.conftest import Store
from tests.serving.stubs import PaidEvenly
from training.models import LATE_MODEL, TIME_MODEL

DAY = dt.date(2024, 3, 31)


def check_now(source: LedgerSource) -> Snapshot:
    """The snapshot after a check against the database made now."""
    source.reread_soon(wait_seconds=30)
    return source.current()


def a_payment(invoice_id: str, client_id: str, cents: int, day: str) -> Ledger:
    """One payment matched to ``invoice_id``, as an import of the bank's file brings it."""
    return Ledger(
        payments=pd.DataFrame(
            {
                "payment_id": [f"PAY-{invoice_id}"],
                "client_id": [client_id],
                "payment_date": dates(day),
                "amount_cents": pd.array([cents], dtype="Int64"),
                "currency": ["EUR"],
                "reference": [f"VIR {invoice_id}"],
                "invoice_id": [invoice_id],
            }
        )
    )


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """The small ledger in a fresh SQLite file."""
    engine = make_engine(f"sqlite:///{tmp_path}/ledger.db")
    migrate(engine)
    save_ledger(engine, small_ledger())
    return engine


def test_kept_ledger_figures_equal_fresh_ones_and_follow_a_write(engine: Engine) -> None:
    source = LedgerSource(engine, max_age_seconds=3600)
    held = source.current()
    kept = services.kpis(held, DAY)
    assert kept == services.kpis(held.ledger, DAY)  # a bare ledger: computed anew
    assert services.kpis(held, DAY) is kept  # asked again: the kept result
    trend = services.aged_balance_trend(held, DAY)
    assert trend == services.aged_balance_trend(held.ledger, DAY)
    made = held.results.made
    services.aged_balance_trend(held, DAY)
    assert held.results.made == made  # the 13 dates all kept

    save_ledger(engine, a_payment("F2", "C2", 35_050, "2024-03-20"))  # C2 pays F2's rest
    fresh = check_now(source)
    assert fresh is not held
    after = services.kpis(fresh, DAY)
    assert after == services.kpis(fresh.ledger, DAY)
    # F2 was 550.50 with 200.00 paid: 350.50 overdue, now nothing of it.
    assert (kept.encours - after.encours, kept.echu - after.echu) == (Decimal("350.50"),) * 2
    assert services.aged_balances(fresh, DAY) != services.aged_balances(held, DAY)


def test_kept_model_figures_equal_fresh_ones_and_follow_a_write(
    store: Store, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/ledger.db")
    migrate(engine)
    save_ledger(engine, store.ledger)
    models = services.load_champions(store.settings, [LATE_MODEL])
    source = LedgerSource(engine, max_age_seconds=3600)
    ctx = services.Context(source.current(), models, store.settings)
    day = store.ledger.invoices["issue_date"].max().date()
    warm_results(ctx, day, engine)  # what the API computes ahead: the pages' first asks find it
    made = ctx.snapshot.results.made
    services.kpis_trend(ctx.snapshot, day)
    services.aged_balance_trend(ctx.snapshot, day)
    kept_monitoring(ctx, engine, watched_day(ctx.ledger))  # the models page's monitoring
    services.worklist(ctx, day, filters=WorklistFilter(), limit=50)
    assert ctx.snapshot.results.made == made + 1  # the page's rows alone: candidates kept
    first = services.worklist(ctx, day, limit=5)
    anew = services.worklist(services.context_of(ctx.ledger, models, store.settings), day, limit=5)
    pd.testing.assert_frame_equal(first.worklist.rows, anew.worklist.rows)
    assert services.worklist(ctx, day, limit=5) is not first  # a new answer...
    assert services.worklist(ctx, day, limit=5).worklist is first.worklist  # ...of kept rows
    page_2 = services.worklist(ctx, day, offset=5, limit=5).worklist.rows
    assert list(page_2["invoice_id"]) == list(anew_rows(ctx, models, store, day)[5:10])

    top = first.worklist.rows.iloc[0]
    client_id = str(top["client_id"])
    risk = services.client_risk(ctx, client_id, day)
    assert services.client_risk(ctx, client_id, day) is risk
    settled = a_payment(str(top["invoice_id"]), client_id, int(top["open_cents"]), str(day))
    save_ledger(engine, settled)
    after = services.Context(check_now(source), models, store.settings)
    assert after.snapshot.version == ctx.snapshot.version + 1  # type: ignore[operator]
    rows = services.worklist(after, day, limit=5).worklist.rows
    assert top["invoice_id"] not in set(rows["invoice_id"])  # paid in full: off the list
    fresh = services.context_of(after.ledger, models, store.settings)
    pd.testing.assert_frame_equal(rows, services.worklist(fresh, day, limit=5).worklist.rows)
    assert services.client_risk(after, client_id, day).score == (
        services.client_risk(fresh, client_id, day).score
    )


def anew_rows(ctx: services.Context, models: object, store: Store, day: dt.date) -> list[str]:
    """The invoice ids of the whole worklist computed on a fresh context."""
    fresh = services.context_of(ctx.ledger, models, store.settings)  # type: ignore[arg-type]
    return list(services.worklist(fresh, day).worklist.rows["invoice_id"])


def test_warming_makes_the_forecast_page_figures(store: Store) -> None:
    models = ModelSet.of([LoadedModel(TIME_MODEL, "1", PaidEvenly(21))])
    ctx = services.context_of(store.ledger, models, store.settings)
    day = store.ledger.invoices["issue_date"].max().date()
    warm_results(ctx, day)  # no late-payment model: the worklist is left, the rest made
    made = ctx.snapshot.results.made
    kept = services.forecast(ctx, day)  # the page's defaults: 13 weeks, by week, EUR
    assert services.forecast_backtest(ctx).weeks is services.forecast_backtest(ctx).weeks
    assert ctx.snapshot.results.made == made  # both found kept
    fresh = services.context_of(store.ledger, models, store.settings)
    pd.testing.assert_frame_equal(
        kept.forecast.periods, services.forecast(fresh, day).forecast.periods
    )
