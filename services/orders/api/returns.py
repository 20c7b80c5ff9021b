"""A buyer's return request for a delivered order, within its return window."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_UNITS
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.request_guard import NOT_BLANK
from services.orders.use_cases.returns import request_return

router = APIRouter(tags=["returns"])


class ReturnLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: UUID
    quantity: int = Field(gt=0, le=MAX_UNITS)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "lines": [{"sku_id": "0195f0e4-6a3c-7cc2-9a7e-0d1c2b3a4f5e", "quantity": 1}],
        "reason": "Too small"}]})
    lines: list[ReturnLine] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500, pattern=NOT_BLANK)


class ReturnView(BaseModel):
    id: UUID = Field(description="Read the label at fulfillment's GET /v1/returns/{id}.")
    order_id: UUID
    status: str
    reason: str
    lines: list[ReturnLine]
    authorized_at: datetime


@router.post("/v1/orders/{order_id}/returns", status_code=201, response_model=ReturnView,
             summary="Ask to send items back (its buyer, within the return window); "
                     "authorised at once, refunded for what the warehouse accepts.")
async def ask_return(request: Request, order_id: UUID, body: ReturnIn,
                     principal: Annotated[Principal, Depends(require(Role.BUYER))],
                     idempotency_key: IdempotencyKey = None) -> Any:
    lines = [(line.sku_id, line.quantity) for line in body.lines]

    async def work(conn: Any) -> tuple[int, Any]:
        created = await request_return(conn, order_id=order_id, buyer_id=principal.subject,
                                       lines=lines, reason=body.reason)
        return 201, ReturnView(**created).model_dump(mode="json")

    try:
        return await idempotency.run_idempotent(
            runtime(request).db, scope=f"{principal.subject}:POST {request.url.path}",
            key=idempotency_key, body=body.model_dump(mode="json"), work=work)
    except LookupError:
        raise Problem(404, "Not found", "No such order.") from None
