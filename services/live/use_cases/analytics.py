"""A session's figures, live and after: its audience (from Redis while live, kept on the
session once ended) and what its viewers did (from Postgres)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from libs.auth.principal import Principal, Role
from libs.errors import Problem
from services.live.adapters import analytics_repository, sessions_repository
from services.live.components import LiveComponents
from services.live.domain.sessions import SessionStatus
from services.live.use_cases.access import controlled_session


@dataclass(frozen=True)
class SessionFigures:
    status: SessionStatus
    watching: int
    peak_viewers: int
    unique_viewers: int
    totals: dict[str, int]
    """chat_messages, chatters, gifts, gift_tokens, orders, buyers"""
    gmv: list[asyncpg.Record]
    pins: list[asyncpg.Record]
    deals: list[asyncpg.Record]


async def session_figures(pool: asyncpg.Pool, live: LiveComponents, session_id: UUID,
                          principal: Principal) -> SessionFigures:
    """For the host, the shop's seller and operators."""
    if principal.has(Role.OPERATOR):
        session = await sessions_repository.get(pool, session_id)
        if session is None:
            raise Problem(404, "Not found", "No such live session.")
    else:
        session = await controlled_session(pool, session_id, principal)
    row = await sessions_repository.row(pool, session_id)
    assert row is not None
    audience = await live.presence.audience(session_id)
    unique = audience.unique if session.status is SessionStatus.LIVE else (
        row["unique_viewers"] or audience.unique)
    totals: dict[str, Any] = dict(await analytics_repository.totals(pool, session_id))
    return SessionFigures(
        status=session.status, watching=audience.watching,
        peak_viewers=max(audience.peak, row["peak_viewers"] or 0), unique_viewers=unique,
        totals={k: totals[k] for k in ("chat_messages", "chatters", "gifts", "gift_tokens",
                                       "orders", "buyers")},
        gmv=list(await analytics_repository.gmv(pool, session_id)),
        pins=list(await analytics_repository.per_pin(pool, session_id)),
        deals=list(await analytics_repository.per_deal(pool, session_id)))
