"""The saga's steps for many orders at once, where a sale sends a run of one event.

One at a time, each `inventory.reserved` costs a lock, an update, a timeline entry and two
deadline statements, each a round trip: at 150 checkouts a second the consumer fell a minute
behind catalog's answers while Postgres and the CPU had room. Here a run of them is applied in
five statements whatever its length, with the same rules as `saga.on_inventory_reserved`
(which the consumer still uses for a lone record, and to find the culprit if a run fails).
Fulfillment's promises for those orders follow in runs of their own once they are paid.
"""

from __future__ import annotations

import asyncpg

from libs import deadlines
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as catalog_events
from libs.events.schemas import fulfillment as fulfillment_events
from services.orders.adapters import order_batches
from services.orders.domain.order import OrderStatus
from services.orders.use_cases.saga import AUTHORIZE, SHIP_BY, STOCK_TIMEOUT, now


async def on_inventory_reserved_many(
        conn: asyncpg.Connection,
        reserved: list[tuple[Envelope, catalog_events.InventoryReserved]]) -> None:
    """Orders still awaiting stock move to awaiting payment, their stock timeout is dropped
    and their authorisation is due now; any other (cancelled meanwhile, or a replay) is left
    as it is, as one at a time."""
    order_ids = list(dict.fromkeys(event.order_id for _, event in reserved))
    orders = await order_batches.lock_orders(conn, order_ids)
    moving = [orders[order_id].move(OrderStatus.AWAITING_PAYMENT) for order_id in order_ids
              if order_id in orders and orders[order_id].status is OrderStatus.AWAITING_STOCK]
    if not moving:
        return
    await order_batches.save_orders(conn, moving, "stock reserved")
    keys: list[object] = [order.id for order in moving]
    await deadlines.cancel_many(conn, keys, STOCK_TIMEOUT)
    due = now()
    await deadlines.schedule_many(conn, AUTHORIZE, [(key, due) for key in keys])


PROMISABLE = (OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT)
"""Where fulfillment's promises still apply: paid and not yet shipped."""


def promised_note(event: fulfillment_events.FulfillmentOrderAllocated) -> str:
    return (f"promised: ships by {event.ship_by:%Y-%m-%d %H:%M} UTC, "
            f"arrives by {event.deliver_by:%Y-%m-%d %H:%M} UTC")


async def on_fulfillment_promised(conn: asyncpg.Connection, envelope: Envelope,
                                  event: fulfillment_events.FulfillmentOrderAllocated) -> None:
    """One promise alone (or while the consumer looks for a failing run's culprit): a run of
    one, so there is one definition of the rules."""
    await on_fulfillment_promised_many(conn, [(envelope, event)])


async def on_fulfillment_promised_many(
        conn: asyncpg.Connection,
        allocated: list[tuple[Envelope, fulfillment_events.FulfillmentOrderAllocated]]) -> None:
    """Fulfillment's promises (computed from the warehouses' cut-offs, the zone and the carrier
    service) replace the defaults paid orders were given: the ship-by deadline is replaced,
    both promises are recorded and noted. Of two promises for one order in a run, the later one holds, as it
    would one at a time."""
    latest = {event.order_id: event for _, event in allocated}
    orders = await order_batches.lock_orders(conn, list(latest))
    promised = [(orders[order_id], event) for order_id, event in latest.items()
                if order_id in orders and orders[order_id].status in PROMISABLE]
    if not promised:
        return
    keys: list[object] = [order.id for order, _ in promised]
    await deadlines.cancel_many(conn, keys, SHIP_BY)
    await deadlines.schedule_many(conn, SHIP_BY, [(order.id, event.ship_by)
                                                  for order, event in promised])
    await order_batches.set_promises(conn, "ship_by", [(order.id, event.ship_by)
                                                       for order, event in promised])
    await order_batches.set_promises(conn, "deliver_by", [(order.id, event.deliver_by)
                                                          for order, event in promised])
    await order_batches.add_timelines(conn, [(order.id, order.status.value, promised_note(event))
                                             for order, event in promised])
