"""One contract table saved in bulk: rows compared with the stored ones, column by column,
and only the new or changed ones written, in large batches.

Saving 1.08 M simulated invoices took 97 s row by row (a ``Decimal`` and a dict per row,
statements of 5,000 rows, a Python comparison of every stored row). Here rows stay in
columns: the stored rows come back through :func:`ledger.bulk_reads.read_table` in the
same in-memory form, the comparison is vectorised, and the rows to write go to SQLite in
one ``executemany`` of plain values (many rows through a stage that ADBC writes from
Arrow: :mod:`ledger.sqlite_stage`), or to PostgreSQL by ``COPY`` into a temporary table
and one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``. What is stored is what the
row-by-row save stored: money as ``Numeric(18, 2)`` (a float on SQLite), ISO dates, the
user columns as a JSON object in ``extra`` (JSON ``null`` when there are none).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from ledger.audit import Writer
from ledger.bulk_reads import ARROW_TYPES, read_table
from ledger.contract import TableSpec, user_columns
from ledger.driver import copy_in, driver_connection, sqlalchemy_errors
from ledger.files import contract_frame
from ledger.postgres_bulk import checks_built_after
from ledger.schema import EXTRA, RECORDED_AT, RECORDED_BY, ROW_KEY, TABLE_OBJECTS
from ledger.sqlite_stage import SqliteStage

SQLITE_BATCH_ROWS = 100_000  # rows of one executemany: bounded memory for the tuples


@dataclass
class TableChanges:
    """What a save did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def row_keys(spec: TableSpec, frame: pd.DataFrame) -> pd.Series:
    """Content keys for rows without a natural id: digest of the row plus its repeat count."""
    text = contract_frame(spec, frame).astype("string").fillna("\x00")
    digest = pd.util.hash_pandas_object(text, index=False).map("{:016x}".format)
    count = digest.groupby(digest).cumcount().astype(str)
    return (digest + "-" + count).set_axis(frame.index)


@dataclass
class TableWrite:
    """What a save writes to one table: the new and changed rows, in key order (the key's
    index grows at its end), and how many rows of each kind the save met."""

    spec: TableSpec
    rows: pd.DataFrame
    changes: TableChanges
    staged: Future[str] | None = None
    """The staged table the rows are being copied into (:mod:`ledger.sqlite_stage`)."""


def planned_write(connection: Connection, spec: TableSpec, frame: pd.DataFrame) -> TableWrite:
    """The rows of ``frame`` that are new or changed, compared with the stored ones (read
    on ``connection``); nothing is written. A key given twice keeps its last row."""
    key = spec.id_column or ROW_KEY
    new = comparable_rows(spec, frame).drop_duplicates(subset=[key], keep="last")
    new = new.reset_index(drop=True)
    old = read_table(connection, spec, keys=new[key].tolist())
    stored = pd.Index(old[key]).get_indexer(pd.Index(new[key]))
    same = unchanged_rows(new, old, stored, key)
    rows = new[~same].reset_index(drop=True)
    rows = rows.take(pc.sort_indices(pa.array(rows[key], pa.string())).to_numpy())
    changes = TableChanges(
        inserted=int((stored < 0).sum()),
        updated=int(((stored >= 0) & ~same).sum()),
        unchanged=int(same.sum()),
    )
    return TableWrite(spec, rows, changes)


def staging_started(write: TableWrite, stage: SqliteStage | None) -> None:
    """Start copying ``write``'s rows into ``stage`` in the background when they are many
    and the stage takes their table (:func:`apply_write` waits for it)."""
    spec, rows = write.spec, write.rows
    if stage is not None and stage.takes(spec.name, len(rows)):
        write.staged = stage.fill(spec.name, stored_values(spec, rows))


def comparable_rows(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the form :func:`ledger.bulk_reads.read_table` gives stored rows: key
    first, text as str or None, money and integers Int64, dates at midnight, booleans;
    a column missing from a frame built in code takes its contract default."""
    columns: dict[str, pd.Series] = {}
    if spec.id_column is None:
        columns[ROW_KEY] = pd.Series(row_keys(spec, frame).to_numpy(), dtype=object)
    for col in spec.columns:
        values = frame.get(col.memory_name, pd.Series(col.default, index=frame.index))
        columns[col.memory_name] = _normal(col.kind, values.reset_index(drop=True))
    for name in user_columns(frame):
        columns[name] = _normal("text", frame[name].reset_index(drop=True))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def _normal(kind: str, values: pd.Series) -> pd.Series:
    """One column as the row-by-row save stored it: ``bool(v)``, ``int(v)``, ``str(v)``."""
    if kind == "bool":
        if values.dtype == bool:
            return values
        return pd.Series([bool(v) for v in values], dtype=bool)
    if kind in ("money", "int"):
        return values.astype("Int64")
    if kind == "date":
        return pd.to_datetime(values).dt.floor("D").astype("datetime64[ns]")
    objects = values.to_numpy(dtype=object, copy=True)
    present = pd.notna(objects)
    if pd.api.types.infer_dtype(objects, skipna=True) not in ("string", "empty"):
        objects[present] = [str(v) for v in objects[present]]
    objects[~present] = None
    return pd.Series(objects, dtype=object)


def unchanged_rows(
    new: pd.DataFrame, old: pd.DataFrame, stored: np.ndarray, key: str
) -> np.ndarray:
    """Whether each row of ``new`` equals its stored row (``stored``: its position in
    ``old``, -1 for none), user columns included; a user column one side lacks is missing
    there, as a missing value is in the JSON of ``extra``."""
    same = stored >= 0
    for name in dict.fromkeys([*new.columns, *old.columns]):
        if name == key or not same.any():
            continue
        rows = np.flatnonzero(same)
        same[rows] = _equal(_column(new, name, rows), _column(old, name, stored[rows]))
    return same


def _column(frame: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    if name not in frame:
        return pd.Series([None] * len(rows), dtype=object)
    return frame[name].iloc[rows].reset_index(drop=True)


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    both_missing = a.isna().to_numpy() & b.isna().to_numpy()
    if a.dtype == object or b.dtype == object:
        equal = a.to_numpy(dtype=object) == b.to_numpy(dtype=object)
    else:
        equal = a.eq(b).fillna(False).to_numpy(dtype=bool)
    return np.asarray(equal | both_missing, dtype=bool)


def apply_write(connection: Connection, write: TableWrite, writer: Writer | None) -> None:
    """Insert ``write``'s rows, or update the stored rows they replace; ``writer``'s stamp
    fills ``recorded_by``/``recorded_at`` where the table has them (emptied without one)."""
    if write.rows.empty:
        return
    spec, stamp = write.spec, writer.stamp if writer is not None else {}
    recorded = [RECORDED_BY, RECORDED_AT] if RECORDED_BY in TABLE_OBJECTS[spec.name].c else []
    constants = {name: stamp.get(name) for name in recorded}
    if connection.dialect.name == "postgresql":
        values = stored_values(spec, write.rows)
        if write.changes.updated:
            _postgres_upsert(connection, spec, values, constants)
        else:
            _postgres_copy(connection, spec, values, constants)
    else:
        _sqlite_upsert(connection, spec, write.rows, constants, write.staged)


def stored_values(spec: TableSpec, rows: pd.DataFrame) -> pa.Table:
    """The columns as the database holds them (money still in cents, dates as dates),
    ``extra`` as the JSON text SQLAlchemy wrote for a dict of the user columns."""
    values: dict[str, pa.Array] = {}
    if spec.id_column is None:
        values[ROW_KEY] = pa.array(rows[ROW_KEY], pa.string())
    for col in spec.columns:
        values[col.name] = pa.array(rows[col.memory_name], ARROW_TYPES[col.kind])
    values[EXTRA] = pa.array(extra_json(rows[user_columns(rows)]), pa.string())
    return pa.table(values)


def extra_json(user: pd.DataFrame) -> np.ndarray:
    """Each row's user columns as the JSON text of a dict (``json.dumps``, None included,
    in column order); ``null`` when there are none. Each distinct value is encoded once."""
    if user.columns.empty:
        return np.full(len(user), "null", dtype=object)
    text = pd.Series("{", index=user.index, dtype=object)
    for n, name in enumerate(user.columns):
        codes, uniques = pd.factorize(user[name].to_numpy(dtype=object))
        encoded = np.array([json.dumps(v) for v in uniques] + ["null"], dtype=object)
        separator = ", " if n else ""
        text = text + f"{separator}{json.dumps(name)}: " + encoded[codes]
    return (text + "}").to_numpy(dtype=object)


def _sqlite_upsert(
    connection: Connection,
    spec: TableSpec,
    rows: pd.DataFrame,
    constants: dict[str, Any],
    staged: Future[str] | None,
) -> None:
    """``executemany`` of plain Python values (SQLAlchemy's own binding costs a dict and
    a conversion per value), or the rows copied from the table ``staged`` names (once
    written), with a page cache large enough for the table's indexes."""
    quote = connection.dialect.identifier_preparer.quote
    names = [*([ROW_KEY] if spec.id_column is None else []), *spec.column_names, EXTRA]
    stored = len(names)
    names += list(constants)
    updates = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in names[1:])
    insert = f"INSERT INTO {quote(spec.name)} ({', '.join(quote(n) for n in names)}) "
    upsert = f"ON CONFLICT ({quote(names[0])}) DO UPDATE SET {updates}"
    bound = [_bound(connection, spec, name, value) for name, value in constants.items()]
    raw = driver_connection(connection)
    if staged is not None:
        with sqlalchemy_errors(connection, f"stage {spec.name}"):
            source = staged.result()
        kinds = {c.name: c.kind for c in spec.columns}
        values = [_staged_value(quote(n), kinds.get(n, "")) for n in names[:stored]]
        sql = f"{insert}SELECT {', '.join([*values, *'?' * len(bound)])} FROM {source} WHERE true"
    else:
        sql = f"{insert}VALUES ({', '.join('?' for _ in names)})"
    sql = f"{sql} {upsert}"
    with (
        sqlalchemy_errors(connection, sql),
        _page_cache(raw, SQLITE_CACHE_KIB),
        _indexes_built_after(raw, spec.name, len(rows)),
    ):
        if staged is not None:
            raw.execute(sql, bound)
            return
        cursor = raw.cursor()
        try:
            for start in range(0, len(rows), SQLITE_BATCH_ROWS):
                batch = rows.iloc[start : start + SQLITE_BATCH_ROWS]
                constant = [repeat(value, len(batch)) for value in bound]
                cursor.executemany(sql, zip(*sqlite_columns(spec, batch), *constant, strict=True))
        finally:
            cursor.close()


def _staged_value(column: str, kind: str) -> str:
    """A staged column (:func:`stored_values`) as :func:`sqlite_columns` binds it: money
    from cents to a float of currency units (the same division), the rest as ADBC wrote
    it (ISO dates, booleans 0 or 1, text)."""
    return f"{column} / 100.0" if kind == "money" else column


SQLITE_CACHE_KIB = 256 * 1024
"""SQLite's page cache while writing: its default 2 MB makes every row of a million read
index pages back from the file (measured: 9.7 s of CPU to insert 1.11 M invoices, 6.8 s
with 400 MB)."""


@contextmanager
def _page_cache(raw: Any, kib: int) -> Iterator[None]:
    """SQLite's page cache of ``raw`` at least ``kib`` KiB for the block, then as it was."""
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{kib}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")


@contextmanager
def _indexes_built_after(raw: Any, table: str, rows: int) -> Iterator[None]:
    """The table's secondary indexes dropped for the block and built again after it, when
    it writes at least as many rows as the table holds (a first import): one sort of all
    the rows costs less than growing each index row by row (1.07 M payments: 8.9 s of CPU
    with them, 6.1 s rebuilt). All in the write's transaction: a failed write gives them
    back by its rollback, and readers see the old ones meanwhile."""
    held = raw.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
    indexes = []
    if rows >= held:
        indexes = raw.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        ).fetchall()
    if indexes and not raw.in_transaction:  # the driver would run DROP INDEX on its own
        raw.execute("BEGIN")
    for name, _ in indexes:
        raw.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        raw.execute(sql)


def _bound(connection: Connection, spec: TableSpec, name: str, value: Any) -> Any:
    dialect = connection.dialect
    process = TABLE_OBJECTS[spec.name].c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None or value is None else process(value)


def sqlite_columns(spec: TableSpec, rows: pd.DataFrame) -> list[list[Any]]:
    """The columns of ``rows`` (:func:`comparable_rows`) as SQLAlchemy bound them for
    SQLite: money a float of currency units (``float(Decimal)``, the same float as
    cents / 100), a date its ISO text, ``extra`` the JSON text of the user columns."""
    columns = [rows[ROW_KEY].tolist()] if spec.id_column is None else []
    for col in spec.columns:
        values = rows[col.memory_name]
        missing = values.isna().to_numpy()
        if col.kind == "money":
            held = (values.to_numpy(dtype="float64", na_value=np.nan) / 100).astype(object)
        elif col.kind == "date":
            days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            held = np.datetime_as_string(days).astype(object)
        elif col.kind == "int":
            held = values.to_numpy(dtype=object)  # Python ints, pd.NA set to None below
        else:  # text already holds None, booleans are never missing
            held = values.to_numpy()
        if missing.any():
            held = held.astype(object)
            held[missing] = None
        columns.append(held.tolist())
    columns.append(extra_json(rows[user_columns(rows)]).tolist())
    return columns


def _postgres_upsert(
    connection: Connection, spec: TableSpec, table: pa.Table, constants: dict[str, Any]
) -> None:
    """``COPY`` into a temporary table of the same columns (money in cents), then one
    insert that converts them and updates the rows whose key is already stored."""
    quote = connection.dialect.identifier_preparer.quote
    stage = f"encours_stage_{spec.name}"
    kinds: dict[str, str] = {EXTRA: "json"} | {c.name: c.kind for c in spec.columns}
    declared = ", ".join(
        f"{quote(n)} {STAGE_TYPES.get(kinds.get(n, ''), 'text')}" for n in table.column_names
    )
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {stage} ({declared}) ON COMMIT DROP")
    copy_in(connection, stage, table)
    with checks_built_after(connection, spec.name, table.num_rows):
        _postgres_insert(connection, spec, stage, table.column_names, constants)


def _postgres_copy(
    connection: Connection, spec: TableSpec, table: pa.Table, constants: dict[str, Any]
) -> None:
    """Rows none of which is stored yet ``COPY``'d straight into ``spec``'s table, money
    written as decimals: no staging table, no second insert (for a first import of a
    million invoices into PostgreSQL, the insert from the stage was 10.8 s of the server's
    19.3 s). A row stored meanwhile by another writer fails the save on its key."""
    kinds = {c.name: c.kind for c in spec.columns}
    columns = {
        name: _decimal_cents(table.column(name)) if kinds.get(name) == "money" else table[name]
        for name in table.column_names
    }
    for name, value in constants.items():
        columns[name] = _constant_column(value, table.num_rows)
    quote = connection.dialect.identifier_preparer.quote
    with checks_built_after(connection, spec.name, table.num_rows):
        copy_in(connection, quote(spec.name), pa.table(columns))


def _decimal_cents(cents: pa.ChunkedArray) -> pa.Array:
    """Integer cents as exact decimals of two places (12345 -> 123.45): the same 128-bit
    integers, read with a scale of 2."""
    wide = cents.combine_chunks().cast(pa.decimal128(38, 0))
    return wide.view(pa.decimal128(38, 2))


def _constant_column(value: Any, rows: int) -> pa.Array:
    """A ``recorded_by``/``recorded_at`` constant repeated ``rows`` times (an aware time in
    UTC, a missing one as text: both written as PostgreSQL reads them)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return pa.array([value.astimezone(dt.UTC)] * rows, pa.timestamp("us", tz="UTC"))
    if isinstance(value, dt.datetime):
        return pa.array([value] * rows, pa.timestamp("us"))
    return pa.array([value] * rows, pa.int64() if isinstance(value, int) else pa.string())


def _postgres_insert(
    connection: Connection,
    spec: TableSpec,
    stage: str,
    columns: list[str],
    constants: dict[str, Any],
) -> None:
    """The staged rows inserted into ``spec``'s table, converted, replacing the stored rows
    of the same key."""
    quote = connection.dialect.identifier_preparer.quote
    kinds: dict[str, str] = {EXTRA: "json"} | {c.name: c.kind for c in spec.columns}
    names = [*columns, *constants]
    selected = [_stored_expression(quote(n), kinds.get(n, "")) for n in columns]
    selected += [f"%({name})s" for name in constants]
    updates = ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}" for n in names[1:])
    connection.exec_driver_sql(
        f"INSERT INTO {quote(spec.name)} ({', '.join(quote(n) for n in names)}) "
        f"SELECT {', '.join(selected)} FROM {stage} "
        f"ON CONFLICT ({quote(names[0])}) DO UPDATE SET {updates}",
        constants,
    )


STAGE_TYPES = {"date": "date", "money": "bigint", "int": "bigint", "bool": "boolean"}


def _stored_expression(column: str, kind: str) -> str:
    if kind == "money":  # exact: cents to numeric, divided, stored with two decimals
        return f"{column}::numeric / 100"
    if kind == "json":
        return f"{column}::json"
    return column
