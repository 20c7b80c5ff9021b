"""Scheduling a live session, hosted by the shop's seller or a creator partnered with it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs.api import field_problem
from libs.errors import Problem
from libs.events.schemas import live as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.live.adapters import sessions_repository
from services.live.domain.sessions import HostKind, LiveSession, SessionStatus, check_schedule


async def require_verified(conn: asyncpg.Connection, seller_id: UUID, action: str) -> None:
    """Only a seller catalog verified goes live or sells in a session; a pending, suspended or
    not yet known seller is refused (fail closed: live hears of sellers by catalog's events)."""
    status = await sessions_repository.standing(conn, seller_id)
    if status != "verified":
        shown = (status or "not yet known to live").replace("_", " ")
        raise Problem(403, "Forbidden", f"A seller {shown} cannot {action}.",
                      errors=[{"field": "seller_id", "message": f"seller is {shown}",
                               "code": "seller_not_selling"}])


async def schedule_session(conn: asyncpg.Connection, seller_id: UUID, *, host_kind: HostKind,
                           creator_id: str | None, title: str,
                           scheduled_for: datetime) -> LiveSession:
    check_schedule(scheduled_for, datetime.now(UTC))
    await require_verified(conn, seller_id, "schedule live sessions")
    if host_kind is HostKind.CREATOR:
        if not creator_id:
            raise field_problem("host.creator_id", "name the creator who hosts", "required")
        if not await sessions_repository.are_partners(conn, seller_id, creator_id):
            raise field_problem("host.creator_id", "this creator has not agreed to work with "
                                "your shop", "not_a_partner", status=409)
        host_id = creator_id
    else:
        host_id = str(seller_id)
    session = LiveSession(id=new_id(), seller_id=seller_id, host_kind=host_kind,
                          host_id=host_id, title=title.strip(), scheduled_for=scheduled_for,
                          status=SessionStatus.SCHEDULED)
    await sessions_repository.add(conn, session)
    await enqueue(conn, "live", events.LiveSessionScheduled(
        session_id=session.id, seller_id=seller_id, host_kind=session.host_kind.value,
        host_id=host_id, title=session.title, scheduled_for=session.scheduled_for))
    return session
