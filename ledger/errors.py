"""Domain errors of the ledger; the CLI maps them to exit codes, the API to problem+json."""

from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    """Base of every error a user can cause by what they send or import."""


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an imported file, named in plain words.

    ``row`` is the data row number as a person counts it in the file (1 = the first row
    after the header), or ``None`` for a problem with the whole file (a missing column).
    """

    file: str
    row: int | None
    field: str | None
    message: str
    value: str | None = None

    @property
    def explanation(self) -> str:
        """The message, with the offending value when the message does not quote it."""
        if self.value is None or self.value in self.message:
            return self.message
        return f"{self.message} (got {self.value!r})"

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        if self.field:
            where += f", column {self.field}"
        return f"{where}: {self.explanation}"


class ImportRejected(LedgerError):
    """A file had at least one bad row: nothing was written. Carries every problem found."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        files = sorted({p.file for p in problems})
        super().__init__(
            f"import rejected: {len(problems)} problem(s) in {', '.join(files)}; "
            "nothing was written"
        )


class UnknownClient(LedgerError):
    """A client id that the ledger does not hold."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(f"unknown client {client_id!r}")


class UnknownInvoice(LedgerError):
    """An invoice id that the ledger does not hold."""

    def __init__(self, invoice_id: str) -> None:
        self.invoice_id = invoice_id
        super().__init__(f"unknown invoice {invoice_id!r}")
