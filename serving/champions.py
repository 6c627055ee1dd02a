"""The champion models served: loaded from the registry together, replaced together.

A :class:`ModelSet` is never changed in place. A reload builds a whole new set and the app
swaps its one reference to it, so a request holds the set it started with to the end, and
a failed reload leaves the set served before untouched. The loading itself, and its
errors, are :mod:`training.registry`'s, as for the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from config import Settings
from serving.scoring import LoadedModel
from training.models import MODEL_NAMES
from training.registry import (
    IncompatibleModel,
    NoChampion,
    RegistryError,
    RegistryUnavailable,
    load_version,
    opened,
    store_file,
    store_file_usable,
    unavailable,
    version_of,
)

__all__ = ["IncompatibleModel", "ModelSet", "Refused", "RegistryUnavailable", "load_models"]


@dataclass(frozen=True)
class Refused:
    """A champion not served: this version of encours cannot serve it (the reason says why)."""

    name: str
    version: str
    reason: str


@dataclass(frozen=True)
class ModelSet:
    """The champions served, by registered name, those refused, and why the last (re)load
    failed if it did."""

    models: Mapping[str, LoadedModel] = field(default_factory=lambda: MappingProxyType({}))
    failure: str | None = None
    """``reload failed at <UTC time>: <error>`` while the models above are still served."""
    public_failure: str | None = None
    """The same for those without a key: an unreadable registry is told as ``registry
    unavailable`` (the error's text may name files and hosts; the log has it), a refused
    champion by its reason (feature names, which the code publishes anyway)."""
    refused: Mapping[str, Refused] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, models: Iterable[LoadedModel], refused: Iterable[Refused] = ()) -> ModelSet:
        """The set of ``models`` and ``refused``, keyed by their names."""
        return cls(
            MappingProxyType({model.name: model for model in models}),
            refused=MappingProxyType({r.name: r for r in refused}),
        )

    def get(self, name: str) -> LoadedModel | None:
        """The model served under ``name``, or None."""
        return self.models.get(name)

    def champion(self, name: str) -> LoadedModel | Refused | None:
        """The model served under ``name``, else its refusal, else None (none registered)."""
        return self.models.get(name) or self.refused.get(name)

    def refusal(self) -> IncompatibleModel | None:
        """The refused champions as one error, None when none is."""
        reasons = [r.reason for r in self.refused.values()]
        return IncompatibleModel("; ".join(reasons)) if reasons else None

    def failed(self, what: str, error: Exception) -> ModelSet:
        """The same models, noting that ``what`` ("load", "reload") failed now with ``error``."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        failed = f"{what} failed at {now}"
        public = error if isinstance(error, IncompatibleModel) else "registry unavailable"
        return ModelSet(self.models, f"{failed}: {error}", f"{failed}: {public}", self.refused)


def served_names() -> tuple[str, ...]:
    """The registered models the API serves, under the names ``encours train`` registers."""
    return MODEL_NAMES


def load_models(
    settings: Settings, current: ModelSet | None = None, names: tuple[str, ...] | None = None
) -> ModelSet:
    """The champions ``names`` (default :func:`served_names`) as the registry has them now.

    A model whose champion version is the one in ``current`` is kept as is (a registered
    version never changes), so a reload loads only what was promoted since. Models without
    a champion are left out; a champion this version of encours cannot serve (its
    features are no longer made) is left out too, and noted in ``refused``. The store is
    opened afresh each time, and a reload refuses a store file gone missing or empty
    rather than let MLflow create an empty registry there.

    Raises:
        RegistryUnavailable: the registry cannot be read or a champion cannot be fetched;
            the caller keeps what it serves.
    """
    current = current or ModelSet()
    uri = settings.tracking_uri
    if current.models and not store_file_usable(uri):
        raise RegistryUnavailable(f"the registry file {store_file(uri)} is missing or empty")
    loaded: list[LoadedModel] = []
    refused: list[Refused] = []
    try:
        with opened(uri) as client:
            for name in names or served_names():
                try:
                    version = version_of(client, name)
                except NoChampion:
                    continue
                kept = current.get(name)
                if kept is not None and kept.version == version:
                    loaded.append(kept)
                    continue
                try:  # the version number, not the alias: the alias may move meanwhile
                    model = load_version(client, name, version)
                except IncompatibleModel as exc:
                    refused.append(Refused(name, version, str(exc)))
                    continue
                loaded.append(LoadedModel(name=name, version=version, model=model))
    except RegistryError:
        raise
    except Exception as exc:  # opening the store, whatever it raises: keep serving
        raise unavailable(exc) from exc
    return ModelSet.of(loaded, refused)
