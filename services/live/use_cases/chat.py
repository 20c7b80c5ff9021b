"""Posting to a session's chat: the one path for HTTP and WebSocket messages alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs.auth.principal import Principal
from libs.errors import Problem
from libs.ids import new_id
from libs.rate_limit import too_many
from services.live.adapters import chat_repository, sessions_repository
from services.live.components import LiveComponents
from services.live.domain.chat import ChatConflict, blocked_word, clean_text, public_handle


@dataclass(frozen=True)
class PostedMessage:
    id: UUID
    user_id: str
    text: str
    created_at: datetime
    event_id: str


async def post_message(live: LiveComponents, pool: asyncpg.Pool | asyncpg.Connection,
                       session_id: UUID,
                       principal: Principal, text: str) -> PostedMessage:
    settings = live.settings
    cleaned = clean_text(text, settings.chat_max_length)
    session = await sessions_repository.get(pool, session_id)
    if session is None:
        raise Problem(404, "Not found", "No such live session.")
    session.require_live("chatting")
    now = datetime.now(UTC)
    standing = await chat_repository.standing(pool, session.seller_id, session_id,
                                              principal.subject)
    standing.check(now)
    word = blocked_word(cleaned, await chat_repository.blocked_words(pool, session.seller_id))
    if word is not None:
        raise ChatConflict("text", "contains a word this shop does not allow", "blocked_word")
    retry_after = await live.rate_limiter.hit(
        f"chat:{session_id}:{principal.subject}", settings.chat_messages_per_window,
        settings.chat_window_seconds)
    if retry_after is not None:
        raise too_many("text", "Slow down: you are posting too fast.", retry_after)
    message_id = new_id()
    await chat_repository.add_message(pool, message_id, session_id, principal.subject,
                                      cleaned, now)
    event_id = await live.feed.publish(session_id, "chat", {
        "message_id": str(message_id),
        "author": public_handle(settings.handle_key, session_id, principal.subject),
        "text": cleaned, "at": now.isoformat()})
    return PostedMessage(message_id, principal.subject, cleaned, now, event_id)
