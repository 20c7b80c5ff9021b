"""Decisions on a seller's standing (verify, suspend, reinstate), from an operator's route or
from support's account-health events, in one transaction with the history and the event."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs.db.transaction import after_commit
from libs.domain_errors import InvalidTransition
from libs.events.base import Event
from libs.events.envelope import Envelope
from libs.events.schemas.support import AccountReinstated, AccountSuspended
from libs.outbox import enqueue
from services.catalog.adapters import product_cache, sellers_repository
from services.catalog.domain.sellers import Seller, SellerStatus

SOURCE = "catalog"
SUPPORT_ACTOR = "support:account-health"
"""Who catalog records as suspending a seller for its health score; only such suspensions are
lifted by a granted appeal (an operator's own suspension stays until an operator lifts it)."""

Action = Callable[[Seller, datetime], tuple[Seller, Event]]


async def decide(conn: asyncpg.Connection, seller_id: UUID, *, actor: str, reason: str | None,
                 action: Action) -> Seller | None:
    """Applies `action` to the locked seller; None when there is no such seller. Raises
    InvalidTransition when the seller's status does not allow it."""
    seller = await sellers_repository.get_for_update(conn, seller_id)
    if seller is None:
        return None
    changed, event = action(seller, datetime.now(UTC))
    await sellers_repository.record_status_change(conn, changed, actor=actor, reason=reason)
    await enqueue(conn, SOURCE, event)
    if changed.can_sell != seller.can_sell:  # the seller's listings appear or vanish
        products = await sellers_repository.product_ids(conn, seller_id)
        after_commit(lambda: product_cache.evict(*products))
    return changed


async def on_account_suspended(conn: asyncpg.Connection, envelope: Envelope,
                               event: AccountSuspended) -> None:
    """Support's health score fell below the line: the seller stops selling everywhere."""
    with contextlib.suppress(InvalidTransition):  # already suspended: nothing to do
        await decide(conn, event.seller_id, actor=SUPPORT_ACTOR, reason=event.reason,
                     action=lambda seller, now: seller.suspend(event.reason, now))


async def on_account_reinstated(conn: asyncpg.Connection, envelope: Envelope,
                                event: AccountReinstated) -> None:
    """A granted appeal lifts a suspension support caused; not one an operator decided."""
    seller = await sellers_repository.get_for_update(conn, event.seller_id)
    if seller is None or seller.status is not SellerStatus.SUSPENDED:
        return
    history = await sellers_repository.status_history(conn, event.seller_id)
    last = history[-1] if history else None
    if last is None or last["actor"] != SUPPORT_ACTOR:
        return
    await decide(conn, event.seller_id, actor=SUPPORT_ACTOR, reason=event.reason,
                 action=lambda s, now: s.reinstate(event.reason, now))
