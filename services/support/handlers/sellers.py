"""Keeps support's view of sellers in step with catalog."""

from __future__ import annotations

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas.catalog import SellerRegistered
from libs.outbox import enqueue
from services.support.adapters import seller_accounts_repository
from services.support.domain.seller_accounts import open_account


async def on_seller_registered(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerRegistered
) -> None:
    account = open_account(event)
    if await seller_accounts_repository.add_if_absent(conn, account):
        await enqueue(conn, "support", account.opened_event())
