"""Interactions: the once-only keys of ingested events, popularity and co-visitation per market,
the summaries not yet published, and consenting buyers' own recent history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from services.discovery.domain.ranking import HALF_LIFE_DAYS

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_COUNT_COLUMN = {"view": "views", "tap": "taps", "add_to_cart": "carts", "purchase": "purchases"}


def growth(at: datetime) -> float:
    """An interaction's weight grows with time instead of old ones decaying: the order of the
    stored scores is the order of the decayed counts, and no row needs rewriting."""
    return float(2 ** ((at - EPOCH).total_seconds() / 86_400 / HALF_LIFE_DAYS))


async def first_times(conn: asyncpg.Connection, keys: list[bytes]) -> set[bytes]:
    """Which of the keys were never seen (and are now)."""
    rows = await conn.fetch(
        """INSERT INTO ingested_events (dedupe_key) SELECT unnest($1::bytea[])
           ON CONFLICT DO NOTHING RETURNING dedupe_key""", keys)
    return {bytes(r["dedupe_key"]) for r in rows}


Count = tuple[str, str, UUID, str, int]
"""(market, item kind, item id, action, times)."""


async def add_counts(conn: asyncpg.Connection, counts: Sequence[Count], at: datetime,
                     weights: dict[str, float]) -> None:
    if not counts:
        return
    factor = growth(at)
    columns = {column: [n if a == action else 0 for _, _, _, a, n in counts]
               for action, column in _COUNT_COLUMN.items()}
    markets = [m for m, _, _, _, _ in counts]
    kinds = [k for _, k, _, _, _ in counts]
    items = [i for _, _, i, _, _ in counts]
    scores = [weights[a] * n * factor for _, _, _, a, n in counts]
    args = (markets, kinds, items, columns["views"], columns["taps"], columns["carts"],
            columns["purchases"])
    await conn.execute(
        """INSERT INTO item_popularity AS p (market, item_kind, item_id, score, views, taps,
                                             carts, purchases)
           SELECT m, k, i, sum(s), sum(v), sum(t), sum(c), sum(b)
             FROM unnest($1::text[], $2::text[], $3::uuid[], $8::float8[], $4::bigint[],
                         $5::bigint[], $6::bigint[], $7::bigint[]) AS x(m, k, i, s, v, t, c, b)
            GROUP BY m, k, i ORDER BY m, k, i
           ON CONFLICT (market, item_kind, item_id) DO UPDATE SET
               score = p.score + EXCLUDED.score, views = p.views + EXCLUDED.views,
               taps = p.taps + EXCLUDED.taps, carts = p.carts + EXCLUDED.carts,
               purchases = p.purchases + EXCLUDED.purchases""", *args, scores)
    await conn.execute(
        """INSERT INTO unpublished_counts AS u (market, item_kind, item_id, views, taps, carts,
                                                purchases)
           SELECT m, k, i, sum(v), sum(t), sum(c), sum(b)
             FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bigint[], $5::bigint[],
                         $6::bigint[], $7::bigint[]) AS x(m, k, i, v, t, c, b)
            GROUP BY m, k, i ORDER BY m, k, i
           ON CONFLICT (market, item_kind, item_id) DO UPDATE SET
               views = u.views + EXCLUDED.views, taps = u.taps + EXCLUDED.taps,
               carts = u.carts + EXCLUDED.carts, purchases = u.purchases + EXCLUDED.purchases""",
        *args)


HistoryRow = tuple[str, str, UUID, UUID | None, str, float, datetime]
"""(market, item kind, item id, category, action, weight, occurred at)."""


async def add_history(conn: asyncpg.Connection, buyer_id: str, rows: Sequence[HistoryRow]) -> None:
    await conn.execute(
        """INSERT INTO buyer_interactions (buyer_id, market, item_kind, item_id, category_id,
                                           action, weight, occurred_at)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::text[],
                                    $7::float4[], $8::timestamptz[])""",
        buyer_id, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
        [r[3] for r in rows], [r[4] for r in rows], [r[5] for r in rows], [r[6] for r in rows])


async def recent(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str, limit: int
                 ) -> list[asyncpg.Record]:
    """The buyer's latest interactions, newest first."""
    return list(await conn.fetch(
        """SELECT item_kind, item_id, category_id, action, weight, occurred_at
             FROM buyer_interactions WHERE buyer_id = $1 ORDER BY id DESC LIMIT $2""",
        buyer_id, limit))


async def add_co_visits(conn: asyncpg.Connection, market: str,
                        pairs: Sequence[tuple[UUID, UUID, float]]) -> None:
    if not pairs:
        return
    await conn.execute(
        """INSERT INTO co_visits AS c (market, item_id, other_id, weight)
           SELECT $1, a, b, sum(w) FROM unnest($2::uuid[], $3::uuid[], $4::float8[]) AS x(a, b, w)
            GROUP BY a, b ORDER BY a, b
           ON CONFLICT (market, item_id, other_id) DO UPDATE SET weight = c.weight + EXCLUDED.weight""",
        market, [a for a, _, _ in pairs], [b for _, b, _ in pairs], [w for _, _, w in pairs])
    await conn.execute(
        """INSERT INTO co_visits_touched (market, item_id)
           SELECT DISTINCT $1, unnest($2::uuid[]) ORDER BY 2 ON CONFLICT DO NOTHING""",
        market, sorted({a for a, _, _ in pairs}))


async def prune_co_visits(conn: asyncpg.Connection | asyncpg.Pool, keep: int) -> int:
    """Keeps each item's `keep` strongest neighbours: a feed reads an item's neighbours on
    every first page, and the weak tail (one shared glance) changes no ranking. Only the items
    whose neighbours changed since the last pruning are read."""
    deleted = await conn.fetchval(
        """WITH touched AS (DELETE FROM co_visits_touched RETURNING market, item_id),
           ranked AS (
               SELECT c.market, c.item_id, c.other_id,
                      row_number() OVER (PARTITION BY c.market, c.item_id
                                         ORDER BY c.weight DESC, c.other_id) AS place
                 FROM co_visits c JOIN touched t
                      ON t.market = c.market AND t.item_id = c.item_id),
           gone AS (
               DELETE FROM co_visits c USING ranked r
                WHERE r.place > $1 AND c.market = r.market AND c.item_id = r.item_id
                  AND c.other_id = r.other_id RETURNING 1)
           SELECT count(*) FROM gone""", keep)
    return int(deleted)


async def drain_unpublished(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Takes up to `limit` rows of summaries not yet published (another instance skips them)."""
    return list(await conn.fetch(
        """DELETE FROM unpublished_counts WHERE (market, item_kind, item_id) IN (
               SELECT market, item_kind, item_id FROM unpublished_counts
                ORDER BY market, since LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING *""", limit))


async def forget_old(conn: asyncpg.Connection | asyncpg.Pool, *, history_before: datetime,
                     keys_before: datetime) -> None:
    await conn.execute("DELETE FROM buyer_interactions WHERE occurred_at < $1", history_before)
    await conn.execute("DELETE FROM ingested_events WHERE ingested_at < $1", keys_before)
