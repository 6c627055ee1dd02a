"""The ids a FEC import builds, checked with the rule every id follows.

A FEC carries no ids of the data contract: the client id is its account (``CompAuxNum``,
else ``CompteNum``), an invoice's is its ``PieceRef`` or ``<JournalCode>-<entry>-<client>``,
a payment's ``<JournalCode>-<EcritureNum>-<date>``, a bill's the same with its client.
Each must pass :func:`ledger.contract.id_problem` (at most ``MAX_ID_LENGTH`` printable
characters), or the database could not hold it, or a person could not read it. A problem
names the FEC column to fix: the part of the id holding a character the rule refuses, else
(the id is too long) the column the id comes from.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ledger.validation import Failure, id_failures

# Line columns ids are made of -> their FEC column, in the order they are blamed.
ID_PARTS = (
    ("journal", "JournalCode"),
    ("entry", "EcritureNum"),
    ("piece_ref", "PieceRef"),
    ("aux", "CompAuxNum"),
    ("account", "CompteNum"),
)


def client_id_failures(client_lines: pd.DataFrame) -> list[Failure]:
    """Client accounts that cannot be ids, named in the column they come from."""
    has_aux = client_lines["aux"].notna()
    ids = client_lines["client_id"]
    return [*id_failures("CompAuxNum", ids[has_aux]), *id_failures("CompteNum", ids[~has_aux])]


def built_id_failures(ids: pd.Series, lines: pd.DataFrame, field: str) -> list[Failure]:
    """The lines whose built id (indexed by row) breaks the rule, by the column to fix.

    Args:
        ids: the id each line gives, indexed by the line's row number.
        lines: the lines, by row number, with the columns of :data:`ID_PARTS`.
        field: the column named when no part holds a refused character (too long).
    """
    failures: list[Failure] = []
    for failure in id_failures(field, ids):
        rows = failure.rows
        blamed = pd.Series(field, index=rows, dtype=object)
        for column, name in reversed(ID_PARTS):
            part = lines[column].reindex(rows)
            refused = part.map(lambda v: isinstance(v, str) and not v.isprintable())
            blamed[refused.to_numpy(dtype=bool)] = name
        failures += [
            replace(failure, field=name, rows=rows[(blamed == name).to_numpy()])
            for name in blamed.unique()
        ]
    return failures
