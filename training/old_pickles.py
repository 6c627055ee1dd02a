"""Models registered before ``model.json``: pickles, read with the module paths that moved.

Until then each model was logged with ``mlflow.sklearn`` as a cloudpickle, which names
the module of every class it holds. A pickle names the module the class lived in when it
was registered: :data:`MOVED` maps each module path that moved since to where its
classes are now, so that an old version still loads. It is the one place to add a line
when a module holding a registered class moves.

Only the registry reads these, and only for versions without ``model.json``; newer ones
load without unpickling (:mod:`training.model_files`).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

MOVED: dict[str, str] = {
    # ledger/fec.py became the package ledger/fec/ (its modules beside it moved in).
    "ledger.fec_effets": "ledger.fec.effets",
    "ledger.fec_ids": "ledger.fec.ids",
}
"""Old module path -> the module that holds its classes now (a pickle names the old)."""


def moved(module: str) -> str:
    """Where the classes a pickle places in ``module`` live now: the table's entry for
    ``module`` or for the nearest package above it (its submodules moved with it)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        old = ".".join(parts[:end])
        if old in MOVED:
            return ".".join([MOVED[old], *parts[end:]])
    return module


class MovedModules(pickle.Unpickler):
    """An unpickler that finds each class where :data:`MOVED` says it lives now."""

    def find_class(self, module: str, name: str) -> Any:
        """The class (or function) ``name`` of ``module``, read at its new place if it moved."""
        return super().find_class(moved(module), name)


def unpickle(path: Path) -> Any:
    """The object pickled in ``path`` (cloudpickle writes plain pickles), old paths mapped."""
    with path.open("rb") as file:
        return MovedModules(file).load()


def load_pickled_model(root: Path) -> Any:
    """The model an ``mlflow.sklearn`` MLflow model folder ``root`` holds, unpickled.

    Raises:
        ValueError: the folder holds no scikit-learn model of a pickle format.
        OSError: its files cannot be read.
    """
    from mlflow.models import Model

    flavor = Model.load(str(root)).flavors.get("sklearn")
    if flavor is None or flavor.get("serialization_format", "cloudpickle") not in (
        "pickle",
        "cloudpickle",
    ):
        raise ValueError("the model is neither in model.json nor a scikit-learn pickle")
    return unpickle(root / flavor["pickled_model"])
