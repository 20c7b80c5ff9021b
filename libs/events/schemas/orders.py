"""Events produced by the orders service (the contract catalog consumes; orders emits them from
issue 4 on)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.registry import register


class OrderLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)
    unit_price_minor: int = Field(ge=0)
    live_session_id: UUID | None = Field(
        default=None, description="The live session the buyer found it in (attribution).")
    deal_id: UUID | None = Field(
        default=None, description="A flash deal's line: catalog takes its units from the "
                                  "deal's set-aside stock.")
    claim_id: UUID | None = Field(default=None, description="The flash-deal claim it redeems.")
    video_id: UUID | None = Field(
        default=None, description="The shoppable video the buyer tapped it in (attribution).")
    creator_id: str | None = Field(
        default=None, description="The partner creator the line credits, from the platform's "
                                  "signed attribution token only.")
    tax_minor: int = Field(default=0, ge=0, description="The line's tax (inside its price in "
                                                        "VAT markets, added in the US).")
    tax_rate_bps: int = Field(default=0, ge=0)


@register
class OrderPlaced(Event):
    """A buyer checked out; one order per seller, awaiting stock."""

    type = "order.placed"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    buyer_id: str
    seller_id: UUID
    currency: str
    lines: list[OrderLine] = Field(min_length=1)
    reserve_for_seconds: int = Field(default=900, gt=0, le=86400,
                                     description="How long catalog holds the stock.")
    placed_at: datetime


@register
class OrderConfirmed(Event):
    """Payment was authorized: the order will ship."""

    type = "order.confirmed"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    seller_id: UUID | None = Field(
        default=None, description="The seller the order belongs to (always set by orders; "
                                  "optional only for events from before it was added).")
    confirmed_at: datetime


@register
class OrderCancelled(Event):
    """The order will not proceed; whatever it held is handed back."""

    type = "order.cancelled"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    seller_id: UUID | None = Field(
        default=None, description="The seller the order belongs to (always set by orders; "
                                  "optional only for events from before it was added).")
    reason: Literal["buyer_cancelled", "seller_cancelled", "payment_failed", "out_of_stock",
                    "reservation_timeout", "ship_by_missed", "deliver_by_missed", "other",
                    "delivery_failed"]
    restock: bool = Field(
        default=True, description="Catalog puts the order's committed units back on sale. "
                                  "False once they had shipped: whoever gets them back counts "
                                  "them (a warehouse tells catalog with stock.adjusted).")
    cancelled_at: datetime


@register
class PaymentAuthorized(Event):
    """The buyer's payment for an order was authorized (funds held, not yet captured)."""

    type = "payment.authorized"
    topic = "orders.payment.v1"
    key_field = "order_id"

    order_id: UUID
    payment_id: UUID
    amount_minor: int
    currency: str
    authorized_at: datetime


@register
class PaymentFailed(Event):
    """Authorization was refused or never answered; the order is cancelled."""

    type = "payment.failed"
    topic = "orders.payment.v1"
    key_field = "order_id"

    order_id: UUID
    reason: Literal["declined", "insufficient_funds", "timeout", "error"]
    failed_at: datetime


@register
class PaymentVoided(Event):
    """An authorization was released without capture (the order was cancelled)."""

    type = "payment.voided"
    topic = "orders.payment.v1"
    key_field = "order_id"

    order_id: UUID
    payment_id: UUID
    voided_at: datetime


@register
class OrderShipped(Event):
    """The order is on its way; its payment was captured."""

    type = "order.shipped"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    seller_id: UUID | None = Field(
        default=None, description="The seller the order belongs to (always set by orders; "
                                  "optional only for events from before it was added).")
    carrier: str
    tracking_number: str
    shipped_at: datetime


@register
class OrderDelivered(Event):
    """The buyer has the order; the return window runs from now."""

    type = "order.delivered"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    seller_id: UUID | None = Field(
        default=None, description="The seller the order belongs to (always set by orders; "
                                  "optional only for events from before it was added).")
    delivered_at: datetime
    return_window_ends_at: datetime


@register
class OrderCompleted(Event):
    """The return window closed: the sale is final."""

    type = "order.completed"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    seller_id: UUID | None = Field(
        default=None, description="The seller the order belongs to (always set by orders; "
                                  "optional only for events from before it was added).")
    completed_at: datetime


@register
class PaymentCaptured(Event):
    """The authorized funds were taken (at shipment)."""

    type = "payment.captured"
    topic = "orders.payment.v1"
    key_field = "order_id"

    order_id: UUID
    payment_id: UUID
    amount_minor: int
    captured_at: datetime


@register
class PaymentRefunded(Event):
    """Money went back to the buyer, in full or in part."""

    type = "payment.refunded"
    topic = "orders.payment.v1"
    key_field = "order_id"

    order_id: UUID
    payment_id: UUID
    refund_id: UUID
    amount_minor: int
    tax_minor: int = Field(default=0, ge=0, description="The tax inside `amount_minor`, "
                                                        "reversed with it.")
    reason: str
    refunded_at: datetime


@register
class CommissionAccrued(Event):
    """A creator earned commission on an attributed order line (not yet payable)."""

    type = "commission.accrued"
    topic = "orders.commission.v1"
    key_field = "order_id"

    order_id: UUID
    creator_id: str
    seller_id: UUID
    sku_id: UUID
    amount_minor: int
    currency: str


@register
class CommissionReversed(Event):
    """Commission taken back because the sale was cancelled or refunded."""

    type = "commission.reversed"
    topic = "orders.commission.v1"
    key_field = "order_id"

    order_id: UUID
    creator_id: str
    amount_minor: int
    currency: str
    reason: str


@register
class CommissionPayable(Event):
    """The return window closed: the creator may be paid this commission."""

    type = "commission.payable"
    topic = "orders.commission.v1"
    key_field = "order_id"

    order_id: UUID
    creator_id: str
    amount_minor: int
    currency: str


@register
class WalletToppedUp(Event):
    """A buyer paid for gift tokens; live credits the buyer's wallet."""

    type = "wallet.topped_up"
    topic = "orders.wallet.v1"
    key_field = "topup_id"

    topup_id: UUID
    buyer_id: str
    tokens: int = Field(gt=0)
    amount_minor: int = Field(gt=0)
    currency: str
    paid_at: datetime


class ShipTo(BaseModel):
    """Where the order goes. Personal data: only fulfillment receives it (the event is not
    public), because it prints the label."""

    name: str = Field(max_length=200)
    line1: str = Field(max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(max_length=100)
    postcode: str = Field(max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class LineToFulfil(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)


@register
class OrderFulfillmentRequested(Event):
    """A confirmed order is handed to fulfillment: what to send, to whom, how fast. Sent in the
    transaction that confirms the order; not public (it carries the buyer's address)."""

    type = "order.fulfillment_requested"
    topic = "orders.order.v1"
    key_field = "order_id"

    order_id: UUID
    seller_id: UUID
    buyer_id: str
    market: str
    lines: list[LineToFulfil] = Field(min_length=1)
    ship_to: ShipTo
    zone: str
    speed: Literal["standard", "express"] = "standard"
    requested_at: datetime


@register
class ReturnAuthorized(Event):
    """The buyer may send these lines back; fulfillment issues the label and receives them."""

    type = "return.authorized"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    return_id: UUID
    seller_id: UUID
    buyer_id: str
    lines: list[LineToFulfil] = Field(min_length=1)
    reason: str = Field(max_length=500)
    authorized_at: datetime


@register
class BuyerRedactionRequested(Event):
    """A buyer asked to be erased: the seller's systems must erase the personal data they keep
    about these orders (their address, name, messages). The buyer's id is not sent: the orders
    name what to erase, and `pseudonym` is what the platform calls the buyer from now on."""

    type = "buyer.redaction_requested"
    topic = "orders.redaction.v1"
    key_field = "seller_id"
    public = True

    seller_id: UUID
    request_id: UUID
    pseudonym: str
    order_ids: list[UUID] = Field(min_length=1, max_length=10_000)
    requested_at: datetime
