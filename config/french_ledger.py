"""The French of the ledger commands' newer texts (``encours aged-balance``).

Kept apart from :mod:`config.french`, which reads them in (that file is near its size
limit); the same rules hold (placeholders and markup kept as they are).
"""

from __future__ import annotations

LEDGER_FRENCH: dict[str, str] = {
    "Aged balance at {day}": "Balance âgée au {day}",
    "currency": "devise",
    "No open invoice at {day}.": "Aucune facture ouverte au {day}.",
}
