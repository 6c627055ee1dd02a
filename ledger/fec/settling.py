"""Lettrage groups and what settles what: payment rows, settlement dates, write-offs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledger.contract import (
    PAYMENTS,
    contract_frame,
)
from ledger.fec.lines import IntArray
from ledger.fec.roles import (
    CREDIT_NOTE,
    CREDITED_ROLES,
    OWED_ROLES,
    SETTLING_ROLES,
    TRANSFER,
    WRITE_OFF,
    _in_settlement_order,
    _pick,
)


def _allocate(
    owed_group: IntArray, owed_cents: IntArray, paying_group: IntArray, paying_cents: IntArray
) -> pd.DataFrame:
    """Set paying amounts against owed amounts of the same group, first in first out.

    Both sides are sorted by group, then in the order they settle, with amounts > 0.
    Each group is laid on one number line after the previous ones; the owed items and
    the paying items each tile it from the group's start, and every stretch between two
    consecutive boundaries belongs to at most one owed and one paying item.

    Returns:
        One row per stretch: ``owed`` and ``paying`` positions (-1 when the stretch is
        owed but unpaid, or paid beyond what its group owes) and ``cents``.
    """
    groups = np.union1d(owed_group, paying_group)
    owed_total = pd.Series(owed_cents).groupby(owed_group).sum().reindex(groups, fill_value=0)
    paid_total = pd.Series(paying_cents).groupby(paying_group).sum().reindex(groups, fill_value=0)
    span = np.maximum(owed_total.to_numpy(np.int64), paid_total.to_numpy(np.int64))
    offset = pd.Series(np.cumsum(span) - span, index=groups)

    def tiles(group: IntArray, cents: IntArray) -> tuple[IntArray, IntArray]:
        within = pd.Series(cents).groupby(group).cumsum().to_numpy(np.int64)
        end = offset.reindex(group).to_numpy(np.int64) + within
        return end - cents, end

    owed_start, owed_end = tiles(owed_group, owed_cents)
    paid_start, paid_end = tiles(paying_group, paying_cents)
    points = np.unique(np.concatenate([owed_start, owed_end, paid_start, paid_end]))
    start, length = points[:-1], np.diff(points)

    def cover(item_start: IntArray, item_end: IntArray) -> IntArray:
        at = np.searchsorted(item_end, start, side="right")
        inside = at < len(item_end)
        inside[inside] = item_start[at[inside]] <= start[inside]
        return np.where(inside, at, -1)

    owed, paying = cover(owed_start, owed_end), cover(paid_start, paid_end)
    keep = (owed >= 0) | (paying >= 0)
    return pd.DataFrame({"owed": owed[keep], "paying": paying[keep], "cents": length[keep]})


def _joined_across_transfers(client_lines: pd.DataFrame, group: pd.Series) -> pd.Series:
    """Lettrage groups, those tied by a transfer between client accounts made one.

    Moving an invoice from 411 to 416 (douteux) or 413 (effets) letters it on 411 with
    the transfer's credit, and opens it again on the other account with the transfer's
    debit, lettered there with what finally settles it: both groups are one story. A
    side of the transfer left unlettered (a bill still held on 413) joins the other's
    group, so that the invoice stays open until that side is settled.
    """
    moves = client_lines[client_lines["role"] == TRANSFER]
    if moves.empty:
        return group
    keys = [moves["journal"], moves["entry_key"], moves["client_id"]]
    moved = group[moves.index].where(group[moves.index] >= 0)
    lowest = moved.groupby(keys).transform("min")
    named = moved.notna()
    renamed = pd.Series(lowest[named].to_numpy(), index=moved[named].astype(np.int64))
    renamed = renamed.groupby(level=0).min()
    joined = group.map(renamed).fillna(group)
    loose = lowest.notna() & moved.isna()
    joined[loose[loose].index] = lowest[loose]
    return joined.astype(np.int64)


def _lettrage(client_lines: pd.DataFrame) -> pd.DataFrame:
    """Per client line: its lettrage group (-1 if none), settlement date and write-off.

    A group is the lines of one client account with one ``EcritureLet`` code; when it
    balances it settles its lines, on its latest ``DateLet`` or line date.
    """
    lettered = client_lines["let_code"].notna()
    keys = [client_lines["account"], client_lines["client_id"], client_lines["let_code"]]
    group = client_lines.groupby(keys, sort=False, dropna=False).ngroup().where(lettered, -1)
    group = _joined_across_transfers(client_lines, group)
    lettered = group >= 0
    in_group = client_lines[lettered]
    by_group = in_group.groupby(group[lettered])
    balanced = by_group["signed"].sum() == 0
    latest = pd.concat([by_group["let_date"].max(), by_group["date"].max()], axis=1).max(axis=1)
    lost = (in_group["role"] == WRITE_OFF).groupby(group[lettered]).any()
    settled = balanced.reindex(group, fill_value=False).to_numpy(dtype=bool)
    to_416 = (in_group["role"] == TRANSFER) & in_group["account"].str.startswith("416")
    doubtful = in_group["entry_date"].where(to_416).groupby(group[lettered]).min()
    return pd.DataFrame(
        {
            "group": group.to_numpy(np.int64),
            "doubtful_on": doubtful.reindex(group).to_numpy(dtype="datetime64[ns]"),
            "settled_on": latest.reindex(group).where(settled).to_numpy(dtype="datetime64[ns]"),
            "written_off": lost.reindex(group, fill_value=False).to_numpy(dtype=bool) & settled,
        },
        index=client_lines.index,
    )


def _settlements(client_lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Payment rows (one per payment line and invoice it settles), each credit note's invoice.

    Within each lettrage group, payments, credit notes and write-offs settle the group's
    debits in date order; a payment's money beyond them stays unmatched (no invoice).
    """
    grouped = client_lines[client_lines["group"] >= 0]
    owed = _in_settlement_order(grouped[grouped["role"].isin(OWED_ROLES)])
    paying = _in_settlement_order(grouped[grouped["role"].isin(SETTLING_ROLES)])
    stretches = _allocate(
        owed["group"].to_numpy(np.int64),
        owed["signed"].to_numpy(np.int64),
        paying["group"].to_numpy(np.int64),
        (-paying["signed"]).to_numpy(np.int64),
    )
    stretches = stretches[stretches["paying"] >= 0]
    owed_ids = owed["invoice_id"].to_numpy(dtype=object)
    at = stretches["paying"].to_numpy()
    settling = pd.DataFrame(
        {
            "row": paying["row"].to_numpy()[at],
            "role": paying["role"].to_numpy()[at],
            "invoice_id": _pick(owed_ids, stretches["owed"].to_numpy()),
            "cents": stretches["cents"].to_numpy(),
        }
    )
    notes = settling[(settling["role"] == CREDIT_NOTE) & settling["invoice_id"].notna()]
    credited = notes.groupby("row")["invoice_id"].first()

    payments = client_lines[client_lines["role"].isin(CREDITED_ROLES)]
    unlettered = payments[payments["group"] < 0]
    split = pd.concat(
        [
            settling[settling["role"].isin(CREDITED_ROLES)].drop(columns="role"),
            pd.DataFrame(
                {
                    "row": unlettered["row"].to_numpy(),
                    "invoice_id": np.full(len(unlettered), None, dtype=object),
                    "cents": (-unlettered["signed"]).to_numpy(np.int64),
                }
            ),
        ],
        ignore_index=True,
    )
    rows = (
        split.assign(key=split["invoice_id"].fillna("\x00"))
        .groupby(["row", "key"], sort=False)
        .agg(invoice_id=("invoice_id", "first"), cents=("cents", "sum"))
        .reset_index()
        .sort_values("row", kind="stable", ignore_index=True)
    )
    return rows, credited


def _payments(client_lines: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The payments table: ids ``<JournalCode>-<EcritureNum>-<EcritureDate>``.

    ``.k`` marks the k-th payment line of an entry (a remittance of several cheques),
    ``/k`` the k-th invoice a payment line settles (its first one keeps the plain id, so
    that an id stays when a later export splits the payment).
    """
    lines = client_lines[client_lines["role"].isin(CREDITED_ROLES)]
    at = rows["row"]
    label = lines["label"].fillna(lines["piece_ref"])
    return contract_frame(
        PAYMENTS,
        len(rows),
        payment_id=_payment_ids(client_lines, rows).to_numpy(dtype=object),
        client_id=lines["client_id"].reindex(at),
        payment_date=lines["date"].reindex(at),
        amount_cents=rows["cents"],
        reference=label.reindex(at),
        invoice_id=rows["invoice_id"],
    )


def _payment_ids(client_lines: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """The id of each payment row (see :func:`_payments`), indexed by its line's row."""
    lines = client_lines[client_lines["role"].isin(CREDITED_ROLES)]
    day = lines["entry_date"].dt.strftime("%Y%m%d")
    base = lines["journal"] + "-" + lines["entry"] + "-" + day
    nth_line = lines.groupby(["journal", "entry"], sort=False).cumcount() + 1
    base = base.where(nth_line == 1, base + "." + nth_line.astype(str))
    at = rows["row"]
    nth_invoice = rows.groupby("row").cumcount() + 1
    suffix = np.where(nth_invoice > 1, "/" + nth_invoice.astype(str), "")
    ids = base.reindex(at).astype(str).to_numpy(dtype=object) + suffix.astype(object)
    return pd.Series(ids, index=pd.Index(at), dtype=object)
