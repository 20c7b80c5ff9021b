"""How far behind the checkout saga is, read from the orders' own stock-answer deadlines.

Every order waiting for catalog's answer has exactly one pending stock-answer deadline, due a
fixed time after it was placed, so the deadlines' index (pending rows by due time) finds the
late ones with a short range scan instead of a count over the orders table.
"""

from __future__ import annotations

import asyncpg

from services.orders.domain.admission import DeadlineWindow


async def late_orders(conn: asyncpg.Connection | asyncpg.Pool, kind: str,
                      window: DeadlineWindow, at_most: int) -> int:
    """Orders whose `kind` deadline is pending and due within `window` (at most `at_most`:
    the rule only asks whether there are that many)."""
    count = await conn.fetchval(
        """SELECT count(*) FROM (
             SELECT 1 FROM deadlines
             WHERE done_at IS NULL AND kind = $1
               AND next_at > now() + make_interval(secs => $2)
               AND next_at < now() + make_interval(secs => $3)
             LIMIT $4) AS late""",
        kind, window.due_after_seconds, window.due_before_seconds, at_most)
    return int(count)
