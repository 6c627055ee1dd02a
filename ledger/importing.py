"""``encours import``: read a directory of contract files and save it, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ledger.reading import read_ledger_dir
from ledger.storage import SaveSummary, known_ids, migrate, save_ledger


@dataclass(frozen=True)
class ImportReport:
    """What an import read and changed."""

    files: dict[str, Path]
    warnings: list[str]
    summary: SaveSummary

    def as_json(self) -> dict[str, object]:
        """The report as one JSON-ready object."""
        return {
            "files": {name: str(path) for name, path in self.files.items()},
            "warnings": self.warnings,
            "tables": {
                name: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.summary.tables.items()
            },
        }


def import_directory(engine: Engine, directory: Path) -> ImportReport:
    """Validate every file of ``directory`` and save the ledger in one transaction.

    Raises:
        ImportRejected: a file has a bad row; the database is unchanged.
    """
    migrate(engine)
    client_ids, invoice_ids = known_ids(engine)
    result = read_ledger_dir(directory, known_client_ids=client_ids, known_invoice_ids=invoice_ids)
    summary = save_ledger(engine, result.ledger)
    return ImportReport(files=result.files, warnings=result.warnings, summary=summary)
