"""JWT bearer verification: HS256 with a shared secret (the dev issuer) or RS/ES keys from the
OIDC provider's JWKS (production)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

import jwt

from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.settings import ServiceSettings

log = logging.getLogger(__name__)
_ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail,
                   headers={"WWW-Authenticate": 'Bearer realm="socialcommerce"'})


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        if settings.jwt_secret is None and settings.jwt_jwks_url is None:
            raise ValueError("set JWT_SECRET (dev issuer) or JWT_JWKS_URL (OIDC provider)")
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=600) \
            if settings.jwt_jwks_url else None
        self._issuer = settings.jwt_issuer
        self._max_age = settings.jwt_max_age_seconds
        self._audience = settings.jwt_audience

    async def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                key: Any = signing_key.key
                algorithms = _ASYMMETRIC
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=self._audience, issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]}, leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The access token has expired.") from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            log.info("refused an access token: %s", exc)  # the reason stays in our logs
            raise unauthorized("The access token is invalid.") from exc
        if int(claims["exp"]) - int(claims["iat"]) > self._max_age:
            raise unauthorized("The access token lives longer than this platform accepts.")
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    raw_roles = claims.get("roles", [])
    if isinstance(raw_roles, str):
        raw_roles = [raw_roles]
    try:
        roles = frozenset(Role(r) for r in raw_roles)
    except ValueError as exc:
        raise unauthorized(f"Unknown role in token: {exc}") from exc
    birthdate = None
    if claims.get("birthdate"):
        try:
            birthdate = date.fromisoformat(str(claims["birthdate"]))
        except ValueError as exc:
            raise unauthorized("The token's birthdate claim is not a date.") from exc

    def opt(name: str) -> str | None:
        value = claims.get(name)
        return str(value) if value is not None else None

    return Principal(
        subject=str(claims["sub"]), roles=roles, seller_id=opt("seller_id"),
        shop_id=opt("shop_id"), creator_id=opt("creator_id"), birthdate=birthdate, claims=claims,
    )
