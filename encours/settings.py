"""The settings, re-exported from :mod:`config.settings` so that existing imports keep working.

They live in ``config/``, below every layer, so that ``serving/`` and the layers under it can
read them without importing the shell.
"""

from __future__ import annotations

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
