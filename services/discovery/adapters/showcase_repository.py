"""Discovery's copy of what can be shown: sellers' standing, live products and whether any of
their SKUs can be bought, live sessions and published videos. Written only by event handlers
(catalog's and live's events); read by the feed and the auction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def upsert_seller(conn: asyncpg.Connection, seller_id: UUID, market: str,
                        currency: str) -> None:
    await conn.execute(
        """INSERT INTO sellers (id, market, currency, standing) VALUES ($1, $2, $3, 'pending')
           ON CONFLICT (id) DO UPDATE SET market = EXCLUDED.market,
                                          currency = EXCLUDED.currency""",
        seller_id, market, currency)


async def set_standing(conn: asyncpg.Connection, seller_id: UUID, standing: str) -> None:
    await conn.execute("UPDATE sellers SET standing = $2 WHERE id = $1", seller_id, standing)


async def seller(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID
                 ) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM sellers WHERE id = $1", seller_id)


async def publish_product(conn: asyncpg.Connection, *, product_id: UUID, seller_id: UUID,
                          category_id: UUID, market: str, title: str | None,
                          age_restricted: bool, price_minor: int, currency: str,
                          sku_ids: list[UUID], available: dict[UUID, int],
                          published_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO products (id, seller_id, category_id, market, title, age_restricted,
                                 price_minor, currency, live, published_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9)
           ON CONFLICT (id) DO UPDATE SET
               category_id = EXCLUDED.category_id, market = EXCLUDED.market,
               title = coalesce(EXCLUDED.title, products.title),
               age_restricted = EXCLUDED.age_restricted, price_minor = EXCLUDED.price_minor,
               currency = EXCLUDED.currency, live = true""",
        product_id, seller_id, category_id, market, title, age_restricted, price_minor,
        currency, published_at)
    await conn.execute(
        """INSERT INTO skus (id, product_id) SELECT unnest($1::uuid[]), $2
           ON CONFLICT (id) DO NOTHING""", sku_ids, product_id)
    # The stock the event saw, unless inventory news of the SKU came first (topics are not
    # ordered with each other; the news is later than the snapshot).
    await conn.execute(
        """INSERT INTO sku_stock (sku_id, available)
           SELECT unnest($1::uuid[]), unnest($2::boolean[]) ON CONFLICT (sku_id) DO NOTHING""",
        list(available), [n > 0 for n in available.values()])
    await refresh_in_stock(conn, [product_id])


async def set_price(conn: asyncpg.Connection, product_id: UUID, price_minor: int) -> None:
    await conn.execute("UPDATE products SET price_minor = $2 WHERE id = $1",
                       product_id, price_minor)


async def withdraw_product(conn: asyncpg.Connection, product_id: UUID) -> None:
    await conn.execute("UPDATE products SET live = false WHERE id = $1", product_id)


async def set_sku_available(conn: asyncpg.Connection, sku_id: UUID, available: bool) -> None:
    await conn.execute(
        """INSERT INTO sku_stock (sku_id, available) VALUES ($1, $2)
           ON CONFLICT (sku_id) DO UPDATE SET available = EXCLUDED.available""",
        sku_id, available)
    product_id = await conn.fetchval("SELECT product_id FROM skus WHERE id = $1", sku_id)
    if product_id is not None:
        await refresh_in_stock(conn, [product_id])


async def refresh_in_stock(conn: asyncpg.Connection, product_ids: list[UUID]) -> None:
    """A product is in stock while any of its SKUs is (a SKU never heard of has no stock)."""
    await conn.execute(
        """UPDATE products p SET in_stock = EXISTS (
               SELECT 1 FROM skus k JOIN sku_stock s ON s.sku_id = k.id
                WHERE k.product_id = p.id AND s.available)
           WHERE p.id = ANY($1::uuid[])""", product_ids)


async def products_of_skus(conn: asyncpg.Connection, sku_ids: list[UUID]
                           ) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(
        """SELECT k.id AS sku_id, p.id, p.category_id, p.market, p.seller_id
             FROM skus k JOIN products p ON p.id = k.product_id
            WHERE k.id = ANY($1::uuid[])""", sku_ids)
    return {r["sku_id"]: r for r in rows}


async def products_of_seller(conn: asyncpg.Connection, seller_id: UUID,
                             product_ids: list[UUID]) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT * FROM products WHERE seller_id = $1 AND id = ANY($2::uuid[])",
        seller_id, product_ids))


async def upsert_session(conn: asyncpg.Connection, session_id: UUID, seller_id: UUID,
                         title: str | None, state: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO live_sessions (id, seller_id, title, state, updated_at)
           VALUES ($1, $2, coalesce($3, ''), $4, $5)
           ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state,
               title = CASE WHEN $3::text IS NULL THEN live_sessions.title ELSE $3 END,
               updated_at = EXCLUDED.updated_at
           WHERE live_sessions.state NOT IN ('ended', 'cancelled')""",
        session_id, seller_id, title, state, at)


async def publish_video(conn: asyncpg.Connection, *, video_id: UUID, market: str,
                        author_kind: str, author_id: str, title: str, thumbnail_url: str,
                        product_ids: list[UUID], published_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO videos (id, market, author_kind, author_id, title, thumbnail_url, live,
                               published_at)
           VALUES ($1, $2, $3, $4, $5, $6, true, $7)
           ON CONFLICT (id) DO UPDATE SET live = true, title = EXCLUDED.title""",
        video_id, market, author_kind, author_id, title, thumbnail_url, published_at)
    await tag_products(conn, video_id, product_ids)


async def tag_products(conn: asyncpg.Connection, video_id: UUID, product_ids: list[UUID]) -> None:
    await conn.execute(
        """INSERT INTO video_products (video_id, product_id) SELECT $1, unnest($2::uuid[])
           ON CONFLICT DO NOTHING""", video_id, product_ids)


async def unpublish_video(conn: asyncpg.Connection, video_id: UUID) -> None:
    await conn.execute("UPDATE videos SET live = false WHERE id = $1", video_id)
