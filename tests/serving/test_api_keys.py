"""The key store, on SQLite and PostgreSQL: tokens shown once, kept only as digests."""

from __future__ import annotations

import secrets
import time

import pytest
from sqlalchemy import Engine, select

from ledger.schema import API_KEYS, API_ROLES
from ledger.storage import make_engine, migrate
from serving.api_keys import (
    MAX_CACHED_KEYS,
    TOKEN_PREFIX,
    KeyCache,
    Role,
    UnknownApiKey,
    authenticate,
    create_key,
    hash_token,
    list_keys,
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


def test_the_key_cache_trusts_an_answer_for_its_seconds_only(engine: Engine) -> None:
    new = create_key(engine, Role.VIEWER, "cached")
    cache, uncached = KeyCache(engine, 0.3), KeyCache(engine, 0.0)
    assert cache.recent(new.token) == (False, None)  # never checked yet
    assert cache.authenticate(new.token) == new.key
    assert uncached.authenticate(new.token) == new.key
    revoke_key(engine, new.key.id)
    assert cache.recent(new.token) == (True, new.key)  # still trusted, within 0.3 s
    assert uncached.recent(new.token) == (False, None)  # 0 s: always asks the database
    assert uncached.authenticate(new.token) is None
    time.sleep(0.35)
    assert cache.recent(new.token) == (False, None)
    assert cache.authenticate(new.token) is None
    assert cache.recent(new.token) == (True, None)  # "unknown" is remembered too


def test_a_key_in_use_stays_cached_while_thousands_of_guesses_are_tried(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    new = create_key(engine, Role.COLLECTOR, "in use")
    cache = KeyCache(engine, 60.0)
    assert cache.authenticate(new.token) == new.key
    guesses = [f"enc_{secrets.token_urlsafe(32)}" for _ in range(MAX_CACHED_KEYS + 500)]
    for guess in guesses:
        assert cache.authenticate(guess) is None
    assert cache.recent(new.token) == (True, new.key)  # the guesses never pushed it out
    assert cache.recent(guesses[-1]) == (True, None)  # the latest guesses are remembered
    assert cache.recent(guesses[0]) == (False, None)  # the oldest made room, one by one
    engine.dispose()


def test_the_key_cache_forgets_the_least_recently_used_key_when_full(engine: Engine) -> None:
    first, second, third = (create_key(engine, Role.VIEWER, str(n)) for n in range(3))
    cache = KeyCache(engine, 60.0, size=2)
    cache.authenticate(first.token)
    cache.authenticate(second.token)
    assert cache.recent(first.token) == (True, first.key)  # first is now the more recent
    cache.authenticate(third.token)
    assert cache.recent(second.token) == (False, None)  # only second left
    assert cache.recent(first.token) == (True, first.key)
    assert cache.recent(third.token) == (True, third.key)
