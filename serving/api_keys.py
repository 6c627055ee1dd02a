"""API keys: random tokens kept only as SHA-256 digests, each with a role.

A token is shown once, when its key is created; the database holds its digest, so a copy of
the database gives no usable key. Roles are ordered: each one may do what the roles before
it may do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cachetools import TTLCache
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine, insert, select, update

from ledger.schema import API_KEYS

TOKEN_PREFIX = "enc_"
"""Tokens start with this, so a leaked one is easy to recognise (and to search for)."""


class Role(StrEnum):
    """What a key may do, least to most: each role includes the ones before it."""

    VIEWER = "viewer"
    """read scores, KPIs, the aged balance, forecasts, the models served, the metrics"""
    COLLECTOR = "collector"
    """also the relance worklist, dunning actions and lettrage"""
    ADMIN = "admin"
    """also imports, model reloads and keys"""

    @property
    def rank(self) -> int:
        """Position in the order viewer < collector < admin."""
        return list(Role).index(self)

    def covers(self, needed: Role) -> bool:
        """True when this role may do what ``needed`` may."""
        return self.rank >= needed.rank


class UnknownApiKey(LookupError):
    """No API key has this number."""

    def __init__(self, key_id: int) -> None:
        super().__init__(f"no API key number {key_id}")
        self.key_id = key_id


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its token."""

    id: int
    name: str | None
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    def as_json(self) -> dict[str, Any]:
        """The key as JSON values (never the token: it is not stored)."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
        }


@dataclass(frozen=True)
class NewKey:
    """A key just created, with the token that is shown this once."""

    key: ApiKey
    token: str


def hash_token(token: str) -> str:
    """The SHA-256 digest of ``token``, hex: what the database stores and looks up.

    A plain digest suffices (no salt, no slow hash): tokens are 256 random bits, not
    passwords, so there is nothing to guess from a dictionary.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; the values were written in UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _key(row: Any) -> ApiKey:
    created = _utc(row.created_at)
    assert created is not None
    return ApiKey(row.id, row.name, Role(row.role), created, _utc(row.revoked_at))


_COLUMNS = (
    API_KEYS.c.id,
    API_KEYS.c.name,
    API_KEYS.c.role,
    API_KEYS.c.created_at,
    API_KEYS.c.revoked_at,
)


def create_key(engine: Engine, role: Role | str, name: str | None = None) -> NewKey:
    """A new key of ``role``: stores its digest, returns it with its token."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    values = {"name": name, "role": Role(role).value, "key_hash": hash_token(token)}
    with engine.begin() as connection:
        result = connection.execute(insert(API_KEYS).values(**values, created_at=now))
        primary_key = result.inserted_primary_key
        assert primary_key is not None  # always set by a single-row insert
        key_id = int(primary_key[0])
    return NewKey(ApiKey(key_id, name, Role(role), now, None), token)


def list_keys(engine: Engine) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(select(*_COLUMNS).order_by(API_KEYS.c.id)).all()
    return [_key(row) for row in rows]


def revoke_key(engine: Engine, key_id: int) -> ApiKey:
    """Revoke key ``key_id`` from now on (a key revoked already keeps its date).

    Raises:
        UnknownApiKey: no key has this number.
    """
    with engine.begin() as connection:
        connection.execute(
            update(API_KEYS)
            .where(API_KEYS.c.id == key_id, API_KEYS.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
        row = connection.execute(select(*_COLUMNS).where(API_KEYS.c.id == key_id)).first()
    if row is None:
        raise UnknownApiKey(key_id)
    return _key(row)


def authenticate(engine: Engine, token: str) -> ApiKey | None:
    """The active key whose token is ``token``, or None for an unknown or revoked one.

    Read from the database at every call, so that a key revoked from the command line
    stops working at once in every running server.
    """
    query = select(*_COLUMNS).where(API_KEYS.c.key_hash == hash_token(token))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or row.revoked_at is not None:
        return None
    return _key(row)


MAX_CACHED_KEYS = 10_000
"""Keys held at most; beyond, the least recently used leaves (real keys are far fewer)."""
MAX_CACHED_UNKNOWN = 1_000
"""Unknown tokens remembered at most, apart from the keys."""


class KeyCache:
    """Keys checked lately, by token digest, so that a busy API does not ask the database
    at every request; each answer (a key, or "unknown") is trusted ``seconds`` long.

    A revoked key therefore stops working within ``seconds`` in every running server.
    Entries leave by age, or the least recently used first when a cache is full, never all
    at once. Unknown tokens have their own, smaller cache: a flood of guesses pushes out
    guesses, never the keys in use.
    """

    def __init__(
        self,
        engine: Engine,
        seconds: float,
        size: int = MAX_CACHED_KEYS,
        unknown_size: int = MAX_CACHED_UNKNOWN,
    ) -> None:
        self.engine = engine
        self.seconds = seconds
        ttl = max(seconds, 1e-9)  # a TTLCache needs a positive ttl; 0 caches nothing anyway
        self._keys: TTLCache[str, ApiKey] = TTLCache(size, ttl, timer=time.monotonic)
        self._unknown: TTLCache[str, bool] = TTLCache(unknown_size, ttl, timer=time.monotonic)
        self._lock = threading.Lock()  # the loop reads, the thread pool writes

    def recent(self, token: str) -> tuple[bool, ApiKey | None]:
        """(True, the key or None) when ``token`` was checked within ``seconds``, else
        (False, None): then :meth:`authenticate` must ask the database."""
        digest = hash_token(token)
        with self._lock:
            key = self._keys.get(digest)
            if key is not None:
                return True, key
            if digest in self._unknown:
                return True, None
        return False, None

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key of ``token`` from the database (see :func:`authenticate`),
        remembered for ``seconds``."""
        key = authenticate(self.engine, token)
        if self.seconds > 0:
            digest = hash_token(token)
            with self._lock:
                if key is None:
                    self._keys.pop(digest, None)
                    self._unknown[digest] = True
                else:
                    self._unknown.pop(digest, None)
                    self._keys[digest] = key
        return key


class AuthFailures:
    """Failed key checks per client address, over a moving minute.

    Past ``per_minute`` failures an address must wait until its oldest failure is a minute
    old: guesses then cost no database query. Counted in memory, per process, with the
    ``limits`` library's moving window (the strategy and storage under slowapi).
    """

    def __init__(self, per_minute: int) -> None:
        self.limit = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self._window = MovingWindowRateLimiter(MemoryStorage()) if self.limit else None

    def wait(self, address: str) -> int:
        """Seconds before ``address`` may try a key again; 0 when it may now."""
        if self.limit is None or self._window is None or self._window.test(self.limit, address):
            return 0
        reset = self._window.get_window_stats(self.limit, address).reset_time
        return max(1, math.ceil(reset - time.time()))

    def fail(self, address: str) -> None:
        """Count one failed key check of ``address``."""
        if self.limit is not None and self._window is not None:
            self._window.hit(self.limit, address)
