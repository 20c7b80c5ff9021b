"""Gift-token top-ups: the buyer pays through the payment provider, live credits the wallet
when it hears `wallet.topped_up`."""

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
from libs.idempotency import IdempotencyKey
from libs.rate_limit import RATE_LIMITED, RateLimiter, enforce
from services.orders.adapters.payment_simulator import PaymentSimulator
from services.orders.api.checkout import Payment
from services.orders.use_cases.top_ups import buy_tokens

router = APIRouter(prefix="/v1/wallet", tags=["gift tokens"])
MAX_TOKENS = 100_000


class TopUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"tokens": 500, "currency": "GBP", "payment": {"card_number": "4242424242424242"}}]})
    tokens: int = Field(ge=10, le=MAX_TOKENS)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment: Payment


class TopUpView(BaseModel):
    topup_id: UUID
    tokens: int
    amount_minor: int
    currency: str
    paid_at: datetime


@router.post("/top-ups", status_code=201, response_model=TopUpView,
             summary="Buy gift tokens; the wallet (on the live service) is credited shortly "
                     "after. Send an Idempotency-Key.",
             responses={402: {"description": "The payment was refused."}, **RATE_LIMITED})
async def top_up(request: Request, body: TopUpIn,
                 principal: Annotated[Principal, Depends(require(Role.BUYER))],
                 idempotency_key: IdempotencyKey = None,
                 ) -> Any:
    settings = runtime(request).settings
    await enforce(RateLimiter(runtime(request).redis), f"top-up:{principal.subject}",
                  settings.top_ups_per_hour, 3600, field="payment", what="top-ups")

    async def work(conn: Any) -> tuple[int, Any]:
        bought = await buy_tokens(conn, PaymentSimulator(runtime(request).db), settings,
                                  buyer_id=principal.subject, tokens=body.tokens,
                                  currency=body.currency, card_number=body.payment.card_number)
        return 201, TopUpView(**bought.__dict__).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/wallet/top-ups",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)
