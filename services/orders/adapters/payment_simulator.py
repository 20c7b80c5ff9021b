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


_FIRST_ANSWERS = """
    WITH asked AS (
        SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bigint[])
            AS a(idempotency_key, payment_id, outcome, amount_minor)),
    first AS (
        INSERT INTO simulated_provider_calls (idempotency_key, operation, payment_id, outcome,
                                              amount_minor)
        SELECT idempotency_key, 'authorize', payment_id, outcome, amount_minor FROM asked
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING idempotency_key, payment_id, outcome)
    SELECT idempotency_key, payment_id, outcome, true AS new FROM first
    UNION ALL
    SELECT c.idempotency_key, c.payment_id, c.outcome, false
    FROM simulated_provider_calls c JOIN asked USING (idempotency_key)
    WHERE NOT EXISTS (SELECT 1 FROM first WHERE first.idempotency_key = c.idempotency_key)
"""
"""Records the first call of each key and answers every key with its first outcome. A key
whose first call another connection has not committed yet is in neither half: asked again."""


class PaymentSimulator:
    """Authorisations asked at the same moment (the saga asks a run's side by side) are recorded
    in one statement: one at a time, each held a worker connection through its own durable
    commit, and a run of fifty left the consumer and the outbox relay queueing for the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._asked: dict[str, tuple[asyncio.Future[asyncpg.Record | None], str, int]] = {}
        self._recording: set[asyncio.Task[None]] = set()

    async def describe(self, payment_method: str) -> PaymentMethod | None:
        known = TEST_METHODS.get(payment_method)
        return known.card if known else None

    async def authorize(self, *, idempotency_key: str, amount_minor: int, currency: str,
                        payment_method: str) -> Authorization:
        known = TEST_METHODS.get(payment_method)
        outcome = known.outcome if known else AuthorizationOutcome.DECLINED
        recorded = await self._first_answer(idempotency_key, outcome.value, amount_minor)
        while recorded is None:  # a concurrent first call has not committed yet: ask again
            await asyncio.sleep(0.01)
            recorded = await self._first_answer(idempotency_key, outcome.value, amount_minor)
        if not recorded["new"]:
            return Authorization(recorded["payment_id"],
                                 AuthorizationOutcome(recorded["outcome"]))
        payment_id = recorded["payment_id"]
        if payment_method == SLOW:
            await asyncio.sleep(SLOW_SECONDS)  # charged already; the answer is late
        if payment_method == TIMEOUT:
            raise ProviderTimeout("the provider did not answer in time")
        return Authorization(payment_id, outcome)

    def _first_answer(self, idempotency_key: str, outcome: str,
                      amount_minor: int) -> asyncio.Future[asyncpg.Record | None]:
        """The key's recorded first call, asked together with every other key asked before the
        event loop's next turn. A key asked twice in one run shares one answer."""
        if idempotency_key not in self._asked:
            if not self._asked:
                recording = asyncio.create_task(self._record_asked())
                self._recording.add(recording)
                recording.add_done_callback(self._recording.discard)
            answer = asyncio.get_running_loop().create_future()
            self._asked[idempotency_key] = (answer, outcome, amount_minor)
        return self._asked[idempotency_key][0]

    async def _record_asked(self) -> None:
        await asyncio.sleep(0)  # the rest of the run joins before the statement is sent
        asked, self._asked = self._asked, {}
        try:
            rows = await self._pool.fetch(
                _FIRST_ANSWERS, list(asked), [new_id() for _ in asked],
                [outcome for _, outcome, _ in asked.values()],
                [amount for _, _, amount in asked.values()])
        except BaseException as exc:  # every caller of the run hears of it
            for answer, _, _ in asked.values():
                if not answer.done():
                    answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        by_key = {row["idempotency_key"]: row for row in rows}
        for key, (answer, _, _) in asked.items():
            if not answer.done():
                answer.set_result(by_key.get(key))

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
