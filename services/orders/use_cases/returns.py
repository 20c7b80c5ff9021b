"""A buyer's return request: checked against the window and what was delivered, recorded and
authorised in one transaction (`return.authorized`); fulfillment takes it from there and its
`return.received` refunds exactly the accepted units."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.events.schemas.orders import LineToFulfil, ReturnAuthorized
from libs.ids import new_id
from libs.outbox import enqueue
from services.orders.adapters import repository
from services.orders.domain.returns import check_request


async def request_return(conn: asyncpg.Connection, *, order_id: UUID, buyer_id: str,
                         lines: list[tuple[UUID, int]], reason: str) -> dict[str, Any]:
    order = await repository.get_order(conn, order_id, for_update=True)
    if order is None or order.buyer_id != buyer_id:
        raise LookupError(order_id)
    now = datetime.now(UTC)
    check_request(order, await repository.promised(conn, order_id, "return_window_ends_at"),
                  now, lines, await repository.returnable_units(conn, order_id))
    return_id = new_id()
    await repository.add_return(conn, return_id, order_id, buyer_id,
                                {str(sku): qty for sku, qty in lines}, reason)
    await repository.add_timeline(conn, order_id, order.status.value,
                                  f"return requested and authorised: {reason}")
    await enqueue(conn, "orders", ReturnAuthorized(
        order_id=order_id, return_id=return_id, seller_id=order.seller_id, buyer_id=buyer_id,
        lines=[LineToFulfil(sku_id=sku, quantity=qty) for sku, qty in lines], reason=reason,
        authorized_at=now))
    return {"id": return_id, "order_id": order_id, "status": "authorized", "reason": reason,
            "lines": [{"sku_id": sku, "quantity": qty} for sku, qty in lines],
            "authorized_at": now}


async def return_for_dispute(conn: asyncpg.Connection, order: Any, dispute_id: UUID,
                             lines: list[tuple[UUID, int]]) -> None:
    """An agent decided a dispute with a return: the lines are authorised back whatever the
    return window says (the decision is the authority), capped by what can still come back,
    and refunded when fulfillment receives them."""
    returnable = await repository.returnable_units(conn, order.id)
    capped = [(sku, min(qty, returnable.get(sku, 0))) for sku, qty in lines]
    capped = [(sku, qty) for sku, qty in capped if qty > 0]
    if not capped:
        return
    reason = f"dispute {dispute_id}: return authorised by support"
    return_id = new_id()
    await repository.add_return(conn, return_id, order.id, order.buyer_id,
                                {str(sku): qty for sku, qty in capped}, reason)
    await repository.add_timeline(conn, order.id, order.status.value, reason)
    await enqueue(conn, "orders", ReturnAuthorized(
        order_id=order.id, return_id=return_id, seller_id=order.seller_id,
        buyer_id=order.buyer_id, lines=[LineToFulfil(sku_id=sku, quantity=qty)
                                        for sku, qty in capped],
        reason=reason, authorized_at=datetime.now(UTC)))
