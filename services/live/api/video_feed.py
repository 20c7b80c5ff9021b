"""Shoppable videos, for viewers: the public feed of a market (newest or most viewed, with the
tagged products' live price and availability), views and add-to-carts counted once per window,
and taps that hand out the attribution token a purchase is credited through."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.idempotency import IdempotencyKey
from libs.markets import MARKET_PATTERN
from libs.pagination import (
    Page,
    PageParams,
    decode_cursor,
    invalid_cursor,
    page_of,
    page_params,
)
from libs.rate_limit import RATE_LIMITED, RateLimiter, enforce
from services.live.adapters import videos_repository
from services.live.api.video_views import Counted, VideoTouchView, VideoView, video_view
from services.live.domain.videos import Interaction
from services.live.use_cases import videos

router = APIRouter(prefix="/v1/live/videos", tags=["shoppable videos"])
Viewer = Annotated[Principal, Depends(require())]
Buyer = Annotated[Principal, Depends(require(Role.BUYER))]


@router.get("", response_model=Page[VideoView],
            summary="The published videos of a market, newest or most viewed first (public).")
async def feed(request: Request, market: Annotated[str, Query(pattern=MARKET_PATTERN)],
               page: Annotated[PageParams, Depends(page_params)],
               sort: Literal["newest", "most_viewed"] = "newest") -> Page[VideoView]:
    most_viewed = sort == "most_viewed"
    after = _position(page.cursor, most_viewed)
    pool = runtime(request).db
    found = await videos_repository.feed(pool, market, most_viewed, after, page.limit + 1)
    tags = await videos_repository.tags(pool, [v.id for v in found])
    return page_of([video_view(v, tags) for v in found], page.limit,
                   lambda v: (v.views if most_viewed else v.published_at, v.id))


def _position(cursor: str | None, most_viewed: bool) -> tuple[Any, ...] | None:
    """(views, id) or (published_at, id) of the last video shown."""
    if not cursor:
        return None
    first, last = decode_cursor(cursor, 2)
    try:
        return (int(first) if most_viewed else datetime.fromisoformat(first)), UUID(last)
    except (TypeError, ValueError):
        raise invalid_cursor() from None


@router.get("/{video_id}", response_model=VideoView, summary="A published video (public).")
async def video(request: Request, video_id: UUID) -> VideoView:
    pool = runtime(request).db
    found = await videos.published(pool, video_id)
    return video_view(found, await videos_repository.tags(pool, [video_id]))


@router.post("/{video_id}/views", response_model=Counted, responses={**RATE_LIMITED},
             summary="Count a view (once per viewer and window).")
async def view(request: Request, video_id: UUID, principal: Viewer) -> Counted:
    return Counted(counted=await _count(request, video_id, principal, Interaction.VIEW, None))


@router.post("/{video_id}/products/{product_id}/add-to-carts", response_model=Counted,
             responses={**RATE_LIMITED},
             summary="Count an add-to-cart from the video (once per buyer and window).")
async def add_to_cart(request: Request, video_id: UUID, product_id: UUID,
                      principal: Buyer) -> Counted:
    return Counted(counted=await _count(request, video_id, principal, Interaction.ADD_TO_CART,
                                        product_id))


async def _count(request: Request, video_id: UUID, principal: Principal, kind: Interaction,
                 product_id: UUID | None) -> bool:
    settings = runtime(request).settings
    await _budget(request, principal)
    async with transaction(runtime(request).db) as conn:
        return await videos.interact(conn, settings, video_id, principal.subject, kind,
                                     product_id)


async def _budget(request: Request, principal: Principal) -> None:
    """Bots meet a per-viewer budget, shared by every instance, before anything is counted."""
    await enforce(RateLimiter(runtime(request).redis), f"video:{principal.subject}",
                  runtime(request).settings.video_interactions_per_minute, 60,
                  field="video_id", what="video interactions")


@router.post("/{video_id}/products/{product_id}/taps", status_code=201,
             response_model=VideoTouchView, responses={**RATE_LIMITED},
             summary="A buyer taps a product in a video: an attribution token.")
async def tap(request: Request, video_id: UUID, product_id: UUID, principal: Buyer,
              idempotency_key: IdempotencyKey = None) -> Any:
    settings = runtime(request).settings
    await _budget(request, principal)

    async def work(conn: Any) -> tuple[int, Any]:
        issued = await videos.tap(conn, settings, video_id, product_id, principal.subject,
                                  principal.creator_id)
        touch = issued.touch
        return 201, VideoTouchView(
            attribution_token=issued.token, video_id=video_id, product_id=product_id,
            creator_credited=touch.creator_id is not None,
            expires_at=touch.expires_at).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST video taps", key=idempotency_key,
        body={"video_id": str(video_id), "product_id": str(product_id)}, work=work)
