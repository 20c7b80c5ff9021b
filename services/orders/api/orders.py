"""Orders as buyers and sellers read them; the buyer's free cancellation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from libs.api import acting_seller
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.pagination import Page, PageParams, encode_cursor, page_params, time_cursor
from services.orders.adapters import repository
from services.orders.domain.order import OrderStatus
from services.orders.use_cases.saga import cancel

router = APIRouter(tags=["orders"])


class OrderSummary(BaseModel):
    id: UUID
    seller_id: UUID
    status: OrderStatus
    currency: str
    total_minor: int
    created_at: datetime


class TimelineEntry(BaseModel):
    status: str
    note: str | None
    at: datetime


class OrderDetail(BaseModel):
    id: UUID
    checkout_id: UUID
    buyer_id: str
    seller_id: UUID
    status: OrderStatus
    cancel_reason: str | None
    currency: str
    subtotal_minor: int
    discount_minor: int
    shipping_minor: int
    total_minor: int
    card_last4: str | None
    carrier: str | None = None
    tracking_number: str | None = None
    shipping_address: dict[str, Any]
    market: str | None = None
    zone: str | None = Field(default=None, description="The delivery zone of the address.")
    shipping_speed: str = "standard"
    tax_minor: int = Field(default=0, description="All the order's tax: inside the prices "
                                                  "(VAT, GST) or added to them (US).")
    tax_added_minor: int = Field(default=0, description="The tax paid on top of the prices, "
                                                        "in `total_minor` (US sales tax).")
    tax_kind: Literal["vat", "sales_tax"] | None = None
    tax_collected_by: Literal["platform", "seller"] | None = Field(
        default=None, description="Who collects and remits the tax: the platform as a "
                                  "marketplace facilitator (US) or deemed supplier (UK and "
                                  "EU sales by sellers from abroad), else the seller.")
    tax_region: str | None = Field(default=None, description="The US state taxed.")
    shipping_quote: dict[str, Any] | None = Field(
        default=None, description="The quote the buyer paid: rate card version, zone band, "
                                  "speed, billable weight, price.")
    lines: list[dict[str, Any]]
    timeline: list[TimelineEntry]
    created_at: datetime
    pay_by: datetime | None = Field(
        default=None, description="Cancelled unless paid by then.")
    ship_by: datetime | None = Field(
        default=None, description="Cancelled and refunded unless shipped by then.")
    deliver_by: datetime | None = Field(
        default=None, description="Cancelled and refunded unless delivered by then.")
    return_window_ends_at: datetime | None = Field(
        default=None, description="Returns are accepted until then; then the sale is final.")


def _page(rows: list[Any], limit: int) -> Page[OrderSummary]:
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (encode_cursor(rows[-1]["created_at"].isoformat(), str(rows[-1]["id"]))
              if more else None)
    return Page[OrderSummary](items=[OrderSummary(**{**dict(r), "currency": r["currency"].strip()})
                                     for r in rows], next_cursor=cursor)


@router.get("/v1/orders", response_model=Page[OrderSummary], summary="The buyer's orders.")
async def my_orders(request: Request, principal: Annotated[Principal, Depends(require(Role.BUYER))],
                    page: Annotated[PageParams, Depends(page_params)],
                    status: Annotated[OrderStatus | None, Query()] = None) -> Any:
    rows = await repository.list_orders(
        request.app.state.runtime.db, buyer_id=principal.subject,
        status=status.value if status else None, after=time_cursor(page.cursor),
        limit=page.limit + 1)
    return _page(rows, page.limit)


@router.get("/v1/seller/orders", response_model=Page[OrderSummary],
            summary="The calling seller's orders, newest first; filter by status and date.")
async def seller_orders(request: Request,
                        principal: Annotated[Principal, Depends(require(Role.SELLER))],
                        page: Annotated[PageParams, Depends(page_params)],
                        status: Annotated[OrderStatus | None, Query()] = None,
                        placed_from: Annotated[datetime | None, Query(
                            description="Orders placed at or after this moment.")] = None,
                        placed_before: Annotated[datetime | None, Query(
                            description="Orders placed before this moment (a range that "
                                        "ends before it starts holds nothing).")] = None) -> Any:
    seller_id = acting_seller(principal)
    for name, moment in (("placed_from", placed_from), ("placed_before", placed_before)):
        if moment is not None and moment.tzinfo is None:
            raise Problem(422, "Validation failed", f"{name} needs a time zone offset.", errors=[
                {"field": f"query.{name}", "message": "time zone missing", "code": "naive_time"}])
    rows = await repository.list_orders(
        request.app.state.runtime.db, seller_id=seller_id,
        status=status.value if status else None, placed_from=placed_from,
        placed_before=placed_before, after=time_cursor(page.cursor), limit=page.limit + 1)
    return _page(rows, page.limit)


@router.get("/v1/orders/{order_id}", response_model=OrderDetail,
            summary="An order with its timeline (its buyer, its seller, or support staff).")
async def order_detail(request: Request, order_id: UUID,
                       principal: Annotated[Principal, Depends(require())]) -> Any:
    detail = await repository.order_detail(request.app.state.runtime.db, order_id)
    if detail is None or not (
        principal.is_staff or detail["buyer_id"] == principal.subject
        or (principal.seller_id is not None and str(detail["seller_id"]) == principal.seller_id)
    ):
        raise Problem(404, "Not found", "No such order.")
    return detail


@router.post("/v1/orders/{order_id}/cancellation", response_model=OrderDetail,
             summary="Cancel before shipping: free during the hold window after payment.")
async def cancel_order(request: Request, order_id: UUID,
                       principal: Annotated[Principal, Depends(require(Role.BUYER))]) -> Any:
    pool = request.app.state.runtime.db
    async with transaction(pool) as conn:
        order = await repository.get_order(conn, order_id, for_update=True)
        if order is None or order.buyer_id != principal.subject:
            raise Problem(404, "Not found", "No such order.")
        if not order.buyer_may_cancel:
            raise Problem(409, "Conflict", f"An order {order.status.value} can no longer be "
                          "cancelled by the buyer.", current_status=order.status.value)
        await cancel(conn, order, "buyer_cancelled", "cancelled by the buyer")
    return await repository.order_detail(pool, order_id)


class SellerCancellation(BaseModel):
    reason: str = Field(min_length=1, max_length=500, examples=["Damaged in our stockroom."])


@router.post("/v1/seller/orders/{order_id}/cancellation", response_model=OrderDetail,
             summary="The seller cancels an order that has not shipped, with a reason.")
async def seller_cancel(request: Request, order_id: UUID, body: SellerCancellation,
                        principal: Annotated[Principal, Depends(require(Role.SELLER))]) -> Any:
    pool = request.app.state.runtime.db
    async with transaction(pool) as conn:
        order = await repository.get_order(conn, order_id, for_update=True)
        if order is None or principal.seller_id is None or \
                str(order.seller_id) != principal.seller_id:
            raise Problem(404, "Not found", "No such order.")
        if not order.seller_may_cancel:
            raise Problem(409, "Conflict", f"An order {order.status.value} has shipped.",
                          current_status=order.status.value)
        await cancel(conn, order, "seller_cancelled", f"cancelled by the seller: {body.reason}")
    return await repository.order_detail(pool, order_id)
