"""What every use of the service layer reads: a ledger snapshot, the features fitted on it
and the champion models, held together in one :class:`Context`.

The API builds one per request from what its state serves; the command line builds one
per command from the stored ledger and the registry. The uses take it and return plain
results, which the routes and the commands only format.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from config import Settings
from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from serving.champions import ModelSet, Refused, load_models
from serving.ledger_source import Snapshot
from serving.score_log import ScoreLog
from serving.scoring import LoadedModel, check_clients

T = TypeVar("T")

LedgerSnapshot = Ledger | Snapshot
"""What the ledger uses read: a snapshot (the API's: its results are kept while it is
served) or a bare ledger (the command line's: computed each time)."""


def ledger_of(source: LedgerSnapshot) -> Ledger:
    """The ledger of ``source``."""
    return source.ledger if isinstance(source, Snapshot) else source


def remembered(source: LedgerSnapshot, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, kept under ``key`` with the snapshot ``source`` (a second call with the
    same key while that snapshot is served costs a lookup); made each time for a bare
    ledger. The key need not name the ledger's version: a new version is a new snapshot."""
    if isinstance(source, Snapshot):
        return source.results.get(key, make)
    return make()


class ModelUnavailable(Exception):
    """A use needs a champion that is not served: none is registered, or it was refused
    (``reason`` says why). The service, not the request, is at fault."""

    def __init__(self, name: str, reason: str | None = None) -> None:
        self.name = name
        self.reason = reason
        super().__init__(reason or f"no {name} model is registered yet: run `encours train` first")


def champion(models: ModelSet, name: str) -> LoadedModel:
    """The champion ``name`` of ``models``.

    Raises:
        ModelUnavailable: none is registered, or it was refused.
    """
    found = models.champion(name)
    if isinstance(found, Refused):
        raise ModelUnavailable(name, found.reason)
    if found is None:
        raise ModelUnavailable(name)
    return found


@dataclass(frozen=True)
class Context:
    """A ledger snapshot with its fitted features, the champions and the settings, and
    where the scores given are kept for monitoring (none: not kept)."""

    snapshot: Snapshot
    models: ModelSet
    settings: Settings
    score_log: ScoreLog | None = None

    @property
    def ledger(self) -> Ledger:
        """The ledger of the snapshot."""
        return self.snapshot.ledger

    @property
    def features(self) -> FeatureBuilder:
        """The feature builder fitted on :attr:`ledger`."""
        return self.snapshot.features

    def champion(self, name: str) -> LoadedModel:
        """The champion ``name``; :class:`ModelUnavailable` when it is not served."""
        return champion(self.models, name)

    def served(self, name: str) -> LoadedModel | None:
        """The champion ``name`` when one is served, else None (for optional models)."""
        return self.models.get(name)

    def remembered(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()`` kept with the snapshot under ``key`` (:func:`remembered`); a key of a
        result that a model made names the model's version."""
        return remembered(self.snapshot, key, make)

    def require_clients(self, client_ids: Iterable[str]) -> None:
        """Raise ``UnknownClient`` for the first of ``client_ids`` the ledger does not hold."""
        check_clients(self.ledger, client_ids, self.snapshot.client_ids)


def context_of(
    ledger: Ledger, models: ModelSet, settings: Settings, score_log: ScoreLog | None = None
) -> Context:
    """A context over ``ledger``, with the features fitted on it now."""
    return Context(Snapshot(ledger, FeatureBuilder().fit(ledger)), models, settings, score_log)


def load_champions(settings: Settings, names: Iterable[str]) -> ModelSet:
    """The champions ``names`` as the registry of ``settings`` has them now (a champion this
    version cannot serve is refused, as the API refuses it: :func:`serving.champions.load_models`).

    Raises:
        RegistryUnavailable: the registry cannot be read.
    """
    return load_models(settings, names=tuple(names))
