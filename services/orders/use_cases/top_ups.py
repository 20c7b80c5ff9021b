"""Gift-token top-ups: the buyer pays through the payment provider; live credits the wallet
when it hears `wallet.topped_up`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from libs.api import field_problem
from libs.errors import Problem
from libs.events.schemas.orders import WalletToppedUp
from libs.ids import new_id
from libs.outbox import enqueue
from services.orders.domain.payments import AuthorizationOutcome, PaymentProvider, ProviderTimeout
from services.orders.settings import OrdersSettings


@dataclass(frozen=True)
class TopUp:
    topup_id: UUID
    tokens: int
    amount_minor: int
    currency: str
    paid_at: datetime


async def buy_tokens(conn: Any, provider: PaymentProvider, settings: OrdersSettings, *,
                     buyer_id: str, tokens: int, currency: str, card_number: str) -> TopUp:
    """Charges the card and records the top-up with its event, in the caller's transaction."""
    unit = settings.token_price_minor.get(currency)
    if unit is None:
        raise field_problem("currency", f"Tokens are not sold in {currency}.",
                            "unsupported_currency")
    amount = unit * tokens
    topup_id = new_id()
    authorization = None
    for _ in range(settings.payment_attempts):
        try:
            authorization = await provider.authorize(
                idempotency_key=f"topup:{topup_id}", amount_minor=amount,
                currency=currency, card_number=card_number)
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
        topup_id, buyer_id, tokens, amount, currency, authorization.payment_id,
        card_number[-4:], paid_at)
    await enqueue(conn, "orders", WalletToppedUp(
        topup_id=topup_id, buyer_id=buyer_id, tokens=tokens, amount_minor=amount,
        currency=currency, paid_at=paid_at))
    return TopUp(topup_id, tokens, amount, currency, paid_at)
