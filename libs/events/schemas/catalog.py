"""Events produced by the catalog service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.registry import register


@register
class SellerRegistered(Event):
    """A seller signed up; verification is pending."""

    type = "seller.registered"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    shop_id: UUID
    market: str = Field(examples=["GB"], min_length=2, max_length=2)
    currency: str = Field(examples=["GBP"], min_length=3, max_length=3)
    tier: Literal["local", "cross_border"]
    business_type: Literal["individual", "company"]
    registered_at: datetime


@register
class SellerVerified(Event):
    """An operator verified the seller; its live products may be sold."""

    type = "seller.verified"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    verified_at: datetime


@register
class SellerSuspended(Event):
    """An operator suspended the seller: its products leave search and cannot be bought."""

    type = "seller.suspended"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    reason: str
    suspended_at: datetime


@register
class SellerReinstated(Event):
    """A suspended seller is back in good standing."""

    type = "seller.reinstated"
    topic = "catalog.seller.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    reason: str
    reinstated_at: datetime


class ModerationReason(BaseModel):
    """A machine-readable reason a listing was held or rejected."""

    code: str = Field(examples=["prohibited_keyword"])
    field: str | None = Field(default=None, examples=["title"])
    detail: str


@register
class ProductSubmitted(Event):
    """A seller submitted a listing; automatic checks ran and sent it to `outcome`."""

    type = "product.submitted"
    topic = "catalog.product.v1"
    key_field = "product_id"

    product_id: UUID
    seller_id: UUID
    outcome: Literal["auto_approved", "auto_rejected", "review_queue"]
    reasons: list[ModerationReason] = Field(default_factory=list)
    submitted_at: datetime


class PublishedSku(BaseModel):
    sku_id: UUID
    code: str
    price_minor: int
    currency: str
    weight_grams: int | None = Field(default=None, description="Shipping quotes use it.")
    available: int | None = Field(
        default=None, description="Units available when the event was written (later changes "
                                  "arrive as inventory events); absent on older events.")


@register
class ProductPublished(Event):
    """A listing went live: buyers can find and buy it. Carries what other services need to
    sell it (prices, age restriction, commission-relevant ids), not its text."""

    type = "product.published"
    topic = "catalog.product.v1"
    key_field = "product_id"
    public = True

    product_id: UUID
    seller_id: UUID
    shop_id: UUID
    category_id: UUID
    age_restricted: bool
    market: str
    skus: list[PublishedSku]
    decided_by: str = Field(description="'auto' or the operator's subject.")
    published_at: datetime
    tax_class: Literal["standard", "reduced", "zero"] = Field(
        default="standard", description="Its category's VAT class (VAT markets).")
    cross_border: bool = Field(
        default=False, description="The seller ships from another country than `market`.")
    title: str | None = Field(
        default=None, max_length=200,
        description="The listing's title, for discovery's feed cards and keyword targeting "
                    "(optional only for events from before it was added).")


@register
class ProductRejected(Event):
    """A listing was rejected, automatically or by an operator, with reasons."""

    type = "product.rejected"
    topic = "catalog.product.v1"
    key_field = "product_id"
    public = True

    product_id: UUID
    seller_id: UUID
    reasons: list[ModerationReason]
    decided_by: str
    rejected_at: datetime


@register
class ProductUpdated(Event):
    """A live listing's prices changed (edits of its text go back through review instead)."""

    type = "product.updated"
    topic = "catalog.product.v1"
    key_field = "product_id"
    public = True

    product_id: UUID
    seller_id: UUID
    skus: list[PublishedSku]
    updated_at: datetime


@register
class ProductDeactivated(Event):
    """A listing left the shop: no longer visible or purchasable."""

    type = "product.deactivated"
    topic = "catalog.product.v1"
    key_field = "product_id"
    public = True

    product_id: UUID
    seller_id: UUID
    deactivated_at: datetime


class StockLevel(BaseModel):
    sku_id: UUID
    on_hand: int
    reserved: int
    available: int


@register
class InventoryAdjusted(Event):
    """A SKU's stock changed by a seller's adjustment or goods received into a warehouse."""

    type = "inventory.adjusted"
    topic = "catalog.inventory.v1"
    key_field = "sku_id"
    public = True

    sku_id: UUID
    seller_id: UUID
    delta: int
    reason: str
    level: StockLevel
    adjusted_at: datetime


class ReservedLine(BaseModel):
    sku_id: UUID
    quantity: int


@register
class InventoryReserved(Event):
    """All lines of an order were reserved, until `expires_at`. A flash deal's units are set
    aside the same way: `order_id` is then the deal's id."""

    type = "inventory.reserved"
    topic = "catalog.reservation.v1"
    key_field = "order_id"

    order_id: UUID
    reservation_id: UUID
    lines: list[ReservedLine]
    expires_at: datetime


class ShortLine(BaseModel):
    sku_id: UUID
    requested: int
    available: int
    reason: Literal["insufficient_stock", "not_purchasable", "unknown_sku"]


@register
class InventoryReservationFailed(Event):
    """Nothing was reserved for the order (all-or-nothing): these lines could not be. For a
    flash deal, `order_id` is the deal's id."""

    type = "inventory.reservation_failed"
    topic = "catalog.reservation.v1"
    key_field = "order_id"

    order_id: UUID
    short_lines: list[ShortLine]


@register
class InventoryReleased(Event):
    """An order's reservation ended without a sale; its units are available again."""

    type = "inventory.released"
    topic = "catalog.reservation.v1"
    key_field = "order_id"

    order_id: UUID
    reservation_id: UUID
    reason: Literal["order_cancelled", "payment_failed", "expired"]


@register
class InventoryCommitted(Event):
    """An order's reserved units left stock for good."""

    type = "inventory.committed"
    topic = "catalog.reservation.v1"
    key_field = "order_id"

    order_id: UUID
    reservation_id: UUID


@register
class InventorySoldOut(Event):
    """A SKU's last available unit was reserved or taken: nothing of it can be bought now.
    Published only when availability crosses zero, so feeds can hide what cannot be sold
    without hearing of every reservation."""

    type = "inventory.sold_out"
    topic = "catalog.inventory.v1"
    key_field = "sku_id"

    sku_id: UUID
    sold_out_at: datetime


@register
class InventoryBackInStock(Event):
    """A sold-out SKU has units available again (stock received, a reservation released)."""

    type = "inventory.back_in_stock"
    topic = "catalog.inventory.v1"
    key_field = "sku_id"

    sku_id: UUID
    available: int = Field(ge=1)
    back_at: datetime


@register
class InventoryLowStock(Event):
    """A SKU's available stock fell under the seller's threshold."""

    type = "inventory.low_stock"
    topic = "catalog.inventory.v1"
    key_field = "sku_id"
    public = True

    sku_id: UUID
    seller_id: UUID
    available: int
    threshold: int


@register
class ApiKeyIssued(Event):
    """A seller created an API key. Carries its look-up prefix and SHA-256 digest (never the key)
    so every service that serves sellers can accept it; not public."""

    type = "api_key.issued"
    topic = "catalog.seller.v1"
    key_field = "seller_id"

    seller_id: UUID
    shop_id: UUID
    key_id: UUID
    prefix: str = Field(min_length=12, max_length=12)
    digest: str = Field(min_length=64, max_length=64)
    issued_at: datetime


@register
class ApiKeyRevoked(Event):
    """A seller revoked an API key: no service accepts it any more."""

    type = "api_key.revoked"
    topic = "catalog.seller.v1"
    key_field = "seller_id"

    seller_id: UUID
    key_id: UUID
    revoked_at: datetime
