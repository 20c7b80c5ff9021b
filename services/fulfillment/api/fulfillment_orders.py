"""Fulfillment orders as their buyer, seller and operators see them: parcels, promises and the
tracking history; and a self-shipping seller's hand-over of parcels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_UNITS
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, id_cursor, page_of, page_params
from services.fulfillment.adapters import parcels_repository as parcels
from services.fulfillment.adapters import returns_repository
from services.fulfillment.use_cases import shipping

router = APIRouter(prefix="/v1/fulfillment-orders", tags=["fulfillment orders"])


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: UUID
    quantity: int = Field(gt=0, le=MAX_UNITS)


class ParcelView(BaseModel):
    id: UUID
    origin: str
    warehouse_id: UUID | None
    status: str
    lines: list[Line]
    carrier: str | None
    service: str | None
    tracking_number: str | None
    weight_grams: int | None = None
    billable_grams: int | None = None
    size_tier: str | None = None

    @classmethod
    def of(cls, p: dict[str, Any]) -> ParcelView:
        return cls(**{**p, "lines": [Line(sku_id=k, quantity=v) for k, v in p["lines"].items()]})


class TrackingEvent(BaseModel):
    parcel_id: UUID | None
    return_id: UUID | None
    status: str
    note: str
    source: str
    at: datetime


class ReturnSummary(BaseModel):
    id: UUID
    status: str
    destination: str
    carrier: str
    tracking_number: str
    created_at: datetime


class FulfillmentOrderView(BaseModel):
    order_id: UUID
    seller_id: UUID
    method: str
    status: str
    zone: str
    speed: str
    ship_by: datetime
    deliver_by: datetime
    short: list[Line]
    parcels: list[ParcelView]
    returns: list[ReturnSummary]
    history: list[TrackingEvent]


class Summary(BaseModel):
    order_id: UUID
    seller_id: UUID
    method: str
    status: str
    ship_by: datetime
    deliver_by: datetime
    created_at: datetime


class SellerShipment(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"carrier": "Royal Mail", "tracking_number": "RM123456785GB"}]})
    carrier: str = Field(min_length=1, max_length=50)
    tracking_number: str = Field(min_length=1, max_length=40)
    lines: list[Line] | None = Field(default=None, max_length=200,
                                     description="Some of the items only; all when absent.")


@router.get("", response_model=Page[Summary],
            summary="Your fulfillment orders (operators: everyone's), by status.")
async def list_orders(request: Request,
                      principal: Annotated[Principal, Depends(require(Role.SELLER, Role.OPERATOR))],
                      page: Annotated[PageParams, Depends(page_params)],
                      status: str | None = None) -> Any:
    seller = None if principal.has(Role.OPERATOR) else acting_seller(principal)
    after = id_cursor(page.cursor)
    found = await parcels.orders_page(runtime(request).db, seller_id=seller, status=status,
                                      after=after, limit=page.limit + 1)
    return page_of([Summary(**o) for o in found], page.limit, lambda o: (o.order_id,))


@router.get("/{order_id}", response_model=FulfillmentOrderView,
            summary="An order's parcels, promises and tracking history (its buyer, its seller, "
                    "staff).")
async def get_order(request: Request, order_id: UUID,
                    principal: Annotated[Principal, Depends(require())]) -> Any:
    pool = runtime(request).db
    order = await parcels.get_order(pool, order_id)
    if order is None or not (principal.is_staff or principal.owns_seller(order["seller_id"])
                             or (principal.has(Role.BUYER)
                                 and principal.subject == order["buyer_id"])):
        raise Problem(404, "Not found", "No such order.")
    return FulfillmentOrderView(**{
        **order, "short": [Line(sku_id=k, quantity=v) for k, v in order["short"].items()],
        "parcels": [ParcelView.of(p) for p in await parcels.parcels_of(pool, order_id)],
        "returns": [ReturnSummary(**r)
                    for r in await returns_repository.of_order(pool, order_id)],
        "history": [TrackingEvent(**h) for h in await parcels.history(pool, order_id)]})


@router.post("/{order_id}/shipments", status_code=201, response_model=ParcelView,
             summary="You shipped the order (or some items) yourself: carrier and tracking.")
async def ship_myself(request: Request, order_id: UUID, body: SellerShipment,
                      principal: Annotated[Principal, Depends(require(Role.SELLER))],
                      idempotency_key: IdempotencyKey = None) -> Any:
    lines = {line.sku_id: line.quantity for line in body.lines} if body.lines else None
    settings = runtime(request).settings

    async def work(conn: Any) -> tuple[int, Any]:
        parcel = await shipping.seller_ships(
            conn, order_id=order_id, seller_id=acting_seller(principal), carrier=body.carrier,
            tracking_number=body.tracking_number, lines=lines, settings=settings)
        return 201, ParcelView.of(parcel).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST {request.url.path}",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)
