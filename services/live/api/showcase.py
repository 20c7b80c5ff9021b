"""What a session shows: its showcase of live products and the one pinned card."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict

from libs.api import field_problem, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import after_commit, transaction
from libs.errors import Problem
from libs.events.schemas import live as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.live import components
from services.live.adapters import sessions_repository
from services.live.use_cases.access import controlled_session

router = APIRouter(prefix="/v1/live/sessions/{session_id}", tags=["showcase"])
hosts = require(Role.SELLER, Role.CREATOR)


class ShowcaseItem(BaseModel):
    product_id: UUID
    live: bool
    skus: list[dict[str, Any]]
    added_at: datetime


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: UUID


class PinView(BaseModel):
    id: UUID
    product_id: UUID
    pinned_at: datetime
    unpinned_at: datetime | None


@router.put("/showcase/{product_id}", status_code=204,
            summary="Show one of the shop's live products in the session.")
async def add_to_showcase(request: Request, session_id: UUID, product_id: UUID,
                          principal: Annotated[Principal, Depends(hosts)]) -> Response:
    async with transaction(runtime(request).db) as conn:
        session = await controlled_session(conn, session_id, principal)
        session.require_open("changing the showcase")
        listings = await sessions_repository.product_listings(conn, product_id)
        if not listings or listings[0]["seller_id"] != session.seller_id:
            raise field_problem("product_id", "not a product of this shop", "unknown_product", status=409)
        if not any(row["live"] for row in listings):
            raise field_problem("product_id", "the product is not live", "not_live", status=409)
        await sessions_repository.showcase_add(conn, session_id, product_id)
    return Response(status_code=204)


@router.delete("/showcase/{product_id}", status_code=204, summary="Take a product off.")
async def remove_from_showcase(request: Request, session_id: UUID, product_id: UUID,
                               principal: Annotated[Principal, Depends(hosts)]) -> Response:
    async with transaction(runtime(request).db) as conn:
        await controlled_session(conn, session_id, principal)
        if not await sessions_repository.showcase_remove(conn, session_id, product_id):
            raise Problem(404, "Not found", "That product is not in the showcase.")
    return Response(status_code=204)


@router.get("/showcase", response_model=list[ShowcaseItem], summary="The showcase; public.")
async def showcase(request: Request, session_id: UUID) -> Any:
    rows = await sessions_repository.showcase(runtime(request).db, session_id)
    return [ShowcaseItem(product_id=r["product_id"], live=r["live"], skus=r["skus"],
                         added_at=r["added_at"]) for r in rows]


@router.put("/pin", response_model=PinView,
            summary="Pin a showcased product (the pinned card); the previous pin ends.")
async def pin(request: Request, session_id: UUID, body: PinIn,
              principal: Annotated[Principal, Depends(hosts)]) -> Any:
    live = components.of(request)
    now = datetime.now(UTC)
    async with transaction(runtime(request).db) as conn:
        session = await controlled_session(conn, session_id, principal, for_update=True)
        session.require_live("pinning")
        if not await sessions_repository.is_showcased(conn, session_id, body.product_id):
            raise field_problem("product_id", "add the product to the showcase first",
                                "not_showcased", status=409)
        pin_id = new_id()
        await sessions_repository.pin(conn, pin_id, session_id, body.product_id, now)
        await enqueue(conn, "live", events.LiveProductPinned(
            session_id=session_id, product_id=body.product_id, pinned_at=now))
        data = {"product_id": str(body.product_id)}
        after_commit(lambda: live.feed.publish(session_id, "pin", data))
    return PinView(id=pin_id, product_id=body.product_id, pinned_at=now, unpinned_at=None)


@router.delete("/pin", status_code=204, summary="Take the pinned card down.")
async def unpin(request: Request, session_id: UUID,
                principal: Annotated[Principal, Depends(hosts)]) -> Response:
    live = components.of(request)
    async with transaction(runtime(request).db) as conn:
        await controlled_session(conn, session_id, principal, for_update=True)
        if not await sessions_repository.unpin(conn, session_id, datetime.now(UTC)):
            raise Problem(404, "Not found", "Nothing is pinned.")
        after_commit(lambda: live.feed.publish(session_id, "unpin", {}))
    return Response(status_code=204)


@router.get("/pins", response_model=list[PinView], summary="The pin history; public.")
async def pin_history(request: Request, session_id: UUID) -> Any:
    return [PinView(**dict(r)) for r in await sessions_repository.pins(runtime(request).db,
                                                                       session_id)]
