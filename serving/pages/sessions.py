"""Signing in to the pages: an API key exchanged for a signed session cookie, and CSRF.

The cookie holds the key's number, its role, the session's CSRF token and its expiry,
signed (itsdangerous, HMAC-SHA256) with ``Settings.session_secret``: it cannot be forged or
changed, and it never holds the key itself. Every page asks again whether the key still
lets its holder in (:meth:`serving.api_keys.KeyCache.by_id`), so revoking a key from the
command line ends its sessions within ``Settings.api_key_cache_seconds``.

Every form carries the session's CSRF token in a hidden field (``csrf_token``); a POST
whose token is not the session's is refused (403). The login form, sent before any session,
carries a token of its own, kept in a short-lived cookie (double submit).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from serving.api_keys import ApiKey, Role

SESSION_COOKIE = "encours_session"
LOGIN_CSRF_COOKIE = "encours_login_csrf"
CSRF_FIELD = "csrf_token"
SALT = "encours-pages-session"


@dataclass(frozen=True)
class Session:
    """Who is signed in: the key's number and role, and the token its forms must carry."""

    key_id: int
    role: Role
    csrf: str

    def may(self, needed: Role) -> bool:
        """Whether this session's role covers ``needed``."""
        return self.role.covers(needed)


class SessionCodec:
    """Writes and reads signed session cookies that expire after ``hours``."""

    def __init__(self, secret: str, hours: float) -> None:
        self.serializer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), salt=SALT)
        self.max_age = int(hours * 3600)

    def start(self, response: Response, key: ApiKey, secure: bool) -> Session:
        """Set the session cookie of ``key`` on ``response``; returns the new session."""
        session = Session(key.id, key.role, secrets.token_urlsafe(24))
        value = self.serializer.dumps([session.key_id, session.role.value, session.csrf])
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=self.max_age,
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/ui",
        )
        return session

    def read(self, request: Request) -> Session | None:
        """The request's session when its cookie is genuine and not expired, else None."""
        value = request.cookies.get(SESSION_COOKIE)
        if not value:
            return None
        try:
            key_id, role, csrf = self.serializer.loads(value, max_age=self.max_age)
            return Session(int(key_id), Role(role), str(csrf))
        except (BadSignature, ValueError, TypeError):
            return None


def end_session(response: Response) -> None:
    """Clear the session cookie on ``response``."""
    response.delete_cookie(SESSION_COOKIE, path="/ui")


def same_token(sent: str | None, expected: str | None) -> bool:
    """Whether a form's CSRF token is the expected one (compared in constant time)."""
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


def served_over_https(request: Request) -> bool:
    """Whether the page was asked for over HTTPS (then cookies are ``Secure``)."""
    return request.url.scheme == "https"


def login_token(response: Response, secure: bool) -> str:
    """A fresh CSRF token for the login form, also set in a short-lived cookie."""
    token = secrets.token_urlsafe(24)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=int(dt.timedelta(hours=1).total_seconds()),
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/ui",
    )
    return token
