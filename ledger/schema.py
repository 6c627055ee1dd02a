"""The database schema, derived from the data contract: one table per contract table.

Tables whose rows have no natural id (advances, unbilled, actions) are keyed by
``row_key``, a digest of the row's content, so re-importing a file is idempotent.
User columns (``x_*``) are stored together in the JSON column ``extra``.

The tables the API writes to (payments, actions; bank lines in ``ledger.lettrage_store``)
carry two columns outside the contract, :func:`recorded_columns`: which API key wrote the
row and when. They are the database's, not the data's: the contract's files never hold
them, and loading the ledger leaves them out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from ledger.contract import TABLES, TableSpec
from ledger.contract import Column as ContractColumn

metadata = MetaData()

ROW_KEY = "row_key"
EXTRA = "extra"

# Foreign keys the database enforces; the importer checks the rest (credited_invoice_id
# may point at a row of the same batch, which row-by-row constraint checks would refuse).
FOREIGN_KEYS = {
    ("invoices", "client_id"): "clients.client_id",
    ("payments", "client_id"): "clients.client_id",
    ("payments", "invoice_id"): "invoices.invoice_id",
    ("advances", "client_id"): "clients.client_id",
    ("unbilled", "client_id"): "clients.client_id",
    ("effets", "client_id"): "clients.client_id",
    ("actions", "invoice_id"): "invoices.invoice_id",
}


def _sql_type(col: ContractColumn) -> TypeEngine[Any]:
    types: dict[str, TypeEngine[Any]] = {
        "id": String(64),
        "text": Text(),
        "choice": String(32),
        "country": String(2),
        "date": Date(),
        "money": Numeric(18, 2),
        "int": Integer(),
        "bool": Boolean(),
    }
    return types[col.kind]


RECORDED_BY = "recorded_by"
RECORDED_AT = "recorded_at"
RECORDED_TABLES = ("payments", "actions")
"""Contract tables the API writes to, which say who wrote each row."""


def recorded_columns() -> list[Column[Any]]:
    """Who wrote a row through the API, and when; both empty for rows imported from files."""
    return [
        Column(
            RECORDED_BY,
            Integer(),
            nullable=True,
            comment="API key that wrote the row last; empty when imported from a file",
        ),
        Column(
            RECORDED_AT,
            DateTime(timezone=True),
            nullable=True,
            comment="when the API wrote the row last (UTC)",
        ),
    ]


def _table(spec: TableSpec) -> Table:
    columns: list[Column[object]] = []
    if spec.id_column is None:
        columns.append(Column(ROW_KEY, String(64), primary_key=True))
    for col in spec.columns:
        fk = FOREIGN_KEYS.get((spec.name, col.name))
        args = [ForeignKey(fk)] if fk else []
        columns.append(
            Column(
                col.name,
                _sql_type(col),
                *args,
                primary_key=col.name == spec.id_column,
                nullable=not col.required,
                index=fk is not None,
                comment=col.description,
            )
        )
    columns.append(Column(EXTRA, JSON(), nullable=True, comment="user columns x_*"))
    if spec.name in RECORDED_TABLES:
        columns.extend(recorded_columns())
    return Table(spec.name, metadata, *columns, comment=spec.description)


TABLE_OBJECTS: dict[str, Table] = {name: _table(spec) for name, spec in TABLES.items()}


API_ROLES = ("viewer", "collector", "admin")
"""Roles of API keys, least to most allowed (``serving.api_keys.Role`` orders them)."""

API_KEYS = Table(
    "api_keys",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True, comment="key number"),
    Column("name", String(100), nullable=True, comment="who or what holds the key"),
    Column("role", String(16), nullable=False, comment="viewer, collector or admin"),
    Column(
        "key_hash",
        String(64),
        nullable=False,
        unique=True,
        index=True,
        comment="SHA-256 of the token, hex; the token itself is never stored",
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, comment="when created (UTC)"),
    Column("revoked_at", DateTime(timezone=True), nullable=True, comment="when revoked (UTC)"),
    Column(
        "expires_at",
        DateTime(timezone=True),
        nullable=True,
        comment="when the key stops working (UTC); empty for never",
    ),
    Column(
        "last_used_at",
        DateTime(timezone=True),
        nullable=True,
        comment="when the API last let the key in (UTC), to the minute",
    ),
    CheckConstraint(
        "role IN (" + ", ".join(f"'{role}'" for role in API_ROLES) + ")", name="ck_api_keys_role"
    ),
    comment="keys of the HTTP API, each with a role",
)

AUDIT_LOG = Table(
    "audit_log",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True, comment="entry number"),
    Column("at", DateTime(timezone=True), nullable=False, index=True, comment="when (UTC)"),
    Column(
        "key_id",
        Integer(),
        ForeignKey("api_keys.id"),
        nullable=True,
        index=True,
        comment="API key that wrote",
    ),
    Column("role", String(16), nullable=True, comment="the key's role then"),
    Column("method", String(8), nullable=False, comment="HTTP method"),
    Column("route", String(200), nullable=False, comment="route template, e.g. /v1/actions"),
    Column("summary", Text(), nullable=False, comment="what was written, in words"),
    Column("ids", JSON(), nullable=True, comment="ids of the rows written (the first 100)"),
    comment="every write through the API: who, what, when",
)

LEDGER_VERSION = Table(
    "ledger_version",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False, comment="always 1"),
    Column("version", Integer(), nullable=False, comment="bumped by every write to the ledger"),
    CheckConstraint("id = 1", name="ck_ledger_version_one_row"),
    comment="the ledger's version: one row, its number raised by every import and action",
)

LEDGER_CHANGES = Table(
    "ledger_changes",
    metadata,
    Column("version", Integer(), primary_key=True, autoincrement=False, comment="version made"),
    Column("at", DateTime(timezone=True), nullable=False, comment="when (UTC)"),
    Column(
        "client_ids",
        JSON(),
        nullable=True,
        comment="clients whose rows the write changed; empty when too many to list (any)",
    ),
    comment="what each ledger version changed, so that a reader rereads only those clients",
)

SCORE_LOG = Table(
    "score_log",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True, comment="entry number"),
    Column("scored_at", DateTime(timezone=True), nullable=False, comment="when scored (UTC)"),
    Column("source", String(16), nullable=False, comment="api, worklist or batch"),
    Column(
        "invoice_id",
        String(64),
        nullable=False,
        comment="the invoice scored (stored or sent in a request: no foreign key)",
    ),
    Column("client_id", String(64), nullable=False, comment="its client"),
    Column("as_of", Date(), nullable=False, index=True, comment="the date it was seen at"),
    Column("model_version", String(32), nullable=False, comment="late-payment champion version"),
    Column("p_late", Float(), nullable=False, comment="probability of late payment"),
    Column("expected_date", Date(), nullable=True, comment="expected payment date"),
    Column("p10_date", Date(), nullable=True, comment="P10 payment date"),
    Column("p90_date", Date(), nullable=True, comment="P90 payment date"),
    comment="every score given, to join with outcomes once they are known (monitoring)",
)
