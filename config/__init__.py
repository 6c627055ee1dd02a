"""Configuration that every layer may import: the settings and the legal defaults.

It sits below ``ledger/`` and imports nothing of the project, so that ``serving/`` reads
its settings without importing the shell (``encours/``).
"""

from __future__ import annotations

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
