"""Keeps support's view of sellers in step with catalog."""

from __future__ import annotations

import asyncpg

from libs.consumer import NonRetryable
from libs.events.envelope import Envelope
from libs.events.schemas.catalog import SellerRegistered, SellerReinstated, SellerSuspended
from libs.outbox import enqueue
from services.support.adapters import seller_accounts_repository
from services.support.domain.seller_accounts import (
    open_account,
    standing_after_reinstatement,
    standing_after_suspension,
)


async def on_seller_registered(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerRegistered
) -> None:
    account = open_account(event)
    if await seller_accounts_repository.add_if_absent(conn, account):
        await enqueue(conn, "support", account.opened_event())


async def on_seller_suspended(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerSuspended
) -> None:
    if not await seller_accounts_repository.set_standing(conn, event.seller_id,
                                                         standing_after_suspension()):
        # Per-key ordering means registration always arrives first; a miss is a real fault.
        raise NonRetryable(f"no account for seller {event.seller_id}")


async def on_seller_reinstated(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerReinstated
) -> None:
    if not await seller_accounts_repository.set_standing(conn, event.seller_id,
                                                         standing_after_reinstatement()):
        raise NonRetryable(f"no account for seller {event.seller_id}")
