"""What the app holds while it runs: built in the lifespan, never at import."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from encours.settings import Settings
from serving.ledger_source import LedgerSource
from serving.scoring import LoadedModel


@dataclass
class AppState:
    """Settings, database, ledger and the champion model of one running app."""

    settings: Settings
    engine: Engine
    ledger: LedgerSource
    late_model: LoadedModel | None
