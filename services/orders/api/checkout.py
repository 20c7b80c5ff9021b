"""Checkout: the cart becomes one order per seller, each starting its saga."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.rate_limit import RATE_LIMITED, RateLimiter, enforce
from services.orders.adapters.payment_simulator import PaymentSimulator
from services.orders.api.admission import BUSY
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.payments import PAYMENT_METHOD_PATTERN
from services.orders.use_cases.checkout import Checkout, PricesChanged, place_orders, reprice_cart

router = APIRouter(tags=["checkout"])


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postcode: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    region: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$",
        description="The state (US: required, its sales tax is added at checkout).")


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(pattern=PAYMENT_METHOD_PATTERN, examples=["pm_card_visa"],
                        description="A payment-method token from the payment provider (the "
                                    "buyer's app gives the card to the provider, never to "
                                    "the platform). The simulator's test methods: "
                                    "pm_card_visa, pm_card_declined, "
                                    "pm_card_insufficient_funds, pm_card_timeout, "
                                    "pm_card_slow.")


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "shipping_address": {"name": "Ada Lovelace", "line1": "12 St James's Square",
                             "city": "London", "postcode": "SW1Y 4JH", "country": "GB"},
        "payment": {"method": "pm_card_visa"}}]})
    shipping_address: Address
    payment: Payment
    voucher_codes: list[str] = Field(default_factory=list, max_length=5,
                                     description="At most one platform voucher and one per seller.")
    shipping_speed: Literal["standard", "express"] = Field(
        default="standard", description="Quoted per seller from the market's rate card.")


class PlacedOrder(BaseModel):
    id: UUID
    seller_id: UUID
    status: OrderStatus
    currency: str
    subtotal_minor: int
    discount_minor: int
    shipping_minor: int
    total_minor: int

    @classmethod
    def of(cls, order: Order) -> PlacedOrder:
        return cls(id=order.id, seller_id=order.seller_id, status=order.status,
                   currency=order.currency, subtotal_minor=order.subtotal_minor,
                   discount_minor=order.discount_minor, shipping_minor=order.shipping_minor,
                   total_minor=order.total_minor)


class CheckoutResult(BaseModel):
    checkout_id: UUID
    orders: list[PlacedOrder]


def _command(body: CheckoutIn, principal: Principal) -> Checkout:
    return Checkout(buyer_id=principal.subject, birthdate=principal.birthdate,
                    shipping_address=body.shipping_address.model_dump(),
                    payment_method=body.payment.method, voucher_codes=body.voucher_codes,
                    shipping_speed=body.shipping_speed)


@router.post("/v1/checkout", status_code=201, response_model=CheckoutResult,
             summary="Check out the cart: one order per seller. Send an Idempotency-Key.",
             responses={409: {"description": "Prices changed; the cart now shows the new ones."},
                        403: {"description": "An age rule refuses the purchase."},
                        **BUSY, **RATE_LIMITED})
async def checkout(
    request: Request, body: CheckoutIn,
    principal: Annotated[Principal, Depends(require(Role.BUYER))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    command = _command(body, principal)
    pool, settings = runtime(request).db, runtime(request).settings
    await enforce(RateLimiter(runtime(request).redis), f"checkout:{principal.subject}",
                  settings.checkouts_per_minute, 60, field="payment", what="checkouts")

    async def work(conn: Any) -> tuple[int, Any]:
        checkout_id, orders = await place_orders(conn, command, settings, PaymentSimulator(pool))
        return 201, CheckoutResult(checkout_id=checkout_id, orders=[
            PlacedOrder.of(order) for order in orders]).model_dump(mode="json")

    try:
        return await idempotency.run_idempotent(
            pool, scope=f"{principal.subject}:POST /v1/checkout", key=idempotency_key,
            body=body.model_dump(mode="json"), work=work)
    except PricesChanged as changed:
        await reprice_cart(pool, principal.subject, changed)
        raise Problem(409, "Prices changed", "Some prices changed since they were added to the "
                      "cart; review and check out again.",
                      changes=[{"sku_id": str(c.sku_id), "was_minor": c.was_minor,
                                "now_minor": c.now_minor} for c in changed.changes]) from None
