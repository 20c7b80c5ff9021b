"""The attribution token: live signs it when a buyer taps a product in a session (later, a
video); orders credits a sale to a session or a creator only through it.

Attribution pays people (a creator's commission is owed by the seller) and ranks sessions, so
nothing a buyer sends is taken for it: the token binds the buyer, the product, its seller, the
session and the creator it credits, and a window, under a signature only the platform can
make (HS256 with the secret live and orders share for their tokens; a distinct audience keeps
it from passing for a claim token). The creator is named only when the session's host is a
partner who accepted the shop's invitation, and never when the buyer is that creator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import jwt

ISSUER = "live"
AUDIENCE = "orders:attribution"


@dataclass(frozen=True)
class Touch:
    """One tap on a product, as live saw it."""

    touch_id: UUID
    buyer_id: str
    product_id: UUID
    seller_id: UUID
    session_id: UUID | None
    video_id: UUID | None
    creator_id: str | None
    expires_at: datetime


class InvalidAttributionToken(Exception):
    """Forged, expired, or not an attribution token at all."""


def issue(secret: str, touch: Touch) -> str:
    claims: dict[str, object] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": touch.buyer_id, "jti": str(touch.touch_id),
        "product": str(touch.product_id), "seller": str(touch.seller_id),
        "exp": int(touch.expires_at.timestamp())}
    for name, value in (("session", touch.session_id), ("video", touch.video_id),
                        ("creator", touch.creator_id)):
        if value is not None:
            claims[name] = str(value)
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str) -> Touch:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "jti", "sub"]})
        return Touch(
            touch_id=UUID(claims["jti"]), buyer_id=str(claims["sub"]),
            product_id=UUID(claims["product"]), seller_id=UUID(claims["seller"]),
            session_id=UUID(claims["session"]) if "session" in claims else None,
            video_id=UUID(claims["video"]) if "video" in claims else None,
            creator_id=str(claims["creator"]) if "creator" in claims else None,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC))
    except jwt.ExpiredSignatureError as exc:
        raise InvalidAttributionToken("the attribution window has passed") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidAttributionToken("not a valid attribution token") from exc
