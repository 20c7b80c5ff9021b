"""Checkout rules: one order per seller, shipping per order, totals, price re-validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict
from services.orders.domain.cart import CartLine
from services.orders.domain.catalog_view import SkuView


@dataclass(frozen=True)
class ShippingRate:
    """A flat fee per order, free from a threshold; until fulfillment publishes quotes."""

    fee_minor: int
    free_from_minor: int | None


DEFAULT_RATES: Mapping[str, ShippingRate] = {
    "GBP": ShippingRate(399, 3000), "EUR": ShippingRate(499, 3500),
    "USD": ShippingRate(599, 4000), "IDR": ShippingRate(1_500_000, 20_000_000),
    "MYR": ShippingRate(800, 15000), "PHP": ShippingRate(9900, 150000),
    "SGD": ShippingRate(500, 6000), "THB": ShippingRate(4000, 100000),
    "VND": ShippingRate(30000, 500000), "MXN": ShippingRate(9900, 80000),
    "BRL": ShippingRate(1990, 20000), "JPY": ShippingRate(500, 5000),
}


class CheckoutError(FieldError):
    """A cart that cannot be checked out as it is."""


class CheckoutConflict(CheckoutError, StateConflict):
    """The same, refused for the state things are in (answered 409)."""



@dataclass(frozen=True)
class PriceChange:
    sku_id: UUID
    was_minor: int
    now_minor: int


@dataclass(frozen=True)
class DraftOrder:
    seller_id: UUID
    currency: str
    lines: tuple[CartLine, ...]
    subtotal_minor: int
    shipping_minor: int

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor + self.shipping_minor


def revalidate(lines: list[CartLine], skus: Mapping[UUID, SkuView]) -> list[PriceChange]:
    """Lines whose price moved since they were added; unsellable lines raise. A flash-deal
    line keeps its claim's price (the claim itself is checked at checkout)."""
    changes = []
    for index, line in enumerate(lines):
        sku = skus.get(line.sku_id)
        if sku is None or not sku.purchasable:
            raise CheckoutConflict(f"lines.{index}.sku_id", "this item is no longer for sale",
                                "not_purchasable")
        if line.source.claim_token is None and sku.price_minor != line.unit_price_minor:
            changes.append(PriceChange(line.sku_id, line.unit_price_minor, sku.price_minor))
    return changes


def split_by_seller(lines: list[CartLine],
                    rates: Mapping[str, ShippingRate] = DEFAULT_RATES) -> list[DraftOrder]:
    if not lines:
        raise CheckoutConflict("cart", "the cart is empty", "cart_empty")
    by_seller: dict[UUID, list[CartLine]] = {}
    for line in lines:
        by_seller.setdefault(line.seller_id, []).append(line)
    drafts = []
    for seller_id, seller_lines in by_seller.items():
        currencies = {line.currency for line in seller_lines}
        if len(currencies) != 1:
            raise CheckoutError("cart", "one seller's items in several currencies",
                                "mixed_currency")
        currency = currencies.pop()
        subtotal = sum(line.unit_price_minor * line.quantity for line in seller_lines)
        rate = rates.get(currency, ShippingRate(0, None))
        free = rate.free_from_minor is not None and subtotal >= rate.free_from_minor
        drafts.append(DraftOrder(seller_id, currency, tuple(seller_lines), subtotal,
                                 0 if free else rate.fee_minor))
    return drafts
