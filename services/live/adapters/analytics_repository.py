"""Session figures from live's own records and orders' events attributed to the session."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def totals(conn: Conn, session_id: UUID) -> asyncpg.Record:
    return await conn.fetchrow(
        """SELECT
             (SELECT count(*) FROM chat_messages WHERE session_id = $1) AS chat_messages,
             (SELECT count(DISTINCT user_id) FROM chat_messages WHERE session_id = $1)
                 AS chatters,
             (SELECT coalesce(sum(tokens), 0) FROM gifts WHERE session_id = $1) AS gift_tokens,
             (SELECT count(*) FROM gifts WHERE session_id = $1) AS gifts,
             (SELECT count(DISTINCT order_id) FROM session_order_lines
              WHERE session_id = $1 AND status <> 'cancelled') AS orders,
             (SELECT count(DISTINCT buyer_id) FROM session_order_lines
              WHERE session_id = $1 AND status <> 'cancelled') AS buyers""", session_id)


async def gmv(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT currency,
                  coalesce(sum(amount_minor) FILTER (WHERE status <> 'cancelled'), 0) AS placed,
                  coalesce(sum(amount_minor) FILTER (WHERE status = 'paid'), 0) AS paid
           FROM session_order_lines WHERE session_id = $1 GROUP BY currency ORDER BY currency""",
        session_id))


async def per_pin(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    """Buyers of the pinned product while it was pinned."""
    return list(await conn.fetch(
        """SELECT p.id, p.product_id, p.pinned_at, p.unpinned_at,
                  count(DISTINCT o.buyer_id) FILTER (WHERE o.status <> 'cancelled') AS buyers,
                  coalesce(sum(o.quantity) FILTER (WHERE o.status <> 'cancelled'), 0) AS units
           FROM pins p LEFT JOIN session_order_lines o
             ON o.session_id = p.session_id AND o.product_id = p.product_id
            AND o.placed_at >= p.pinned_at
            AND (p.unpinned_at IS NULL OR o.placed_at < p.unpinned_at)
           WHERE p.session_id = $1 GROUP BY p.id ORDER BY p.pinned_at""", session_id))


async def per_deal(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT d.id, d.sku_id, d.quantity, d.status,
                  count(DISTINCT c.buyer_id) AS claimants,
                  count(DISTINCT c.buyer_id) FILTER (WHERE c.status = 'paid') AS buyers,
                  coalesce(sum(c.quantity) FILTER (WHERE c.status = 'paid'), 0) AS sold
           FROM deals d LEFT JOIN claims c ON c.deal_id = d.id
           WHERE d.session_id = $1 GROUP BY d.id ORDER BY d.created_at""", session_id))


PEOPLE = {"chat": "user_id", "purchase": "buyer_id", "gift": "buyer_id"}
"""The field naming a person in each kind of timeline entry: replaced by their public handle
before anyone sees it (the replay is public)."""


async def timeline(conn: Conn, session_id: UUID,
                   handle: Callable[[str], str]) -> list[dict[str, Any]]:
    """The session's story; each person appears as `handle(account id)` under `who`."""
    rows = await conn.fetch(
        """SELECT at, kind, data FROM (
             SELECT pinned_at AS at, 'pin' AS kind,
                    json_build_object('product_id', product_id) AS data
               FROM pins WHERE session_id = $1
             UNION ALL
             SELECT unpinned_at, 'unpin', json_build_object('product_id', product_id)
               FROM pins WHERE session_id = $1 AND unpinned_at IS NOT NULL
             UNION ALL
             SELECT starts_at, 'deal.started', json_build_object(
                      'deal_id', id, 'sku_id', sku_id, 'deal_price_minor', deal_price_minor,
                      'currency', currency, 'quantity', quantity)
               FROM deals WHERE session_id = $1 AND status IN ('live', 'ended')
             UNION ALL
             SELECT ends_at, 'deal.ended', json_build_object(
                      'deal_id', id, 'unclaimed_units', unclaimed_at_end)
               FROM deals WHERE session_id = $1 AND status = 'ended'
             UNION ALL
             SELECT created_at, 'chat', json_build_object(
                      'message_id', id, 'user_id', user_id, 'text', text)
               FROM chat_messages WHERE session_id = $1 AND NOT removed
             UNION ALL
             SELECT min(placed_at), 'purchase', json_build_object(
                      'buyer_id', min(buyer_id), 'units', sum(quantity))
               FROM session_order_lines WHERE session_id = $1 AND status <> 'cancelled'
               GROUP BY order_id
             UNION ALL
             SELECT sent_at, 'gift', json_build_object(
                      'gift_code', gift_code, 'quantity', quantity, 'buyer_id', buyer_id)
               FROM gifts WHERE session_id = $1
           ) t ORDER BY at, kind""", session_id)
    entries = []
    for row in rows:
        data = json.loads(row["data"]) if isinstance(row["data"], str) else dict(row["data"])
        person = PEOPLE.get(row["kind"])
        if person is not None:
            data["who"] = handle(str(data.pop(person)))
        entries.append({"at": row["at"], "kind": row["kind"], "data": data})
    return entries
