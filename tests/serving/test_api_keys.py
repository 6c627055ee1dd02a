"""The key store, on SQLite and PostgreSQL: tokens shown once, kept only as digests."""

from __future__ import annotations

import datetime as dt
import secrets
import time

import pytest
from sqlalchemy import Engine, event, select, update

from ledger.schema import API_KEYS, API_ROLES
from ledger.storage import make_engine, migrate
from serving.api_keys import (
    MAX_CACHED_KEYS,
    TOKEN_PREFIX,
    ApiKey,
    KeyCache,
    Role,
    UnknownApiKey,
    authenticate,
    create_key,
    find_key,
    hash_token,
    list_keys,
    parse_expiry,
    revoke_key,
)


def test_roles_are_ordered_and_match_the_database_constraint() -> None:
    assert tuple(Role) == API_ROLES
    assert Role.ADMIN.covers(Role.COLLECTOR) and Role.COLLECTOR.covers(Role.VIEWER)
    assert Role.VIEWER.covers(Role.VIEWER)
    assert not Role.VIEWER.covers(Role.COLLECTOR) and not Role.COLLECTOR.covers(Role.ADMIN)


def test_a_key_authenticates_until_revoked_and_its_token_is_never_stored(engine: Engine) -> None:
    first = create_key(engine, "collector", "relances team")
    second = create_key(engine, Role.ADMIN)
    assert first.token.startswith(TOKEN_PREFIX) and first.token != second.token
    assert len(first.token) > 40  # 32 random bytes, url-safe
    with engine.connect() as connection:
        rows = [tuple(map(str, r)) for r in connection.execute(select(API_KEYS)).all()]
    assert not any(first.token in value for row in rows for value in row)
    assert any(hash_token(first.token) in row for row in rows)

    found = authenticate(engine, first.token)
    assert found is not None
    assert (found.id, found.name, found.role) == (first.key.id, "relances team", Role.COLLECTOR)
    assert found.created_at.tzinfo is not None
    assert authenticate(engine, "enc_guess") is None
    assert authenticate(engine, hash_token(first.token)) is None  # the digest is no key

    revoked = revoke_key(engine, first.key.id)
    assert revoked.revoked_at is not None and not revoked.active
    assert authenticate(engine, first.token) is None
    assert revoke_key(engine, first.key.id).revoked_at == revoked.revoked_at  # kept its date
    assert authenticate(engine, second.token) is not None
    assert [(k.id, k.active) for k in list_keys(engine)] == [
        (first.key.id, False),
        (second.key.id, True),
    ]
    with pytest.raises(UnknownApiKey, match="no API key number 999"):
        revoke_key(engine, 999)


def test_an_unknown_role_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError):
        create_key(engine, "superuser")
    assert list_keys(engine) == []


def seen(answer: tuple[bool, ApiKey | None]) -> tuple[bool, int | None]:
    """A cache's answer with the key's number only (its last use changes as it is used)."""
    cached, key = answer
    return cached, None if key is None else key.id


def test_the_key_cache_trusts_an_answer_for_its_seconds_only(engine: Engine) -> None:
    new = create_key(engine, Role.VIEWER, "cached")
    cache, uncached = KeyCache(engine, 0.3), KeyCache(engine, 0.0)
    now = dt.datetime.now(dt.UTC)
    assert cache.recent(new.token) == (False, None)  # never checked yet
    assert getattr(cache.lookup(new.token), "id", None) == new.key.id
    assert getattr(uncached.lookup(new.token), "id", None) == new.key.id
    revoke_key(engine, new.key.id)
    cached = cache.recent(new.token)
    assert seen(cached) == (True, new.key.id)  # still trusted, within 0.3 s
    assert cached[1] is not None and cached[1].refusal(now) is None
    assert uncached.recent(new.token) == (False, None)  # 0 s: always asks the database
    revoked = uncached.lookup(new.token)
    assert revoked is not None and revoked.refusal(now) == "unknown or revoked API key"
    time.sleep(0.35)
    assert cache.recent(new.token) == (False, None)
    assert cache.lookup(new.token) is not None
    assert cache.lookup("enc_guess") is None
    assert cache.recent("enc_guess") == (True, None)  # "unknown" is remembered too


def test_a_key_in_use_stays_cached_while_thousands_of_guesses_are_tried(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    new = create_key(engine, Role.COLLECTOR, "in use")
    cache = KeyCache(engine, 60.0)
    assert getattr(cache.lookup(new.token), "id", None) == new.key.id
    guesses = [f"enc_{secrets.token_urlsafe(32)}" for _ in range(MAX_CACHED_KEYS + 500)]
    for guess in guesses:
        assert cache.lookup(guess) is None
    assert seen(cache.recent(new.token)) == (True, new.key.id)  # never pushed out
    assert cache.recent(guesses[-1]) == (True, None)  # the latest guesses are remembered
    assert cache.recent(guesses[0]) == (False, None)  # the oldest made room, one by one
    engine.dispose()


def test_the_key_cache_forgets_the_least_recently_used_key_when_full(engine: Engine) -> None:
    first, second, third = (create_key(engine, Role.VIEWER, str(n)) for n in range(3))
    cache = KeyCache(engine, 60.0, size=2)
    cache.lookup(first.token)
    cache.lookup(second.token)
    assert seen(cache.recent(first.token)) == (True, first.key.id)  # now the more recent
    cache.lookup(third.token)
    assert cache.recent(second.token) == (False, None)  # only second left
    assert seen(cache.recent(first.token)) == (True, first.key.id)
    assert seen(cache.recent(third.token)) == (True, third.key.id)


def test_an_expired_key_is_refused_as_expired(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    soon = create_key(engine, Role.VIEWER, "soon", expires_at=now + dt.timedelta(seconds=0.3))
    later = create_key(engine, Role.VIEWER, "later", expires_at=now + dt.timedelta(days=90))
    assert authenticate(engine, soon.token) is not None
    time.sleep(0.35)
    assert authenticate(engine, soon.token) is None
    stored = find_key(engine, soon.token)
    assert stored is not None and stored.expires_at is not None
    assert abs(stored.expires_at - (now + dt.timedelta(seconds=0.3))) < dt.timedelta(seconds=1)
    refusal = stored.refusal(dt.datetime.now(dt.UTC))
    assert refusal is not None and refusal.startswith("expired API key")
    assert authenticate(engine, later.token) is not None


def test_the_last_use_is_written_at_most_once_a_minute(engine: Engine) -> None:
    new = create_key(engine, Role.COLLECTOR, "used")
    updates: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "SET last_used_at" in statement and "WHERE api_keys.id" in statement:
            updates.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    before = dt.datetime.now(dt.UTC)
    first = find_key(engine, new.token)
    assert first is not None and first.last_used_at is not None
    for _ in range(5):  # within the minute: read, never written again
        assert find_key(engine, new.token) is not None
    assert len(updates) == 1
    (stored,) = list_keys(engine)
    assert stored.last_used_at is not None and stored.last_used_at >= before
    a_while_ago = before - dt.timedelta(minutes=2)
    with engine.begin() as connection:
        connection.execute(update(API_KEYS).values(last_used_at=a_while_ago))
    again = find_key(engine, new.token)
    assert again is not None and again.last_used_at is not None
    assert again.last_used_at >= before and len(updates) == 2
    revoke_key(engine, new.key.id)
    find_key(engine, new.token)  # a refused key is not "used"
    assert len(updates) == 2


def test_an_expiry_is_days_from_now_or_a_date_in_utc() -> None:
    now = dt.datetime(2026, 1, 10, 9, 30, tzinfo=dt.UTC)
    assert parse_expiry("90d", now) == now + dt.timedelta(days=90)
    assert parse_expiry("2026-03-31", now) == dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
    assert parse_expiry("2026-03-31T02:00+02:00", now) == dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
    for bad in ("90", "soon", "2026-01-01", "0d"):
        with pytest.raises(ValueError):
            parse_expiry(bad, now)
