"""A session's figures (while live and after) and its replay timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from services.live import components
from services.live.adapters import analytics_repository, sessions_repository
from services.live.domain.analytics import conversion
from services.live.domain.chat import public_handle
from services.live.domain.sessions import SessionStatus
from services.live.use_cases.analytics import session_figures

router = APIRouter(prefix="/v1/live/sessions/{session_id}", tags=["analytics"])
hosts = require(Role.SELLER, Role.CREATOR, Role.OPERATOR)


class MoneyByCurrency(BaseModel):
    currency: str
    placed_minor: int
    paid_minor: int


class PinFigures(BaseModel):
    pin_id: UUID
    product_id: UUID
    pinned_at: datetime
    unpinned_at: datetime | None
    buyers: int
    units: int
    conversion: float


class DealFigures(BaseModel):
    deal_id: UUID
    sku_id: UUID
    quantity: int
    status: str
    claimants: int
    buyers: int
    units_sold: int
    conversion: float


class SessionAnalytics(BaseModel):
    session_id: UUID
    status: SessionStatus
    watching: int
    peak_viewers: int
    unique_viewers: int
    chat_messages: int
    chatters: int
    gifts: int
    gift_tokens: int
    orders: int
    buyers: int
    gmv: list[MoneyByCurrency]
    conversion: float
    per_pin: list[PinFigures]
    per_deal: list[DealFigures]


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    data: dict[str, Any]
    offset_seconds: float


class Replay(BaseModel):
    session_id: UUID
    started_at: datetime
    ended_at: datetime
    timeline: list[TimelineEntry]


@router.get("/analytics", response_model=SessionAnalytics,
            summary="Viewers, chat, gifts, attributed orders and GMV, conversion per pin and "
                    "deal (the host, the shop's seller, operators).")
async def analytics(request: Request, session_id: UUID,
                    principal: Annotated[Principal, Depends(hosts)]) -> Any:
    figures = await session_figures(runtime(request).db, components.of(request), session_id,
                                    principal)
    unique = figures.unique_viewers
    return SessionAnalytics(
        session_id=session_id, status=figures.status, watching=figures.watching,
        peak_viewers=figures.peak_viewers, unique_viewers=unique, **figures.totals,
        gmv=[MoneyByCurrency(currency=r["currency"], placed_minor=r["placed"],
                             paid_minor=r["paid"]) for r in figures.gmv],
        conversion=conversion(figures.totals["buyers"], unique),
        per_pin=[PinFigures(pin_id=r["id"], product_id=r["product_id"],
                            pinned_at=r["pinned_at"], unpinned_at=r["unpinned_at"],
                            buyers=r["buyers"], units=r["units"],
                            conversion=conversion(r["buyers"], unique)) for r in figures.pins],
        per_deal=[DealFigures(deal_id=r["id"], sku_id=r["sku_id"], quantity=r["quantity"],
                              status=r["status"], claimants=r["claimants"], buyers=r["buyers"],
                              units_sold=r["sold"], conversion=conversion(r["buyers"], unique))
                  for r in figures.deals])


@router.get("/replay", response_model=Replay,
            responses={409: {"description": "The session has not ended yet."}},
            summary="An ended session's timeline (pins, deals, chat, purchases, gifts) with "
                    "offsets from its start, to make a recording shoppable; public.")
async def replay(request: Request, session_id: UUID) -> Any:
    pool = runtime(request).db
    session = await sessions_repository.get(pool, session_id)
    if session is None:
        raise Problem(404, "Not found", "No such live session.")
    if session.status is not SessionStatus.ENDED or session.started_at is None:
        raise Problem(409, "Not ended", "A replay exists once the session has ended.")
    started = session.started_at
    key = runtime(request).settings.handle_key
    entries = await analytics_repository.timeline(
        pool, session_id, lambda person: public_handle(key, session_id, person))
    return Replay(session_id=session_id, started_at=started,
                  ended_at=session.ended_at or datetime.now(UTC),
                  timeline=[TimelineEntry(**e, offset_seconds=round(
                      (e["at"] - started).total_seconds(), 3)) for e in entries])
