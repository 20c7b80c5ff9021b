"""Commission rates (sellers), earnings (creators) and what sellers owe, from the ledger."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.api import acting_seller
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from services.orders.adapters import repository
from services.orders.domain.ad_spend import seller_ad_spend
from services.orders.domain.commissions import (
    MAX_RATE_BPS,
    creator_payable,
    creator_pending,
    seller_owes,
)

router = APIRouter(tags=["commissions"])


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"rate_bps": 1200}]})
    rate_bps: int = Field(ge=0, le=MAX_RATE_BPS, description="Basis points: 1200 = 12 %.")


class Balance(BaseModel):
    account: str
    currency: str
    balance_minor: int


class CommissionLine(BaseModel):
    order_id: UUID
    sku_id: UUID
    creator_id: str
    seller_id: UUID
    amount_minor: int
    currency: str
    status: str


class Statement(BaseModel):
    balances: list[Balance]
    lines: list[CommissionLine]


@router.put("/v1/products/{product_id}/commission-rate", response_model=RateIn,
            summary="Set the creator commission rate on one of the seller's products.")
async def set_rate(request: Request, product_id: UUID, body: RateIn,
                   principal: Annotated[Principal, Depends(require(Role.SELLER))]) -> Any:
    pool = request.app.state.runtime.db
    owner = await repository.product_seller(pool, product_id)
    if owner is None or principal.seller_id is None or str(owner) != principal.seller_id:
        raise Problem(404, "Not found", "No such live product of yours.")
    await repository.set_commission_rate(pool, product_id, owner, body.rate_bps)
    return body


def _statement(balances: list[Any], lines: list[Any]) -> Statement:
    return Statement(
        balances=[Balance(account=b["account"], currency=b["currency"].strip(),
                          balance_minor=b["balance"]) for b in balances],
        lines=[CommissionLine(**{**dict(r), "currency": r["currency"].strip()}) for r in lines])


@router.get("/v1/creator/commissions", response_model=Statement,
            summary="The calling creator's commissions: pending and payable.")
async def creator_statement(request: Request,
                            principal: Annotated[Principal, Depends(require(Role.CREATOR))]) -> Any:
    if principal.creator_id is None:
        raise Problem(403, "Forbidden", "The credentials name no creator.")
    pool = request.app.state.runtime.db
    creator = principal.creator_id
    return _statement(await repository.balances(pool, [creator_pending(creator),
                                                       creator_payable(creator)]),
                      await repository.commission_lines(pool, creator_id=creator))


@router.get("/v1/seller/commissions", response_model=Statement,
            summary="What the calling seller owes creators, and its sponsored clicks' spend.")
async def seller_statement(request: Request,
                           principal: Annotated[Principal, Depends(require(Role.SELLER))]) -> Any:
    pool = request.app.state.runtime.db
    seller = acting_seller(principal)
    return _statement(await repository.balances(pool, [seller_owes(seller),
                                                       seller_ad_spend(seller)]),
                      await repository.commission_lines(pool, seller_id=seller))
