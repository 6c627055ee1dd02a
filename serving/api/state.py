"""What the app holds while it runs: built in the lifespan, never at import."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from config import Settings
from serving.api.prometheus import Metrics
from serving.api_keys import AuthFailures, KeyCache
from serving.batching import ScoreBatcher
from serving.champions import ModelSet, load_models
from serving.ledger_source import LedgerSource
from serving.result_cache import TimedResults
from serving.score_log import ScoreLog
from serving.scoring import LoadedModel
from serving.services.models import REGISTRY_SECONDS
from training.models import LATE_MODEL, TIME_MODEL
from training.registry import RegistryError

logger = logging.getLogger("encours.api")


@dataclass
class AppState:
    """Settings, database, ledger, metrics and the champion models of one running app.

    ``models`` is replaced whole, never changed in place: a request reads it once and
    keeps that set to its end, whatever a reload does meanwhile.
    """

    settings: Settings
    engine: Engine
    ledger: LedgerSource
    models: ModelSet = field(default_factory=ModelSet)
    metrics: Metrics = field(default_factory=Metrics)
    batcher: ScoreBatcher = field(default_factory=ScoreBatcher)
    """Scores the invoices of concurrent ``POST /v1/invoices/score`` requests together."""
    registry_reads: TimedResults = field(
        default_factory=lambda: TimedResults(REGISTRY_SECONDS), repr=False
    )
    """What the model pages read of the registry lately (``serving.services.models``)."""
    _reloading: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    keys: KeyCache = field(init=False, repr=False)
    """API keys checked lately (``Settings.api_key_cache_seconds``)."""
    auth_failures: AuthFailures = field(init=False, repr=False)
    """Failed key checks by client address (``Settings.auth_failures_per_minute``)."""
    score_log: ScoreLog = field(init=False, repr=False)
    """The scores this app gives, kept for monitoring (written in bulk, flushed at the end)."""

    def __post_init__(self) -> None:
        self.score_log = ScoreLog(self.engine, "api")
        self.keys = KeyCache(self.engine, self.settings.api_key_cache_seconds)
        self.auth_failures = AuthFailures(self.settings.auth_failures_per_minute)

    @property
    def late_model(self) -> LoadedModel | None:
        """The champion late-payment model served now, None while none is loaded."""
        return self.models.get(LATE_MODEL)

    @property
    def time_model(self) -> LoadedModel | None:
        """The champion payment-time model served now, None while none is loaded."""
        return self.models.get(TIME_MODEL)

    def reload_models(self) -> ModelSet:
        """Load the champions again and swap them in; on failure keep serving the current ones.

        One reload at a time: a second call waits, then finds the versions loaded already.

        Raises:
            RegistryUnavailable: the registry cannot be read;
            IncompatibleModel: a champion needs features this version no longer makes.
            Either after noting the failure in ``models.failure`` (readiness shows it) and
            logging it.
        """
        with self._reloading:
            try:
                fresh = load_models(self.settings, self.models)
                refusal = fresh.refusal()
                if refusal is not None:  # served together or not at all: keep the current
                    raise refusal
            except RegistryError as exc:
                self.models = self.models.failed("reload", exc)
                self.metrics.reloads.labels("failed").inc()
                served = ", ".join(f"{m.name} v{m.version}" for m in self.models.models.values())
                logger.warning("model reload failed, still serving %s: %s", served or "none", exc)
                raise
            self.models = fresh
            self.metrics.reloads.labels("ok").inc()
            self.metrics.show_models(fresh.models.values())
            return fresh
