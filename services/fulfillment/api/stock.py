"""Warehouse stock per SKU (the seller's own; operators: anyone's), its ledger, operators'
corrections, and the FBT fees a seller was charged in a month."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_UNITS
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.pagination import Page, PageParams, decode_cursor, page_of, page_params
from libs.request_guard import NOT_BLANK
from services.fulfillment.adapters import parcels_repository, stock_repository
from services.fulfillment.use_cases import stock
from services.fulfillment.use_cases.stock import Reason

router = APIRouter(tags=["warehouse stock"])
SellerOrOperator = Annotated[Principal, Depends(require(Role.SELLER, Role.OPERATOR))]


class Balance(BaseModel):
    warehouse_id: UUID
    sku_id: UUID
    seller_id: UUID
    fulfillable: int
    reserved: int
    inbound: int
    unfulfillable: int


class Movement(BaseModel):
    id: int
    warehouse_id: UUID
    kind: str
    d_fulfillable: int
    d_reserved: int
    d_inbound: int
    d_unfulfillable: int
    reference: str
    at: datetime


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse_id: UUID
    sku_id: UUID
    delta: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
    reason: Reason
    unfulfillable: bool = Field(default=False, description="Adjust the damaged units instead.")
    note: str = Field(default="", max_length=500, pattern=NOT_BLANK + "|^$")


class Fee(BaseModel):
    parcel_id: UUID
    order_id: UUID
    size_tier: str
    units: int
    fee_per_unit_minor: int
    amount_minor: int
    currency: str
    charged_at: datetime


class Statement(BaseModel):
    month: str
    fees: list[Fee]
    total_minor: dict[str, int] = Field(description="Per currency.")


def _seller_scope(principal: Principal, seller_id: UUID | None) -> UUID | None:
    return seller_id if principal.has(Role.OPERATOR) else acting_seller(principal)


@router.get("/v1/warehouse-stock", response_model=Page[Balance],
            summary="Stock per warehouse and SKU: fulfillable, reserved, inbound, unfulfillable.")
async def balances(request: Request, principal: SellerOrOperator,
                   page: Annotated[PageParams, Depends(page_params)],
                   sku_id: UUID | None = None, seller_id: UUID | None = None) -> Any:
    after = None
    if page.cursor:
        sku, warehouse = decode_cursor(page.cursor, 2)
        after = (UUID(str(sku)), UUID(str(warehouse)))
    found = await stock_repository.balances(
        runtime(request).db, seller_id=_seller_scope(principal, seller_id), sku_id=sku_id,
        after=after, limit=page.limit + 1)
    return page_of([Balance(**b) for b in found], page.limit,
                   lambda b: (b.sku_id, b.warehouse_id))


@router.get("/v1/warehouse-stock/{sku_id}/ledger", response_model=Page[Movement],
            summary="Every movement of a SKU's warehouse stock; they sum to the balances.")
async def ledger(request: Request, sku_id: UUID, principal: SellerOrOperator,
                 page: Annotated[PageParams, Depends(page_params)]) -> Any:
    pool = runtime(request).db
    owner = await stock_repository.owner_of(pool, sku_id)
    if owner is None or not (principal.has(Role.OPERATOR) or principal.owns_seller(owner)):
        raise Problem(404, "Not found", "No warehouse stock of such a SKU.")
    after = int(decode_cursor(page.cursor, 1)[0]) if page.cursor else None
    found = await stock_repository.ledger(pool, sku_id, after, page.limit + 1)
    return page_of([Movement(**m) for m in found], page.limit, lambda m: (m.id,))


@router.post("/v1/warehouse-stock/adjustments", status_code=204,
             summary="Correct a count, record units found or write units off (operators).")
async def adjust(request: Request, body: AdjustmentIn,
                 principal: Annotated[Principal, Depends(require(Role.OPERATOR))]) -> None:
    async with transaction(runtime(request).db) as conn:
        await stock.adjust(conn, warehouse_id=body.warehouse_id, sku_id=body.sku_id,
                           delta=body.delta, reason=body.reason,
                           from_unfulfillable=body.unfulfillable, actor=principal.subject)


@router.get("/v1/fbt-fees", response_model=Statement, tags=["fees"],
            summary="Your FBT fees of a month, per parcel packed (operators: one seller's, or "
                    "everyone's).")
async def fees(request: Request, principal: SellerOrOperator,
               month: Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")],
               seller_id: UUID | None = None) -> Any:
    seller = _seller_scope(principal, seller_id)
    found = [Fee(**f) for f in await parcels_repository.fees(runtime(request).db, seller, month)]
    totals: dict[str, int] = {}
    for fee in found:
        totals[fee.currency] = totals.get(fee.currency, 0) + fee.amount_minor
    return Statement(month=month, fees=found, total_minor=totals)
