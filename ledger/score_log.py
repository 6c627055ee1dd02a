"""The score log in the database: every score given, written in bulk, read back as a frame.

Monitoring joins these rows with what the invoices then did (matured performance): the
log must therefore hold the score as it was given, with the model version and the date the
invoice was seen at. A batch that scores a million invoices writes a million rows, so
rows go in by bulk: PostgreSQL's ``COPY``, SQLite's ``executemany`` in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from ledger.schema import SCORE_LOG

LOGGED_COLUMNS = (
    "scored_at",
    "source",
    "invoice_id",
    "client_id",
    "as_of",
    "model_version",
    "p_late",
    "expected_date",
    "p10_date",
    "p90_date",
)
"""The columns a frame handed to :func:`append_scores` holds (all but the entry number)."""
DATE_COLUMNS = ("as_of", "expected_date", "p10_date", "p90_date")
SOURCES = ("api", "worklist", "batch")
"""Where a score was given: a request to the API, the relance worklist, a batch command."""


class BadScoreRows(ValueError):
    """A frame of scores the log cannot take: a column missing or a value out of range."""


def _day_strings(values: pd.Series) -> list[str | None]:
    """ISO days (None for NaT) of a column of dates: what SQLAlchemy stores in SQLite."""
    days = np.asarray(pd.to_datetime(values), dtype="datetime64[D]")
    text = np.datetime_as_string(days).astype(object)
    text[np.isnat(days)] = None
    return list(text)


def _dates(values: pd.Series) -> list[dt.date | None]:
    """Python dates (None for NaT) of a column of dates, as psycopg takes them."""
    days = np.asarray(pd.to_datetime(values), dtype="datetime64[D]")
    return list(days.astype(object))


def _checked(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the logged columns, in order, after checking them."""
    missing = [c for c in LOGGED_COLUMNS if c not in rows.columns]
    if missing:
        raise BadScoreRows(f"score rows lack the columns {', '.join(missing)}")
    p = rows["p_late"].to_numpy(dtype=float)
    bad = np.flatnonzero(~((p >= 0) & (p <= 1)))
    if len(bad):
        raise BadScoreRows(f"row {int(bad[0])}: p_late {float(p[bad[0]])} is not a probability")
    wrong = sorted(set(rows["source"].unique()) - set(SOURCES))
    if wrong:
        raise BadScoreRows(f"source {wrong[0]!r} is none of {', '.join(SOURCES)}")
    return rows.loc[:, list(LOGGED_COLUMNS)]


def _moments(values: pd.Series, sqlite: bool) -> list[Any]:
    """UTC times of a column, converted once per distinct value (a batch shares one)."""
    codes, found = pd.factorize(pd.to_datetime(values, utc=True))
    distinct = pd.DatetimeIndex(found)
    if sqlite:  # SQLAlchemy's DateTime in SQLite: naive ISO text, UTC here
        converted = list(distinct.tz_localize(None).strftime("%Y-%m-%d %H:%M:%S.%f"))
    else:
        converted = list(distinct.to_pydatetime())
    return [converted[c] for c in codes]


def _tuples(rows: pd.DataFrame, sqlite: bool) -> list[tuple[Any, ...]]:
    """The rows as tuples of driver values, in :data:`LOGGED_COLUMNS` order: for SQLite,
    dates as the ISO text SQLAlchemy's types store (built by numpy, not row by row)."""
    columns: list[list[Any]] = []
    for name in LOGGED_COLUMNS:
        values = rows[name]
        if name in DATE_COLUMNS:
            columns.append(_day_strings(values) if sqlite else _dates(values))
        elif name == "scored_at":
            columns.append(_moments(values, sqlite))
        elif name == "p_late":
            columns.append(values.astype(float).tolist())
        else:
            columns.append(values.astype(str).tolist())
    return list(zip(*columns, strict=True))


def append_scores(engine: Engine, rows: pd.DataFrame) -> int:
    """Add ``rows`` (columns :data:`LOGGED_COLUMNS`) to the score log in one transaction;
    returns how many were written.

    Raises:
        BadScoreRows: a column is missing, a p_late is no probability or a source unknown
            (nothing is written).
    """
    if rows.empty:
        return 0
    checked = _checked(rows)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            _copy(connection, checked)
        else:
            _insert_many(connection, _tuples(checked, sqlite=True))
    return len(checked)


def _insert_many(connection: Connection, values: list[tuple[Any, ...]]) -> None:
    """SQLite's ``executemany`` on the driver: SQLAlchemy's per-row processing of dicts
    took four times as long (3.4 s for 200,000 rows)."""
    marks = ", ".join("?" for _ in LOGGED_COLUMNS)
    statement = f"INSERT INTO score_log ({', '.join(LOGGED_COLUMNS)}) VALUES ({marks})"
    connection.exec_driver_sql(statement, values)


def _copy(connection: Connection, rows: pd.DataFrame) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN`` of the rows as CSV written by pandas at once
    (an empty field is NULL; dates as numpy writes them): a third less time than copying
    row by row from Python."""
    moments = _moments(rows["scored_at"], sqlite=True)  # UTC text, once per distinct time
    text = rows.assign(
        scored_at=[f"{moment}+00" for moment in moments],
        **{name: np.asarray(_day_strings(rows[name]), dtype=object) for name in DATE_COLUMNS},
    ).to_csv(header=False, index=False, na_rep="")
    raw: Any = connection.connection.driver_connection
    statement = f"COPY score_log ({', '.join(LOGGED_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(text)


def read_scores(
    engine: Engine, since: dt.date | None = None, until: dt.date | None = None
) -> pd.DataFrame:
    """The logged scores seen from ``since`` to ``until`` (both included), oldest first:
    the columns of :data:`LOGGED_COLUMNS`, dates as ``datetime64``."""
    log = SCORE_LOG
    where = []
    if since is not None:
        where.append(log.c.as_of >= since)
    if until is not None:
        where.append(log.c.as_of <= until)
    query = select(*(log.c[name] for name in LOGGED_COLUMNS)).where(*where).order_by(log.c.id)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(query)]  # plain tuples: 3 times faster
    frame = pd.DataFrame.from_records(rows, columns=list(LOGGED_COLUMNS))
    for name in DATE_COLUMNS:
        frame[name] = pd.to_datetime(frame[name])
    frame["p_late"] = frame["p_late"].astype(float)
    return frame
