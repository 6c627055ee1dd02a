"""``encours import``: read a directory of contract files and save it, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from ledger.reading import read_ledger_dir
from ledger.storage import SaveSummary, known_ids, migrate, save_ledger


@dataclass(frozen=True)
class ImportReport:
    """What an import read and changed.

    ``detected`` says, one line per file, how it was written (separator, encoding,
    decimal mark, date layout), so that a person can check nothing was misread.
    """

    files: dict[str, Path]
    warnings: list[str]
    summary: SaveSummary
    detected: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The report as one JSON-ready object."""
        return {
            "files": {name: str(path) for name, path in self.files.items()},
            "warnings": self.warnings,
            "detected": self.detected,
            "tables": {
                name: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.summary.tables.items()
            },
        }


def import_directory(engine: Engine, directory: Path) -> ImportReport:
    """Validate every file of ``directory`` and save the ledger in one transaction.

    ``directory`` may also be an ``.xlsx`` workbook with a sheet per table.

    Raises:
        ImportRejected: a file has a bad row; the database is unchanged.
    """
    migrate(engine)
    client_ids, invoice_ids = known_ids(engine)
    result = read_ledger_dir(directory, known_client_ids=client_ids, known_invoice_ids=invoice_ids)
    summary = save_ledger(engine, result.ledger)
    return ImportReport(result.files, result.warnings, summary, result.detected)
