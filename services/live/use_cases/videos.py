"""Shoppable videos: a seller or a partner creator publishes a short video with tagged products;
viewers' views, taps and add-to-carts are counted once per window; a tap hands out the signed
attribution token through which orders credits the video (and its creator) with the sale."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from libs import attribution_tokens
from libs.errors import Problem
from libs.events.schemas import live as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.live.adapters import sessions_repository, videos_repository
from services.live.domain import videos as rules
from services.live.domain.videos import AuthorKind, Interaction, Video, VideoStatus
from services.live.settings import LiveSettings
from services.live.use_cases.sessions import require_verified


@dataclass(frozen=True)
class Author:
    """Who publishes: a seller (its shop's products) or a creator (its partners' products)."""

    kind: AuthorKind
    id: str
    subject: str


@dataclass(frozen=True)
class VideoDraft:
    market: str
    title: str
    duration_seconds: int
    media_url: str
    thumbnail_url: str


async def create(conn: asyncpg.Connection, author: Author, draft: VideoDraft) -> Video:
    if author.kind is AuthorKind.SELLER:
        await require_verified(conn, UUID(author.id), "publish videos")
    video = Video(
        id=new_id(), author_kind=author.kind, author_id=author.id, author_subject=author.subject,
        market=draft.market, title=draft.title.strip(), duration_seconds=draft.duration_seconds,
        media_url=rules.check_media_url("media_url", draft.media_url),
        thumbnail_url=rules.check_media_url("thumbnail_url", draft.thumbnail_url),
        status=VideoStatus.DRAFT, views=0, created_at=datetime.now(UTC), published_at=None)
    await videos_repository.add(conn, video)
    return video


async def own_video(conn: asyncpg.Connection, video_id: UUID, author: Author) -> Video:
    """The author's video, locked; anyone else's is a 404 (its existence is not theirs)."""
    video = await videos_repository.get(conn, video_id, for_update=True)
    if video is None or not video.owned_by(author.kind, author.id):
        raise Problem(404, "Not found", "No such video of yours.")
    return video


async def publish(conn: asyncpg.Connection, video_id: UUID, author: Author) -> Video:
    video = await own_video(conn, video_id, author)
    if author.kind is AuthorKind.SELLER:
        await require_verified(conn, UUID(author.id), "publish videos")
    tagged = await videos_repository.tags(conn, [video_id])
    rules.check_publishable(video, len(tagged))
    now = datetime.now(UTC)
    await videos_repository.set_status(conn, video_id, VideoStatus.PUBLISHED, now)
    await enqueue(conn, "live", events.VideoPublished(
        video_id=video_id, author_kind=video.author_kind.value, author_id=video.author_id,
        market=video.market, title=video.title, duration_seconds=video.duration_seconds,
        media_url=video.media_url, thumbnail_url=video.thumbnail_url,
        product_ids=[row["product_id"] for row in tagged], published_at=now))
    return replace(video, status=VideoStatus.PUBLISHED, published_at=now)


async def unpublish(conn: asyncpg.Connection, video_id: UUID, author: Author) -> Video:
    video = await own_video(conn, video_id, author)
    if video.status is not VideoStatus.PUBLISHED:
        raise Problem(409, "Conflict", "The video is not published.", code="not_published")
    now = datetime.now(UTC)
    await videos_repository.set_status(conn, video_id, VideoStatus.UNPUBLISHED)
    await enqueue(conn, "live", events.VideoUnpublished(video_id=video_id, reason="author",
                                                        unpublished_at=now))
    return replace(video, status=VideoStatus.UNPUBLISHED)


async def tag_product(conn: asyncpg.Connection, video_id: UUID, product_id: UUID,
                      offset_seconds: int | None, author: Author) -> None:
    video = await own_video(conn, video_id, author)
    seller = await videos_repository.product_seller(conn, product_id)
    if seller is None:
        raise Problem(409, "Conflict", "No published product with this id.",
                      errors=[{"field": "product_id", "message": "not a published product",
                               "code": "not_published"}])
    partner = author.kind is AuthorKind.CREATOR and await sessions_repository.are_partners(
        conn, seller, author.id)
    existing = await videos_repository.tag_of(conn, video_id, product_id)
    count = await videos_repository.tag_count(conn, video_id)
    try:
        rules.check_taggable(video, product_seller=seller, partner_of_seller=partner,
                             tagged=count - (1 if existing else 0),
                             offset_seconds=offset_seconds)
    except rules.NotYours as refused:
        raise Problem(403, "Forbidden", str(refused), errors=[refused.as_error()]) from None
    if await videos_repository.tag(conn, video_id, product_id, seller, offset_seconds):
        await enqueue(conn, "live", events.VideoProductTagged(
            video_id=video_id, product_id=product_id, seller_id=seller,
            creator_id=author.id if author.kind is AuthorKind.CREATOR else None,
            offset_seconds=offset_seconds, tagged_at=datetime.now(UTC)))


async def untag_product(conn: asyncpg.Connection, video_id: UUID, product_id: UUID,
                        author: Author) -> None:
    await own_video(conn, video_id, author)
    if not await videos_repository.untag(conn, video_id, product_id):
        raise Problem(404, "Not found", "The product is not tagged in this video.")


async def published(conn: asyncpg.Connection | asyncpg.Pool, video_id: UUID) -> Video:
    video = await videos_repository.get(conn, video_id)
    if video is None or video.status is not VideoStatus.PUBLISHED:
        raise Problem(404, "Not found", "No such published video.")
    return video


async def _tagged(conn: asyncpg.Connection, video_id: UUID,
                  product_id: UUID) -> asyncpg.Record:
    tag = await videos_repository.tag_of(conn, video_id, product_id)
    if tag is None:
        raise Problem(409, "Conflict", "The product is not tagged in this video.",
                      errors=[{"field": "product_id", "message": "not tagged here",
                               "code": "not_tagged"}])
    return tag


async def _count(conn: asyncpg.Connection, settings: LiveSettings, video_id: UUID,
                 viewer_id: str, kind: Interaction, product_id: UUID) -> bool:
    window = rules.window_start(datetime.now(UTC),
                                timedelta(seconds=settings.video_window_seconds))
    return await videos_repository.count_once(conn, video_id, viewer_id, kind, product_id,
                                              window)


async def interact(conn: asyncpg.Connection, settings: LiveSettings, video_id: UUID,
                   viewer_id: str, kind: Interaction, product_id: UUID | None) -> bool:
    """Counts a view, tap or add-to-cart once per viewer in its window; True when counted."""
    await published(conn, video_id)
    if kind is not Interaction.VIEW:
        assert product_id is not None
        await _tagged(conn, video_id, product_id)
    return await _count(conn, settings, video_id, viewer_id, kind,
                        product_id or rules.NO_PRODUCT)


@dataclass(frozen=True)
class IssuedVideoTouch:
    token: str
    touch: attribution_tokens.Touch


async def tap(conn: asyncpg.Connection, settings: LiveSettings, video_id: UUID,
              product_id: UUID, buyer_id: str, buyer_creator_id: str | None
              ) -> IssuedVideoTouch:
    """Counts the tap and signs what it credits: the video, and its creator while the shop's
    partnership stands and the buyer is not that creator."""
    video = await published(conn, video_id)
    tagged = await _tagged(conn, video_id, product_id)
    await _count(conn, settings, video_id, buyer_id, Interaction.TAP, product_id)
    partner = video.author_kind is AuthorKind.CREATOR and await sessions_repository.are_partners(
        conn, tagged["seller_id"], video.author_id)
    touch = attribution_tokens.Touch(
        touch_id=new_id(), buyer_id=buyer_id, product_id=product_id,
        seller_id=tagged["seller_id"], session_id=None, video_id=video_id,
        creator_id=rules.credited_creator(video, partner_of_seller=partner, buyer_id=buyer_id,
                                          buyer_creator_id=buyer_creator_id),
        expires_at=(datetime.now(UTC) + timedelta(seconds=settings.attribution_window_seconds)
                    ).replace(microsecond=0))
    return IssuedVideoTouch(
        attribution_tokens.issue(settings.claim_token_secret.get_secret_value(), touch), touch)


async def figures_for(pool: asyncpg.Pool, video_id: UUID, author: Author | None,
                      seller_id: str | None) -> rules.VideoFigures | None:
    """The video's figures; None when there is no such video or the caller may not read them
    (only its author, and a seller whose products it tags, may)."""
    video = await videos_repository.get(pool, video_id)
    if video is None:
        return None
    tags = await videos_repository.tags(pool, [video.id])
    author_reads = author is not None and video.owned_by(author.kind, author.id)
    tagged_seller_reads = seller_id is not None and any(
        str(row["seller_id"]) == seller_id for row in tags)
    if not (author_reads or tagged_seller_reads):
        return None
    return await _figures(pool, video, [row["product_id"] for row in tags])


async def _figures(pool: asyncpg.Pool, video: Video, tagged: list[UUID]) -> rules.VideoFigures:
    raw = await videos_repository.figures(pool, video.id)
    counts: dict[tuple[UUID, str], int] = {(row["product_id"], row["kind"]): row["n"]
                                           for row in raw["interactions"]}
    sales = {row["product_id"]: row for row in raw["sales"]}
    products = []
    for product_id in dict.fromkeys([*tagged, *(p for p in sales if p is not None)]):
        sale = sales.get(product_id)
        products.append(rules.ProductFigures(
            product_id=product_id, taps=counts.get((product_id, "tap"), 0),
            add_to_carts=counts.get((product_id, "add_to_cart"), 0),
            orders=sale["orders"] if sale else 0, units=sale["units"] if sale else 0,
            gmv_minor=sale["gmv"] if sale else 0,
            commission_minor=sale["commission"] if sale else 0))
    currency = next((row["currency"] for row in raw["sales"]), None)
    return rules.total(video.views, raw["unique_viewers"], products, raw["orders"], currency)
