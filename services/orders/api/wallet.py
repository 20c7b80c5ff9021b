"""Gift-token top-ups: the buyer pays through the payment provider, live credits the wallet
when it hears `wallet.topped_up`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.events.schemas.orders import WalletToppedUp
from libs.ids import new_id
from libs.outbox import enqueue
from services.orders.adapters.payment_simulator import PaymentSimulator
from services.orders.api.checkout import Payment
from services.orders.domain.payments import AuthorizationOutcome, ProviderTimeout

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
             responses={402: {"description": "The payment was refused."}})
async def top_up(request: Request, body: TopUpIn,
                 principal: Annotated[Principal, Depends(require(Role.BUYER))],
                 idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
                 ) -> Any:
    runtime = request.app.state.runtime
    settings = runtime.settings
    unit = settings.token_price_minor.get(body.currency)
    if unit is None:
        raise Problem(422, "Validation failed", f"Tokens are not sold in {body.currency}.",
                      errors=[{"field": "currency", "message": "not sold in this currency",
                               "code": "unsupported_currency"}])
    amount = unit * body.tokens
    provider = PaymentSimulator(runtime.db)

    async def work(conn: Any) -> tuple[int, Any]:
        topup_id = new_id()
        authorization = None
        for _ in range(settings.payment_attempts):
            try:
                authorization = await provider.authorize(
                    idempotency_key=f"topup:{topup_id}", amount_minor=amount,
                    currency=body.currency, card_number=body.payment.card_number)
                break
            except ProviderTimeout:
                continue
        if authorization is None or authorization.outcome is not AuthorizationOutcome.AUTHORIZED:
            reason = authorization.outcome.value if authorization else "provider_timeout"
            raise Problem(402, "Payment refused", f"The payment was not accepted ({reason}).",
                          errors=[{"field": "payment.card_number", "message": reason,
                                   "code": reason}])
        await provider.capture(idempotency_key=f"topup-capture:{topup_id}",
                               payment_id=authorization.payment_id, amount_minor=amount)
        paid_at = datetime.now(UTC)
        await conn.execute(
            """INSERT INTO wallet_topups (id, buyer_id, tokens, amount_minor, currency,
                                          payment_id, card_last4, paid_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            topup_id, principal.subject, body.tokens, amount, body.currency,
            authorization.payment_id, body.payment.card_number[-4:], paid_at)
        await enqueue(conn, "orders", WalletToppedUp(
            topup_id=topup_id, buyer_id=principal.subject, tokens=body.tokens,
            amount_minor=amount, currency=body.currency, paid_at=paid_at))
        return 201, TopUpView(topup_id=topup_id, tokens=body.tokens, amount_minor=amount,
                              currency=body.currency, paid_at=paid_at).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime.db, scope=f"{principal.subject}:POST /v1/wallet/top-ups", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)
