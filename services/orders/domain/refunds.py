"""How much a refund is: the lines returned or disputed, capped by what is left to refund."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID


class RefundError(ValueError):
    pass


def refund_amount(order_lines: Mapping[UUID, tuple[int, int]], refund_lines: Mapping[UUID, int],
                  *, shipping_minor: int, include_shipping: bool, already_refunded: int,
                  captured: int) -> int:
    """`order_lines`: sku -> (unit price, quantity ordered); `refund_lines`: sku -> quantity."""
    amount = 0
    for sku_id, quantity in refund_lines.items():
        if sku_id not in order_lines:
            raise RefundError(f"SKU {sku_id} is not in the order")
        price, ordered = order_lines[sku_id]
        if quantity > ordered:
            raise RefundError(f"{quantity} of SKU {sku_id} refunded but {ordered} ordered")
        amount += price * quantity
    if include_shipping:
        amount += shipping_minor
    return max(0, min(amount, captured - already_refunded))


def refund_tax(line_taxes: Mapping[UUID, tuple[int, int]], refund_lines: Mapping[UUID, int]
               ) -> int:
    """The tax inside a refund of `refund_lines` (sku -> quantity): each line's tax in
    proportion to the units refunded, so returning a whole line reverses exactly its tax.
    `line_taxes`: sku -> (the line's tax, quantity ordered)."""
    tax = 0
    for sku_id, quantity in refund_lines.items():
        line_tax, ordered = line_taxes[sku_id]
        tax += (2 * line_tax * quantity + ordered) // (2 * ordered)
    return tax
