"""A payment provider that behaves like real providers' test modes, chosen by payment method.

Card numbers never reach the platform: the buyer's app hands the card to the provider, which
returns a payment-method token, and the platform only ever sees and stores that token (and the
last four digits the provider describes). The simulator knows these test methods:

| payment method                | card        | outcome                                           |
|-------------------------------|-------------|---------------------------------------------------|
| `pm_card_visa`                | visa 4242   | authorized                                        |
| `pm_card_declined`            | visa 0002   | declined                                          |
| `pm_card_insufficient_funds`  | visa 9995   | insufficient funds                                |
| `pm_card_timeout`             | visa 0119   | authorized, but the first answer is lost: retry   |
| `pm_card_slow`                | visa 0077   | authorized at once, answered after 2 seconds      |

Like a real provider it remembers each idempotency key and answers a repeated call with the
first outcome, so a retry after a timeout or a crash never charges twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from libs.ids import new_id
from services.orders.domain.payments import (
    Authorization,
    AuthorizationOutcome,
    PaymentMethod,
    ProviderTimeout,
)

SUCCESS = "pm_card_visa"
DECLINE = "pm_card_declined"
INSUFFICIENT_FUNDS = "pm_card_insufficient_funds"
TIMEOUT = "pm_card_timeout"
SLOW = "pm_card_slow"
SLOW_SECONDS = 2.0


@dataclass(frozen=True)
class _TestMethod:
    card: PaymentMethod
    outcome: AuthorizationOutcome


_AUTHORIZED, _DECLINED = AuthorizationOutcome.AUTHORIZED, AuthorizationOutcome.DECLINED
TEST_METHODS = {
    SUCCESS: _TestMethod(PaymentMethod("visa", "4242"), _AUTHORIZED),
    DECLINE: _TestMethod(PaymentMethod("visa", "0002"), _DECLINED),
    INSUFFICIENT_FUNDS: _TestMethod(PaymentMethod("visa", "9995"),
                                    AuthorizationOutcome.INSUFFICIENT_FUNDS),
    TIMEOUT: _TestMethod(PaymentMethod("visa", "0119"), _AUTHORIZED),
    SLOW: _TestMethod(PaymentMethod("visa", "0077"), _AUTHORIZED),
}


class PaymentSimulator:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def describe(self, payment_method: str) -> PaymentMethod | None:
        known = TEST_METHODS.get(payment_method)
        return known.card if known else None

    async def authorize(self, *, idempotency_key: str, amount_minor: int, currency: str,
                        payment_method: str) -> Authorization:
        known = TEST_METHODS.get(payment_method)
        outcome = known.outcome if known else AuthorizationOutcome.DECLINED
        recorded = await self._pool.fetchrow(  # the first call of a key; else the first answer
            """WITH first AS (
                   INSERT INTO simulated_provider_calls (idempotency_key, operation, payment_id,
                                                         outcome, amount_minor)
                   VALUES ($1, 'authorize', $2, $3, $4)
                   ON CONFLICT (idempotency_key) DO NOTHING RETURNING payment_id, outcome)
               SELECT payment_id, outcome, true AS new FROM first
               UNION ALL
               SELECT payment_id, outcome, false FROM simulated_provider_calls
               WHERE idempotency_key = $1 AND NOT EXISTS (SELECT 1 FROM first)""",
            idempotency_key, new_id(), outcome.value, amount_minor)
        if recorded is None:  # a concurrent first call has not committed yet: ask again
            await asyncio.sleep(0.01)
            return await self.authorize(idempotency_key=idempotency_key,
                                        amount_minor=amount_minor, currency=currency,
                                        payment_method=payment_method)
        if not recorded["new"]:
            return Authorization(recorded["payment_id"],
                                 AuthorizationOutcome(recorded["outcome"]))
        payment_id = recorded["payment_id"]
        if payment_method == SLOW:
            await asyncio.sleep(SLOW_SECONDS)  # charged already; the answer is late
        if payment_method == TIMEOUT:
            raise ProviderTimeout("the provider did not answer in time")
        return Authorization(payment_id, outcome)

    async def _record(self, operation: str, idempotency_key: str, payment_id: UUID,
                      amount_minor: int | None) -> None:
        await self._pool.execute(
            """INSERT INTO simulated_provider_calls (idempotency_key, operation, payment_id,
                                                     outcome, amount_minor)
               VALUES ($1, $2, $3, 'ok', $4) ON CONFLICT (idempotency_key) DO NOTHING""",
            idempotency_key, operation, payment_id, amount_minor)

    async def void(self, *, idempotency_key: str, payment_id: UUID) -> None:
        await self._record("void", idempotency_key, payment_id, None)

    async def capture(self, *, idempotency_key: str, payment_id: UUID, amount_minor: int) -> None:
        await self._record("capture", idempotency_key, payment_id, amount_minor)

    async def refund(self, *, idempotency_key: str, payment_id: UUID, amount_minor: int) -> None:
        await self._record("refund", idempotency_key, payment_id, amount_minor)
