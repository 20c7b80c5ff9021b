"""Stock per SKU, read and adjusted by the seller who owns it."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_UNITS
from libs.db.transaction import transaction
from libs.errors import Problem
from services.catalog.adapters import stock_repository
from services.catalog.domain.stock import StockLevel
from services.catalog.use_cases import inventory

router = APIRouter(prefix="/v1/skus/{sku_id}/stock", tags=["stock"])


class StockView(BaseModel):
    sku_id: UUID
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    version: int = Field(description="Send back as expected_version to adjust safely.")

    @classmethod
    def of(cls, level: StockLevel) -> StockView:
        return cls(sku_id=level.sku_id, on_hand=level.on_hand, reserved=level.reserved,
                   available=level.available, low_stock_threshold=level.low_stock_threshold,
                   version=level.version)


class Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "not": {"required": ["delta", "set_to"]},
        "examples": [
            {"delta": -2, "reason": "two damaged in the stockroom", "expected_version": 7},
            {"set_to": 40, "reason": "stock count", "low_stock_threshold": 5}]})
    delta: int | None = Field(default=None, ge=-MAX_UNITS, le=MAX_UNITS,
                              description="Units to add (negative: remove). Not with set_to.")
    set_to: int | None = Field(default=None, ge=0, le=MAX_UNITS,
                               description="Units on hand after a count. Not with delta.")
    reason: str = Field(min_length=1, max_length=500)
    low_stock_threshold: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    expected_version: int | None = Field(
        default=None, ge=0, le=2**31 - 1,
        description="Refuse (409) if the stock changed since this version.")

    @model_validator(mode="after")
    def one_change(self) -> Adjustment:
        if self.delta is not None and self.set_to is not None:
            raise ValueError("give delta or set_to, not both")
        return self


async def _owned(conn: Any, sku_id: UUID, principal: Principal, *,
                 for_update: bool = False) -> StockLevel:
    found = await stock_repository.get(conn, sku_id, for_update=for_update)
    if found is None or found[1] != acting_seller(principal):
        raise Problem(404, "Not found", "No such SKU.")
    return found[0]


@router.get("", response_model=StockView, summary="A SKU's stock (its seller only).")
async def get_stock(request: Request, sku_id: UUID,
                    principal: Annotated[Principal, Depends(require(Role.SELLER))]) -> StockView:
    return StockView.of(await _owned(runtime(request).db, sku_id, principal))


@router.post("/adjustments", response_model=StockView,
             summary="Adjust units on hand by a delta or to a count, with a reason.")
async def adjust_stock(
    request: Request, sku_id: UUID, body: Adjustment,
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
) -> StockView:
    async with transaction(runtime(request).db) as conn:
        level = await _owned(conn, sku_id, principal, for_update=True)
        if body.expected_version is not None and body.expected_version != level.version:
            raise Problem(409, "Conflict", "The stock changed since you read it.",
                          current_version=level.version)
        adjusted = level
        if body.delta is not None or body.set_to is not None:
            adjusted = level.adjusted(delta=body.delta, set_to=body.set_to)
        if body.low_stock_threshold is not None:
            from dataclasses import replace

            adjusted = replace(adjusted, low_stock_threshold=body.low_stock_threshold,
                               version=level.version + 1)
        await inventory.adjust(conn, level, adjusted, seller_id=acting_seller(principal),
                               reason=body.reason, actor=principal.subject)
    return StockView.of(adjusted)
