"""A payment provider that behaves like real providers' test modes, chosen by card number.

| card                | outcome                                                            |
|---------------------|--------------------------------------------------------------------|
| 4242 4242 4242 4242 | authorized                                                         |
| 4000 0000 0000 0002 | declined                                                           |
| 4000 0000 0000 9995 | insufficient funds                                                 |
| 4000 0000 0000 0119 | authorized, but the first answer is lost (timeout): retry the key |
| 4000 0000 0000 0077 | authorized after 2 seconds                                         |

Like a real provider it remembers each idempotency key and answers a repeated call with the
first outcome, so a retry after a timeout never charges twice.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from libs.ids import new_id
from services.orders.domain.payments import (
    Authorization,
    AuthorizationOutcome,
    ProviderTimeout,
)

SUCCESS = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
TIMEOUT = "4000000000000119"
SLOW = "4000000000000077"
SLOW_SECONDS = 2.0


class PaymentSimulator:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def authorize(self, *, idempotency_key: str, amount_minor: int, currency: str,
                        card_number: str) -> Authorization:
        existing = await self._pool.fetchrow(
            "SELECT payment_id, outcome FROM simulated_provider_calls WHERE idempotency_key = $1",
            idempotency_key)
        if existing is not None:
            return Authorization(existing["payment_id"], AuthorizationOutcome(existing["outcome"]))
        outcome = {DECLINE: AuthorizationOutcome.DECLINED,
                   INSUFFICIENT_FUNDS: AuthorizationOutcome.INSUFFICIENT_FUNDS}.get(
            card_number, AuthorizationOutcome.AUTHORIZED)
        if card_number == SLOW:
            await asyncio.sleep(SLOW_SECONDS)
        payment_id = new_id()
        recorded = await self._pool.fetchrow(
            """INSERT INTO simulated_provider_calls (idempotency_key, operation, payment_id,
                                                     outcome, amount_minor)
               VALUES ($1, 'authorize', $2, $3, $4)
               ON CONFLICT (idempotency_key) DO NOTHING RETURNING payment_id""",
            idempotency_key, payment_id, outcome.value, amount_minor)
        if recorded is None:  # a concurrent duplicate won: answer as it did
            return await self.authorize(idempotency_key=idempotency_key,
                                        amount_minor=amount_minor, currency=currency,
                                        card_number=card_number)
        if card_number == TIMEOUT:
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
