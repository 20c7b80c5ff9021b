"""The feed's candidates in one round trip: popular, newest, co-visited with the buyer's recent
items and popular in their categories, joined with what makes an item showable (live, in stock,
its seller in good standing, not age-restricted for a minor)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

_CANDIDATES = """
WITH covis AS (
    SELECT other_id AS item_id, sum(weight) AS weight FROM co_visits
     WHERE market = $1 AND item_id = ANY($4::uuid[])
     GROUP BY other_id ORDER BY weight DESC LIMIT 60),
popular AS (
    SELECT item_id FROM item_popularity WHERE market = $1 AND item_kind = 'product'
     ORDER BY score DESC LIMIT $6),
newest AS (
    SELECT id AS item_id FROM products WHERE market = $1 AND live AND in_stock
     ORDER BY published_at DESC LIMIT $7),
interest AS (
    SELECT id AS item_id FROM products WHERE market = $1 AND live AND in_stock
       AND category_id = ANY($3::uuid[]) ORDER BY published_at DESC LIMIT $7),
ids AS (SELECT item_id FROM covis UNION SELECT item_id FROM popular
        UNION SELECT item_id FROM newest UNION SELECT item_id FROM interest)
(SELECT 'product' AS kind, p.id, p.category_id,
        coalesce(ip.score, 0) * $5 AS popularity, coalesce(cv.weight, 0) AS co_visitation,
        false AS live_now
   FROM ids JOIN products p ON p.id = ids.item_id
   JOIN sellers s ON s.id = p.seller_id AND s.standing = 'active'
   LEFT JOIN item_popularity ip
          ON ip.market = $1 AND ip.item_kind = 'product' AND ip.item_id = p.id
   LEFT JOIN covis cv ON cv.item_id = p.id
  WHERE p.market = $1 AND p.live AND p.in_stock AND NOT (p.age_restricted AND $2))
UNION ALL
(SELECT 'live_session', l.id, NULL, coalesce(ip.score, 0) * $5, 0, true
   FROM live_sessions l JOIN sellers s ON s.id = l.seller_id AND s.standing = 'active'
   LEFT JOIN item_popularity ip
          ON ip.market = $1 AND ip.item_kind = 'live_session' AND ip.item_id = l.id
  WHERE l.state = 'live' AND s.market = $1
  ORDER BY 4 DESC LIMIT 20)
UNION ALL
(SELECT 'video', v.id,
        (SELECT p.category_id FROM video_products vp JOIN products p ON p.id = vp.product_id
          WHERE vp.video_id = v.id ORDER BY p.id LIMIT 1),
        coalesce(ip.score, 0) * $5, 0, false
   FROM videos v
   LEFT JOIN item_popularity ip
          ON ip.market = $1 AND ip.item_kind = 'video' AND ip.item_id = v.id
  WHERE v.market = $1 AND v.live
    AND NOT EXISTS (SELECT 1 FROM video_products vp JOIN products p ON p.id = vp.product_id
                     WHERE vp.video_id = v.id AND p.age_restricted AND $2)
    AND NOT EXISTS (SELECT 1 FROM sellers s
                     WHERE v.author_kind = 'seller' AND s.id::text = v.author_id
                       AND s.standing <> 'active')
  ORDER BY 4 DESC, v.published_at DESC LIMIT 50)
"""


@dataclass(frozen=True)
class Query:
    market: str
    minor_or_unverified: bool
    interest_categories: list[UUID]
    recent_items: list[UUID]
    decay: float
    pool: int


async def candidates(db: asyncpg.Pool | asyncpg.Connection, q: Query) -> list[asyncpg.Record]:
    return list(await db.fetch(_CANDIDATES, q.market, q.minor_or_unverified,
                               q.interest_categories, q.recent_items, q.decay, q.pool,
                               max(10, q.pool // 4)))


async def showable(db: asyncpg.Pool | asyncpg.Connection, market: str,
                   minor_or_unverified: bool, items: list[tuple[str, UUID]]
                   ) -> dict[UUID, asyncpg.Record]:
    """Of a snapshot's items, those that can still be shown (sold out or suspended since?),
    with what a feed card shows of each."""
    products = [i for kind, i in items if kind == "product"]
    sessions = [i for kind, i in items if kind == "live_session"]
    videos = [i for kind, i in items if kind == "video"]
    rows = await db.fetch(
        """SELECT 'product' AS kind, p.id, p.category_id, p.title, p.price_minor, p.currency
             FROM products p JOIN sellers s ON s.id = p.seller_id
            WHERE p.id = ANY($1::uuid[]) AND p.market = $4 AND p.live AND p.in_stock
              AND s.standing = 'active' AND NOT (p.age_restricted AND $5)
           UNION ALL
           SELECT 'live_session', l.id, NULL, l.title, NULL, NULL
             FROM live_sessions l JOIN sellers s ON s.id = l.seller_id
            WHERE l.id = ANY($2::uuid[]) AND l.state = 'live' AND s.standing = 'active'
           UNION ALL
           SELECT 'video', id, NULL, title, NULL, NULL FROM videos
            WHERE id = ANY($3::uuid[]) AND live""",
        products, sessions, videos, market, minor_or_unverified)
    return {r["id"]: r for r in rows}
