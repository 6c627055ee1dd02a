"""FEC lines written in tests: one line as a dict of its columns, a file of them."""

from __future__ import annotations

from pathlib import Path

from ledger.fec import FEC_COLUMNS

JOURNALS = {
    "AN": "A nouveaux",
    "VT": "Ventes",
    "VE": "Ventes",
    "BQ": "Banque",
    "OD": "Opérations diverses",
}
DUPONT = "Boulangerie Dupont"


def line(
    journal: str,
    number: str,
    date: str,
    account: str,
    debit: str = "",
    credit: str = "",
    *,
    aux: str = "",
    aux_lib: str = "",
    piece: str = "",
    piece_date: str | None = None,
    lib: str = "",
    let: str = "",
    date_let: str = "",
    account_lib: str = "",
) -> dict[str, str]:
    """One FEC line as a dict of its 18 columns."""
    return {
        "JournalCode": journal,
        "JournalLib": JOURNALS.get(journal.upper(), journal),
        "EcritureNum": number,
        "EcritureDate": date,
        "CompteNum": account,
        "CompteLib": account_lib,
        "CompAuxNum": aux,
        "CompAuxLib": aux_lib or (DUPONT if aux == "C1" else ""),
        "PieceRef": piece,
        "PieceDate": piece_date or date,
        "EcritureLib": lib,
        "Debit": debit or "0,00",
        "Credit": credit or "0,00",
        "EcritureLet": let,
        "DateLet": date_let,
        "ValidDate": date,
        "Montantdevise": "",
        "Idevise": "",
    }


def write_fec_file(
    path: Path,
    lines: list[dict[str, str]],
    *,
    sep: str = "\t",
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> Path:
    """Write ``lines`` with the header ``columns`` (default: the 18 FEC columns)."""
    names = columns or list(FEC_COLUMNS)
    rows = [sep.join(names)] + [sep.join(row.get(c, "") for c in names) for row in lines]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    return path
