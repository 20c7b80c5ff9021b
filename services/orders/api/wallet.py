"""Gift-token top-ups: the buyer pays through the payment provider, live credits the wallet
when it hears `wallet.topped_up`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.idempotency import IdempotencyKey
from libs.rate_limit import RATE_LIMITED, RateLimiter, enforce
from services.orders.adapters.payment_simulator import PaymentSimulator
from services.orders.api.checkout import Payment
from services.orders.use_cases.top_ups import TopUpRequest, buy_tokens

router = APIRouter(prefix="/v1/wallet", tags=["gift tokens"])
MAX_TOKENS = 100_000


class TopUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"tokens": 500, "currency": "GBP", "payment": {"method": "pm_card_visa"}}]})
    tokens: int = Field(ge=10, le=MAX_TOKENS)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment: Payment


class TopUpView(BaseModel):
    topup_id: UUID
    status: Literal["succeeded", "pending"] = Field(
        description="pending (202) while the provider has not answered; it is settled "
                    "shortly, and the wallet credited if it was paid.")
    tokens: int
    amount_minor: int
    currency: str
    paid_at: datetime | None


@router.post("/top-ups", status_code=201, response_model=TopUpView,
             summary="Buy gift tokens; the wallet (on the live service) is credited shortly "
                     "after. Send an Idempotency-Key.",
             responses={402: {"description": "The payment was refused."},
                        202: {"description": "The provider has not answered yet.",
                              "model": TopUpView}, **RATE_LIMITED})
async def top_up(request: Request, body: TopUpIn,
                 principal: Annotated[Principal, Depends(require(Role.BUYER))],
                 idempotency_key: IdempotencyKey = None,
                 ) -> Any:
    settings, pool = runtime(request).settings, runtime(request).db
    await enforce(RateLimiter(runtime(request).redis), f"top-up:{principal.subject}",
                  settings.top_ups_per_hour, 3600, field="payment", what="top-ups")
    bought = await buy_tokens(pool, PaymentSimulator(pool), settings, TopUpRequest(
        buyer_id=principal.subject, tokens=body.tokens, currency=body.currency,
        payment_method=body.payment.method, idempotency_key=idempotency_key,
        birthdate=principal.birthdate))
    return JSONResponse(TopUpView(**bought.__dict__).model_dump(mode="json"),
                        status_code=201 if bought.status == "succeeded" else 202)
