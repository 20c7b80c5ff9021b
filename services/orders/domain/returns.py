"""Buyers' returns: within the return window, for units the buyer received and has not
already sent back. Orders authorises a valid request at once; fulfillment issues the label."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict
from services.orders.domain.order import Order, OrderStatus


def check_request(order: Order, window_ends_at: datetime | None, now: datetime,
                  requested: list[tuple[UUID, int]], returnable: Mapping[UUID, int]) -> None:
    """`returnable`: per SKU, units delivered and not yet returned or refunded."""
    if order.status is not OrderStatus.DELIVERED or window_ends_at is None:
        raise StateConflict("order_id", f"an order {order.status.value} cannot be returned; "
                            "returns are for delivered orders", "not_returnable")
    if now >= window_ends_at:
        raise StateConflict("order_id", f"the return window closed at "
                            f"{window_ends_at.isoformat()}", "return_window_closed")
    seen: set[UUID] = set()
    for index, (sku_id, quantity) in enumerate(requested):
        if sku_id in seen:
            raise FieldError(f"lines.{index}.sku_id", "listed twice", "duplicate")
        seen.add(sku_id)
        left = returnable.get(sku_id)
        if left is None:
            raise FieldError(f"lines.{index}.sku_id", "not an item of this order", "not_in_order")
        if quantity > left:
            raise FieldError(f"lines.{index}.quantity", f"only {left} unit(s) of this item can "
                             "still be returned", "more_than_delivered")
