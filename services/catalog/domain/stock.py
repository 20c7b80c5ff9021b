"""Stock per SKU: on hand, reserved, available = on hand - reserved; none may go negative.

Reservations are all-or-nothing per order: either every line fits and all are held until the
expiry, or nothing is held and the short lines are reported. A reservation ends committed (the
units leave stock) or released (they become available again).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from libs.domain_errors import FieldError


class StockError(FieldError):
    """A stock change that would break the stock rules."""


Availability = tuple[UUID, int, int]
"""A SKU, its available units before a change and after it."""


@dataclass(frozen=True)
class StockLevel:
    sku_id: UUID
    on_hand: int
    reserved: int
    low_stock_threshold: int = 0
    version: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def adjusted(self, *, delta: int | None = None, set_to: int | None = None) -> StockLevel:
        """A seller's adjustment: by a delta or to an absolute count of units on hand."""
        if (delta is None) == (set_to is None):
            raise StockError("delta", "give either delta or set_to")
        target = self.on_hand + delta if delta is not None else set_to
        assert target is not None
        if target < 0:
            raise StockError("delta" if delta is not None else "set_to",
                             "stock on hand cannot go below zero", "negative_stock")
        if target < self.reserved:
            raise StockError("delta" if delta is not None else "set_to",
                             f"{self.reserved} units are reserved by orders; on hand cannot go "
                             "below that", "below_reserved")
        return replace(self, on_hand=target, version=self.version + 1)

    def committed(self, quantity: int) -> StockLevel:
        """Reserved units leaving: an order was paid, its units are no longer on hand to sell
        (what is available does not change)."""
        return replace(self, on_hand=self.on_hand - quantity, reserved=self.reserved - quantity,
                       version=self.version + 1)

    def crossed_below_threshold(self, before: StockLevel) -> bool:
        """True once, at the change that takes available under the threshold."""
        return (self.low_stock_threshold > 0 and self.available < self.low_stock_threshold
                <= before.available)


@dataclass(frozen=True)
class Shortfall:
    sku_id: UUID
    requested: int
    available: int
    reason: str


def merge_lines(lines: list[tuple[UUID, int]]) -> dict[UUID, int]:
    """An order may name one SKU on several lines; stock is held per SKU."""
    merged: dict[UUID, int] = {}
    for sku_id, quantity in lines:
        if quantity <= 0:
            raise StockError("lines", "quantities are positive")
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    return merged


def shortfalls(wanted: dict[UUID, int], levels: dict[UUID, StockLevel],
               purchasable: set[UUID]) -> list[Shortfall]:
    short = []
    for sku_id, quantity in wanted.items():
        level = levels.get(sku_id)
        if level is None:
            short.append(Shortfall(sku_id, quantity, 0, "unknown_sku"))
        elif sku_id not in purchasable:
            short.append(Shortfall(sku_id, quantity, level.available, "not_purchasable"))
        elif level.available < quantity:
            short.append(Shortfall(sku_id, quantity, level.available, "insufficient_stock"))
    return short


@dataclass(frozen=True)
class Request:
    """One order's wish for units of one SKU."""
    owner_id: UUID
    sku_id: UUID
    quantity: int


@dataclass(frozen=True)
class Allocation:
    request: Request
    shortfall: Shortfall | None
    """None when the units are held."""


def allocate(requests: list[Request], levels: dict[UUID, StockLevel],
             purchasable: set[UUID]) -> tuple[list[Allocation], dict[UUID, StockLevel]]:
    """Many single-SKU requests decided at once, first come first served, exactly as one at a
    time would: each takes its units if they are still available after the ones before it,
    else it is refused with what was left. Returns the decisions and the levels after them
    (one version step per hold)."""
    current = dict(levels)
    decided = []
    for request in requests:
        short = shortfalls({request.sku_id: request.quantity}, current, purchasable)
        if short:
            decided.append(Allocation(request, short[0]))
            continue
        level = current[request.sku_id]
        current[request.sku_id] = replace(level, reserved=level.reserved + request.quantity,
                                          version=level.version + 1)
        decided.append(Allocation(request, None))
    return decided, current
