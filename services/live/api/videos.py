"""Shoppable videos, for their authors: a seller (its own products) or a partner creator (its
partners' products) creates a video, tags products, publishes it and reads its figures."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from services.live.adapters import videos_repository
from services.live.api.video_views import (
    FiguresView,
    TagIn,
    VideoIn,
    VideoView,
    figures_view,
    video_view,
)
from services.live.domain.videos import AuthorKind
from services.live.use_cases import videos
from services.live.use_cases.videos import Author, VideoDraft

router = APIRouter(prefix="/v1/live/videos", tags=["shoppable videos"])
authors = require(Role.SELLER, Role.CREATOR)
Authoring = Annotated[Principal, Depends(authors)]


def author_of(principal: Principal) -> Author:
    """A creator's account publishes as the creator; a seller's as its shop."""
    if principal.has(Role.CREATOR) and principal.creator_id:
        return Author(AuthorKind.CREATOR, principal.creator_id, principal.subject)
    if principal.has(Role.SELLER) and principal.seller_id:
        return Author(AuthorKind.SELLER, principal.seller_id, principal.subject)
    raise Problem(403, "Forbidden", "Videos are published by a seller (with its seller_id) or "
                  "a creator (with its creator_id).")


@router.post("", status_code=201, response_model=VideoView,
             summary="Create a video (a draft until published; the media is hosted elsewhere).")
async def create_video(request: Request, body: VideoIn, principal: Authoring,
                       idempotency_key: IdempotencyKey = None) -> Any:
    author = author_of(principal)

    async def work(conn: Any) -> tuple[int, Any]:
        video = await videos.create(conn, author, VideoDraft(**body.model_dump()))
        return 201, video_view(video, []).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST videos", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("/mine", response_model=list[VideoView], summary="Your videos, newest first.")
async def my_videos(request: Request, principal: Authoring) -> list[VideoView]:
    author = author_of(principal)
    pool = runtime(request).db
    found = await videos_repository.of_author(pool, author.kind, author.id)
    tags = await videos_repository.tags(pool, [v.id for v in found])
    return [video_view(video, tags) for video in found]


@router.put("/{video_id}/products/{product_id}", status_code=204,
            summary="Tag a product in your video (a creator: only its partner shops' products).",
            responses={403: {"description": "Not your shop's product, or the shop has not made "
                                            "you its partner."},
                       409: {"description": "Not a published product, or 20 tags already."}})
async def tag_product(request: Request, video_id: UUID, product_id: UUID, body: TagIn,
                      principal: Authoring) -> Response:
    async with transaction(runtime(request).db) as conn:
        await videos.tag_product(conn, video_id, product_id, body.offset_seconds,
                                 author_of(principal))
    return Response(status_code=204)


@router.delete("/{video_id}/products/{product_id}", status_code=204,
               summary="Remove a product's tag from your video.")
async def untag_product(request: Request, video_id: UUID, product_id: UUID,
                        principal: Authoring) -> Response:
    async with transaction(runtime(request).db) as conn:
        await videos.untag_product(conn, video_id, product_id, author_of(principal))
    return Response(status_code=204)


@router.put("/{video_id}/publication", response_model=VideoView,
            summary="Publish your video in its market's feed.",
            responses={409: {"description": "Already published, or no product tagged."}})
async def publish(request: Request, video_id: UUID, principal: Authoring) -> VideoView:
    async with transaction(runtime(request).db) as conn:
        video = await videos.publish(conn, video_id, author_of(principal))
        return video_view(video, await videos_repository.tags(conn, [video_id]))


@router.delete("/{video_id}/publication", response_model=VideoView,
               summary="Take your video out of the feed (its figures stay).")
async def unpublish(request: Request, video_id: UUID, principal: Authoring) -> VideoView:
    async with transaction(runtime(request).db) as conn:
        video = await videos.unpublish(conn, video_id, author_of(principal))
        return video_view(video, await videos_repository.tags(conn, [video_id]))


@router.get("/{video_id}/analytics", response_model=FiguresView,
            summary="Views, viewers, taps, add-to-carts, paid orders, units, GMV and "
                    "commission, in all and per tagged product (author and tagged shops).")
async def analytics(request: Request, video_id: UUID, principal: Authoring) -> FiguresView:
    author = author_of(principal) if (principal.creator_id or principal.seller_id) else None
    figures = await videos.figures_for(runtime(request).db, video_id, author,
                                       principal.seller_id)
    if figures is None:
        raise Problem(404, "Not found", "No such video of yours or tagging your products.")
    return figures_view(video_id, figures)
