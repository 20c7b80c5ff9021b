"""What the video routes answer and accept (shared by the author's and the viewers' routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from libs.markets import MARKET_PATTERN
from services.live.domain.videos import MAX_DURATION_SECONDS, Video, VideoFigures


class VideoIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "market": "GB", "title": "Three ways to wear the linen shirt", "duration_seconds": 42,
        "media_url": "https://media.example.com/v/123.mp4",
        "thumbnail_url": "https://media.example.com/v/123.jpg"}]})
    market: str = Field(pattern=MARKET_PATTERN, description="Where the video is shown.")
    title: str = Field(min_length=1, max_length=150)
    duration_seconds: int = Field(ge=1, le=MAX_DURATION_SECONDS)
    media_url: str = Field(min_length=9, max_length=2048,
                           description="An https URL of the media (the platform hosts none).")
    thumbnail_url: str = Field(min_length=9, max_length=2048, description="An https URL.")


class TagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset_seconds: int | None = Field(
        default=None, ge=0, le=MAX_DURATION_SECONDS,
        description="When the product appears (seconds from the start); none: all along.")


class TaggedProduct(BaseModel):
    product_id: UUID
    seller_id: UUID
    offset_seconds: int | None
    price_minor: int | None = Field(description="The lowest live price of its SKUs.")
    currency: str | None
    available: int | None = Field(description="Units left over its live SKUs, when known.")
    buyable: bool = Field(description="Listed and not known to be sold out.")


class VideoView(BaseModel):
    id: UUID
    author_kind: Literal["seller", "creator"]
    author_id: str
    market: str
    title: str
    duration_seconds: int
    media_url: str
    thumbnail_url: str
    status: Literal["draft", "published", "unpublished"]
    views: int
    published_at: datetime | None
    products: list[TaggedProduct]


class Counted(BaseModel):
    counted: bool = Field(description="False when the viewer did this already in the window.")


class VideoTouchView(BaseModel):
    attribution_token: str = Field(
        description="Send it as the cart line's `source.attribution_token`: the sale is "
                    "credited to this video (and its creator) if checked out before "
                    "`expires_at`; a later tap on the same product replaces it.")
    video_id: UUID
    product_id: UUID
    creator_credited: bool
    expires_at: datetime


class ProductFiguresView(BaseModel):
    product_id: UUID
    taps: int
    add_to_carts: int
    orders: int
    units: int
    gmv_minor: int
    commission_minor: int


class FiguresView(BaseModel):
    video_id: UUID
    views: int
    unique_viewers: int
    taps: int
    add_to_carts: int
    orders: int = Field(description="Paid orders attributed to the video.")
    units: int
    gmv_minor: int
    commission_minor: int = Field(description="Commission its creator earned (after reversals).")
    currency: str | None
    products: list[ProductFiguresView]


def video_view(video: Video, tags: list[asyncpg.Record]) -> VideoView:
    return VideoView(
        id=video.id, author_kind=video.author_kind.value, author_id=video.author_id,
        market=video.market, title=video.title, duration_seconds=video.duration_seconds,
        media_url=video.media_url, thumbnail_url=video.thumbnail_url, status=video.status.value,
        views=video.views, published_at=video.published_at,
        products=[_tagged(row) for row in tags if row["video_id"] == video.id])


def _tagged(row: Any) -> TaggedProduct:
    available = row["available"]
    return TaggedProduct(
        product_id=row["product_id"], seller_id=row["seller_id"],
        offset_seconds=row["offset_seconds"], price_minor=row["price_minor"],
        currency=row["currency"].strip() if row["currency"] else None,
        available=int(available) if available is not None else None,
        buyable=bool(row["live"]) and (available is None or available > 0))


def figures_view(video_id: UUID, figures: VideoFigures) -> FiguresView:
    return FiguresView(
        video_id=video_id, views=figures.views, unique_viewers=figures.unique_viewers,
        taps=figures.taps, add_to_carts=figures.add_to_carts, orders=figures.orders,
        units=figures.units, gmv_minor=figures.gmv_minor,
        commission_minor=figures.commission_minor, currency=figures.currency,
        products=[ProductFiguresView(**p.__dict__) for p in figures.products])
