"""The flash-deal claim token: live issues it, orders honours it at checkout.

A signed JWT (HS256 with a secret the two services share), so orders can honour a claim the
moment the buyer holds it, without waiting for `live.claim.created` to arrive. Orders records
each claim id it redeems, so a token buys once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import jwt

ISSUER = "live"
AUDIENCE = "orders:checkout"


@dataclass(frozen=True)
class ClaimGrant:
    claim_id: UUID
    deal_id: UUID
    session_id: UUID
    buyer_id: str
    sku_id: UUID
    quantity: int
    unit_price_minor: int
    currency: str
    expires_at: datetime


class InvalidClaimToken(Exception):
    """Forged, expired, or not a claim token at all."""


def issue(secret: str, grant: ClaimGrant) -> str:
    return jwt.encode({
        "iss": ISSUER, "aud": AUDIENCE, "sub": grant.buyer_id, "jti": str(grant.claim_id),
        "deal": str(grant.deal_id), "session": str(grant.session_id), "sku": str(grant.sku_id),
        "qty": grant.quantity, "price": grant.unit_price_minor, "cur": grant.currency,
        "exp": int(grant.expires_at.timestamp()),
    }, secret, algorithm="HS256")


def verify(secret: str, token: str, *, leeway_seconds: float = 0) -> ClaimGrant:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                            issuer=ISSUER, leeway=leeway_seconds,
                            options={"require": ["exp", "jti", "sub"]})
        return ClaimGrant(
            claim_id=UUID(claims["jti"]), deal_id=UUID(claims["deal"]),
            session_id=UUID(claims["session"]), buyer_id=str(claims["sub"]),
            sku_id=UUID(claims["sku"]), quantity=int(claims["qty"]),
            unit_price_minor=int(claims["price"]), currency=str(claims["cur"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC))
    except jwt.ExpiredSignatureError as exc:
        raise InvalidClaimToken("the claim has expired") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidClaimToken("not a valid claim token") from exc
