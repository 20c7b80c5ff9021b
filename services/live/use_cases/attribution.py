"""Taps that credit sales: a buyer taps a product in a live session and gets a signed
attribution token, which orders honours at checkout (last touch within the window). The token
is the only way a sale is credited to a session or a creator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from libs import attribution_tokens
from libs.api import field_problem
from libs.ids import new_id
from services.live.adapters import sessions_repository
from services.live.domain.sessions import HostKind, SessionStatus, credited_creator
from services.live.settings import LiveSettings
from services.live.use_cases.access import find_session


@dataclass(frozen=True)
class IssuedTouch:
    token: str
    touch: attribution_tokens.Touch


async def tap(conn: asyncpg.Connection, settings: LiveSettings, session_id: UUID,
              product_id: UUID, buyer_id: str) -> IssuedTouch:
    """Records the tap and signs what it credits: the session, and its hosting creator when
    the creator accepted the shop's partnership and is not the buyer."""
    session = await find_session(conn, session_id)
    if session.status is not SessionStatus.LIVE:
        raise field_problem("session_id", "the session is not live", "not_live", status=409)
    if not await sessions_repository.is_showcased(conn, session_id, product_id):
        raise field_problem("product_id", "the product is not in this session's showcase",
                            "not_showcased", status=409)
    partnership = None
    if session.host_kind is HostKind.CREATOR:
        partnership = await sessions_repository.partnership(conn, session.seller_id,
                                                            session.host_id)
    creator = credited_creator(
        session, accepted_by=partnership["creator_subject"] if partnership else None,
        buyer_id=buyer_id)
    touch = attribution_tokens.Touch(
        touch_id=new_id(), buyer_id=buyer_id, product_id=product_id,
        seller_id=session.seller_id, session_id=session_id, video_id=None, creator_id=creator,
        expires_at=(datetime.now(UTC) + timedelta(seconds=settings.attribution_window_seconds)
                    ).replace(microsecond=0))
    await sessions_repository.record_tap(conn, touch.touch_id, session_id, product_id,
                                         buyer_id, creator)
    return IssuedTouch(attribution_tokens.issue(settings.claim_token_secret.get_secret_value(),
                                                touch), touch)
