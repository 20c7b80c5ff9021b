"""Loading a live session and checking who may run it (shared by live's routes)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.auth.principal import Principal
from libs.errors import Problem
from services.live.adapters import sessions_repository
from services.live.domain.sessions import LiveSession


async def find_session(conn: asyncpg.Connection | asyncpg.Pool, session_id: UUID, *,
                       for_update: bool = False) -> LiveSession:
    session = await sessions_repository.get(conn, session_id, for_update=for_update)
    if session is None:
        raise Problem(404, "Not found", "No such live session.")
    return session


def require_control(session: LiveSession, principal: Principal) -> None:
    """The shop's seller or the hosting creator; a 404 for anyone else's session would hide
    that it exists, but sessions are public, so this is a plain 403."""
    if not session.controlled_by(seller_id=principal.seller_id,
                                 creator_id=principal.creator_id):
        raise Problem(403, "Forbidden", "Only the session's host or its shop's seller can do "
                                        "that.")


async def controlled_session(conn: asyncpg.Connection | asyncpg.Pool, session_id: UUID,
                             principal: Principal, *, for_update: bool = False) -> LiveSession:
    session = await find_session(conn, session_id, for_update=for_update)
    require_control(session, principal)
    return session
