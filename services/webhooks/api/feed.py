"""The pull feed and the delivery log: a seller reconciles against its own events in publish
order, sees every delivery attempt, and replays deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.pagination import Page, PageParams, encode_cursor, page_of, page_params, time_cursor
from services.webhooks.adapters import repository
from services.webhooks.use_cases import endpoints

router = APIRouter(tags=["event feed"])
Seller = Annotated[Principal, Depends(require(Role.SELLER))]


class FeedEvent(BaseModel):
    cursor: str = Field(description="Pass as `after` to read on from this event.")
    event_id: UUID
    type: str
    aggregate_id: str
    sequence: int | None = Field(description="1, 2, 3... per aggregate: gaps mean missed events.")
    timestamp: datetime
    data: dict[str, Any]


class Feed(BaseModel):
    events: list[FeedEvent]
    next_after: str | None = Field(description="Where to read on; null when caught up.")


@router.get("/v1/events", response_model=Feed,
            summary="Your public events in publish order, as webhooks deliver them.")
async def feed(request: Request, principal: Seller,
               after: Annotated[str | None, Query(pattern=r"^[0-9]{1,19}$",
                                                  description="A `cursor` from the feed.")
                                ] = None,
               types: Annotated[str | None, Query(max_length=1000,
                                                  description="Comma-separated types.")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    position = 0
    if after:
        try:
            position = int(after)
        except ValueError:
            raise Problem(422, "Validation failed", "Not a feed cursor.", errors=[
                {"field": "query.after", "message": "not a cursor", "code": "cursor_invalid"}],
            ) from None
    wanted = [t.strip() for t in types.split(",") if t.strip()] if types else None
    rows = await repository.feed(runtime(request).db, acting_seller(principal), position,
                                 wanted, limit)
    events = [FeedEvent(cursor=str(r["seq"]), timestamp=r["occurred_at"], **r) for r in rows]
    return Feed(events=events, next_after=events[-1].cursor if events else after)


class Delivery(BaseModel):
    id: UUID
    event_id: UUID
    type: str
    aggregate_id: str
    sequence: int | None
    status: str
    attempts: int
    next_at: datetime | None
    last_status: int | None
    created_at: datetime


class Attempt(BaseModel):
    at: datetime
    url: str
    status_code: int | None
    latency_ms: int
    response: str | None
    error: str | None
    next_at: datetime | None


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries", response_model=Page[Delivery],
            tags=["delivery log"],
            summary="An endpoint's deliveries, newest first (of one event with `event_id`).")
async def deliveries(request: Request, endpoint_id: UUID, principal: Seller,
                     page: Annotated[PageParams, Depends(page_params)],
                     event_id: UUID | None = None) -> Any:
    pool = runtime(request).db
    try:
        await endpoints.owned(pool, endpoint_id, acting_seller(principal))
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None
    rows = await repository.deliveries_page(pool, endpoint_id, time_cursor(page.cursor),
                                            page.limit + 1, event_id)
    shown = page_of([Delivery(**r) for r in rows], page.limit, lambda d: (d.created_at, d.id))
    if shown.next_cursor:
        last = shown.items[-1]
        shown.next_cursor = encode_cursor(last.created_at.isoformat(), str(last.id))
    return shown


@router.get("/v1/webhook-deliveries/{delivery_id}/attempts", response_model=list[Attempt],
            tags=["delivery log"], summary="Every attempt of one delivery.")
async def attempts(request: Request, delivery_id: UUID, principal: Seller) -> Any:
    pool = runtime(request).db
    found = await repository.delivery(pool, delivery_id)
    if found is None or found["seller_id"] != acting_seller(principal):
        raise Problem(404, "Not found", "No such delivery.")
    return [Attempt(**a) for a in await repository.attempts_of(pool, delivery_id)]


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delivery_id: UUID | None = Field(default=None, description="One delivery; else all failed "
                                                               "ones in the range.")
    since: datetime | None = None
    until: datetime | None = None


class Replayed(BaseModel):
    queued: int


@router.post("/v1/webhook-endpoints/{endpoint_id}/replay", response_model=Replayed,
             tags=["delivery log"],
             summary="Deliver again: one delivery, or every failed one in a time range.")
async def replay(request: Request, endpoint_id: UUID, body: ReplayIn, principal: Seller) -> Any:
    try:
        async with transaction(runtime(request).db) as conn:
            await endpoints.owned(conn, endpoint_id, acting_seller(principal))
            queued = await repository.requeue(conn, endpoint_id=endpoint_id,
                                              delivery_id=body.delivery_id, since=body.since,
                                              until=body.until)
    except LookupError:
        raise Problem(404, "Not found", "No such endpoint.") from None
    return Replayed(queued=queued)
