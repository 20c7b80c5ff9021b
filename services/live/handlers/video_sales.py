"""What live learns of the sales its videos brought: order lines attributed to a video (by
orders, from the signed token of a tap), whether they were paid or cancelled, and the
commission their creator earned or lost; and a suspended seller's videos going dark."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas import live as live_events
from libs.events.schemas.orders import CommissionAccrued, CommissionReversed, OrderPlaced
from libs.outbox import enqueue
from services.live.adapters import sessions_repository, videos_repository


async def _take_turns(conn: asyncpg.Connection, order_id: UUID) -> None:
    """An order's `order.placed` and its commission news come on different topics, so two
    transactions may handle them at the same moment, each blind to the other's uncommitted
    work: the news is held for lines that are being written, and the lines take held news
    before the news is held, which then waits for ever (a video's commission missing from its
    figures; seen in CI). Per order they take turns, until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(order_id))


async def record_placed(conn: asyncpg.Connection, event: OrderPlaced) -> None:
    await _take_turns(conn, event.order_id)
    held = sorted(await videos_repository.take_held_commissions(conn, event.order_id),
                  key=lambda row: row["id"])
    attributed = [line for line in event.lines if line.video_id is not None]
    if not attributed:
        return  # news held for a session's order: nothing of a video's
    products = await sessions_repository.products_of_skus(
        conn, [line.sku_id for line in attributed])
    await videos_repository.add_order_lines(conn, [
        (event.order_id, line.sku_id, line.video_id, products.get(line.sku_id),
         line.creator_id, line.quantity, line.quantity * line.unit_price_minor, event.currency,
         event.placed_at) for line in attributed])
    for row in held:  # commission news that came first, applied in the order it came
        if row["sku_id"] is not None:
            await videos_repository.add_commission(conn, event.order_id, row["sku_id"],
                                                   row["creator_id"], row["amount_minor"])
        else:
            await videos_repository.reverse_commission(conn, event.order_id,
                                                       row["creator_id"], row["amount_minor"])


async def on_commission_accrued(conn: asyncpg.Connection, envelope: Envelope,
                                event: CommissionAccrued) -> None:
    await _take_turns(conn, event.order_id)
    if not await videos_repository.knows_order(conn, event.order_id):
        # On another topic than order.placed, so it may come first: held until it comes.
        await videos_repository.hold_commission(conn, event.order_id, event.sku_id,
                                                event.creator_id, event.amount_minor)
        return
    await videos_repository.add_commission(conn, event.order_id, event.sku_id,
                                           event.creator_id, event.amount_minor)


async def on_commission_reversed(conn: asyncpg.Connection, envelope: Envelope,
                                 event: CommissionReversed) -> None:
    await _take_turns(conn, event.order_id)
    if not await videos_repository.knows_order(conn, event.order_id):
        await videos_repository.hold_commission(conn, event.order_id, None, event.creator_id,
                                                event.amount_minor)
        return
    await videos_repository.reverse_commission(conn, event.order_id, event.creator_id,
                                               event.amount_minor)


async def unpublish_suspended(conn: asyncpg.Connection, seller_id: UUID) -> None:
    """A suspended seller sells nowhere: its own videos leave the feed (a creator's videos
    tagging its products stay, their products shown as unavailable)."""
    now = datetime.now(UTC)
    for video_id in await videos_repository.unpublish_seller_videos(conn, seller_id):
        await enqueue(conn, "live", live_events.VideoUnpublished(
            video_id=video_id, reason="seller_suspended", unpublished_at=now))
