"""Checkout rules: one order per seller, shipping quoted per order from the market's rate card
(fulfillment publishes it), totals, price re-validation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict
from libs.shipping_rates import DEFAULT_ITEM_GRAMS, Quote
from services.orders.domain.cart import CartLine
from services.orders.domain.catalog_view import SkuView

QuoteShipping = Callable[[list[CartLine], int], Quote]
"""Prices one seller's parcel: its lines and their subtotal -> the quote."""


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
    quote: Quote | None = None

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


def check_buyer_market(lines: list[CartLine], skus: Mapping[UUID, SkuView],
                       country: str) -> None:
    """A buyer buys only what is sold in their market, the country the order ships to (a
    shop sells in one market; a cross-border shop's market is the buyer's, not its own
    country). The market's prohibitions were applied when the listing was moderated there."""
    for index, line in enumerate(lines):
        sku = skus.get(line.sku_id)
        if sku is not None and sku.market.strip() != country:
            raise CheckoutConflict(
                f"lines.{index}", f"sold in market {sku.market.strip()}, not in {country} "
                "where this order would ship", "not_sold_in_market")


def parcel_grams(lines: list[CartLine], skus: Mapping[UUID, SkuView]) -> int:
    """The parcel's weight from the listings' weights (a default for items that state none)."""
    return sum((getattr(skus.get(line.sku_id), "weight_grams", None) or DEFAULT_ITEM_GRAMS)
               * line.quantity for line in lines)


def split_by_seller(lines: list[CartLine], quote: QuoteShipping) -> list[DraftOrder]:
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
        priced = quote(seller_lines, subtotal)
        drafts.append(DraftOrder(seller_id, currency, tuple(seller_lines), subtotal,
                                 priced.price_minor, priced))
    return drafts
