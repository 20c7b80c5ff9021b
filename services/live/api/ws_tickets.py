"""Tickets for the session's WebSocket: the access token travels in a header here, never in
the socket's URL."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal
from services.live import components
from services.live.adapters import ws_tickets
from services.live.api.realtime import watchable

router = APIRouter(prefix="/v1/live/sessions/{session_id}", tags=["real-time"])


class Ticket(BaseModel):
    ticket: str = Field(description="Open `…/ws?ticket=…` with it: once, within `expires_in` "
                                    "seconds, for this session only.")
    expires_in: int


@router.post("/ws-tickets", response_model=Ticket,
             responses={404: {"description": "No live or upcoming session with that id."}},
             summary="A one-time ticket to open the session's WebSocket signed in.")
async def ws_ticket(request: Request, session_id: UUID,
                    principal: Annotated[Principal, Depends(require())]) -> Ticket:
    await watchable(components.of(request), runtime(request).db, session_id)
    ticket = await ws_tickets.issue(runtime(request).redis, session_id, principal)
    return Ticket(ticket=ticket, expires_in=ws_tickets.TICKET_SECONDS)
