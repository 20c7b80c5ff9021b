"""Shoppable short videos: who may publish and tag what, how interactions are counted, and
what a video's figures are. Pure rules; the use cases fetch and store.

A video is metadata (title, duration, a media URL and a thumbnail URL): the platform hosts no
media. Sellers tag their own products; a creator tags only products of shops whose invitation
they accepted, so a creator cannot earn on a shop that never agreed to pay them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict
from libs.web_urls import split_url

MAX_DURATION_SECONDS = 600
MAX_TAGS = 20
NO_PRODUCT = UUID(int=0)
"""The product of an interaction about the whole video (a view)."""


class VideoStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class AuthorKind(StrEnum):
    SELLER = "seller"
    CREATOR = "creator"


class Interaction(StrEnum):
    VIEW = "view"
    TAP = "tap"
    ADD_TO_CART = "add_to_cart"


class VideoRuleError(FieldError):
    """Input the rules refuse whatever the state (422, naming the field)."""


class NotYours(FieldError):
    """The caller may not use this object (answered 403, naming the field)."""


@dataclass(frozen=True)
class Video:
    id: UUID
    author_kind: AuthorKind
    author_id: str
    author_subject: str
    market: str
    title: str
    duration_seconds: int
    media_url: str
    thumbnail_url: str
    status: VideoStatus
    views: int
    created_at: datetime
    published_at: datetime | None

    def owned_by(self, kind: AuthorKind, author_id: str) -> bool:
        return self.author_kind is kind and self.author_id == author_id


def check_media_url(field: str, url: str) -> str:
    """Media lives on a host the client names; only https URLs with a host are taken (no
    `javascript:`, no `data:`, nothing a player would run or fetch from the platform)."""
    parts = split_url(url)
    if parts is None or parts.scheme != "https" or not parts.hostname:
        raise VideoRuleError(field, "must be an https URL", "not_https")
    return url


def check_publishable(video: Video, tagged: int) -> None:
    if video.status is VideoStatus.PUBLISHED:
        raise StateConflict("video_id", "the video is already published", "already_published")
    if tagged == 0:
        raise StateConflict("products", "tag at least one product before publishing",
                            "no_products")


def check_taggable(video: Video, *, product_seller: UUID, partner_of_seller: bool,
                   tagged: int, offset_seconds: int | None) -> None:
    """A seller tags its own products; a creator, products of shops it is an active partner
    of. The offset must fall inside the video."""
    if video.author_kind is AuthorKind.SELLER and str(product_seller) != video.author_id:
        raise NotYours("product_id", "not one of your shop's products", "not_your_product")
    if video.author_kind is AuthorKind.CREATOR and not partner_of_seller:
        raise NotYours("product_id", "this shop has not made you its partner", "not_a_partner")
    if tagged >= MAX_TAGS:
        raise StateConflict("product_id", f"a video tags at most {MAX_TAGS} products",
                            "too_many_tags")
    if offset_seconds is not None and offset_seconds > video.duration_seconds:
        raise VideoRuleError("offset_seconds", "after the end of the video", "after_the_end")


def window_start(at: datetime, window: timedelta) -> datetime:
    """The start of the counting window `at` falls in: a viewer's repeats inside one window
    count once (a reload is not a second view)."""
    seconds = int(window.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=at.tzinfo)


def credited_creator(video: Video, *, partner_of_seller: bool, buyer_id: str,
                     buyer_creator_id: str | None) -> str | None:
    """A creator's video credits its creator while the shop's partnership stands, never when
    the buyer is the creator (by account or by creator id)."""
    if video.author_kind is not AuthorKind.CREATOR or not partner_of_seller:
        return None
    if video.author_subject == buyer_id or video.author_id == buyer_creator_id:
        return None
    return video.author_id


@dataclass(frozen=True)
class ProductFigures:
    product_id: UUID
    taps: int
    add_to_carts: int
    orders: int
    units: int
    gmv_minor: int
    commission_minor: int


@dataclass(frozen=True)
class VideoFigures:
    views: int
    unique_viewers: int
    taps: int
    add_to_carts: int
    orders: int
    units: int
    gmv_minor: int
    commission_minor: int
    currency: str | None
    products: list[ProductFigures]


def total(views: int, unique_viewers: int, products: list[ProductFigures],
          orders: int, currency: str | None) -> VideoFigures:
    """A video's figures from its per-product ones (an order with two tagged products counts
    once among the video's orders, which `orders` gives)."""
    return VideoFigures(
        views=views, unique_viewers=unique_viewers,
        taps=sum(p.taps for p in products), add_to_carts=sum(p.add_to_carts for p in products),
        orders=orders, units=sum(p.units for p in products),
        gmv_minor=sum(p.gmv_minor for p in products),
        commission_minor=sum(p.commission_minor for p in products), currency=currency,
        products=products)
