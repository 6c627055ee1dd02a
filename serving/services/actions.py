"""Relances done: record what a collector did on an invoice, for the API and the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ledger.audit import Writer, record_write
from ledger.contract import Ledger
from ledger.days import day_number
from ledger.errors import LedgerError, UnknownInvoice
from ledger.storage import write_ledger
from serving.ledger_source import Snapshot


class ActionBeforeInvoice(LedgerError):
    """An action dated before the invoice it is about."""


@dataclass(frozen=True)
class Action:
    """A relance on an invoice and what came of it (``outcome``: promise_to_pay, dispute,
    no_answer or paid; ``promised_date`` with a promise)."""

    invoice_id: str
    action_date: dt.date
    channel: str
    outcome: str | None = None
    promised_date: dt.date | None = None

    def frame(self) -> pd.DataFrame:
        """The action as one row of the ledger's actions table."""
        promised = pd.Series([self.promised_date], dtype=object)
        return pd.DataFrame(
            {
                "invoice_id": [self.invoice_id],
                "action_date": pd.to_datetime([self.action_date]).astype("datetime64[ns]"),
                "channel": [self.channel],
                "outcome": pd.Series([self.outcome], dtype=object),
                "promised_date": pd.to_datetime(promised).astype("datetime64[ns]"),
            }
        )

    def summary(self, created: bool) -> str:
        """The action in words, for the audit log."""
        outcome = f", {self.outcome}" if self.outcome else ""
        promised = f" for {self.promised_date}" if self.promised_date else ""
        done = "" if created else " (already recorded: nothing written)"
        return (
            f"relance by {self.channel} on invoice {self.invoice_id} on {self.action_date}"
            f"{outcome}{promised}{done}"
        )


def record_action(engine: Engine, snapshot: Snapshot, action: Action, writer: Writer) -> bool:
    """Write ``action`` and its audit entry, all or nothing; False when the very same action
    was recorded already (nothing written).

    Raises:
        ActionBeforeInvoice: the action is dated before the invoice.
        UnknownInvoice: the invoice is not in the ledger.
    """
    prepared = snapshot.features.prepared_
    row = prepared.invoice_codes(pd.Series([action.invoice_id], dtype=object))[0]
    if row >= 0:  # else the snapshot may predate the invoice: the database decides below
        issue_day = int(prepared.invoices["issue_day"].iloc[row])
        if day_number(action.action_date) < issue_day:
            raise ActionBeforeInvoice(
                f"action_date {action.action_date} is before the invoice's date"
            )
    try:
        with engine.begin() as connection:
            summary = write_ledger(connection, Ledger(actions=action.frame()), writer)
            created = summary.tables["actions"].inserted == 1
            record_write(connection, writer, action.summary(created), [action.invoice_id])
    except IntegrityError:  # the foreign key to invoices: the one check that cannot race
        raise UnknownInvoice(action.invoice_id) from None
    return bool(created)
