"""Who may call what: API keys checked by a dependency that each router or route declares.

``require_role("collector")`` goes in a router's (or a route's) ``dependencies``. The role it
asks for is kept on the dependency (:attr:`RequireRole.min_role`, read by
:func:`route_role`) and written into the OpenAPI schema as the role names of the route's
security requirement (OpenAPI 3.1 allows role names for non-OAuth schemes).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Security, params
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from serving.api.deps import StateDep
from serving.api.problems import PROBLEM_JSON
from serving.api_keys import ApiKey, Role

logger = logging.getLogger("encours.api")

_HOW = "send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`"
_bearer = HTTPBearer(
    scheme_name="bearer",
    description="an API key made by `encours keys create --role ROLE`, as a bearer token",
    auto_error=False,
)
_header = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    description="the same API key, in the `X-API-Key` header",
    auto_error=False,
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="encours"'}

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "no API key, or an unknown or revoked one",
        "content": {PROBLEM_JSON: {}},
        "headers": {
            "WWW-Authenticate": {
                "description": "the scheme to authenticate with",
                "schema": {"type": "string", "examples": ['Bearer realm="encours"']},
            }
        },
    },
    403: {"description": "the API key's role is below the route's", "content": {PROBLEM_JSON: {}}},
}
"""The answers of the key check, for the ``responses`` of every router that declares a role."""


@dataclass(frozen=True)
class RequireRole:
    """The dependency that lets through keys of ``min_role`` or above; it returns the key."""

    min_role: Role

    async def __call__(
        self,
        state: StateDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
        header: Annotated[str | None, Security(_header)],
    ) -> ApiKey:
        """The caller's key: 401 without a valid one, 403 when its role is too low.

        A key checked within ``Settings.api_key_cache_seconds`` is not asked of the
        database again (the query is in the thread pool: it may wait on the database).
        """
        token = bearer.credentials if bearer is not None else header
        if not token:
            raise HTTPException(401, f"an API key is needed: {_HOW}", headers=CHALLENGE)
        cached, key = state.keys.recent(token)
        if not cached:
            try:
                key = await run_in_threadpool(state.keys.authenticate, token)
            except SQLAlchemyError as exc:  # no database, no way to tell a key from a guess
                logger.warning("cannot check an API key: %s", exc)
                raise HTTPException(503, "cannot check the API key: database unreachable") from exc
        if key is None:
            raise HTTPException(401, "unknown or revoked API key", headers=CHALLENGE)
        if not key.role.covers(self.min_role):
            raise HTTPException(
                403,
                f"this needs the {self.min_role} role or above; API key {key.id} has the "
                f"{key.role} role",
            )
        return key


def require_role(role: Role | str) -> params.Security:
    """The dependency marker for routes open to keys of ``role`` or above.

    Use it in ``APIRouter(dependencies=[require_role("viewer")])``, in a route's
    ``dependencies``, or as ``key: Annotated[ApiKey, require_role("admin")]``.
    """
    needed = Role(role)
    return Security(RequireRole(needed), scopes=[needed.value])


def route_role(dependant: Dependant) -> Role | None:
    """The least role a route (its ``dependant``) lets in, None for a public route."""
    found: list[Role] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        if isinstance(current.call, RequireRole):
            found.append(current.call.min_role)
        stack.extend(current.dependencies)
    return max(found, key=lambda role: role.rank) if found else None
