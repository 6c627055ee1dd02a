"""The ledger as the service sees it: loaded from the database, refreshed when it changed.

Every write to the ledger raises its version (:mod:`ledger.versions`). A stale snapshot
costs one read of that number when nothing changed (measured: under a millisecond,
against 40–45 s to reread and refit a million invoices); when some clients changed, their
rows alone are reread and swapped in (:mod:`ledger.client_rows`), then the features refit.
Each new snapshot is written to a file (:mod:`serving.snapshot_file`), which a process
starting on that version reads instead of the database: about a second, against ~59 s to
read and fit a million invoices; worker processes share its arrays. A process starting
on a later version reads the latest older file and the clients changed since.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from features.pipeline import FeatureBuilder
from ledger.client_rows import read_clients, with_clients_replaced
from ledger.contract import Ledger
from ledger.storage import load_ledger
from ledger.versions import changed_clients, ledger_version
from serving.result_cache import ResultCache
from serving.snapshot_file import SnapshotFiles, Stamp, read_stamp

logger = logging.getLogger("encours.api")


@dataclass(frozen=True)
class Snapshot:
    """A ledger and the feature builder fitted on it, replaced together; ``version`` is the
    ledger's version read before the ledger (so that a write committed in between is read
    again, never missed), ``results`` what the service functions computed from it."""

    ledger: Ledger
    features: FeatureBuilder
    version: int | None = None
    """None: not read from a versioned database (the command line's, the tests')."""
    results: ResultCache = field(default_factory=ResultCache, compare=False, repr=False)

    @cached_property
    def client_ids(self) -> frozenset[str]:
        """The ledger's client ids, for lookups (built at the first one)."""
        return frozenset(self.ledger.clients["client_id"].astype(str).tolist())


def settle_heap() -> None:
    """Collect what the last snapshot left, then exempt every object alive now (the new
    snapshot, the models, the libraries) from Python's cyclic garbage collector.

    A full collection walks every object alive: with a million-invoice snapshot held,
    about 250 ms during which no request is answered, and it came every few dozen
    requests. Frozen objects are still freed when nothing refers to them; they are only
    left out of the walks. Done once per snapshot, so the 250 ms come once per refresh.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class LedgerSource:
    """Hands out a ledger snapshot, checked against the database once it is older than
    ``max_age_seconds``.

    Imports and actions made while the service runs become visible at the next check. The
    first call loads the ledger; afterwards a stale snapshot keeps being served while the
    check runs in the background: the ledger's version read (nothing more when it has not
    changed), else the changed clients' rows read and the features refit (a million
    invoices read whole take about 45 s: no request waits for that), then the new snapshot
    swapped in. ``max_age_seconds`` 0 means no reuse: every call reads the ledger anew, in
    the caller's thread.
    """

    def __init__(
        self,
        engine: Engine,
        max_age_seconds: float,
        warm: Callable[[Snapshot], None] | None = None,
        files: SnapshotFiles | None = None,
    ) -> None:
        self.engine = engine
        self.files = files if max_age_seconds > 0 else None
        """Where snapshots are written and looked for (none: always the database)."""
        self.max_age_seconds = max_age_seconds
        self.warm = warm
        """Called in a thread of its own with each new snapshot served (not at 0 seconds):
        the API computes there what its pages will ask (``serving.services.warming``)."""
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._loaded_at = 0.0
        self._refreshing: threading.Thread | None = None
        self._writing: threading.Thread | None = None

    def _load(self, older_files: bool = True) -> Snapshot:
        """The whole ledger read and fitted, with its version read first: from the
        version's snapshot file when there is one; else from an older version's file (with
        ``older_files``) and the clients changed since; else from the database. The
        snapshot read from the database is written to its file, in the background."""
        if self.files is None:
            version = ledger_version(self.engine)
            ledger = load_ledger(self.engine)
            return Snapshot(ledger, FeatureBuilder().fit(ledger), version)
        stamp = read_stamp(self.engine)
        found = self._from_file(stamp)
        if found is not None:
            return found
        older = self.files.read_latest_before(self.engine, stamp.version) if older_files else None
        if older is not None:
            base = Snapshot(older[1], older[2], older[0].version)
            return self._reread(base) or base
        ledger = load_ledger(self.engine)
        return self._written(stamp, Snapshot(ledger, FeatureBuilder().fit(ledger), stamp.version))

    def _from_file(self, stamp: Stamp) -> Snapshot | None:
        """The snapshot of ``stamp`` from its file (None: no file, or not readable)."""
        found = None if self.files is None else self.files.read(stamp)
        return None if found is None else Snapshot(*found, version=stamp.version)

    def _written(self, stamp: Stamp, snapshot: Snapshot, refreshed: bool = False) -> Snapshot:
        """``snapshot``, which is ``stamp``'s, once its file is being written in the
        background (no file kept, or a ``refreshed`` one not due: nothing done)."""
        files = self.files
        if files is not None and (not refreshed or files.due()):
            self._writing = threading.Thread(
                target=files.write,
                args=(stamp, snapshot.ledger, snapshot.features),
                name="ledger-file",
                daemon=True,
            )
            self._writing.start()
        return snapshot

    def _reread(self, held: Snapshot) -> Snapshot | None:
        """``held`` brought to the ledger's version now: None when it is that version
        already (nothing read), else the changed clients' rows swapped in; the whole
        ledger read when the changes are not known client by client (its file, or the
        database: an older file than ``held`` is no better)."""
        started = time.perf_counter()
        stamp = read_stamp(self.engine)
        version = stamp.version
        if version == held.version:
            return None
        found = self._from_file(stamp)  # another process read this version already
        if found is not None:
            return found
        changed = None
        if held.version is not None:
            changed = changed_clients(self.engine, held.version, version)
        if changed is not None:
            ledger = with_clients_replaced(held.ledger, read_clients(self.engine, changed), changed)
            if ledger is not None:
                fresh = self._written(
                    stamp, Snapshot(ledger, FeatureBuilder().fit(ledger), version), refreshed=True
                )
                logger.info(
                    "ledger version %s: %d clients reread in %.1f s",
                    version,
                    len(changed),
                    time.perf_counter() - started,
                )
                return fresh
        fresh = self._load(older_files=False)
        logger.info(
            "ledger version %s: read whole in %.1f s", version, time.perf_counter() - started
        )
        return fresh

    def current(self) -> Snapshot:
        """The snapshot held (loaded first if there is none); starts its check against the
        database when it is stale."""
        with self._lock:
            if self._snapshot is None or self.max_age_seconds <= 0:
                first = self._snapshot is None
                self._snapshot, self._loaded_at = self._load(), time.monotonic()
                if first and self.max_age_seconds > 0:
                    settle_heap()
                    self._warm(self._snapshot)
                return self._snapshot
            stale = time.monotonic() - self._loaded_at > self.max_age_seconds
            if stale and self._refreshing is None:
                self._refreshing = threading.Thread(
                    target=self._refresh, args=(self._snapshot,), name="ledger-refresh", daemon=True
                )
                self._refreshing.start()
            return self._snapshot

    def ready(self) -> Snapshot | None:
        """The snapshot :meth:`current` would hand out without reading the database now
        (its background check started if it is stale), else None."""
        if self._snapshot is None or self.max_age_seconds <= 0:
            return None
        return self.current()

    def _refresh(self, held: Snapshot) -> None:
        """Bring ``held`` up to date and swap the result in (when the ledger changed); on
        failure keep it until the next stale call tries again."""
        try:
            fresh = self._reread(held)
        except Exception:
            logger.exception("could not reread the ledger; serving the previous snapshot")
            fresh = None
        del held  # the old snapshot, freed below once no request holds it
        with self._lock:
            if fresh is not None:
                self._snapshot = fresh
            self._loaded_at = time.monotonic()  # checked again after another max age
            self._refreshing = None
        if fresh is not None:
            settle_heap()
            self._warm(fresh)

    def _warm(self, snapshot: Snapshot) -> None:
        """Start :attr:`warm` on ``snapshot`` in the background (its failure only logged)."""
        warm = self.warm
        if warm is None:
            return

        def run() -> None:
            try:
                warm(snapshot)
            except Exception:
                logger.warning("could not compute the pages' figures ahead", exc_info=True)

        threading.Thread(target=run, name="ledger-warm", daemon=True).start()

    def reread_soon(self, wait_seconds: float = 0.0) -> None:
        """Reread the ledger now (a page wrote to it), in the background, waiting up to
        ``wait_seconds`` for the new snapshot; the old one serves meanwhile."""
        self.wait_for_refresh(wait_seconds)  # one under way may have read before the write
        with self._lock:
            if self._snapshot is None or self.max_age_seconds <= 0:
                return  # read afresh at the next call anyway
            self._loaded_at = -math.inf
        self.current()
        self.wait_for_refresh(wait_seconds)

    def wait_for_file(self, timeout: float | None = None) -> None:
        """Block until the snapshot file being written (if any) is written."""
        thread = self._writing
        if thread is not None:
            thread.join(timeout)

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Block until a background refresh under way (if any) has finished."""
        thread = self._refreshing
        if thread is not None:
            thread.join(timeout)
