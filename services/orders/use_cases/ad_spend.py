"""Charging sellers for billed sponsored clicks (`ad.clicked` from discovery)."""

from __future__ import annotations

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas.discovery import AdClicked
from services.orders.adapters import repository
from services.orders.domain import ad_spend
from services.orders.domain.commissions import balanced


async def on_ad_clicked(conn: asyncpg.Connection, envelope: Envelope, event: AdClicked) -> None:
    """One ledger transaction per billed click, referenced by the click's id (the ledger's
    `order_id` column holds the reference of whatever the entries are for)."""
    entries = ad_spend.charge(event.seller_id, event.price_minor)
    assert balanced(entries), "a ledger transaction must balance"
    await repository.post_entries(conn, event.click_id, event.click_id, event.currency,
                                  "ad_spend", [(e.account, e.amount_minor) for e in entries])
