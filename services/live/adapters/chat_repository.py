"""Postgres persistence of chat messages and the shop's chat moderation."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg

from services.live.domain.chat import Standing

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def add_message(conn: Conn, message_id: UUID, session_id: UUID, user_id: str,
                      text: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO chat_messages (id, session_id, user_id, text, created_at) "
        "VALUES ($1, $2, $3, $4, $5)", message_id, session_id, user_id, text, at)


async def remove_message(conn: Conn, session_id: UUID, message_id: UUID) -> bool:
    return _changed(await conn.execute(
        "UPDATE chat_messages SET removed = true WHERE session_id = $1 AND id = $2",
        session_id, message_id))


async def messages(conn: Conn, session_id: UUID, *, after: tuple[datetime, UUID] | None,
                   limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT id, user_id, text, created_at FROM chat_messages
           WHERE session_id = $1 AND NOT removed
             AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
           ORDER BY created_at, id LIMIT $4""",
        session_id, after[0] if after else None, after[1] if after else None, limit))


async def author_of(conn: Conn, session_id: UUID, message_id: UUID) -> str | None:
    """Who wrote a message of the session (moderators act on messages, not on ids they
    cannot see)."""
    user_id: str | None = await conn.fetchval(
        "SELECT user_id FROM chat_messages WHERE session_id = $1 AND id = $2",
        session_id, message_id)
    return user_id


async def standing(conn: Conn, seller_id: UUID, session_id: UUID, user_id: str) -> Standing:
    row = await conn.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM shop_bans WHERE seller_id = $1 AND user_id = $3) AS banned,
                  (SELECT muted_until FROM session_mutes
                   WHERE session_id = $2 AND user_id = $3) AS muted_until""",
        seller_id, session_id, user_id)
    return Standing(banned=row["banned"], muted_until=row["muted_until"])


async def blocked_words(conn: Conn, seller_id: UUID) -> list[str]:
    return [r["word"] for r in await conn.fetch(
        "SELECT word FROM shop_blocked_words WHERE seller_id = $1 ORDER BY word", seller_id)]


async def set_blocked_words(conn: asyncpg.Connection, seller_id: UUID, words: list[str]) -> None:
    await conn.execute("DELETE FROM shop_blocked_words WHERE seller_id = $1", seller_id)
    await conn.executemany("INSERT INTO shop_blocked_words (seller_id, word) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING", [(seller_id, w) for w in words])


async def moderators(conn: Conn, seller_id: UUID) -> list[str]:
    return [r["user_id"] for r in await conn.fetch(
        "SELECT user_id FROM shop_moderators WHERE seller_id = $1 ORDER BY user_id", seller_id)]


async def is_moderator(conn: Conn, seller_id: UUID, user_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM shop_moderators WHERE seller_id = $1 AND user_id = $2",
        seller_id, user_id))


async def add_moderator(conn: Conn, seller_id: UUID, user_id: str) -> None:
    await conn.execute("INSERT INTO shop_moderators (seller_id, user_id) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING", seller_id, user_id)


async def remove_moderator(conn: Conn, seller_id: UUID, user_id: str) -> bool:
    return _changed(await conn.execute("DELETE FROM shop_moderators WHERE seller_id = $1 "
                              "AND user_id = $2", seller_id, user_id))


async def mute(conn: Conn, session_id: UUID, user_id: str, until: datetime, by: str) -> None:
    await conn.execute(
        """INSERT INTO session_mutes (session_id, user_id, muted_until, muted_by)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (session_id, user_id) DO UPDATE SET muted_until = EXCLUDED.muted_until,
               muted_by = EXCLUDED.muted_by""", session_id, user_id, until, by)


async def unmute(conn: Conn, session_id: UUID, user_id: str) -> bool:
    return _changed(await conn.execute("DELETE FROM session_mutes WHERE session_id = $1 AND user_id = $2",
                              session_id, user_id))


async def ban(conn: Conn, seller_id: UUID, user_id: str, reason: str, by: str) -> None:
    await conn.execute(
        """INSERT INTO shop_bans (seller_id, user_id, reason, banned_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (seller_id, user_id) DO UPDATE SET reason = EXCLUDED.reason""",
        seller_id, user_id, reason, by)


async def unban(conn: Conn, seller_id: UUID, user_id: str) -> bool:
    return _changed(await conn.execute("DELETE FROM shop_bans WHERE seller_id = $1 AND user_id = $2",
                              seller_id, user_id))


def _changed(status: str) -> bool:
    """Whether a DELETE or UPDATE touched any row."""
    return not status.endswith(" 0")
