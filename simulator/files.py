"""Write a simulation: the ledger as contract files, the truth apart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ledger.files import FileFormat, write_ledger
from simulator.parameters import Simulation


def write_simulation(sim: Simulation, out_dir: Path, fmt: FileFormat = "csv") -> list[Path]:
    """Write the ledger as contract files and the truth apart, under ``out_dir / "truth"``.

    Returns:
        The paths written: the ledger tables, then ``truth/invoices.<fmt>`` and
        ``truth/clients.<fmt>``.
    """
    written = write_ledger(sim.ledger, out_dir, fmt)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in (("invoices", sim.truth), ("clients", sim.clients_truth)):
        path = truth_dir / f"{name}.{fmt}"
        table = frame.copy()
        for col in table.columns:
            if pd.api.types.is_datetime64_any_dtype(table[col]):
                table[col] = table[col].dt.strftime("%Y-%m-%d")
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
        written.append(path)
    return written
