"""Campaigns, their products, what each spent on a day, and the set that may serve in a market
(with the products each would promote)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.discovery.domain.campaigns import Audience, Campaign, Kind, Status

CATALOGUE_CANDIDATES = 20
"""Products an automatic campaign considers per market: its most popular live ones."""


def campaign_of(row: asyncpg.Record) -> Campaign:
    return Campaign(
        id=row["id"], seller_id=row["seller_id"], name=row["name"], kind=Kind(row["kind"]),
        status=Status(row["status"]), currency=row["currency"].strip(),
        daily_budget_minor=row["daily_budget_minor"], max_bid_minor=row["max_bid_minor"],
        markets=tuple(row["markets"]), keywords=tuple(row["keywords"]),
        categories=frozenset(row["categories"]),
        audience=Audience(frozenset(row["audience_categories"]), row["audience_min_age"]),
        target_roas=row["target_roas"], catalogue_category=row["catalogue_category"],
        created_at=row["created_at"])


async def insert(conn: asyncpg.Connection, c: Campaign, product_ids: list[UUID]) -> None:
    await conn.execute(
        """INSERT INTO campaigns (id, seller_id, name, kind, status, currency,
               daily_budget_minor, max_bid_minor, markets, keywords, categories,
               audience_categories, audience_min_age, target_roas, catalogue_category,
               created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)""",
        c.id, c.seller_id, c.name, c.kind.value, c.status.value, c.currency,
        c.daily_budget_minor, c.max_bid_minor, list(c.markets), list(c.keywords),
        sorted(c.categories), sorted(c.audience.interest_categories), c.audience.min_age,
        c.target_roas, c.catalogue_category, c.created_at)
    await conn.execute(
        """INSERT INTO campaign_products (campaign_id, product_id)
           SELECT $1, unnest($2::uuid[])""", c.id, product_ids)


async def get(conn: asyncpg.Connection | asyncpg.Pool, campaign_id: UUID, *,
              for_update: bool = False) -> Campaign | None:
    row = await conn.fetchrow(
        "SELECT * FROM campaigns WHERE id = $1" + (" FOR UPDATE" if for_update else ""),  # noqa: S608 - a fixed fragment
        campaign_id)
    return campaign_of(row) if row else None


async def product_ids(conn: asyncpg.Connection | asyncpg.Pool, campaign_id: UUID) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT product_id FROM campaign_products WHERE campaign_id = $1 ORDER BY product_id",
        campaign_id)
    return [r["product_id"] for r in rows]


async def set_status(conn: asyncpg.Connection, campaign_id: UUID, status: Status,
                     at: datetime) -> None:
    await conn.execute("UPDATE campaigns SET status = $2, updated_at = $3 WHERE id = $1",
                       campaign_id, status.value, at)


async def of_seller(db: asyncpg.Pool, seller_id: UUID | None, *,
                    after: tuple[datetime, UUID] | None, limit: int) -> list[Campaign]:
    rows = await db.fetch(
        """SELECT * FROM campaigns
            WHERE ($1::uuid IS NULL OR seller_id = $1)
              AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC LIMIT $4""",
        seller_id, after[0] if after else None, after[1] if after else None, limit)
    return [campaign_of(r) for r in rows]


async def lock_day(conn: asyncpg.Connection, campaign_id: UUID, day: date) -> asyncpg.Record:
    """The campaign's day row, locked: every billing decision of one campaign and day runs one
    at a time, so concurrent clicks cannot both fit in the last of the budget."""
    await conn.execute(
        """INSERT INTO campaign_days (campaign_id, day) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""", campaign_id, day)
    row: asyncpg.Record = await conn.fetchrow(
        """SELECT spent_minor, exhausted_at FROM campaign_days
            WHERE campaign_id = $1 AND day = $2 FOR UPDATE""", campaign_id, day)
    return row


async def spend(conn: asyncpg.Connection, campaign_id: UUID, day: date, amount: int) -> int:
    spent: int = await conn.fetchval(
        """UPDATE campaign_days SET spent_minor = spent_minor + $3
            WHERE campaign_id = $1 AND day = $2 RETURNING spent_minor""",
        campaign_id, day, amount)
    return spent


async def mark_exhausted(conn: asyncpg.Connection, campaign_id: UUID, day: date,
                         at: datetime) -> bool:
    """True the first time only (one `budget.exhausted` per campaign and day)."""
    return bool(await conn.fetchval(
        """UPDATE campaign_days SET exhausted_at = $3
            WHERE campaign_id = $1 AND day = $2 AND exhausted_at IS NULL RETURNING true""",
        campaign_id, day, at))


async def serving(db: asyncpg.Pool | asyncpg.Connection, market: str, day: date
                  ) -> list[asyncpg.Record]:
    """Active campaigns of sellers in good standing that target the market, with today's spend
    and their record so far (for catalogue campaigns' conversion estimate)."""
    return list(await db.fetch(
        """SELECT c.*, coalesce(d.spent_minor, 0) AS spent_minor,
                  (SELECT count(*) FROM clicks k
                    WHERE k.campaign_id = c.id AND k.outcome = 'billed') AS billed_clicks,
                  (SELECT count(DISTINCT order_id) FROM attributions a
                    WHERE a.campaign_id = c.id AND NOT a.cancelled) AS attributed_orders
             FROM campaigns c
             JOIN sellers s ON s.id = c.seller_id AND s.standing = 'active'
             LEFT JOIN campaign_days d ON d.campaign_id = c.id AND d.day = $2
            WHERE c.status = 'active' AND $1 = ANY(c.markets)""", market, day))


async def serving_products(db: asyncpg.Pool | asyncpg.Connection, market: str,
                           product_campaigns: list[UUID], catalogue_campaigns: list[UUID],
                           decay: float) -> list[asyncpg.Record]:
    """The products each campaign could promote now: live, in stock, in the market."""
    return list(await db.fetch(
        """SELECT cp.campaign_id, p.id, p.category_id, p.title, p.price_minor, p.currency,
                  p.age_restricted, coalesce(ip.score, 0) * $4 AS popularity
             FROM campaign_products cp JOIN products p ON p.id = cp.product_id
             LEFT JOIN item_popularity ip
                    ON ip.market = $1 AND ip.item_kind = 'product' AND ip.item_id = p.id
            WHERE cp.campaign_id = ANY($2::uuid[]) AND p.market = $1 AND p.live AND p.in_stock
           UNION ALL
           SELECT c.id, p.id, p.category_id, p.title, p.price_minor, p.currency,
                  p.age_restricted, p.popularity
             FROM campaigns c CROSS JOIN LATERAL (
                  SELECT p.*, coalesce(ip.score, 0) * $4 AS popularity
                    FROM products p LEFT JOIN item_popularity ip
                         ON ip.market = $1 AND ip.item_kind = 'product' AND ip.item_id = p.id
                   WHERE p.seller_id = c.seller_id AND p.market = $1 AND p.live AND p.in_stock
                     AND (c.catalogue_category IS NULL OR p.category_id = c.catalogue_category)
                   ORDER BY coalesce(ip.score, 0) DESC, p.id LIMIT $5) p
            WHERE c.id = ANY($3::uuid[])""",
        market, product_campaigns, catalogue_campaigns, decay, CATALOGUE_CANDIDATES))

