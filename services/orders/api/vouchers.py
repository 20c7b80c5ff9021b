"""Vouchers: operators create platform vouchers, sellers their shop's."""

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
from libs.bounds import MAX_MINOR
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.rate_limit import RATE_LIMITED, RateLimiter, enforce
from services.orders.adapters import vouchers_repository
from services.orders.domain.vouchers import VoucherKind
from services.orders.use_cases.vouchers import create_voucher

router = APIRouter(prefix="/v1/vouchers", tags=["vouchers"])



class VoucherIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        # a percentage is at most 10000 basis points
        "if": {"properties": {"kind": {"const": "percent"}}, "required": ["kind"]},
        "then": {"properties": {"value": {"maximum": 10_000}}},
        "examples": [{
        "code": "SPRING10", "kind": "percent", "value": 1000, "currency": "GBP",
        "min_spend_minor": 2000, "max_discount_minor": 1500,
        "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-31T23:59:59Z",
        "total_limit": 5000, "per_buyer_limit": 1}]})
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{3,32}$")
    kind: VoucherKind
    value: int = Field(gt=0, le=MAX_MINOR,
                       description="Minor units off (fixed) or basis points (percent, at most "
                                   "10000).")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    min_spend_minor: int = Field(default=0, ge=0, le=MAX_MINOR)
    max_discount_minor: int | None = Field(default=None, gt=0, le=MAX_MINOR)
    starts_at: datetime
    ends_at: datetime
    total_limit: int | None = Field(default=None, gt=0, le=1_000_000_000)
    per_buyer_limit: int | None = Field(default=None, gt=0, le=1_000_000)


class VoucherView(VoucherIn):
    seller_id: UUID | None
    used_count: int


@router.post("", status_code=201, response_model=VoucherView,
             openapi_extra={"x-cross-field-rules": ["ends_at is after starts_at"]},
             summary="Create a voucher: platform-wide (operators) or for the seller's shop.")
async def create(request: Request, body: VoucherIn,
                 principal: Annotated[Principal, Depends(require(Role.OPERATOR, Role.SELLER))],
                 idempotency_key: IdempotencyKey = None) -> Any:
    seller_id = None if principal.has(Role.OPERATOR) else acting_seller(principal)

    async def work(conn: Any) -> tuple[int, Any]:
        voucher = await create_voucher(conn, seller_id=seller_id, created_by=principal.subject,
                                       **body.model_dump())
        return 201, VoucherView(**{**body.model_dump(), "code": voucher.code},
                                seller_id=seller_id, used_count=0).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/vouchers",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)


@router.get("/{code}", response_model=VoucherView, responses=RATE_LIMITED,
            summary="A voucher's terms and usage (its seller, or operators; a buyer only "
                    "applies a code at checkout).")
async def get(request: Request, code: str,
              principal: Annotated[Principal, Depends(require(Role.SELLER, Role.OPERATOR))],
              ) -> Any:
    rt = request.app.state.runtime
    pool = rt.db
    await enforce(RateLimiter(rt.redis), f"voucher:{principal.subject}",
                  rt.settings.voucher_lookups_per_minute, 60, field="code",
                  what="voucher lookups")
    voucher = await vouchers_repository.get(pool, code.upper())
    if voucher is None or not (principal.has(Role.OPERATOR)
                               or (voucher.seller_id is not None
                                   and principal.owns_seller(voucher.seller_id))):
        raise Problem(404, "Not found", "No such voucher.")
    return VoucherView(code=voucher.code, kind=voucher.kind, value=voucher.value,
                       currency=voucher.currency, min_spend_minor=voucher.min_spend_minor,
                       max_discount_minor=voucher.max_discount_minor,
                       starts_at=voucher.starts_at, ends_at=voucher.ends_at,
                       total_limit=voucher.total_limit, per_buyer_limit=voucher.per_buyer_limit,
                       seller_id=voucher.seller_id,
                       used_count=await vouchers_repository.usage(pool, voucher.code))
