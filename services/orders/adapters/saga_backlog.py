"""How far behind the checkout saga is, read from the orders' own saga deadlines.

Every order waiting for catalog's answer has one pending stock-answer deadline, and every order
waiting for its payment one pending authorisation; both are due at known offsets from the wait's
start, so the deadlines' index (pending rows by due time) finds the late ones with one short
range scan instead of a count over the orders table.
"""

from __future__ import annotations

import asyncpg

from services.orders.domain.admission import DeadlineWindow


async def late_orders(conn: asyncpg.Connection | asyncpg.Pool,
                      windows: dict[str, DeadlineWindow], at_most: int) -> int:
    """Pending deadlines of each kind in `windows` due within its window (at most `at_most`:
    the rule only asks whether there are that many)."""
    kinds = list(windows)
    after = [windows[k].due_after_seconds for k in kinds]
    before = [windows[k].due_before_seconds for k in kinds]
    count = await conn.fetchval(
        """SELECT count(*) FROM (
             SELECT 1 FROM deadlines d
             JOIN unnest($1::text[], $2::float8[], $3::float8[]) AS w(kind, after, before)
               ON w.kind = d.kind
              AND d.next_at > now() + make_interval(secs => w.after)
              AND d.next_at < now() + make_interval(secs => w.before)
             WHERE d.done_at IS NULL
               AND d.next_at > now() + make_interval(secs => $4)
               AND d.next_at < now() + make_interval(secs => $5)
             LIMIT $6) AS late""",
        kinds, after, before, min(after), max(before), at_most)
    return int(count)
