"""Who a cart line credits: only what the platform signed (an attribution token from a tap in
a session, a flash-deal claim), never what the buyer types. Checked when the line is added and
again at checkout, where a token whose window has passed simply credits no one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from libs.attribution_tokens import Touch
from libs.domain_errors import FieldError
from services.orders.domain.cart import Attribution

FIELD = "source.attribution_token"


class AttributionError(FieldError):
    """An attribution token that cannot credit this line."""


def check_touch(touch: Touch, *, buyer_id: str, product_id: UUID, seller_id: UUID,
                now: datetime) -> None:
    if touch.buyer_id != buyer_id:
        raise AttributionError(FIELD, "this token was handed to someone else", "touch_not_yours")
    if touch.product_id != product_id or touch.seller_id != seller_id:
        raise AttributionError(FIELD, "this token is for another product", "touch_other_product")
    if touch.expires_at <= now:
        raise AttributionError(FIELD, "the attribution window has passed", "touch_expired")


def credited_by(source: Attribution, touch: Touch | None, *, buyer_id: str) -> Attribution:
    """The line's credit from its token (None: no valid token, so no creator and no session
    beyond a claim's own); a creator never earns on their own purchase."""
    claim_session = source.live_session_id if source.claim_token else None
    if touch is None:
        return replace(source, creator_id=None, video_id=None, live_session_id=claim_session)
    creator = touch.creator_id if touch.creator_id != buyer_id else None
    return replace(source, creator_id=creator,
                   video_id=str(touch.video_id) if touch.video_id else None,
                   live_session_id=claim_session or (str(touch.session_id)
                                                     if touch.session_id else None))
