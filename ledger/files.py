"""Write a ledger as data-contract files (CSV or Parquet).

These files are data for ``encours import``, not reports for people: values are written
exactly as the ledger holds them, so that importing them gives the same ledger back. Text
a spreadsheet would run as a formula is therefore not quoted here (a leading ``'`` could not
be told from a client really named ``'t Hooft``); the files people open are the worklist
exports of :mod:`serving.exports`, which are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from ledger.contract import TABLES, Ledger, TableSpec, user_columns
from ledger.money import format_cents

FileFormat = Literal["csv", "parquet"]


def contract_frame(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """An in-memory frame turned into the contract's file shape (text money, ISO dates)."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        values = frame.get(col.memory_name, None)
        if values is None:
            continue
        if col.kind == "money":
            out[col.name] = format_cents(values)
        elif col.kind == "date":
            out[col.name] = values.dt.strftime("%Y-%m-%d").astype("object")
            out.loc[values.isna(), col.name] = None
        elif col.kind == "bool":
            out[col.name] = values.map({True: "true", False: "false"})
        else:
            out[col.name] = values
    for name in user_columns(frame):
        out[name] = frame[name]
    return out.reset_index(drop=True)


def write_ledger(ledger: Ledger, out_dir: Path, fmt: FileFormat = "csv") -> list[Path]:
    """Write every non-empty table of ``ledger`` to ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in ledger.tables().items():
        spec = TABLES[name]
        if frame.empty and not spec.required_file:
            continue
        path = out_dir / f"{name}.{fmt}"
        table = contract_frame(spec, frame)
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.astype("string").to_parquet(path, index=False)
        written.append(path)
    return written
