"""Keeps support's view of sellers in step with catalog: accounts opened at registration, and
catalog's standing decisions (verification, an operator's suspension, reinstatement)."""

from __future__ import annotations

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas.catalog import (
    SellerRegistered,
    SellerReinstated,
    SellerSuspended,
    SellerVerified,
)
from libs.outbox import enqueue
from services.support.adapters import seller_accounts_repository
from services.support.domain.seller_accounts import open_account
from services.support.use_cases.account_health import on_catalog_standing


async def on_seller_registered(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerRegistered
) -> None:
    account = open_account(event)
    if await seller_accounts_repository.add_if_absent(conn, account):
        await enqueue(conn, "support", account.opened_event())


async def on_seller_verified(conn: asyncpg.Connection, envelope: Envelope,
                             event: SellerVerified) -> None:
    await on_catalog_standing(conn, event.seller_id, "verified", None)


async def on_seller_suspended(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerSuspended
) -> None:
    await on_catalog_standing(conn, event.seller_id, "suspended", event.reason)


async def on_seller_reinstated(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerReinstated
) -> None:
    await on_catalog_standing(conn, event.seller_id, "verified", event.reason)
