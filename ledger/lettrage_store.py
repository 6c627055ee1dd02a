"""Lettrage in the database: bank lines kept, proposals recorded, sure matches applied.

:func:`apply_lettrage` stores the bank lines (idempotently), proposes matches for the lines
not yet fully applied (:func:`ledger.lettrage.propose_matches` against the invoices open
in the database), applies the proposals at or above the threshold as ``payments`` rows
matched to their invoice, and leaves the others in the review queue, all in one
transaction. Running it again applies nothing twice: a line whose amount is applied is
skipped, a proposal is keyed by its (line, invoice) pair, a payment by its line and rank.

The tables join the contract's on :data:`ledger.schema.metadata`; importing this module
registers them (migration ``0002``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
)

from ledger.audit import Writer, record_write
from ledger.bank_statement import bank_lines_frame
from ledger.contract import Ledger
from ledger.errors import ImportRejected, RowProblem
from ledger.lettrage import PROPOSAL_COLUMNS, LettrageConfig, open_items, propose_matches
from ledger.money import cents_to_decimal, decimal_to_cents
from ledger.schema import TABLE_OBJECTS, metadata, recorded_columns
from ledger.storage import load_ledger
from ledger.versions import client_ids_of, note_clients_written

STATUSES = ("applied", "review", "rejected")
"""``applied``: a payment row was written; ``review``: waits for a person; ``rejected``:
a person said no, and the pair is not proposed again."""

UNALLOCATED = "unallocated"
"""Rule of the review row carrying what a line leaves unexplained (no invoice)."""

MAX_LINE_ID = 60  # payment ids are ``<line_id>-<n>`` in a 64-character column
_BATCH = 5_000
_SOURCE = "bank lines"

BANK_LINES = Table(
    "bank_lines",
    metadata,
    Column("line_id", String(64), primary_key=True, comment="bank line identifier"),
    Column("date", Date(), nullable=False, comment="date credited"),
    Column("amount", Numeric(18, 2), nullable=False, comment="amount credited, > 0"),
    Column("label", Text(), nullable=False, comment="the bank's text"),
    Column("client_id", String(64), nullable=True, comment="paying client, when known"),
    Column("currency", Text(), nullable=False, comment="ISO 4217 currency"),
    *recorded_columns(),
    comment="bank statement lines imported for lettrage",
)
_LINE_COLUMNS = ("line_id", "date", "amount", "label", "client_id", "currency")
"""A line's content: what a line sent again must repeat."""

PROPOSALS = Table(
    "lettrage_proposals",
    metadata,
    Column("id", String(160), primary_key=True, comment="<line_id>:<invoice_id>"),
    Column(
        "line_id",
        String(64),
        ForeignKey("bank_lines.line_id"),
        nullable=False,
        index=True,
        comment="bank line",
    ),
    Column(
        "invoice_id",
        String(64),
        ForeignKey("invoices.invoice_id"),
        nullable=True,
        index=True,
        comment="invoice proposed; empty for what the line leaves unallocated",
    ),
    Column("client_id", String(64), nullable=True, comment="client of the invoice"),
    Column("amount", Numeric(18, 2), nullable=False, comment="amount allocated"),
    Column("rule", String(32), nullable=False, comment="rule that made the proposal"),
    Column("client_from", String(16), nullable=True, comment="how the client was found"),
    Column("confidence", Float(), nullable=False, comment="estimated probability it is right"),
    Column("status", String(16), nullable=False, index=True, comment="applied, review or rejected"),
    Column(
        "payment_id",
        String(64),
        ForeignKey("payments.payment_id"),
        nullable=True,
        comment="payment written when applied",
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, comment="when proposed"),
    comment="lettrage proposals: applied, waiting for review, or rejected",
)

RUN_COLUMNS = (
    "line_id",
    "invoice_id",
    "client_id",
    "amount_cents",
    "rule",
    "confidence",
    "client_from",
    "status",
    "payment_id",
)


@dataclass
class LettrageRun:
    """What one :func:`apply_lettrage` did.

    Attributes:
        lines: lines received.
        new_lines: lines stored for the first time.
        skipped: lines already fully applied by an earlier run.
        proposals: this run's proposals, :data:`RUN_COLUMNS`; unallocated remainders
            have no invoice.
    """

    lines: int
    new_lines: int
    skipped: int
    proposals: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def applied(self) -> pd.DataFrame:
        """The proposals applied as payments."""
        return self.proposals[self.proposals["status"] == "applied"]

    @property
    def review(self) -> pd.DataFrame:
        """The proposals left for review."""
        return self.proposals[self.proposals["status"] == "review"]

    def summary(self, config: LettrageConfig) -> str:
        """The run in a sentence, for the audit log."""
        amount = cents_to_decimal(int(self.applied["amount_cents"].sum()))
        return (
            f"lettrage at threshold {config.auto_threshold:g}: {self.lines} bank lines "
            f"({self.new_lines} new, {self.skipped} already applied), {len(self.applied)} "
            f"payments applied for {amount}, {len(self.review)} proposals left for review"
        )

    def as_json(self) -> dict[str, Any]:
        """The run as JSON: counts, and each proposal with its amount in currency units."""
        rows = [
            {
                **{k: v for k, v in r.items() if k != "amount_cents"},
                "amount": float(cents_to_decimal(int(r["amount_cents"]))),
            }
            for r in self.proposals.astype(object)
            .where(self.proposals.notna(), None)
            .to_dict("records")
        ]
        return {
            "lines": self.lines,
            "new_lines": self.new_lines,
            "skipped": self.skipped,
            "applied": len(self.applied),
            "applied_amount": float(cents_to_decimal(int(self.applied["amount_cents"].sum()))),
            "review": len(self.review),
            "proposals": rows,
        }


def apply_lettrage(
    engine: Engine,
    lines: pd.DataFrame,
    config: LettrageConfig | None = None,
    writer: Writer | None = None,
) -> LettrageRun:
    """Store bank lines, propose their matches, apply the sure ones; one transaction.

    Args:
        engine: a migrated database holding the ledger.
        lines: ``line_id, date, amount_cents, label`` and optionally ``client_id`` and
            ``currency``, as :func:`ledger.bank_statement.read_bank_lines` gives them.
        config: thresholds; the defaults when None.
        writer: who applies them through the API: stamped on the new lines and payments,
            and entered in the audit log, in the same transaction.

    Raises:
        ImportRejected: a line id already stored with other values, or too long; nothing
            is written.
    """
    config = config or LettrageConfig()
    lines = bank_lines_frame(lines)
    _check_ids(lines)
    ledger = load_ledger(engine)
    now = dt.datetime.now(dt.UTC)
    stamp = writer.stamp if writer is not None else {}
    with engine.begin() as connection:
        new_lines = _store_lines(connection, lines, stamp)
        applied = _applied(connection, lines["line_id"].tolist())
        todo = _lines_to_match(lines, applied, config)
        proposals = _proposals(ledger, todo, _lettered(connection), config)
        run = _record(connection, todo, proposals, applied, config, now, stamp)
        result = LettrageRun(
            lines=len(lines),
            new_lines=new_lines,
            skipped=len(lines) - len(todo),
            proposals=run,
        )
        if writer is not None:
            record_write(connection, writer, result.summary(config), result.applied["payment_id"])
        note_clients_written(connection, client_ids_of(result.applied))
    return result


def review_queue(engine: Engine) -> pd.DataFrame:
    """Proposals waiting for review, with their bank line, oldest line first.

    Columns: ``id, line_id, date, label, line_amount_cents, invoice_id, client_id,
    amount_cents, rule, confidence, client_from, created_at``.
    """
    p, b = PROPOSALS, BANK_LINES
    query = (
        select(
            p.c.id,
            p.c.line_id,
            b.c.date,
            b.c.label,
            b.c.amount.label("line_amount"),
            p.c.invoice_id,
            p.c.client_id,
            p.c.amount,
            p.c.rule,
            p.c.confidence,
            p.c.client_from,
            p.c.created_at,
        )
        .join(b, b.c.line_id == p.c.line_id)
        .where(p.c.status == "review")
        .order_by(b.c.date, p.c.line_id, p.c.confidence.desc(), p.c.id)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(
            connection.execute(query).all(), columns=list(query.selected_columns.keys())
        )
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    for name in ("line_amount", "amount"):
        frame[f"{name}_cents"] = pd.Series(
            [decimal_to_cents(v) for v in frame.pop(name)], dtype="int64"
        )
    columns = [
        "id",
        "line_id",
        "date",
        "label",
        "line_amount_cents",
        "invoice_id",
        "client_id",
        "amount_cents",
        "rule",
        "confidence",
        "client_from",
        "created_at",
    ]
    return frame[columns]


# --- steps of a run ------------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def _check_ids(lines: pd.DataFrame) -> None:
    """Line ids fit payment ids, and appear once."""
    problems = [
        RowProblem(_SOURCE, n, "line_id", f"longer than {MAX_LINE_ID} characters", line_id)
        for n, line_id in enumerate(lines["line_id"], 1)
        if len(line_id) > MAX_LINE_ID
    ]
    repeated = lines["line_id"].duplicated()
    problems += [
        RowProblem(_SOURCE, int(n) + 1, "line_id", "line_id repeated", lines["line_id"].iloc[n])
        for n in repeated.to_numpy().nonzero()[0]
    ]
    if problems:
        raise ImportRejected(problems)


def _line_records(lines: pd.DataFrame) -> list[dict[str, Any]]:
    """Lines as database rows."""
    columns = zip(
        lines["line_id"].tolist(),
        lines["date"].dt.date.tolist(),
        lines["amount_cents"].tolist(),
        lines["label"].tolist(),
        lines["client_id"].tolist(),
        lines["currency"].tolist(),
        strict=True,
    )
    return [
        {
            "line_id": line_id,
            "date": day,
            "amount": cents_to_decimal(cents),
            "label": label,
            "client_id": client_id,
            "currency": currency,
        }
        for line_id, day, cents, label, client_id, currency in columns
    ]


def _store_lines(connection: Connection, lines: pd.DataFrame, stamp: dict[str, Any]) -> int:
    """Insert the lines not stored yet (with ``stamp``: who, when); refuse a stored line id
    with other values."""
    records = _line_records(lines)
    stored: dict[str, tuple[Any, ...]] = {}
    content = [BANK_LINES.c[name] for name in _LINE_COLUMNS]
    for chunk in _chunks([r["line_id"] for r in records]):
        query = select(*content).where(BANK_LINES.c.line_id.in_(chunk))
        stored.update({row.line_id: tuple(row) for row in connection.execute(query)})
    problems = []
    for n, record in enumerate(records, 1):
        old = stored.get(record["line_id"])
        if old is not None and _comparable(old) != _comparable(tuple(record.values())):
            problems.append(
                RowProblem(
                    _SOURCE,
                    n,
                    "line_id",
                    "line_id already imported with other values",
                    record["line_id"],
                )
            )
    if problems:
        raise ImportRejected(problems)
    new = [r | stamp for r in records if r["line_id"] not in stored]
    for chunk in _chunks(new):
        connection.execute(insert(BANK_LINES), list(chunk))
    return len(new)


def _comparable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(Decimal(v).quantize(Decimal("0.01")) if isinstance(v, Decimal) else v for v in row)


def _applied(connection: Connection, line_ids: list[str]) -> pd.DataFrame:
    """Proposals of these lines already applied or rejected: ``line_id, invoice_id, ...``."""
    p = PROPOSALS
    rows: list[Any] = []
    for chunk in _chunks(line_ids):
        query = select(p.c.line_id, p.c.invoice_id, p.c.amount, p.c.status).where(
            and_(p.c.line_id.in_(chunk), p.c.status.in_(("applied", "rejected")))
        )
        rows.extend(connection.execute(query).all())
    frame = pd.DataFrame(rows, columns=["line_id", "invoice_id", "amount", "status"])
    frame["amount_cents"] = pd.Series(
        [decimal_to_cents(v) for v in frame.pop("amount")], dtype="int64"
    )
    return frame


def _lines_to_match(
    lines: pd.DataFrame, applied: pd.DataFrame, config: LettrageConfig
) -> pd.DataFrame:
    """Lines not fully applied yet, with what is left of their amount as ``amount_cents``."""
    done = applied[applied["status"] == "applied"].groupby("line_id")["amount_cents"].sum()
    taken = lines["line_id"].map(done).fillna(0).astype("int64")
    left = lines["amount_cents"] - taken
    amounts = lines["amount_cents"].to_numpy(dtype="int64")
    finished = (taken > 0) & (left.to_numpy() <= config.gaps(amounts))
    return lines[~finished].assign(amount_cents=left[~finished])


def _lettered(connection: Connection) -> set[str]:
    """Invoices that lettrage already applied part of a bank line to."""
    p = PROPOSALS
    query = select(p.c.invoice_id).where(p.c.status == "applied").distinct()
    return {str(v) for v in connection.execute(query).scalars() if v is not None}


def _proposals(
    ledger: Ledger, todo: pd.DataFrame, lettered: set[str], config: LettrageConfig
) -> pd.DataFrame:
    """The engine's proposals for the lines to match, against the invoices open now."""
    if todo.empty:
        return pd.DataFrame(columns=list(PROPOSAL_COLUMNS))
    dates = [todo["date"].max(), ledger.invoices["issue_date"].max()]
    dates.append(ledger.payments["payment_date"].max())
    as_of = max(d for d in dates if pd.notna(d)).date()
    # Invoices settled by lines applied in earlier runs are in the ledger's payments.
    items = open_items(ledger, as_of)
    items["lettered"] = items["invoice_id"].isin(lettered)
    return propose_matches(todo, items, ledger.clients, config)


def _record(
    connection: Connection,
    todo: pd.DataFrame,
    proposals: pd.DataFrame,
    earlier: pd.DataFrame,
    config: LettrageConfig,
    now: dt.datetime,
    stamp: dict[str, Any],
) -> pd.DataFrame:
    """Write payments (with ``stamp``: who, when) for the sure proposals and every proposal
    of the run; return them."""
    kept = set(zip(earlier["line_id"], earlier["invoice_id"], strict=True))
    pairs = zip(proposals["line_id"], proposals["invoice_id"], strict=True)
    # A boolean array, not a list: an empty list would select columns, not rows.
    proposals = proposals[np.array([p not in kept for p in pairs], dtype=bool)]
    sure = proposals["confidence"] >= config.auto_threshold
    status = sure.map({True: "applied", False: "review"})
    run = proposals.assign(status=status, payment_id=None)
    run = pd.concat([run, _unallocated(todo, run, config)], ignore_index=True)
    run["payment_id"] = _payment_ids(run, earlier)
    created = _replace_reviews(connection, todo["line_id"].tolist())
    _insert_payments(connection, run, todo, stamp)
    rows = [
        {
            "id": _proposal_id(r["line_id"], r["invoice_id"]),
            "line_id": r["line_id"],
            "invoice_id": r["invoice_id"],
            "client_id": r["client_id"],
            "amount": cents_to_decimal(int(r["amount_cents"])),
            "rule": r["rule"],
            "client_from": r["client_from"],
            "confidence": float(r["confidence"]),
            "status": r["status"],
            "payment_id": r["payment_id"],
        }
        for r in run.astype(object).where(run.notna(), None).to_dict("records")
    ]
    for row in rows:
        row["created_at"] = created.get(str(row["id"]), now)
    for chunk in _chunks(rows):
        connection.execute(insert(PROPOSALS), list(chunk))
    return run[list(RUN_COLUMNS)].reset_index(drop=True)


def _proposal_id(line_id: object, invoice_id: object) -> str:
    return f"{line_id}:{invoice_id or ''}"


def _unallocated(todo: pd.DataFrame, run: pd.DataFrame, config: LettrageConfig) -> pd.DataFrame:
    """One review row per line for what its proposals leave unexplained (beyond tolerance)."""
    allocated = run.groupby("line_id")["amount_cents"].sum()
    left = todo["amount_cents"] - todo["line_id"].map(allocated).fillna(0).astype("int64")
    settled = todo["line_id"].isin(run["line_id"]) & (
        left.to_numpy() <= config.gaps(todo["amount_cents"].to_numpy(dtype="int64"))
    )
    rest = todo[(left > 0) & ~settled]
    return pd.DataFrame(
        {
            "line_id": rest["line_id"],
            "invoice_id": None,
            "client_id": rest["client_id"],
            "amount_cents": left[rest.index].astype("int64"),
            "rule": UNALLOCATED,
            "confidence": 0.0,
            "client_from": None,
            "status": "review",
            "payment_id": None,
        }
    )


def _payment_ids(run: pd.DataFrame, earlier: pd.DataFrame) -> pd.Series:
    """``<line_id>-<n>`` for the applied proposals, n after the line's earlier payments."""
    applied = run["status"] == "applied"
    before = earlier[earlier["status"] == "applied"].groupby("line_id").size()
    rank = run[applied].groupby("line_id").cumcount() + 1
    offset = run.loc[applied, "line_id"].map(before).fillna(0).astype("int64")
    ids = run.loc[applied, "line_id"] + "-" + (rank + offset).astype(str)
    return ids.reindex(run.index).astype(object).where(applied, None)


def _replace_reviews(connection: Connection, line_ids: list[str]) -> dict[str, Any]:
    """Delete the lines' earlier review rows; their creation times, by proposal id."""
    p = PROPOSALS
    created: dict[str, Any] = {}
    for chunk in _chunks(line_ids):
        where = and_(p.c.line_id.in_(chunk), p.c.status == "review")
        created.update(dict(connection.execute(select(p.c.id, p.c.created_at).where(where)).all()))
        connection.execute(delete(p).where(where))
    return created


def _insert_payments(
    connection: Connection, run: pd.DataFrame, todo: pd.DataFrame, stamp: dict[str, Any]
) -> None:
    """A ``payments`` row matched to its invoice for each applied proposal."""
    applied = run[run["status"] == "applied"]
    if applied.empty:
        return
    lines = todo.set_index("line_id")
    day = applied["line_id"].map(lines["date"]).dt.date
    columns = zip(
        applied["payment_id"].tolist(),
        applied["client_id"].tolist(),
        day.tolist(),
        applied["amount_cents"].tolist(),
        applied["line_id"].map(lines["currency"]).tolist(),
        applied["line_id"].map(lines["label"]).tolist(),
        applied["invoice_id"].tolist(),
        strict=True,
    )
    rows = [
        {
            "payment_id": payment_id,
            "client_id": client_id,
            "payment_date": payment_date,
            "amount": cents_to_decimal(int(cents)),
            "currency": currency,
            "reference": label,
            "invoice_id": invoice_id,
            "extra": None,
        }
        | stamp
        for payment_id, client_id, payment_date, cents, currency, label, invoice_id in columns
    ]
    for chunk in _chunks(rows):
        connection.execute(insert(TABLE_OBJECTS["payments"]), list(chunk))
