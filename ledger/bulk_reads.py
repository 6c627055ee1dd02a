"""Tables read from the database into contract frames, through CSV the database writes
and Arrow parses, on the caller's connection.

Reading rows one Python object per value (SQLAlchemy's rows) cost 39.9 s for a ledger of
1.08 M invoices. Here the database writes the table as CSV (PostgreSQL's ``COPY ... TO
STDOUT``; SQLite one ``printf`` line per row) and pyarrow's multi-threaded CSV reader
makes typed columns of it; money leaves the database in integer cents, exact.

Why not the Arrow-native drivers (``bench/storage.py --alternatives`` times them; CPU
seconds for 1.11 M invoices on the shared 2-core machine): connectorx read SQLite into
Arrow in 1.6 s against 2.0 s here (plus 0.4 s to sort), and ADBC's SQLite driver in
1.5 s, but ADBC guesses a column's type from its first rows and fails on a text column
that starts missing ("Type mismatch in column 10: expected INT64 but got STRING" for
``credited_invoice_id`` in the table's own order). Above all, both open connections of
their own: no snapshot across the tables of :func:`ledger.storage.load_ledger` (a load
could hold a payment without its invoice), none of the engine's lock bounds or error
handling, no in-memory SQLite. (Writes do use ADBC's SQLite driver, a dependency since,
through a file of their own read back on the caller's connection: :mod:`ledger.sqlite_stage`;
for reads the gain would be a quarter of the time, not worth a second path.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from sqlalchemy import Connection

from ledger.client_ranges import ClientRange, part_sources
from ledger.contract import TableSpec, empty_frame
from ledger.driver import copy_in, driver_connection, sqlalchemy_errors
from ledger.schema import EXTRA, ROW_KEY

# How each contract kind is parsed from the CSV (money is in cents by then).
ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "text": pa.string(),
    "choice": pa.string(),
    "country": pa.string(),
    "date": pa.date32(),
    "money": pa.int64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "json": pa.string(),
}
FETCH_ROWS = 100_000  # SQLite lines joined and parsed at a time: bounded memory


def read_table(
    connection: Connection,
    spec: TableSpec,
    keys: Sequence[str] | None = None,
    clients: ClientRange | None = None,
) -> pd.DataFrame:
    """The rows of ``spec``'s table in key order as an in-memory contract frame.

    With ``keys``, only the rows with those keys, in no given order, and with their key
    (``row_key`` for a table without ids) as first column: what a save compares with.
    With ``clients`` instead, only the rows of one part of the ledger cut by client
    (:mod:`ledger.client_ranges`), in key order.
    """
    return frame_of(spec, *arrow_rows(connection, spec, keys, clients))


def arrow_rows(
    connection: Connection,
    spec: TableSpec,
    keys: Sequence[str] | None = None,
    clients: ClientRange | None = None,
) -> tuple[pa.Table | None, list[str]]:
    """What :func:`read_table` reads, still in Arrow (None: no row), and its columns' names:
    the database's half of the read, apart from the conversion (:func:`frame_of`)."""
    names = _csv_columns(spec, with_key=keys is not None)
    with sqlalchemy_errors(connection, f"read {spec.name}"):
        if clients is not None:
            table = _part_table(connection, spec, names, clients)
        elif connection.dialect.name == "postgresql":
            chunks = _postgres_csv(connection, spec, names, keys)
            table = _parsed(spec, names, chunks, POSTGRES_CSV)
        else:
            table = _sqlite_table(connection, spec, names, keys)
    return table, names


def frame_of(spec: TableSpec, table: pa.Table | None, names: list[str]) -> pd.DataFrame:
    """Rows read by :func:`arrow_rows` as an in-memory contract frame."""
    if table is None:
        return _empty(spec, names)
    return contract_columns(spec, table, names)


def _key(spec: TableSpec) -> str:
    return spec.id_column or ROW_KEY


def _csv_columns(spec: TableSpec, with_key: bool) -> list[str]:
    key = [ROW_KEY] if with_key and spec.id_column is None else []
    return [*key, *spec.column_names, EXTRA]


def _kinds(spec: TableSpec) -> dict[str, str]:
    return {ROW_KEY: "id", EXTRA: "json"} | {c.name: c.kind for c in spec.columns}


def _sqlite_table(
    connection: Connection, spec: TableSpec, names: list[str], keys: Sequence[str] | None
) -> pa.Table | None:
    """The rows read in the table's own order, then sorted by key in Arrow (bytewise, as
    SQLite's BINARY collation): an ``ORDER BY`` on a digest key (``row_key``) visits the
    rows at random, 2.3 s of CPU for 810,664 actions against 0.6 s + 0.3 s to sort.

    Many ``keys`` (a whole import) are looked for in a read of the whole table, a few
    (an action from the API) through the key's index.
    """
    key = _key(spec)
    read = names if key in names else [key, *names]
    few = keys if keys is not None and len(keys) < FETCH_ROWS else None
    table = _parsed(spec, read, _sqlite_csv(connection, spec, read, few), SQLITE_CSV)
    if table is None:
        return None
    if keys is not None and few is None:
        table = table.filter(pc.is_in(table.column(key), value_set=pa.array(keys, pa.string())))
    if keys is None:
        table = _bytewise(table, key)
    return table.select(names)


def _bytewise(table: pa.Table, key: str) -> pa.Table:
    """``table`` sorted by ``key`` bytewise (SQLite's BINARY collation) unless it is."""
    stored = table.column(key)
    if pc.all(pc.less(stored[:-1], stored[1:])).as_py():
        return table
    return table.take(pc.sort_indices(table, [(key, "ascending")]))


def _sqlite_csv(
    connection: Connection, spec: TableSpec, names: list[str], keys: Sequence[str] | None
) -> Iterator[bytes]:
    """The rows as CSV lines written by SQLite's ``printf``, not a Python object per value.

    Text is quoted SQL's way (``%Q``: ``'it''s'``, a missing text bare NULL), other values
    bare (a missing one: nothing between the commas). A whole table comes in slices of
    ``rowid``, each joined by ``group_concat`` into one string: SQLite builds it without
    holding Python's lock, so the worker thread parses the slice before while it does.
    The rows of ``keys`` come line by line (their JSON list is read once).
    """
    quote = connection.dialect.identifier_preparer.quote
    line, table = _sqlite_line(connection, spec, names), quote(spec.name)
    raw = driver_connection(connection)
    factory, raw.text_factory = raw.text_factory, bytes  # no decoding, joined as bytes
    cursor = raw.cursor()
    try:
        if keys is None:
            lowest, highest = cursor.execute(
                f"SELECT min(rowid), max(rowid) FROM {table}"
            ).fetchone()
            sql = f"SELECT group_concat({line}, char(10)) FROM {table} WHERE rowid BETWEEN ? AND ?"
            for start in range(lowest or 0, (highest or -1) + 1, FETCH_ROWS):
                yield cursor.execute(sql, (start, start + FETCH_ROWS - 1)).fetchone()[0] or b""
        else:
            key = quote(_key(spec))
            sql = f"SELECT {line} FROM {table} WHERE {key} IN (SELECT value FROM json_each(?))"
            cursor.execute(sql, (json.dumps(list(keys)),))
            while rows := cursor.fetchmany(FETCH_ROWS):
                yield b"\n".join([row[0] for row in rows])
    finally:
        cursor.close()
        raw.text_factory = factory


def _sqlite_line(
    connection: Connection, spec: TableSpec, names: list[str], prefix: str = ""
) -> str:
    """The ``printf`` of one CSV line of ``names`` (columns of the table ``prefix`` names)."""
    quote = connection.dialect.identifier_preparer.quote
    kinds = _kinds(spec)
    text = {"id", "text", "choice", "country", "json"}
    formats = ",".join("%Q" if kinds[name] in text else "%s" for name in names)
    values = ", ".join(_sqlite_value(f"{prefix}{quote(name)}", kinds[name]) for name in names)
    return f"printf('{formats}', {values})"


def _sqlite_value(column: str, kind: str) -> str:
    if kind == "money":  # stored as a float of currency units: 14512.96 -> 1451296
        return f"CAST(round({column} * 100) AS INTEGER)"
    return column


def _postgres_csv(
    connection: Connection, spec: TableSpec, names: list[str], keys: Sequence[str] | None
) -> Iterator[bytes]:
    """The rows as CSV from ``COPY (SELECT ...) TO STDOUT``; ``keys`` go through a
    temporary table (a ``COPY`` query takes no parameters)."""
    quote = connection.dialect.identifier_preparer.quote
    table, key = quote(spec.name), quote(_key(spec))
    fields = _postgres_fields(connection, spec, names)
    source = f"{table} AS t ORDER BY t.{key}"
    if keys is not None:  # compared by key: no order needed (a sort by collation is slow)
        stage_keys(connection, keys)
        source = f"{table} AS t JOIN {KEYS_TABLE} AS k ON k.key = t.{key}"
    sql = f"COPY (SELECT {fields} FROM {source}) TO STDOUT (FORMAT csv)"
    yield from _postgres_copy(connection, sql)


def _postgres_fields(connection: Connection, spec: TableSpec, names: list[str]) -> str:
    """The ``SELECT`` list of ``names``, columns of the table ``t``, as the CSV holds them."""
    quote = connection.dialect.identifier_preparer.quote
    kinds = _kinds(spec)
    return ", ".join(_postgres_field(f"t.{quote(name)}", kinds[name]) for name in names)


def _part_table(
    connection: Connection, spec: TableSpec, names: list[str], clients: ClientRange
) -> pa.Table | None:
    """The rows of one part of the ledger (:func:`ledger.client_ranges.part_sources`), in
    the order of a whole read of the table."""
    quote = connection.dialect.identifier_preparer.quote
    key = _key(spec)
    read = names if key in names else [key, *names]
    if connection.dialect.name == "postgresql":
        sources = part_sources(spec, clients, quote, "%s")
        fields = _postgres_fields(connection, spec, read)
        union = " UNION ALL ".join(f"SELECT {fields} FROM {source}" for source, _ in sources)
        order = read.index(key) + 1  # the collation's order, as a whole read's ORDER BY
        sql = f"COPY ({union} ORDER BY {order}) TO STDOUT (FORMAT csv)"
        bounds = [bound for _, params in sources for bound in params]
        table = _parsed(spec, read, _postgres_copy(connection, sql, bounds), POSTGRES_CSV)
    else:
        sources = part_sources(spec, clients, quote, "?", scan=True)
        line = _sqlite_line(connection, spec, read, "t.")
        queries = [(f"SELECT group_concat({line}, char(10)) FROM {s}", p) for s, p in sources]
        table = _parsed(spec, read, _sqlite_rows(connection, queries), SQLITE_CSV)
        if table is not None:
            table = _bytewise(table, key)
    return None if table is None else table.select(names)


def _sqlite_rows(connection: Connection, queries: list[tuple[str, list[str]]]) -> Iterator[bytes]:
    """The one value of each query, as bytes (lines joined by ``group_concat``)."""
    raw = driver_connection(connection)
    factory, raw.text_factory = raw.text_factory, bytes
    cursor = raw.cursor()
    try:
        for sql, params in queries:
            yield cursor.execute(sql, params).fetchone()[0] or b""
    finally:
        cursor.close()
        raw.text_factory = factory


def _postgres_copy(
    connection: Connection, sql: str, params: list[str] | None = None
) -> Iterator[bytes]:
    """What ``COPY ... TO STDOUT`` writes, in one piece."""
    with driver_connection(connection).cursor() as cursor, cursor.copy(sql, params or None) as copy:
        yield b"".join(bytes(block) for block in copy)


def _postgres_field(column: str, kind: str) -> str:
    if kind == "money":
        return f"({column} * 100)::bigint"
    if kind == "date":  # whatever the server's DateStyle
        return f"to_char({column}, 'YYYY-MM-DD')"
    if kind == "json":
        return f"{column}::text"
    return column


KEYS_TABLE = "encours_keys"


def stage_keys(connection: Connection, keys: Sequence[str]) -> None:
    """``keys`` into the temporary table :data:`KEYS_TABLE` (PostgreSQL), emptied first;
    it lives until the transaction ends."""
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {KEYS_TABLE} (key text) ON COMMIT DROP"
    )
    connection.exec_driver_sql(f"TRUNCATE {KEYS_TABLE}")
    copy_in(connection, KEYS_TABLE, pa.table({"key": pa.array(keys, pa.string())}))


def _parsed(
    spec: TableSpec, names: list[str], chunks: Iterator[bytes], dialect: CsvDialect
) -> pa.Table | None:
    """The CSV ``chunks`` parsed into one Arrow table (None when there is no row), each
    chunk by a worker thread while the next is read: the two halves use both cores."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsing = [pool.submit(_parse, spec, names, c, dialect) for c in chunks if c]
        tables = [future.result() for future in parsing]
    return pa.concat_tables(tables) if tables else None


@dataclass(frozen=True)
class CsvDialect:
    """How a database writes CSV: its quote, and how it writes a missing value."""

    quote: str
    missing: tuple[str, ...]


# SQLite's printf: %Q quotes text SQL's way and writes a missing text bare NULL, %s writes
# nothing for a missing date or number. PostgreSQL's COPY quotes with " when needed and
# writes nothing for NULL (an empty text is ""). A quoted value is never missing.
SQLITE_CSV = CsvDialect(quote="'", missing=("", "NULL"))
POSTGRES_CSV = CsvDialect(quote='"', missing=("",))


def _parse(spec: TableSpec, names: list[str], data: bytes, dialect: CsvDialect) -> pa.Table:
    kinds = _kinds(spec)
    return pcsv.read_csv(
        pa.BufferReader(data),
        read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, quote_char=dialect.quote),
        convert_options=pcsv.ConvertOptions(
            column_types={name: ARROW_TYPES[kinds[name]] for name in names},
            null_values=list(dialect.missing),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["1", "t"],
            false_values=["0", "f"],
        ),
    )


def _empty(spec: TableSpec, names: list[str]) -> pd.DataFrame:
    frame = empty_frame(spec)
    if names[0] == ROW_KEY:
        frame.insert(0, ROW_KEY, pd.Series(dtype=object))
    return frame


def contract_columns(spec: TableSpec, table: pa.Table, names: list[str]) -> pd.DataFrame:
    """Arrow columns in the contract's in-memory types: text as objects with None,
    money as ``<name>_cents`` Int64, dates as ``datetime64[ns]``, booleans without
    missing values; the user columns of ``extra`` after them, in name order."""
    kinds = _kinds(spec)
    memory = {c.name: c.memory_name for c in spec.columns}
    out: dict[str, pd.Series] = {}
    for name in names:
        if name != EXTRA:
            out[memory.get(name, name)] = _values(kinds[name], table.column(name))
    for name, values in user_values(table.column(EXTRA)).items():
        out[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(table.num_rows))


def _values(kind: str, column: pa.ChunkedArray) -> pd.Series:
    # Series built with their dtype: pandas would make text columns ``str``.
    if kind in ("money", "int"):
        filled = pc.fill_null(column, 0).to_numpy()
        return pd.Series(pd.arrays.IntegerArray(filled, column.is_null().to_numpy()))
    if kind == "date":
        return pd.Series(column.cast(pa.timestamp("ns")).to_numpy())
    if kind == "bool":
        return pd.Series(pc.fill_null(column, False).to_numpy())
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)


def user_values(extra: pa.ChunkedArray) -> dict[str, np.ndarray]:
    """The user columns (``x_*``) held as JSON objects in ``extra``, by name order.

    Each distinct object is parsed once: a million rows hold a few thousand of them. A row
    without user columns holds JSON ``null`` (what SQLAlchemy writes for None) or nothing.
    """
    codes, texts = pd.factorize(extra.to_numpy(zero_copy_only=False))
    parsed = [json.loads(text) for text in texts]
    objects = [obj if isinstance(obj, dict) else {} for obj in parsed]
    names = sorted({name for obj in objects for name in obj})
    out = {}
    for name in names:
        # The last slot answers code -1: a row without extra.
        lookup = np.array([obj.get(name) for obj in objects] + [None], dtype=object)
        out[name] = lookup[codes]
    return out
