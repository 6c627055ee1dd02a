"""The data contract: the tables, their columns and the in-memory ledger.

Files (CSV, Parquet) carry the contract's column names with money in currency
units (``123.45``). In memory, money is exact integer cents in a column named
``<name>_cents`` (``amount`` -> ``amount_cents``), dates are ``datetime64[ns]``
at midnight, booleans are ``bool``; sums become ``Decimal`` at the edges. User
columns named ``x_*`` travel with their row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

ColumnKind = Literal["id", "text", "date", "money", "int", "bool", "choice", "country"]

USER_COLUMN_PREFIX = "x_"
MAX_ID_LENGTH = 64  # what the database holds (String(64))


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id, in plain words; None when it can.

    One rule for every id, imported or sent to the API: at most :data:`MAX_ID_LENGTH`
    characters, all printable (no control characters such as NUL, no invisible format
    characters such as U+202E that reverse the text shown), no spaces around it.
    """
    if not value:
        return "an id may not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"an id has at most {MAX_ID_LENGTH} characters, this one has {len(value)}"
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        return f"an id may hold only printable characters, not U+{ord(bad):04X}"
    if value != value.strip():
        return "an id may not start or end with a space"
    return None


DEFAULT_CURRENCY = "EUR"
DOC_TYPES = ("invoice", "credit_note")
CHANNELS = ("email", "call", "letter", "formal_notice", "legal")
OUTCOMES = ("promise_to_pay", "dispute", "no_answer", "paid")
EFFET_KINDS = ("lcr", "billet")  # lettre de change relevé, billet à ordre (relevé)
REMITTANCES = ("collection", "discount")  # remis à l'encaissement (5113), à l'escompte (5114)


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    kind: ColumnKind
    description: str
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()

    @property
    def memory_name(self) -> str:
        """Name of the column in memory: money columns hold cents."""
        return f"{self.name}_cents" if self.kind == "money" else self.name


@dataclass(frozen=True)
class TableSpec:
    """One table of the contract: its columns and how a row is identified."""

    name: str
    columns: tuple[Column, ...]
    id_column: str | None
    required_file: bool
    description: str

    @property
    def column_names(self) -> list[str]:
        """Contract (file) column names, in order."""
        return [c.name for c in self.columns]

    @property
    def memory_names(self) -> list[str]:
        """In-memory column names, in order."""
        return [c.memory_name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name`` (file name)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


CLIENTS = TableSpec(
    name="clients",
    id_column="client_id",
    required_file=True,
    description="one row per client (compte 411 auxiliaire)",
    columns=(
        Column("client_id", "id", "client identifier", required=True),
        Column("name", "text", "client name"),
        Column("country", "country", "ISO 3166 alpha-2 country code"),
        Column("sector", "text", "business sector"),
        Column("is_public_sector", "bool", "public-sector buyer", default=False),
        Column("created_on", "date", "start of the relationship"),
        Column("payment_terms_days", "int", "agreed payment terms in days"),
        Column("credit_limit", "money", "credit limit granted (encours autorisé)"),
    ),
)

INVOICES = TableSpec(
    name="invoices",
    id_column="invoice_id",
    required_file=True,
    description="one row per invoice or credit note",
    columns=(
        Column("invoice_id", "id", "invoice number", required=True),
        Column("client_id", "id", "client billed; must exist in clients", required=True),
        Column("issue_date", "date", "date of issue", required=True),
        Column("due_date", "date", "due date; on or after the issue date", required=True),
        Column("amount", "money", "amount TTC, greater than zero", required=True),
        Column("currency", "text", "ISO 4217 currency", default=DEFAULT_CURRENCY),
        Column(
            "doc_type", "choice", "invoice or credit_note", default="invoice", choices=DOC_TYPES
        ),
        Column("disputed", "bool", "the client disputes the invoice (litige)", default=False),
        Column("paid_date", "date", "date fully settled; empty while open"),
        Column("written_off", "bool", "written off as a loss (passée en perte)", default=False),
        Column("credited_invoice_id", "id", "for a credit note: the invoice it credits"),
        Column(
            "doubtful_date",
            "date",
            "date moved to créances douteuses (compte 416); empty while not douteuse",
        ),
        Column(
            "reference",
            "text",
            "number printed on the invoice (a FEC's PieceRef) when the id is another",
        ),
    ),
)

PAYMENTS = TableSpec(
    name="payments",
    id_column="payment_id",
    required_file=False,
    description="payments received (règlements)",
    columns=(
        Column("payment_id", "id", "payment identifier", required=True),
        Column("client_id", "id", "paying client; must exist in clients", required=True),
        Column("payment_date", "date", "date received", required=True),
        Column("amount", "money", "amount received, greater than zero", required=True),
        Column("currency", "text", "ISO 4217 currency", default=DEFAULT_CURRENCY),
        Column("reference", "text", "free text as on the bank statement"),
        Column("invoice_id", "id", "invoice settled, when already matched (lettré)"),
    ),
)

ADVANCES = TableSpec(
    name="advances",
    id_column=None,
    required_file=False,
    description="advances and deposits received before invoicing (compte 419)",
    columns=(
        Column("client_id", "id", "client; must exist in clients", required=True),
        Column("received_date", "date", "date received", required=True),
        Column("amount", "money", "amount received, greater than zero", required=True),
        Column("currency", "text", "ISO 4217 currency", default=DEFAULT_CURRENCY),
        Column("reference", "text", "free text"),
        Column(
            "applied_date",
            "date",
            "date the advance was set against an invoice; empty while still held",
        ),
    ),
)

UNBILLED = TableSpec(
    name="unbilled",
    id_column=None,
    required_file=False,
    description="delivered, not yet invoiced (factures à émettre)",
    columns=(
        Column("client_id", "id", "client; must exist in clients", required=True),
        Column("delivered_date", "date", "date delivered; empty if unknown"),
        Column("expected_issue_date", "date", "expected invoicing date", required=True),
        Column("amount", "money", "amount TTC, greater than zero", required=True),
        Column("currency", "text", "ISO 4217 currency", default=DEFAULT_CURRENCY),
    ),
)

EFFETS = TableSpec(
    name="effets",
    id_column="effet_id",
    required_file=False,
    description="bills receivable (effets à recevoir, compte 413): LCR and billets à ordre",
    columns=(
        Column("effet_id", "id", "bill identifier", required=True),
        Column("client_id", "id", "drawee (tiré); must exist in clients", required=True),
        Column("invoice_id", "id", "invoice the bill pays, when known"),
        Column(
            "kind", "choice", "lcr or billet (billet à ordre)", default="lcr", choices=EFFET_KINDS
        ),
        Column("drawn_date", "date", "date the bill was drawn or accepted", required=True),
        Column(
            "due_date", "date", "due date (échéance); on or after the drawn date", required=True
        ),
        Column("amount", "money", "amount of the bill, greater than zero", required=True),
        Column("currency", "text", "ISO 4217 currency", default=DEFAULT_CURRENCY),
        Column("remitted_date", "date", "date remitted to the bank; empty while held"),
        Column(
            "remittance",
            "choice",
            "collection (à l'encaissement) or discount (à l'escompte); empty while held",
            choices=REMITTANCES,
        ),
        Column("unpaid_date", "date", "date returned unpaid (impayé); empty otherwise"),
    ),
)

ACTIONS = TableSpec(
    name="actions",
    id_column=None,
    required_file=False,
    description="dunning history (relances)",
    columns=(
        Column("invoice_id", "id", "invoice chased; must exist in invoices", required=True),
        Column("action_date", "date", "date of the action", required=True),
        Column(
            "channel",
            "choice",
            "email, call, letter, formal_notice or legal",
            required=True,
            choices=CHANNELS,
        ),
        Column("outcome", "choice", "promise_to_pay, dispute, no_answer or paid", choices=OUTCOMES),
        Column("promised_date", "date", "date promised by the client"),
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (CLIENTS, INVOICES, PAYMENTS, ADVANCES, UNBILLED, ACTIONS, EFFETS)
}


def user_columns(frame: pd.DataFrame) -> list[str]:
    """The user's own columns (``x_*``) of a frame, in order."""
    return [str(c) for c in frame.columns if str(c).startswith(USER_COLUMN_PREFIX)]


def empty_frame(spec: TableSpec) -> pd.DataFrame:
    """An empty in-memory frame of ``spec`` with the right dtypes."""
    dtypes = {
        "id": "object",
        "text": "object",
        "choice": "object",
        "country": "object",
        "date": "datetime64[ns]",
        "money": "Int64",
        "int": "Int64",
        "bool": "bool",
    }
    return pd.DataFrame({c.memory_name: pd.Series(dtype=dtypes[c.kind]) for c in spec.columns})


@dataclass
class Ledger:
    """The receivables ledger in memory: one frame per contract table.

    Money is in integer cents (``amount_cents``), dates are ``datetime64[ns]``.
    Optional tables are empty frames with the contract's columns when absent.
    """

    clients: pd.DataFrame = field(default_factory=lambda: empty_frame(CLIENTS))
    invoices: pd.DataFrame = field(default_factory=lambda: empty_frame(INVOICES))
    payments: pd.DataFrame = field(default_factory=lambda: empty_frame(PAYMENTS))
    advances: pd.DataFrame = field(default_factory=lambda: empty_frame(ADVANCES))
    unbilled: pd.DataFrame = field(default_factory=lambda: empty_frame(UNBILLED))
    actions: pd.DataFrame = field(default_factory=lambda: empty_frame(ACTIONS))
    effets: pd.DataFrame = field(default_factory=lambda: empty_frame(EFFETS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames by table name, in contract order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def contract_frame(spec: TableSpec, length: int, **columns: Any) -> pd.DataFrame:
    """A table of the data contract in its in-memory types; absent columns are missing.

    Values are taken in order (a Series' index is ignored), so nothing is realigned.
    """
    data: dict[str, Any] = {}
    for col in spec.columns:
        value: Any = columns.get(col.memory_name)
        if isinstance(value, pd.Series):
            value = value.array
        if col.kind in ("id", "text", "choice", "country"):
            if value is None:
                value = [col.default] * length
            series = pd.Series(value, dtype=object)
            data[col.memory_name] = series.where(series.notna(), None)
        elif col.kind == "date":
            data[col.memory_name] = pd.Series(
                pd.NaT if value is None else value, index=range(length), dtype="datetime64[ns]"
            )
        elif col.kind in ("money", "int"):
            data[col.memory_name] = pd.array(
                [pd.NA] * length if value is None else value, dtype="Int64"
            )
        else:
            data[col.memory_name] = np.full(length, bool(col.default)) if value is None else value
    return pd.DataFrame(data, index=range(length))
