"""API keys: random tokens kept only as SHA-256 digests, each with a role.

A token is shown once, when its key is created; the database holds its digest, so a copy of
the database gives no usable key. Roles are ordered: each one may do what the roles before
it may do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from cachetools import TTLCache
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ledger.schema import API_KEYS
from ledger.storage import waiting_at_most

logger = logging.getLogger("encours.api")

UNKNOWN_KEY = "unknown or revoked API key"

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
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    def refusal(self, now: dt.datetime) -> str | None:
        """Why the key does not let anyone in at ``now`` (revoked, expired); None when it does."""
        if self.revoked_at is not None:
            return UNKNOWN_KEY  # worded as for no key at all: the holder needs no more
        if self.expires_at is not None and self.expires_at <= now:
            return f"expired API key (since {self.expires_at:%Y-%m-%d %H:%M} UTC)"
        return None

    def as_json(self) -> dict[str, Any]:
        """The key as JSON values (never the token: it is not stored)."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at.isoformat(),
            "revoked_at": _iso(self.revoked_at),
            "expires_at": _iso(self.expires_at),
            "last_used_at": _iso(self.last_used_at),
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


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
    return ApiKey(
        row.id,
        row.name,
        Role(row.role),
        created,
        _utc(row.revoked_at),
        _utc(row.expires_at),
        _utc(row.last_used_at),
    )


_COLUMNS = (
    API_KEYS.c.id,
    API_KEYS.c.name,
    API_KEYS.c.role,
    API_KEYS.c.created_at,
    API_KEYS.c.revoked_at,
    API_KEYS.c.expires_at,
    API_KEYS.c.last_used_at,
)

LAST_USED_STEP = dt.timedelta(minutes=1)
TOUCH_WAIT_SECONDS = 0.05
"""Longest the note of a key's last use waits on a lock before it is skipped (logged)."""
"""A key's last use is written at most this often: not a database write per request."""


def parse_expiry(text: str, now: dt.datetime) -> dt.datetime:
    """When a key given ``--expires text`` at ``now`` stops working: ``90d`` is 90 days
    from now, ``2026-03-31`` that day at 00:00 UTC (a time may follow, with an offset).

    Raises:
        ValueError: neither form, or not in the future; the message says which.
    """
    text = text.strip()
    if text[:-1].isdigit() and text[-1:].lower() == "d":
        moment = now + dt.timedelta(days=int(text[:-1]))
    else:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is neither a number of days (90d) nor a date (2026-03-31)"
            ) from None
        # In UTC: SQLite keeps a time without its offset.
        moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if moment <= now:
        raise ValueError(f"{text!r} is not in the future: the key would never work")
    return moment


def create_key(
    engine: Engine,
    role: Role | str,
    name: str | None = None,
    expires_at: dt.datetime | None = None,
) -> NewKey:
    """A new key of ``role`` (working until ``expires_at``, if given): stores its digest,
    returns it with its token."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    values = {"name": name, "role": Role(role).value, "key_hash": hash_token(token)}
    with engine.begin() as connection:
        result = connection.execute(
            insert(API_KEYS).values(**values, created_at=now, expires_at=expires_at)
        )
        primary_key = result.inserted_primary_key
        assert primary_key is not None  # always set by a single-row insert
        key_id = int(primary_key[0])
    return NewKey(ApiKey(key_id, name, Role(role), now, None, expires_at), token)


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


def find_key(engine: Engine, token: str) -> ApiKey | None:
    """The stored key whose token is ``token``, revoked or expired ones included; None for
    no key. A key that lets its holder in has its last use written, at most once a
    :data:`LAST_USED_STEP` (a failure to write it is logged, not raised: it is bookkeeping).
    """
    query = select(*_COLUMNS).where(API_KEYS.c.key_hash == hash_token(token))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    key, now = _key(row), dt.datetime.now(dt.UTC)
    if key.refusal(now) is not None:
        return key
    if key.last_used_at is None or key.last_used_at <= now - LAST_USED_STEP:
        try:
            _touch(engine, key.id, now)
        except SQLAlchemyError as exc:
            logger.warning("cannot note the use of API key %s: %s", key.id, exc)
            return key
        key = replace(key, last_used_at=now)
    return key


def key_by_id(engine: Engine, key_id: int) -> ApiKey | None:
    """The stored key number ``key_id``, revoked or expired ones included; None for none."""
    with engine.connect() as connection:
        row = connection.execute(select(*_COLUMNS).where(API_KEYS.c.id == key_id)).first()
    return None if row is None else _key(row)


def _touch(engine: Engine, key_id: int, now: dt.datetime) -> None:
    """Write ``now`` as the last use of key ``key_id`` unless another server just did."""
    used = API_KEYS.c.last_used_at
    # Bookkeeping does not wait on another writer's lock: the key check would wait with it.
    with engine.begin() as connection, waiting_at_most(connection, TOUCH_WAIT_SECONDS):
        connection.execute(
            update(API_KEYS)
            .where(API_KEYS.c.id == key_id)
            .where(or_(used.is_(None), used <= now - LAST_USED_STEP))
            .values(last_used_at=now)
        )


def authenticate(engine: Engine, token: str) -> ApiKey | None:
    """The key whose token is ``token`` when it lets its holder in now, or None for an
    unknown, revoked or expired one.

    Read from the database at every call, so that a key revoked from the command line
    stops working at once in every running server.
    """
    key = find_key(engine, token)
    if key is None or key.refusal(dt.datetime.now(dt.UTC)) is not None:
        return None
    return key


MAX_CACHED_KEYS = 10_000
"""Keys held at most; beyond, the least recently used leaves (real keys are far fewer)."""
MAX_CACHED_UNKNOWN = 1_000
"""Unknown tokens remembered at most, apart from the keys."""
GOOD_SECONDS = 3_600.0
"""How long a token that was a good key is let past the brake on wrong keys."""


class KeyCache:
    """Keys checked lately, by token digest, so that a busy API does not ask the database
    at every request; each answer (a key, or "unknown") is trusted ``seconds`` long.

    A revoked key therefore stops working within ``seconds`` in every running server.
    Entries leave by age, or the least recently used first when a cache is full, never all
    at once. Unknown tokens have their own, smaller cache: a flood of guesses pushes out
    guesses, never the keys in use.

    Apart from the answers, the cache remembers for :data:`GOOD_SECONDS` which tokens were
    good keys (:meth:`known_good`): an address held back for its wrong keys still gets
    those checked, so a client behind the same proxy as a guesser keeps working.
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
        self._good: TTLCache[str, bool] = TTLCache(size, GOOD_SECONDS, timer=time.monotonic)
        self._by_id: TTLCache[int, ApiKey | None] = TTLCache(size, ttl, timer=time.monotonic)
        self._lock = threading.Lock()  # the loop reads, the thread pool writes

    def known_good(self, token: str) -> bool:
        """Whether ``token`` let its holder in within :data:`GOOD_SECONDS`."""
        digest = hash_token(token)
        with self._lock:
            return digest in self._good

    def recent(self, token: str) -> tuple[bool, ApiKey | None]:
        """(True, the stored key or None) when ``token`` was looked up within ``seconds``,
        else (False, None): then :meth:`lookup` must ask the database.

        The key may be revoked or expired: :meth:`ApiKey.refusal` tells.
        """
        digest = hash_token(token)
        with self._lock:
            key = self._keys.get(digest)
            if key is not None:
                return True, key
            if digest in self._unknown:
                return True, None
        return False, None

    def by_id(self, key_id: int) -> ApiKey | None:
        """Key number ``key_id`` as the database held it within ``seconds`` (a page session
        names its key by number), or None when there is no such key."""
        with self._lock:
            if key_id in self._by_id:
                return self._by_id[key_id]
        key = key_by_id(self.engine, key_id)
        with self._lock:
            if self.seconds > 0:
                self._by_id[key_id] = key
        return key

    def lookup(self, token: str) -> ApiKey | None:
        """The stored key of ``token`` from the database (see :func:`find_key`), or None;
        remembered for ``seconds``."""
        key = find_key(self.engine, token)
        digest = hash_token(token)
        with self._lock:
            if key is not None and key.refusal(dt.datetime.now(dt.UTC)) is None:
                self._good[digest] = True
            else:
                self._good.pop(digest, None)
            if self.seconds <= 0:
                return key
            if key is None:
                self._keys.pop(digest, None)
                self._unknown[digest] = True
            else:
                self._unknown.pop(digest, None)
                self._keys[digest] = key
        return key


class AuthFailures:
    """Tries of unproven tokens per client address, over a moving minute: the brake on
    guessing keys.

    A try is counted *before* its database lookup, so that concurrent guesses cannot slip
    past the limit together; tokens known good (:meth:`KeyCache.known_good`) are not
    counted, so the tries counted are the failures, plus a key's first use. Past
    ``per_minute`` an address waits until its oldest try is a minute old: its guesses then
    cost no query. Counted in memory, per process, with the ``limits`` library's moving
    window (the strategy and storage under slowapi).
    """

    def __init__(self, per_minute: int) -> None:
        self.limit = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self._window = MovingWindowRateLimiter(MemoryStorage()) if self.limit else None

    def attempt(self, address: str) -> int:
        """Count a try from ``address``: 0 when it may go on, else the seconds to wait."""
        if self.limit is None or self._window is None or self._window.hit(self.limit, address):
            return 0
        reset = self._window.get_window_stats(self.limit, address).reset_time
        return max(1, math.ceil(reset - time.time()))
