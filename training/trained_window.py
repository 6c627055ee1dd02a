"""The window a registered model version learned from, as its training run logged it.

``encours train`` logs the cut-off of its out-of-time split as the run's ``cutoff``
parameter: the model saw the invoices issued before it. Drift is measured against them.
"""

from __future__ import annotations

import datetime as dt

from training.registry import opened


def training_cutoff(name: str, version: str, tracking_uri: str | None = None) -> dt.date | None:
    """The training cut-off of version ``version`` of ``name``; None when its run logged
    none (a model registered by hand) or the registry cannot say."""
    try:
        with opened(tracking_uri) as client:
            run_id = client.get_model_version(name, version).run_id
            if not run_id:
                return None
            cutoff = client.get_run(run_id).data.params.get("cutoff")
    except Exception:  # the store's driver, its files: no window is then known
        return None
    try:
        return dt.date.fromisoformat(cutoff) if cutoff else None
    except ValueError:
        return None
