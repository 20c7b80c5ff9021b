"""Live sessions: scheduling, going live, ending; and the creators a shop works with."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import after_commit, retry_on_conflict, transaction
from libs.errors import Problem
from libs.events.schemas import live as events
from libs.idempotency import IdempotencyKey
from libs.outbox import enqueue
from libs.pagination import Page, PageParams, encode_cursor, page_params, time_cursor
from services.live import components
from services.live.adapters import deals_repository, sessions_repository
from services.live.domain.sessions import (
    HostKind,
    LiveSession,
    SessionStatus,
)
from services.live.use_cases.access import controlled_session
from services.live.use_cases.deal_clock import end_deal
from services.live.use_cases.sessions import require_verified, schedule_session

router = APIRouter(prefix="/v1/live", tags=["sessions"])
sellers = require(Role.SELLER)
hosts = require(Role.SELLER, Role.CREATOR)


class HostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: HostKind = HostKind.SELLER
    creator_id: str | None = Field(default=None, max_length=64,
                                   description="Required when a creator hosts.")


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "Friday night denim drop", "scheduled_for": "2026-11-27T19:00:00Z",
        "host": {"kind": "creator", "creator_id": "cr_81"}}]})
    title: str = Field(min_length=1, max_length=120)
    scheduled_for: datetime
    host: HostIn = Field(default_factory=HostIn)


class SessionView(BaseModel):
    id: UUID
    seller_id: UUID
    host_kind: HostKind
    host_id: str
    title: str
    scheduled_for: datetime
    status: SessionStatus
    started_at: datetime | None
    ended_at: datetime | None


class AudienceView(BaseModel):
    watching: int
    peak: int
    unique: int


class SessionDetail(SessionView):
    pinned_product_id: UUID | None
    pinned_message: dict[str, Any] | None
    audience: AudienceView


def _view(session: LiveSession) -> SessionView:
    return SessionView(id=session.id, seller_id=session.seller_id, host_kind=session.host_kind,
                       host_id=session.host_id, title=session.title,
                       scheduled_for=session.scheduled_for, status=session.status,
                       started_at=session.started_at, ended_at=session.ended_at)


@router.post("/sessions", status_code=201, response_model=SessionView,
             openapi_extra={"x-cross-field-rules": [
                 "scheduled_for is at most 5 minutes past and at most 90 days ahead"]},
             summary="Schedule a live session, hosted by the seller or a partner creator.")
async def schedule(request: Request, body: SessionIn,
                   principal: Annotated[Principal, Depends(sellers)],
                   idempotency_key: IdempotencyKey = None,
                   ) -> Any:
    seller_id = acting_seller(principal)

    async def work(conn: Any) -> tuple[int, Any]:
        session = await schedule_session(conn, seller_id, host_kind=body.host.kind,
                                         creator_id=body.host.creator_id, title=body.title,
                                         scheduled_for=body.scheduled_for)
        return 201, _view(session).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/live/sessions",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)


@router.get("/sessions", response_model=Page[SessionView],
            summary="Sessions, newest schedule first; public, filter by status or seller.")
async def list_sessions(
    request: Request, page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[SessionStatus | None, Query()] = None,
    seller_id: Annotated[UUID | None, Query()] = None,
) -> Any:
    rows = await sessions_repository.listing(
        runtime(request).db, seller_id=seller_id, status=status.value if status else None,
        after=time_cursor(page.cursor), limit=page.limit + 1)
    items = [_view(sessions_repository.to_session(r)) for r in rows[:page.limit]]
    cursor = (encode_cursor(items[-1].scheduled_for.isoformat(), str(items[-1].id))
              if len(rows) > page.limit else None)
    return Page[SessionView](items=items, next_cursor=cursor)


@router.get("/sessions/{session_id}", response_model=SessionDetail,
            summary="A session with its pinned card and audience; public.")
async def get_session(request: Request, session_id: UUID) -> Any:
    pool = runtime(request).db
    row = await sessions_repository.row(pool, session_id)
    if row is None:
        raise Problem(404, "Not found", "No such live session.")
    session = sessions_repository.to_session(row)
    pins = await sessions_repository.pins(pool, session_id)
    pinned = next((p["product_id"] for p in pins if p["unpinned_at"] is None), None)
    audience = await components.of(request).presence.audience(session_id)
    return SessionDetail(**_view(session).model_dump(), pinned_product_id=pinned,
                         pinned_message=row["pinned_message"],
                         audience=AudienceView(watching=audience.watching, peak=audience.peak,
                                               unique=audience.unique))


@router.post("/sessions/{session_id}/start", response_model=SessionView,
             summary="Go live (the host or the shop's seller).")
async def start(request: Request, session_id: UUID,
                principal: Annotated[Principal, Depends(hosts)]) -> Any:
    return await _change_state(request, session_id, principal, "start")


@router.post("/sessions/{session_id}/end", response_model=SessionView,
             summary="End the session: running deals close, figures become final.")
async def end(request: Request, session_id: UUID,
              principal: Annotated[Principal, Depends(hosts)]) -> Any:
    return await _change_state(request, session_id, principal, "end")


@router.post("/sessions/{session_id}/cancel", response_model=SessionView,
             summary="Cancel a session that has not started.")
async def cancel(request: Request, session_id: UUID,
                 principal: Annotated[Principal, Depends(hosts)]) -> Any:
    return await _change_state(request, session_id, principal, "cancel")


async def _change_state(request: Request, session_id: UUID, principal: Principal,
                        action: Literal["start", "end", "cancel"]) -> SessionView:
    # Ending locks the session, then each live deal and its event counter; a consumer batch
    # recording claims of those deals may hold them in the other order. Postgres then aborts
    # one of the two, and this one runs again (closing a deal in Redis is idempotent).
    return await retry_on_conflict(
        partial(_change_state_once, request, session_id, principal, action))


async def _change_state_once(request: Request, session_id: UUID, principal: Principal,
                             action: Literal["start", "end", "cancel"]) -> SessionView:
    live = components.of(request)
    now = datetime.now(UTC)
    async with transaction(runtime(request).db) as conn:
        session = await controlled_session(conn, session_id, principal, for_update=True)
        if action == "start":
            await require_verified(conn, session.seller_id, "go live")
            session = session.start(now)
            await enqueue(conn, "live", events.LiveSessionStarted(
                session_id=session.id, seller_id=session.seller_id, started_at=now))
        elif action == "cancel":
            session = session.cancel(now)
            await enqueue(conn, "live", events.LiveSessionCancelled(
                session_id=session.id, seller_id=session.seller_id, cancelled_at=now))
        else:
            session = session.end(now)
            for deal in await deals_repository.live_in_session(conn, session.id):
                await end_deal(conn, live, deal, reason="session_ended", now=now)
            await sessions_repository.unpin(conn, session.id, now)
            audience = await live.presence.audience(session.id)
            await sessions_repository.save_audience(conn, session.id, audience.peak,
                                                    audience.unique)
            await enqueue(conn, "live", events.LiveSessionEnded(
                session_id=session.id, seller_id=session.seller_id, ended_at=now,
                peak_viewers=audience.peak, unique_viewers=audience.unique))
        await sessions_repository.save_state(conn, session)
        status = session.status.value
        after_commit(lambda: live.feed.publish(session_id, "session", {"status": status}))
    return _view(session)
