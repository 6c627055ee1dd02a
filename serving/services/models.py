"""The models: champion and challenger of each, their figures, pictures and promotions,
and each version's model card (:func:`model_card`).

What the registry holds (:func:`training.registry.list_versions`), beside what the API
serves (the :class:`~serving.champions.ModelSet` of ``GET /v1/models``): a version promoted
since the last reload is the registry's champion but not yet the one served, and the page
says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from config import Settings
from config.language import Language
from serving.champions import ModelSet, Refused
from serving.result_cache import TimedResults
from serving.scoring import LoadedModel
from training.model_card import RegisteredCard, registered_card
from training.models import LATE_MODEL, MODEL_NAMES, ONBOARDING_MODEL, TIME_MODEL
from training.registry import CHALLENGER, CHAMPION, list_versions, run_plot, run_plots

FIGURES: dict[str, tuple[str, ...]] = {
    LATE_MODEL: ("roc_auc", "pr_auc", "brier", "ece"),
    TIME_MODEL: ("mae_days", "rmse_days", "coverage_p10_p90"),
    ONBOARDING_MODEL: ("roc_auc", "brier", "ece", "mae_days", "coverage_p10_p90"),
}
"""The figures each model is judged by, as its run logs them (out-of-time test; the
onboarding model's on the clients unseen in training)."""
BASELINES = ("logistic_regression", "client_last_delay", "due_date")
"""The baselines a run logs beside the model, as ``<baseline>_<figure>``."""
SHOWN_PLOTS: dict[str, tuple[str, ...]] = {
    LATE_MODEL: ("calibration.png", "roc.png"),
    TIME_MODEL: ("payment_dates.png",),
    ONBOARDING_MODEL: (),
}
"""The pictures shown of each model, when its run logged them; the others are linked."""


@dataclass(frozen=True)
class Promotion:
    """When a version got an alias, and who gave it (the system user of ``encours train``)."""

    alias: str
    at: dt.datetime
    by: str | None


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: its aliases, its run's figures and pictures, its history."""

    name: str
    version: str
    aliases: tuple[str, ...]
    run_id: str | None
    metrics: dict[str, float]
    registered_at: dt.datetime | None
    registered_by: str | None
    promotions: tuple[Promotion, ...]
    plots: tuple[str, ...] = ()

    def figure(self, key: str) -> float | None:
        """The logged figure ``key``, None when the run did not log it."""
        value = self.metrics.get(key)
        return None if value is None or value != value else float(value)


@dataclass(frozen=True)
class ModelBoard:
    """A model's champion and challenger in the registry, and the version the API serves."""

    name: str
    figures: tuple[str, ...]
    champion: ModelVersion | None
    challenger: ModelVersion | None
    versions: tuple[ModelVersion, ...]
    served: LoadedModel | None
    refused: str | None = None

    @property
    def baselines(self) -> tuple[str, ...]:
        """The baselines the champion's run logged beside its figures."""
        logged = self.champion.metrics if self.champion else {}
        return tuple(b for b in BASELINES if any(f"{b}_{k}" in logged for k in self.figures))

    @property
    def reload_pending(self) -> bool:
        """Whether the registry's champion is not the version served (promoted since)."""
        if self.champion is None:
            return False
        return self.served is None or self.served.version != self.champion.version


def _version(row: dict[str, Any]) -> ModelVersion:
    """A row of :func:`training.registry.list_versions` as a :class:`ModelVersion`."""
    promotions = tuple(
        Promotion(alias, dt.datetime.fromisoformat(p["at"]), p.get("by"))
        for alias, p in row.get("promotions", {}).items()
    )
    at = row.get("registered_at")
    return ModelVersion(
        name=row["name"],
        version=row["version"],
        aliases=tuple(row["aliases"]),
        run_id=row.get("run_id"),
        metrics=dict(row["metrics"]),
        registered_at=dt.datetime.fromisoformat(at) if at else None,
        registered_by=row.get("registered_by"),
        promotions=promotions,
    )


def _with_plots(version: ModelVersion | None, tracking_uri: str) -> ModelVersion | None:
    """``version`` with the names of the pictures its run logged."""
    if version is None or not version.run_id:
        return version
    plots = tuple(run_plots(version.run_id, tracking_uri))
    return ModelVersion(**{**version.__dict__, "plots": plots})


def _board(name: str, rows: list[dict[str, Any]], served: ModelSet, uri: str) -> ModelBoard:
    """The board of model ``name`` from its registered versions."""
    versions = tuple(_version(r) for r in rows)

    def holder(alias: str) -> ModelVersion | None:
        found = next((v for v in versions if alias in v.aliases), None)
        return _with_plots(found, uri)

    refused = served.champion(name)
    return ModelBoard(
        name=name,
        figures=FIGURES[name],
        champion=holder(CHAMPION),
        challenger=holder(CHALLENGER),
        versions=versions,
        served=served.get(name),
        refused=refused.reason if isinstance(refused, Refused) else None,
    )


REGISTRY_SECONDS = 15.0
"""How long the API keeps what it read of the registry for :func:`model_boards`: a version
promoted meanwhile by ``encours train`` shows at most this late."""


def model_boards(
    settings: Settings, served: ModelSet, kept: TimedResults | None = None
) -> list[ModelBoard]:
    """Each model's champion and challenger in the registry of ``settings``, and what
    ``served`` holds of it; read from ``kept`` (the API's) while it holds a read of the
    registry made for that very ``served`` set (a reload is seen at once).

    Raises:
        RegistryUnavailable: the registry cannot be read.
    """
    uri = settings.tracking_uri

    def boards() -> list[ModelBoard]:
        return [_board(name, list_versions(name, uri), served, uri) for name in MODEL_NAMES]

    return boards() if kept is None else list(kept.get(("boards", uri, id(served)), boards))


def model_plot(settings: Settings, name: str, version: str, file: str) -> bytes:
    """The picture ``file`` logged with version ``version`` of model ``name``.

    Raises:
        KeyError: no such model, version or picture.
        RegistryUnavailable: the registry cannot be read.
    """
    if name not in MODEL_NAMES:
        raise KeyError(name)
    rows = list_versions(name, settings.tracking_uri)
    row = next((r for r in rows if r["version"] == version), None)
    if row is None or not row.get("run_id"):
        raise KeyError(version)
    return run_plot(row["run_id"], file, settings.tracking_uri)


def model_card(settings: Settings, name: str, version: str, lang: Language) -> RegisteredCard:
    """The model card of version ``version`` of model ``name`` (or of the version an alias,
    ``champion`` or ``challenger``, names) in ``lang``: the one its training logged, else
    one built from what its run logged (a version trained before cards existed).

    Raises:
        KeyError: no model of that name.
        NoSuchVersion: the model has no such version.
        NoChampion: no version carries the alias.
        RegistryUnavailable: the registry cannot be read.
    """
    if name not in MODEL_NAMES:
        raise KeyError(name)
    return registered_card(name, version, lang, settings.tracking_uri)
