"""Bulk saves and loads give what the row-by-row SQLAlchemy path gave, on both databases.

The oracles below are that path, kept small: rows bound by SQLAlchemy Core (``Decimal``
money, ``date`` objects, a dict of user columns for the JSON column) and rows read back
through ``select`` one Python object per value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

import ledger.lettrage_store  # noqa: F401  (registers bank_lines and lettrage_proposals)
from ledger import bulk_reads
from ledger.audit import Writer
from ledger.bulk_writes import row_keys
from ledger.contract import TABLES, Ledger, TableSpec, empty_frame, user_columns
from ledger.schema import EXTRA, RECORDED_BY, ROW_KEY, TABLE_OBJECTS, metadata
from ledger.storage import SAVE_ORDER, load_ledger, save_ledger, table_counts, write_ledger
from simulator import SimulationConfig, simulate
from tests.ledger.factories import small_ledger

AWKWARD_TEXT = [
    'Dupont "et fils", SARL',  # both quote characters of the two CSV dialects
    "l'Atelier\nligne 2",  # SQLite's quote, a newline
    "NULL",  # what SQLite's printf writes for a missing text
    "",  # an empty text is not a missing one
    "Société Générale, 100 % \\ évidence",  # non-ASCII, a comma, a backslash
]


def awkward_ledger() -> Ledger:
    """A small simulated ledger whose text holds every character the CSV must carry."""
    ledger = simulate(SimulationConfig(n_clients=12, n_months=4, seed=3)).ledger
    clients = ledger.clients.copy()
    n = len(AWKWARD_TEXT)
    clients.loc[: n - 1, "name"] = AWKWARD_TEXT
    clients.loc[n, "name"] = None
    clients.loc[0, "x_segment"] = "équipe « grands comptes »"
    clients.loc[1, "x_segment"] = None
    clients.loc[2, "credit_limit_cents"] = 999_999_999_999_99  # 16 digits: float-exact
    clients.loc[3, "payment_terms_days"] = None
    payments = ledger.payments.copy()
    payments.loc[: n - 1, "reference"] = AWKWARD_TEXT
    return Ledger(
        clients=clients,
        invoices=ledger.invoices,
        payments=payments,
        advances=ledger.advances,
        unbilled=ledger.unbilled,
        actions=ledger.actions,
    )


def rows_read_by_sqlalchemy(connection: Connection, spec: TableSpec) -> pd.DataFrame:
    """The row-by-row read: ``select`` in key order, each value converted in Python."""
    table = TABLE_OBJECTS[spec.name]
    result = connection.execute(select(table).order_by(table.c[spec.id_column or ROW_KEY]))
    rows = pd.DataFrame(result.all(), columns=[c.name for c in table.columns])
    if rows.empty:
        return empty_frame(spec)
    out = pd.DataFrame(index=rows.index)
    for col in spec.columns:
        values = rows[col.name]
        if col.kind == "money":
            cents = values.map(lambda v: None if v is None else round(float(v) * 100))
            out[col.memory_name] = pd.array(cents.tolist(), dtype="Int64")
        elif col.kind == "date":
            out[col.name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif col.kind == "int":
            out[col.name] = pd.array(values.tolist(), dtype="Int64")
        elif col.kind == "bool":
            out[col.name] = values.fillna(False).astype(bool)
        else:
            out[col.name] = values.astype(object).where(values.notna(), None)
    extras = rows[EXTRA].dropna()
    if len(extras):
        user = pd.DataFrame(extras.tolist(), index=extras.index).reindex(rows.index)
        for name in sorted(user.columns):
            out[name] = user[name].astype(object).where(user[name].notna(), None)
    return out.reset_index(drop=True)


def save_row_by_row(connection: Connection, ledger: Ledger, stamp: dict[str, Any]) -> None:
    """The row-by-row save: one dict of SQLAlchemy-bound values per row."""
    tables = ledger.tables()
    for name in SAVE_ORDER:
        spec, frame = TABLES[name], tables[name]
        if frame.empty:
            continue
        table = TABLE_OBJECTS[name]
        rows = [_row(spec, frame, i) for i in range(len(frame))]
        if spec.id_column is None:
            for row, key in zip(rows, row_keys(spec, frame), strict=True):
                row[ROW_KEY] = key
        if RECORDED_BY in table.c:
            rows = [row | stamp for row in rows]
        connection.execute(insert(table), rows)


def _row(spec: TableSpec, frame: pd.DataFrame, i: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for col in spec.columns:
        value = frame[col.memory_name].iloc[i] if col.memory_name in frame else col.default
        if value is None or pd.isna(value):
            row[col.name] = False if col.kind == "bool" else None
        elif col.kind == "money":
            row[col.name] = Decimal(int(value)) / 100
        elif col.kind == "date":
            row[col.name] = value.date()
        else:
            row[col.name] = {"int": int, "bool": bool}.get(col.kind, str)(value)
    extras = user_columns(frame)
    user = {n: None if pd.isna(frame[n].iloc[i]) else str(frame[n].iloc[i]) for n in extras}
    row[EXTRA] = user or None
    return row


def stored_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every contract table as the driver returns it (JSON as text)."""
    out = {}
    with engine.connect() as connection:
        for name in TABLES:
            text = "extra::text" if engine.dialect.name == "postgresql" else "extra"
            sql = f"SELECT *, {text} FROM {name} ORDER BY 1"
            out[name] = [tuple(r) for r in connection.exec_driver_sql(sql).all()]
    return out


def clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for name in reversed(SAVE_ORDER):
            connection.execute(delete(TABLE_OBJECTS[name]))


def test_load_gives_the_frames_of_the_row_by_row_read(engine: Engine) -> None:
    save_ledger(engine, awkward_ledger())
    loaded = load_ledger(engine)
    with engine.connect() as connection:
        for name, spec in TABLES.items():
            expected = rows_read_by_sqlalchemy(connection, spec)
            pd.testing.assert_frame_equal(getattr(loaded, name), expected, obj=name)
    names = loaded.clients.set_index("client_id")["name"]
    assert set(AWKWARD_TEXT) <= set(names.dropna())
    assert names.isna().sum() == 1  # the one missing name, apart from the empty one
    assert loaded.clients["credit_limit_cents"].max() == 999_999_999_999_99


@pytest.mark.parametrize(
    ("key_id", "zone"),
    [(None, dt.UTC), (7, dt.timezone(dt.timedelta(hours=1)))],
    ids=["no-key-utc", "key-paris-winter"],
)
def test_save_stores_what_sqlalchemy_stored_and_finds_it_unchanged(
    engine: Engine, key_id: int | None, zone: dt.tzinfo
) -> None:
    """A first save (PostgreSQL: copied straight into the tables) and a save over stored
    rows store what SQLAlchemy stores, the writer's stamp included."""
    ledger = awkward_ledger()
    at = dt.datetime(2025, 3, 4, 5, 6, 7, 891_011, tzinfo=zone)
    writer = Writer(key_id=key_id, role="admin", method="POST", route="/v1/actions", at=at)
    with engine.begin() as connection:
        save_row_by_row(connection, ledger, writer.stamp)
    by_sqlalchemy = stored_rows(engine)
    # Saved over the row-by-row save: nothing differs, nothing is written.
    with engine.begin() as connection:
        again = write_ledger(connection, ledger, writer)
    assert again.changed == 0
    clear(engine)
    with engine.begin() as connection:
        first = write_ledger(connection, ledger, writer)
    assert first.changed == sum(len(f) for f in ledger.tables().values())
    assert stored_rows(engine) == by_sqlalchemy
    assert by_sqlalchemy["actions"][0][-2] is not None  # the stamp is in the comparison


def test_changed_rows_are_counted_and_rewritten_alone(engine: Engine) -> None:
    ledger = small_ledger()
    save_ledger(engine, ledger)
    clients = ledger.clients.copy()
    clients.loc[0, "x_segment"] = "sme"  # a user column changes
    clients.loc[1, "name"] = ""  # missing becomes empty: a change
    invoices = ledger.invoices.drop(columns="x_channel")  # user columns dropped: F1, F2
    summary = save_ledger(engine, Ledger(clients=clients, invoices=invoices))
    assert (summary.tables["clients"].updated, summary.tables["clients"].unchanged) == (2, 0)
    # A3's x_channel was already missing: the same row without the column is unchanged.
    assert (summary.tables["invoices"].updated, summary.tables["invoices"].unchanged) == (2, 1)
    loaded = load_ledger(engine)
    assert loaded.clients["name"].tolist() == ["Boulangerie Martin", ""]
    assert loaded.clients["x_segment"].tolist() == ["sme", None]
    # A1 keeps its stored {"x_channel": null}: the column is still read, empty everywhere.
    assert loaded.invoices["x_channel"].tolist() == [None, None, None]


def test_reads_in_slices_and_by_many_keys_give_the_same_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = awkward_ledger()
    save_ledger(engine, ledger)
    whole = load_ledger(engine)
    # Slices of 7 rows: many slices, and "many keys" reads of the whole table.
    monkeypatch.setattr(bulk_reads, "FETCH_ROWS", 7)
    sliced = load_ledger(engine)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(sliced, name), getattr(whole, name), obj=name)
    assert save_ledger(engine, ledger).changed == 0


def test_a_failed_first_import_leaves_the_schema_and_rows_as_they_were(engine: Engine) -> None:
    ledger = small_ledger()
    save_ledger(engine, Ledger(clients=ledger.clients))
    payments = ledger.payments.copy()
    payments.loc[0, "client_id"] = "NOBODY"
    # Invoices open the transaction and are written with their indexes dropped and built
    # again; the payments then fail on their foreign key: all of it rolls back.
    with pytest.raises(IntegrityError):
        save_ledger(engine, Ledger(invoices=ledger.invoices, payments=payments))
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    assert table_counts(engine)["invoices"] == 0
    assert save_ledger(engine, ledger).tables["invoices"].inserted == 3
