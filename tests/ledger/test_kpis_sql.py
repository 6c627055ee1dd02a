"""KPIs computed in the database (ledger.kpis_sql) equal the pandas ones, on each database.

The pandas path (ledger.kpis) is the oracle: its own tests work its figures by hand. Here
the same ledgers are saved (SQLite, and PostgreSQL when ENCOURS_TEST_DATABASE_URL is set)
and every figure computed in SQL must be equal, Decimal to the cent and ratios to their
rounding: a simulated ledger at many dates, a hand-made ledger of edge cases, random
ledgers and random dates.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from ledger.contract import CLIENTS, EFFETS, INVOICES, PAYMENTS, Ledger
from ledger.kpis import DoubtfulDefinition, aged_balance, compute_kpis
from ledger.kpis_sql import aged_balance_in_database, computes_in_database, kpis_in_database
from ledger.schema import TABLE_OBJECTS
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from simulator import SimulationConfig, simulate
from tests.conftest import PG_URL_VAR
from tests.ledger.test_kpis import AS_OF, invoice, ledgers, make_frame, payment, small_ledger

D = Decimal
EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def with_clients(ledger: Ledger) -> Ledger:
    """``ledger`` with a clients row for every client its other tables name (the database
    refuses rows of an unknown client)."""
    tables = (ledger.invoices, ledger.payments, ledger.advances, ledger.unbilled, ledger.effets)
    ids = sorted({str(c) for t in tables for c in t["client_id"]})
    ledger.clients = make_frame(CLIENTS, [{"client_id": c} for c in ids])
    return ledger


def stored(engine: Engine, ledger: Ledger) -> Ledger:
    """``ledger`` saved into ``engine``'s database, emptied first."""
    with engine.begin() as connection:
        for name in ("actions", "effets", "payments", "advances", "unbilled", "invoices"):
            connection.execute(delete(TABLE_OBJECTS[name]))
        connection.execute(delete(TABLE_OBJECTS["clients"]))
    save_ledger(engine, with_clients(ledger))
    return ledger


@dataclass
class Database:
    """A migrated database for the module, and the name of the ledger it holds."""

    engine: Engine
    holds: str = ""

    def holding(self, name: str, make: Callable[[], Ledger]) -> Ledger:
        """The ledger ``make()`` gives, saved unless the database holds it already."""
        ledger = make()
        if self.holds != name:
            self.holding_new(ledger)
            self.holds = name
        return ledger

    def holding_new(self, ledger: Ledger) -> None:
        """``ledger`` saved, in place of the one the database held."""
        self.holds = ""
        stored(self.engine, ledger)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """SQLite, then PostgreSQL in a schema of its own: migrated once for the module (each
    test saves its ledger, emptying the tables first)."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('kpis_sql')}/ledger.db", None
    else:
        base = os.environ.get(PG_URL_VAR)
        if not base:
            pytest.skip(f"{PG_URL_VAR} is not set: no PostgreSQL to test against")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
        drop = f"DROP SCHEMA {schema} CASCADE"
    engine = make_engine(url)
    migrate(engine)
    yield Database(engine)
    engine.dispose()
    if drop is not None:
        with admin.begin() as connection:
            connection.exec_driver_sql(drop)
        admin.dispose()


def assert_same(engine: Engine, ledger: Ledger, as_of: date, **options: object) -> None:
    """Every KPI and the balance âgée: SQL equal to pandas, field by field."""
    expected = compute_kpis(ledger, as_of, **options)  # type: ignore[arg-type]
    got = kpis_in_database(engine, as_of, **options)  # type: ignore[arg-type]
    assert [k.currency for k in got] == [k.currency for k in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, f"{as_of} {mine.currency}"
    currency = options.get("currency")
    assert aged_balance_in_database(engine, as_of, currency) == aged_balance(  # type: ignore[arg-type]
        ledger,
        as_of,
        currency,  # type: ignore[arg-type]
    )


def edge_ledger() -> Ledger:
    """test_kpis' hand-worked ledger (credit notes, partial payments, disputed, written
    off, advances, unbilled, EUR and USD) and what it lacks: cash not matched, paid
    beyond an invoice or before it was issued, a client moved to 416, discounted bills,
    a currency only unmatched cash has."""
    ledger = small_ledger()
    invoices = [
        invoice("G1", "C4", "2024-06-01", "2024-07-01", 30_000, doubtful_date="2024-06-20"),
        invoice("G2", "C4", "2024-06-25", "2024-07-25", 10_000),  # paid 120 on 28/06
        invoice("G3", "C4", "2024-07-10", "2024-08-10", 20_000),  # paid 50 before issue
    ]
    payments = [
        payment("Q1", "C4", "2024-06-28", 12_000, "G2"),  # 20 beyond the invoice
        payment("Q2", "C4", "2024-06-15", 5_000, "G3"),
        payment("Q3", "C1", "2024-06-05", 7_500, None),  # not matched
        payment("Q4", "C3", "2024-06-06", 1_000, None) | {"currency": "GBP"},
    ]
    effets = [
        {"effet_id": "E1", "client_id": "C4", "drawn_date": "2024-06-01",
         "due_date": "2024-07-31", "amount_cents": 40_000, "remitted_date": "2024-06-10",
         "remittance": "discount"},  # discounted, not due at AS_OF: counted
        {"effet_id": "E2", "client_id": "C4", "drawn_date": "2024-05-01",
         "due_date": "2024-06-15", "amount_cents": 9_000, "remitted_date": "2024-05-10",
         "remittance": "discount"},  # due before AS_OF
        {"effet_id": "E3", "client_id": "C1", "drawn_date": "2024-06-01",
         "due_date": "2024-07-31", "amount_cents": 8_000, "remitted_date": "2024-06-10",
         "remittance": "collection"},
        {"effet_id": "E4", "client_id": "C1", "drawn_date": "2024-06-01",
         "due_date": "2024-07-31", "amount_cents": 6_000, "currency": "CHF"},  # held
    ]  # fmt: skip
    ledger.invoices = make_frame(INVOICES, [*ledger.invoices.to_dict("records"), *invoices])
    ledger.payments = make_frame(PAYMENTS, [*ledger.payments.to_dict("records"), *payments])
    ledger.effets = make_frame(EFFETS, effets)
    return ledger


@pytest.fixture
def engine(database: Database) -> Engine:
    return database.engine


@pytest.fixture
def edge(database: Database) -> Ledger:
    return database.holding("edge", edge_ledger)


def test_edge_cases_by_hand(engine: Engine, edge: Ledger) -> None:
    # At AS_OF: E1's 400 discounted, not yet due (E2 is due, E3 for collection, E4 held).
    # EUR non affecté: CN1's 100 + Q3's 75 not matched + Q1's 20 beyond G2's 100 + Q2's 50
    # paid before G3 was issued = 245. GBP: Q4's 10 alone, which lowers that encours.
    (eur,) = kpis_in_database(engine, AS_OF, currency="EUR")
    assert eur.effets_escomptes_non_echus == D("400.00")
    assert eur.non_affecte == D("245.00")
    assert eur.aged_balance.non_affecte == D("245.00")
    (gbp,) = kpis_in_database(engine, AS_OF, currency="GBP")
    assert gbp.non_affecte == D("10.00") and gbp.encours == D("-10.00")
    assert [k.currency for k in kpis_in_database(engine, AS_OF)] == ["CHF", "EUR", "USD"]


@pytest.mark.parametrize(
    "as_of",
    [AS_OF, date(2020, 1, 1), date(2023, 5, 31), date(2024, 2, 29), date(2024, 7, 3),
     date(2026, 1, 1)],
)  # fmt: skip
def test_edge_cases_equal_pandas(engine: Engine, edge: Ledger, as_of: date) -> None:
    assert_same(engine, edge, as_of)
    assert_same(engine, edge, as_of, currency="JPY")  # none: all zeros


@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "CHF"])
def test_each_currency_equals_pandas(engine: Engine, edge: Ledger, currency: str) -> None:
    assert_same(engine, edge, AS_OF, currency=currency)


@pytest.mark.parametrize(
    "options",
    [
        {"doubtful": DoubtfulDefinition(30, include_disputed=False)},
        {"doubtful": DoubtfulDefinition(0, include_written_off=False)},
        {"recovery_period_days": 30},
        {"recovery_period_days": 1},
        {"cash": {"EUR": D("1000"), "USD": D("5")}, "short_term_debt": {"EUR": D("800")}},
        {"currency": "USD", "cash": D("10"), "short_term_debt": D("20")},
    ],
)
def test_options_equal_pandas(engine: Engine, edge: Ledger, options: dict[str, object]) -> None:
    assert_same(engine, edge, AS_OF, **options)


def test_empty_ledger(database: Database, engine: Engine) -> None:
    database.holding("empty", Ledger)
    assert kpis_in_database(engine, AS_OF) == []
    assert aged_balance_in_database(engine, AS_OF) == {}
    assert_same(engine, Ledger(), AS_OF, currency="EUR")


def test_cash_left_over_from_another_client_counts_with_the_invoice(
    database: Database, engine: Engine
) -> None:
    """The one documented difference, in where a cent is put: C2 pays C1's 100 with 130;
    the 30 left over is C1's unapplied cash in SQL, C2's in pandas. Every KPI is the same
    (one client with an encours, of −30, either way)."""
    ledger = Ledger(
        invoices=make_frame(INVOICES, [invoice("F1", "C1", "2024-06-01", "2024-07-01", 10_000)]),
        payments=make_frame(PAYMENTS, [payment("P1", "C2", "2024-06-10", 13_000, "F1")]),
    )
    database.holding_new(ledger)
    ((mine,), (theirs,)) = kpis_in_database(engine, AS_OF), compute_kpis(ledger, AS_OF)
    assert mine.non_affecte == theirs.non_affecte == D("30.00")
    assert mine.encours == theirs.encours == D("-30.00")
    assert mine.n_clients_with_encours == theirs.n_clients_with_encours == 1
    assert aged_balance_in_database(engine, AS_OF) == aged_balance(ledger, AS_OF)


@pytest.fixture(scope="module")
def simulated() -> Ledger:
    return simulate(SimulationConfig(n_clients=40, n_months=12, seed=3)).ledger


def test_simulated_ledger_equals_pandas(
    database: Database, engine: Engine, simulated: Ledger
) -> None:
    database.holding("simulated", lambda: simulated)
    loaded = load_ledger(engine)
    days = [date(2023, 12, 31), date(2024, 1, 31), date(2024, 3, 15), date(2024, 6, 30)]
    for as_of in [*days, date(2024, 11, 30), date(2024, 12, 31), date(2025, 3, 1)]:
        assert_same(engine, simulated, as_of)
        assert kpis_in_database(engine, as_of) == compute_kpis(loaded, as_of)


@given(as_of=st.dates(date(2023, 6, 1), date(2025, 6, 30)), days=st.sampled_from([365, 90]))
@EXAMPLES
def test_any_date_equals_pandas(
    database: Database, simulated: Ledger, as_of: date, days: int
) -> None:
    database.holding("simulated", lambda: simulated)
    assert_same(database.engine, simulated, as_of, recovery_period_days=days)


@given(case=ledgers(), shift=st.sampled_from([0, 0, -200, 300]))
@EXAMPLES
def test_random_ledgers_equal_pandas(
    database: Database, case: tuple[Ledger, date], shift: int
) -> None:
    ledger, as_of = case
    database.holding_new(ledger)
    assert_same(database.engine, ledger, as_of + timedelta(days=shift), recovery_period_days=45)


@pytest.mark.parametrize(
    ("url", "mode", "expected"),
    [
        ("sqlite://", "auto", False),
        ("sqlite://", "always", True),
        ("postgresql://u@localhost/db", "auto", True),
        ("postgresql://u@localhost/db", "never", False),
    ],
)
def test_computes_in_database(url: str, mode: str, expected: bool) -> None:
    assert computes_in_database(make_engine(url), mode) is expected  # type: ignore[arg-type]
