"""An order's life, as the checkout saga moves it along.

awaiting_stock -> awaiting_payment -> on_hold -> awaiting_shipment -> in_transit -> delivered
-> completed, or cancelled (with a reason) wherever the rules allow. `on_hold` is the window in
which the buyer may still cancel freely after paying.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import InvalidTransition


class OrderStatus(StrEnum):
    AWAITING_STOCK = "awaiting_stock"
    AWAITING_PAYMENT = "awaiting_payment"
    ON_HOLD = "on_hold"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


NEXT: dict[OrderStatus, set[OrderStatus]] = {
    OrderStatus.AWAITING_STOCK: {OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED},
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.ON_HOLD, OrderStatus.CANCELLED},
    OrderStatus.ON_HOLD: {OrderStatus.AWAITING_SHIPMENT, OrderStatus.CANCELLED},
    OrderStatus.AWAITING_SHIPMENT: {OrderStatus.IN_TRANSIT, OrderStatus.CANCELLED},
    # A parcel lost past its deliver-by date is cancelled and refunded.
    OrderStatus.IN_TRANSIT: {OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}
UNSHIPPED = {OrderStatus.AWAITING_STOCK, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD,
             OrderStatus.AWAITING_SHIPMENT}
BUYER_MAY_CANCEL = {OrderStatus.AWAITING_STOCK, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD}


@dataclass(frozen=True)
class Order:
    id: UUID
    checkout_id: UUID
    buyer_id: str
    seller_id: UUID
    currency: str
    subtotal_minor: int
    shipping_minor: int
    status: OrderStatus
    created_at: datetime
    cancel_reason: str | None = None
    discount_minor: int = 0
    tax_minor: int = 0
    """All the order's tax: inside its prices (VAT) or added to them (US sales tax)."""
    tax_added_minor: int = 0
    """The part of `tax_minor` paid on top of the prices."""

    @property
    def total_minor(self) -> int:
        return (self.subtotal_minor - self.discount_minor + self.shipping_minor
                + self.tax_added_minor)

    def move(self, to: OrderStatus) -> Order:
        if to not in NEXT[self.status]:
            raise InvalidTransition(f"an order {self.status.value} cannot become {to.value}")
        return replace(self, status=to)

    def cancel(self, reason: str) -> Order:
        return replace(self.move(OrderStatus.CANCELLED), cancel_reason=reason)

    @property
    def buyer_may_cancel(self) -> bool:
        return self.status in BUYER_MAY_CANCEL

    @property
    def seller_may_cancel(self) -> bool:
        return self.status in UNSHIPPED
