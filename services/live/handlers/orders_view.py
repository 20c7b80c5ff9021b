"""What live learns from orders: claims checked out, orders attributed to a session (for the
purchase ticker and the session's figures), and paid wallet top-ups."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import asyncpg

from libs import deadlines
from libs.db.transaction import after_commit
from libs.events.envelope import Envelope
from libs.events.schemas import live as live_events
from libs.events.schemas.orders import OrderCancelled, OrderConfirmed, OrderPlaced, WalletToppedUp
from libs.outbox import enqueue
from services.live.adapters import (
    deals_repository,
    sessions_repository,
    videos_repository,
    wallet_repository,
)
from services.live.components import LiveComponents
from services.live.domain.chat import public_handle
from services.live.domain.wallet import top_up_entries
from services.live.handlers import video_sales
from services.live.use_cases import deal_clock


async def on_order_placed(conn: asyncpg.Connection, envelope: Envelope, event: OrderPlaced, *,
                          live: LiveComponents) -> None:
    await video_sales.record_placed(conn, event)
    attributed = [line for line in event.lines if line.live_session_id is not None]
    for line in event.lines:
        if line.claim_id is None:
            continue
        claim = await deals_repository.consume(conn, line.claim_id, event.order_id)
        if claim is not None:
            await deadlines.cancel(conn, line.claim_id, deal_clock.CLAIM_EXPIRY)
            await enqueue(conn, "live", live_events.LiveClaimConsumed(
                claim_id=line.claim_id, deal_id=claim["deal_id"], order_id=event.order_id,
                consumed_at=event.placed_at))
    if not attributed:
        return
    products = await sessions_repository.products_of_skus(
        conn, [line.sku_id for line in attributed])
    await conn.executemany(
        """INSERT INTO session_order_lines (order_id, sku_id, session_id, product_id, deal_id,
                                            buyer_id, quantity, amount_minor, currency, status,
                                            placed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'placed', $10)
           ON CONFLICT (order_id, sku_id) DO NOTHING""",
        [(event.order_id, line.sku_id, line.live_session_id, products.get(line.sku_id),
          line.deal_id, event.buyer_id, line.quantity, line.quantity * line.unit_price_minor,
          event.currency, event.placed_at) for line in attributed])
    for session_id in {line.live_session_id for line in attributed if line.live_session_id}:
        items = [{"product_id": str(products.get(line.sku_id)), "quantity": line.quantity}
                 for line in attributed if line.live_session_id == session_id]
        data = {"buyer": public_handle(live.settings.handle_key, session_id, event.buyer_id),
                "items": items}
        after_commit(partial(live.feed.publish, session_id, "purchase", data))




async def on_order_confirmed(conn: asyncpg.Connection, envelope: Envelope,
                             event: OrderConfirmed) -> None:
    """A lone confirmation is a run of one."""
    await on_orders_confirmed(conn, [(envelope, event)])


async def on_orders_confirmed(conn: asyncpg.Connection,
                              confirmed: list[tuple[Envelope, OrderConfirmed]]) -> None:
    """Paid orders: their session lines, video lines and claims say so. Three statements per
    run of confirmations, not per order (most orders touch none of them)."""
    order_ids = list({event.order_id for _, event in confirmed})
    await sessions_repository.set_orders_status(conn, order_ids, "paid")
    await videos_repository.set_orders_status(conn, order_ids, "paid")
    await deals_repository.mark_paid(conn, order_ids)


async def on_order_cancelled(conn: asyncpg.Connection, envelope: Envelope,
                             event: OrderCancelled, *, live: LiveComponents) -> None:
    await sessions_repository.set_orders_status(conn, [event.order_id], "cancelled")
    await videos_repository.set_orders_status(conn, [event.order_id], "cancelled")
    await deal_clock.release_claims(live, conn, event.order_id, datetime.now(UTC))


async def on_wallet_topped_up(conn: asyncpg.Connection, envelope: Envelope,
                              event: WalletToppedUp) -> None:
    """The inbox makes this once per top-up; the ledger says where the tokens came from."""
    await wallet_repository.credit(conn, event.buyer_id, event.tokens)
    await wallet_repository.post(conn, event.topup_id,
                                 top_up_entries(event.buyer_id, event.tokens))
