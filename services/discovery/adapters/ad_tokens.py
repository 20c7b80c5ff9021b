"""The click token of a sponsored slot: what was shown (campaign, product), to whom, at what
price. Signed by discovery (HS256) when the auction decides the slot, so a click is billed only
for a slot the platform really served to that buyer, at the price the auction set; nothing the
client sends about money is trusted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import jwt

ISSUER = "discovery"
AUDIENCE = "discovery:ad-click"


@dataclass(frozen=True)
class Slot:
    impression_id: UUID
    campaign_id: UUID
    seller_id: UUID
    product_id: UUID
    buyer_id: str
    market: str
    price_minor: int
    currency: str


class InvalidAdToken(Exception):
    """Forged, expired, or not a click token."""


def issue(secret: str, slot: Slot, now: datetime, lifetime_seconds: int) -> str:
    return jwt.encode({
        "iss": ISSUER, "aud": AUDIENCE, "jti": str(slot.impression_id), "sub": slot.buyer_id,
        "cmp": str(slot.campaign_id), "sel": str(slot.seller_id), "prd": str(slot.product_id),
        "mkt": slot.market, "price": slot.price_minor, "cur": slot.currency,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_seconds)).timestamp()),
    }, secret, algorithm="HS256")


def verify(secret: str, token: str) -> Slot:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "jti", "sub"]})
        return Slot(impression_id=UUID(claims["jti"]), campaign_id=UUID(claims["cmp"]),
                    seller_id=UUID(claims["sel"]), product_id=UUID(claims["prd"]),
                    buyer_id=str(claims["sub"]), market=str(claims["mkt"]),
                    price_minor=int(claims["price"]), currency=str(claims["cur"]))
    except jwt.ExpiredSignatureError as exc:
        raise InvalidAdToken("the sponsored slot has expired") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as exc:
        raise InvalidAdToken("not a click token this platform issued") from exc
