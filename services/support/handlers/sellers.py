"""Keeps support's view of sellers in step with catalog."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.consumer import NonRetryable
from libs.events.envelope import Envelope
from libs.events.schemas.catalog import SellerRegistered, SellerReinstated, SellerSuspended
from libs.outbox import enqueue
from services.support.adapters import seller_accounts_repository
from services.support.domain.seller_accounts import (
    Standing,
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
    await _change_standing(conn, event.seller_id, standing_after_suspension())


async def on_seller_reinstated(
    conn: asyncpg.Connection, envelope: Envelope, event: SellerReinstated
) -> None:
    await _change_standing(conn, event.seller_id, standing_after_reinstatement())


async def _change_standing(conn: asyncpg.Connection, seller_id: UUID, standing: Standing) -> None:
    if not await seller_accounts_repository.set_standing(conn, seller_id, standing):
        # Per-key ordering means the registration always arrives first; a miss is a real fault.
        raise NonRetryable(f"no account for seller {seller_id}")
