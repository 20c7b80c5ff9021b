"""Events produced by the live service: sessions, pins, flash deals and their claims, gifts,
shoppable videos."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from libs.events.base import Event
from libs.events.registry import register


@register
class LiveSessionScheduled(Event):
    """A live shopping session was scheduled by a shop, hosted by its seller or a creator."""

    type = "live.session.scheduled"
    topic = "live.session.v1"
    key_field = "session_id"
    public = True

    session_id: UUID
    seller_id: UUID
    host_kind: Literal["seller", "creator"]
    host_id: str
    title: str
    scheduled_for: datetime


@register
class LiveSessionStarted(Event):
    type = "live.session.started"
    topic = "live.session.v1"
    key_field = "session_id"
    public = True

    session_id: UUID
    seller_id: UUID
    started_at: datetime


@register
class LiveSessionEnded(Event):
    """The session is over; its figures are final and its replay is available."""

    type = "live.session.ended"
    topic = "live.session.v1"
    key_field = "session_id"
    public = True

    session_id: UUID
    seller_id: UUID
    ended_at: datetime
    peak_viewers: int
    unique_viewers: int


@register
class LiveSessionCancelled(Event):
    type = "live.session.cancelled"
    topic = "live.session.v1"
    key_field = "session_id"
    public = True

    session_id: UUID
    seller_id: UUID
    cancelled_at: datetime


@register
class LiveProductPinned(Event):
    """A showcased product became the session's pinned card (the previous pin ended)."""

    type = "live.product.pinned"
    topic = "live.session.v1"
    key_field = "session_id"

    session_id: UUID
    product_id: UUID
    pinned_at: datetime


@register
class LiveGiftSent(Event):
    """A viewer sent a gift to the host; tokens left the viewer's wallet."""

    type = "live.gift.sent"
    topic = "live.session.v1"
    key_field = "session_id"

    session_id: UUID
    gift_id: UUID
    buyer_id: str
    host_id: str
    gift_code: str
    quantity: int
    tokens: int
    host_share_tokens: int
    sent_at: datetime


@register
class LiveDealCreated(Event):
    """A flash deal was announced. Catalog sets its units aside from the SKU's stock."""

    type = "live.deal.created"
    topic = "live.deal.v1"
    key_field = "deal_id"

    deal_id: UUID
    session_id: UUID
    seller_id: UUID
    sku_id: UUID
    deal_price_minor: int = Field(gt=0)
    currency: str
    quantity: int = Field(gt=0)
    per_buyer_limit: int = Field(gt=0)
    starts_at: datetime
    ends_at: datetime
    hold_until: datetime = Field(
        description="Catalog keeps the units set aside at most until then (end of the deal "
                    "plus the payment window), whatever it hears.")


@register
class LiveDealStarted(Event):
    type = "live.deal.started"
    topic = "live.deal.v1"
    key_field = "deal_id"

    deal_id: UUID
    session_id: UUID
    started_at: datetime


@register
class LiveDealEnded(Event):
    """The deal is over: `unclaimed_units` go back to the SKU's stock now. Units still held
    by unpaid claims follow one by one as those claims expire."""

    type = "live.deal.ended"
    topic = "live.deal.v1"
    key_field = "deal_id"

    deal_id: UUID
    session_id: UUID
    sku_id: UUID
    reason: Literal["finished", "stock_refused", "session_ended"]
    unclaimed_units: int = Field(ge=0)
    ended_at: datetime


@register
class LiveClaimCreated(Event):
    """A viewer claimed units of a flash deal; a claim token lets them check out until
    `expires_at`."""

    type = "live.claim.created"
    topic = "live.deal.v1"
    key_field = "deal_id"

    claim_id: UUID
    deal_id: UUID
    session_id: UUID
    buyer_id: str
    sku_id: UUID
    quantity: int
    expires_at: datetime


@register
class LiveClaimExpired(Event):
    """A claim was not paid in time. Its units went back to the running deal, or, once the deal
    was over, to the SKU's stock (catalog releases them)."""

    type = "live.claim.expired"
    topic = "live.deal.v1"
    key_field = "deal_id"

    claim_id: UUID
    deal_id: UUID
    sku_id: UUID
    quantity: int
    returned_to: Literal["deal", "stock"]
    expired_at: datetime


@register
class LiveClaimConsumed(Event):
    """A claim was checked out: its units left the deal as an order."""

    type = "live.claim.consumed"
    topic = "live.deal.v1"
    key_field = "deal_id"

    claim_id: UUID
    deal_id: UUID
    order_id: UUID
    consumed_at: datetime


@register
class LiveClaimReleased(Event):
    """The order that checked a claim out was cancelled. Within the claim's payment window it
    is the buyer's again (`claim`: they may check it out once more); past it, its units went
    back to the running deal (`deal`) or, once the deal was over, to stock (`stock`: catalog
    releases them once the cancelled order's units are back in the deal's set-aside)."""

    type = "live.claim.released"
    topic = "live.deal.v1"
    key_field = "deal_id"

    claim_id: UUID
    deal_id: UUID
    order_id: UUID
    sku_id: UUID
    quantity: int = Field(gt=0)
    returned_to: Literal["claim", "deal", "stock"]
    released_at: datetime


@register
class VideoPublished(Event):
    """A shoppable short video went public (metadata only: the media is hosted elsewhere)."""

    type = "video.published"
    topic = "live.video.v1"
    key_field = "video_id"

    video_id: UUID
    author_kind: Literal["seller", "creator"]
    author_id: str = Field(description="The seller's id, or the creator's.")
    market: str
    title: str
    duration_seconds: int
    media_url: str
    thumbnail_url: str
    product_ids: list[UUID]
    published_at: datetime


@register
class VideoUnpublished(Event):
    type = "video.unpublished"
    topic = "live.video.v1"
    key_field = "video_id"

    video_id: UUID
    reason: Literal["author", "seller_suspended"]
    unpublished_at: datetime


@register
class VideoProductTagged(Event):
    """A product was tagged in a video; a creator's tag names the shop that accepted them."""

    type = "video.product_tagged"
    topic = "live.video.v1"
    key_field = "video_id"

    video_id: UUID
    product_id: UUID
    seller_id: UUID
    creator_id: str | None = None
    offset_seconds: int | None = None
    tagged_at: datetime
