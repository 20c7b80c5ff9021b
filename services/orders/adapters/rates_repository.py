"""The markets' shipping rate cards, as fulfillment last published them."""

from __future__ import annotations

from typing import Any

import asyncpg

from libs.markets import currency_of
from libs.shipping_rates import RateCard, RateLine, opening_card


async def save(conn: asyncpg.Connection, card: dict[str, Any]) -> None:
    """Keeps the newest version of a market's card (an older one arriving late is ignored)."""
    await conn.execute(
        """INSERT INTO shipping_rate_cards AS c (market, card_version, card)
           VALUES ($1, $2, $3)
           ON CONFLICT (market) DO UPDATE SET card_version = $2, card = $3, updated_at = now()
           WHERE c.card_version < $2""", card["market"], card["card_version"], card)


async def card(conn: asyncpg.Connection | asyncpg.Pool, market: str) -> RateCard | None:
    """The market's card; its opening card until fulfillment publishes one."""
    row = await conn.fetchrow("SELECT card FROM shipping_rate_cards WHERE market = $1", market)
    if row is None:
        currency = currency_of(market)
        return opening_card(market, currency) if currency else None
    c = row["card"]
    return RateCard(c["market"], c["currency"], c["card_version"], c["zone_bands"],
                    c["default_band"], tuple(RateLine(**r) for r in c["rates"]),
                    c.get("free_from_minor"))
