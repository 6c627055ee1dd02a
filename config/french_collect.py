"""The French of the texts of the collection commands (letters, LME, affacturage).

Kept apart from :mod:`config.french`, which reads them in, so that the two grow without
touching each other; the same rules hold (placeholders and markup kept as they are).
"""

from __future__ import annotations

COLLECT_FRENCH: dict[str, str] = {
    "{n} letters ({step}) written to [bold]{out}[/], {actions} actions recorded": (
        "{n} lettres ({step}) écrites dans [bold]{out}[/], {actions} actions enregistrées"
    ),
}
