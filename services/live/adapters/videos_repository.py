"""Videos, their tags, interactions and the order lines they brought, in live's schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from services.live.domain.videos import AuthorKind, Interaction, Video, VideoStatus

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


def _video(row: asyncpg.Record) -> Video:
    return Video(id=row["id"], author_kind=AuthorKind(row["author_kind"]),
                 author_id=row["author_id"], author_subject=row["author_subject"],
                 market=row["market"], title=row["title"],
                 duration_seconds=row["duration_seconds"], media_url=row["media_url"],
                 thumbnail_url=row["thumbnail_url"], status=VideoStatus(row["status"]),
                 views=row["views"], created_at=row["created_at"],
                 published_at=row["published_at"])


async def add(conn: Conn, video: Video) -> None:
    await conn.execute(
        """INSERT INTO videos (id, author_kind, author_id, author_subject, market, title,
                               duration_seconds, media_url, thumbnail_url, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        video.id, video.author_kind.value, video.author_id, video.author_subject, video.market,
        video.title, video.duration_seconds, video.media_url, video.thumbnail_url,
        video.status.value, video.created_at)


async def get(conn: Conn, video_id: UUID, *, for_update: bool = False) -> Video | None:
    query = ("SELECT * FROM videos WHERE id = $1 FOR UPDATE" if for_update
             else "SELECT * FROM videos WHERE id = $1")
    row = await conn.fetchrow(query, video_id)
    return _video(row) if row else None


async def set_status(conn: Conn, video_id: UUID, status: VideoStatus,
                     published_at: datetime | None = None) -> None:
    await conn.execute(
        "UPDATE videos SET status = $2, published_at = coalesce($3, published_at) "
        "WHERE id = $1", video_id, status.value, published_at)


async def tag(conn: Conn, video_id: UUID, product_id: UUID, seller_id: UUID,
              offset_seconds: int | None) -> bool:
    """Tags the product (or moves its offset); True when it was not tagged before."""
    inserted: bool | None = await conn.fetchval(
        """INSERT INTO video_products (video_id, product_id, seller_id, offset_seconds)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (video_id, product_id) DO UPDATE SET offset_seconds = $4
           RETURNING (xmax = 0)""", video_id, product_id, seller_id, offset_seconds)
    return bool(inserted)


async def untag(conn: Conn, video_id: UUID, product_id: UUID) -> bool:
    result: str = await conn.execute(
        "DELETE FROM video_products WHERE video_id = $1 AND product_id = $2",
        video_id, product_id)
    return not result.endswith(" 0")


async def tags(conn: Conn, video_ids: list[UUID]) -> list[asyncpg.Record]:
    """Each video's tagged products with their live price range and what is left, from live's
    view of catalog (a product whose listing is withdrawn shows as unavailable)."""
    return list(await conn.fetch(
        """SELECT t.video_id, t.product_id, t.seller_id, t.offset_seconds,
                  min(l.price_minor) AS price_minor, max(l.price_minor) AS max_price_minor,
                  min(l.currency) AS currency,
                  coalesce(bool_or(l.live), false) AS live,
                  sum(l.available) FILTER (WHERE l.live) AS available
           FROM video_products t LEFT JOIN listings l ON l.product_id = t.product_id
           WHERE t.video_id = ANY($1::uuid[])
           GROUP BY t.video_id, t.product_id, t.seller_id, t.offset_seconds, t.tagged_at
           ORDER BY t.video_id, coalesce(t.offset_seconds, 2147483647), t.tagged_at""",
        video_ids))


async def tag_of(conn: Conn, video_id: UUID, product_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM video_products WHERE video_id = $1 AND product_id = $2",
        video_id, product_id)


async def tag_count(conn: Conn, video_id: UUID) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM video_products WHERE video_id = $1", video_id))


async def product_seller(conn: Conn, product_id: UUID) -> UUID | None:
    """The seller of a product live knows as published (None: unknown or withdrawn)."""
    seller: UUID | None = await conn.fetchval(
        "SELECT seller_id FROM listings WHERE product_id = $1 AND live LIMIT 1", product_id)
    return seller


async def count_once(conn: Conn, video_id: UUID, viewer_id: str, kind: Interaction,
                     product_id: UUID, window_start: datetime) -> bool:
    """Records the interaction unless the viewer made it already in this window; True when
    it counted (a view then also bumps the video's view count, read by the feed)."""
    counted = await conn.fetchval(
        """INSERT INTO video_interactions (video_id, viewer_id, kind, product_id, window_start)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        video_id, viewer_id, kind.value, product_id, window_start)
    if counted and kind is Interaction.VIEW:
        await conn.execute("UPDATE videos SET views = views + 1 WHERE id = $1", video_id)
    return bool(counted)


async def feed(conn: Conn, market: str, most_viewed: bool, after: tuple[Any, ...] | None,
               limit: int) -> list[Video]:
    """Published videos of a market, newest or most viewed first, after a cursor position
    (keyset paging: stable while new videos arrive)."""
    if most_viewed:
        order, position = "views DESC, id DESC", "(views, id) < ($2, $3)"
    else:
        order, position = "published_at DESC, id DESC", "(published_at, id) < ($2, $3)"
    where = "status = 'published' AND market = $1"
    args: list[Any] = [market]
    if after is not None:
        where += f" AND {position}"
        args += list(after)
    rows = await conn.fetch(
        f"SELECT * FROM videos WHERE {where} ORDER BY {order} LIMIT {int(limit)}",  # noqa: S608
        *args)
    return [_video(row) for row in rows]


async def of_author(conn: Conn, kind: AuthorKind, author_id: str) -> list[Video]:
    rows = await conn.fetch(
        "SELECT * FROM videos WHERE author_kind = $1 AND author_id = $2 "
        "ORDER BY created_at DESC LIMIT 200", kind.value, author_id)
    return [_video(row) for row in rows]


async def unpublish_seller_videos(conn: Conn, seller_id: UUID) -> list[UUID]:
    """A suspended seller's own published videos go dark; returns them."""
    rows = await conn.fetch(
        """UPDATE videos SET status = 'unpublished'
           WHERE author_kind = 'seller' AND author_id = $1 AND status = 'published'
           RETURNING id""", str(seller_id))
    return [row["id"] for row in rows]


async def add_order_lines(conn: Conn, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        """INSERT INTO video_order_lines (order_id, sku_id, video_id, product_id, creator_id,
                                          quantity, amount_minor, currency, status, placed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'placed', $9)
           ON CONFLICT (order_id, sku_id) DO NOTHING""", rows)


async def set_orders_status(conn: Conn, order_ids: list[UUID], status: str) -> None:
    await conn.execute("UPDATE video_order_lines SET status = $2 WHERE order_id = ANY($1::uuid[])",
                       order_ids, status)


async def knows_order(conn: Conn, order_id: UUID) -> bool:
    """Whether live has handled the order's `order.placed` (commission goes only to lines
    credited from a video or a session, and live records both)."""
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM video_order_lines WHERE order_id = $1)
               OR EXISTS (SELECT 1 FROM session_order_lines WHERE order_id = $1)""",
        order_id))


async def hold_commission(conn: Conn, order_id: UUID, sku_id: UUID | None, creator_id: str,
                          amount_minor: int) -> None:
    """Keeps commission news (an accrual with its SKU, a reversal without) until the order's
    lines arrive."""
    await conn.execute(
        """INSERT INTO video_commissions_pending (order_id, sku_id, creator_id, amount_minor)
           VALUES ($1, $2, $3, $4)""", order_id, sku_id, creator_id, amount_minor)


async def take_held_commissions(conn: Conn, order_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """DELETE FROM video_commissions_pending WHERE order_id = $1
           RETURNING sku_id, creator_id, amount_minor, id""", order_id))


async def add_commission(conn: Conn, order_id: UUID, sku_id: UUID, creator_id: str,
                         amount_minor: int) -> None:
    await conn.execute(
        """UPDATE video_order_lines SET commission_minor = commission_minor + $4
           WHERE order_id = $1 AND sku_id = $2 AND creator_id = $3""",
        order_id, sku_id, creator_id, amount_minor)


async def reverse_commission(conn: Conn, order_id: UUID, creator_id: str,
                             amount_minor: int) -> None:
    """Takes back commission a reversal names by order only: from the order's lines of that
    creator, largest first, never below zero on any line."""
    rows = await conn.fetch(
        """SELECT sku_id, commission_minor FROM video_order_lines
           WHERE order_id = $1 AND creator_id = $2 AND commission_minor > 0
           ORDER BY commission_minor DESC, sku_id FOR UPDATE""", order_id, creator_id)
    left = amount_minor
    for row in rows:
        taken = min(left, row["commission_minor"])
        if taken <= 0:
            break
        await conn.execute(
            """UPDATE video_order_lines SET commission_minor = commission_minor - $3
               WHERE order_id = $1 AND sku_id = $2""", order_id, row["sku_id"], taken)
        left -= taken


async def figures(pool: asyncpg.Pool, video_id: UUID) -> dict[str, Any]:
    """Raw counts for the analytics: views, unique viewers, per-product interactions and the
    paid order lines (placed and cancelled ones are not sales). Read in one snapshot, so an
    order cancelled meanwhile is counted everywhere or nowhere."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                        readonly=True):
        return await _figures(conn, video_id)


async def _figures(conn: asyncpg.Connection, video_id: UUID) -> dict[str, Any]:
    viewers = await conn.fetchrow(
        """SELECT count(DISTINCT viewer_id) AS unique_viewers
           FROM video_interactions WHERE video_id = $1 AND kind = 'view'""", video_id)
    interactions = await conn.fetch(
        """SELECT product_id, kind, count(*) AS n FROM video_interactions
           WHERE video_id = $1 AND kind <> 'view' GROUP BY product_id, kind""", video_id)
    sales = await conn.fetch(
        """SELECT product_id, count(DISTINCT order_id) AS orders, sum(quantity) AS units,
                  sum(amount_minor) AS gmv, sum(commission_minor) AS commission,
                  min(currency) AS currency
           FROM video_order_lines WHERE video_id = $1 AND status = 'paid'
           GROUP BY product_id""", video_id)
    orders = await conn.fetchval(
        "SELECT count(DISTINCT order_id) FROM video_order_lines "
        "WHERE video_id = $1 AND status = 'paid'", video_id)
    return {"unique_viewers": viewers["unique_viewers"], "interactions": interactions,
            "sales": sales, "orders": orders}
