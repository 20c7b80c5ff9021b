"""The markets' shipping rate cards."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from libs.shipping_rates import RateCard, RateLine


async def get(conn: asyncpg.Connection | asyncpg.Pool, market: str) -> RateCard | None:
    row = await conn.fetchrow("SELECT * FROM rate_cards WHERE market = $1", market)
    if row is None:
        return None
    return RateCard(row["market"], row["currency"], row["card_version"],
                    row["zone_bands"], row["default_band"],
                    tuple(RateLine(**r) for r in row["rates"]),
                    row["free_from_minor"])


async def save(conn: asyncpg.Connection, card: RateCard, now: datetime) -> int:
    """Stores the card as the market's next version; returns that version."""
    version: int = await conn.fetchval(
        """INSERT INTO rate_cards AS r (market, currency, card_version, zone_bands, default_band,
                                        rates, free_from_minor, published_at)
           VALUES ($1, $2, 1, $3::jsonb, $4, $5::jsonb, $6, $7)
           ON CONFLICT (market) DO UPDATE
           SET currency = $2, card_version = r.card_version + 1, zone_bands = $3::jsonb,
               default_band = $4, rates = $5::jsonb, free_from_minor = $6, published_at = $7
           RETURNING card_version""",
        card.market, card.currency, card.zone_bands, card.default_band,
        [{"band": r.band, "speed": r.speed, "up_to_grams": r.up_to_grams,
          "price_minor": r.price_minor} for r in card.rates],
        card.free_from_minor, now)
    return version
