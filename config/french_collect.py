"""The French of the texts of the collection commands (letters, LME, affacturage).

Kept apart from :mod:`config.french`, which reads them in, so that the two grow without
touching each other; the same rules hold (placeholders and markup kept as they are).
"""

from __future__ import annotations

COLLECT_FRENCH: dict[str, str] = {
    "{n} letters ({step}) written to [bold]{out}[/], {actions} actions recorded": (
        "{n} lettres ({step}) écrites dans [bold]{out}[/], {actions} actions enregistrées"
    ),
    "public buyer: 30 days": "acheteur public : 30 jours",
    "agreed terms: 60 days or 45 days end of month": (
        "délai convenu : 60 jours ou 45 jours fin de mois"
    ),
    "no agreed terms: 30 days": "sans délai convenu : 30 jours",
    "LME at {day}: {n} clients flagged, invoices issued from {since}": (
        "LME au {day} : {n} clients signalés, factures émises depuis le {since}"
    ),
    "terms": "délai",
    "limit": "plafond",
    "invoices beyond": "factures au-delà",
    "latest lawful": "échéance maximale légale",
    "days beyond": "jours au-delà",
    "{n} invoices beyond the law": "{n} factures au-delà du délai légal",
    "paid by then": "payée d'ici là",
    "cost of factoring": "coût de l'affacturage",
    "cost of waiting": "coût de l'attente",
    "chosen": "retenue",
    "Affacturage at {day}: {amount} {currency} needed by {by}, {confidence} sure": (
        "Affacturage au {day} : {amount} {currency} nécessaires au {by}, sûrs à {confidence}"
    ),
    "plan": "plan",
    "sell nothing": "ne rien céder",
    "sell everything": "tout céder",
    "{name}: cost {cost}, assured by then {assured} ({met})": (
        "{name} : coût {cost}, assuré d'ici là {assured} ({met})"
    ),
    "need met": "besoin couvert",
    "need not met": "besoin non couvert",
}
