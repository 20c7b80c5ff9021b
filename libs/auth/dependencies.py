"""FastAPI dependencies: `Depends(require(Role.SELLER))` on every non-public route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from libs.auth.principal import Principal, Role
from libs.auth.tokens import TokenVerifier, unauthorized
from libs.errors import Problem

ApiKeyResolver = Callable[[str], Awaitable[Principal | None]]

bearer_scheme = HTTPBearer(auto_error=False, description="JWT access token")
api_key_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False,
                              description="A seller's API key, for the seller's own systems")


class Authenticator:
    def __init__(self, verifier: TokenVerifier, api_key_resolver: ApiKeyResolver | None = None,
                 api_key_budget: Callable[[Principal], Awaitable[None]] | None = None):
        """`api_key_budget` counts each request made with an API key, raising a 429 once the
        key's budget is spent (scripts hammer; people with tokens do not)."""
        self.verifier = verifier
        self.api_key_resolver = api_key_resolver
        self.api_key_budget = api_key_budget

    async def authenticate(
        self, credentials: HTTPAuthorizationCredentials | None, api_key: str | None
    ) -> Principal:
        if credentials is not None:
            return await self.verifier.verify(credentials.credentials)
        if api_key:
            if self.api_key_resolver is None:
                raise unauthorized("API keys are not accepted on this service.")
            principal = await self.api_key_resolver(api_key)
            if principal is None:
                raise unauthorized("The API key is invalid or revoked.")
            if self.api_key_budget is not None:
                await self.api_key_budget(principal)
            return principal
        raise unauthorized("Authentication required: send a bearer token or an API key.")


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Authenticated, and holding at least one of `roles` (any role when none are named)."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        api_key: Annotated[str | None, Depends(api_key_scheme)],
    ) -> Principal:
        authenticator: Authenticator = request.app.state.authenticator
        principal = await authenticator.authenticate(credentials, api_key)
        request.state.principal = principal
        if roles and not principal.has(*roles):
            wanted = ", ".join(r.value for r in roles)
            raise Problem(403, "Forbidden", f"This action requires one of the roles: {wanted}.")
        return principal

    return dependency



async def bearer_principal(request: Request, *roles: Role) -> Principal:
    """The caller of a hot-path route, checked without FastAPI's dependency machinery (a
    measurable share of a sub-millisecond request). Bearer tokens only; same rules as
    `require(...)`. Such routes declare `HOT_PATH_SECURITY` so the OpenAPI stays true."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise unauthorized("Authentication required: send a bearer token.")
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.verifier.verify(credentials.strip())
    request.state.principal = principal
    if roles and not principal.has(*roles):
        wanted = ", ".join(r.value for r in roles)
        raise Problem(403, "Forbidden", f"This action requires one of the roles: {wanted}.")
    return principal


HOT_PATH_SECURITY: dict[str, object] = {"security": [{"HTTPBearer": []}]}
