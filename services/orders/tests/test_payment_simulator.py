"""The payment simulator against real Postgres: a run of authorisations asked at once is recorded
in one statement, and each key keeps its first answer, as a real provider's idempotency does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from libs.db.pool import create_pool
from libs.ids import new_id
from libs.testing import run_service
from services.orders.adapters.payment_simulator import (
    DECLINE,
    SUCCESS,
    TIMEOUT,
    PaymentSimulator,
)
from services.orders.app import create_app
from services.orders.domain.payments import AuthorizationOutcome, ProviderTimeout
from services.orders.settings import OrdersSettings


class CountingPool:
    """The real pool, counting the statements sent through it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements = 0

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        self.statements += 1
        rows: list[asyncpg.Record] = await self.pool.fetch(query, *args)
        return rows


@pytest.fixture(scope="module")
async def orders_pool(settings_for: Callable[..., Any]) -> AsyncIterator[asyncpg.Pool]:
    settings = settings_for(OrdersSettings, run_consumers=False)
    async with run_service(create_app(settings)):  # its schema, migrated
        pool = await create_pool(settings.database_url, "orders",
                                 application_name="payment-simulator-test")
        try:
            yield pool
        finally:
            await pool.close()


async def authorize(simulator: PaymentSimulator, key: str, method: str = SUCCESS) -> Any:
    return await simulator.authorize(idempotency_key=key, amount_minor=1_250, currency="GBP",
                                     payment_method=method)


async def test_a_run_asked_at_once_is_recorded_in_one_statement(
        orders_pool: asyncpg.Pool) -> None:
    counting = CountingPool(orders_pool)
    simulator = PaymentSimulator(counting)
    keys = [f"authorize-{new_id()}" for _ in range(30)]
    answers = await asyncio.gather(*(authorize(simulator, key) for key in keys),
                                   authorize(simulator, keys[0]),  # asked twice in the run
                                   authorize(simulator, f"authorize-{new_id()}", DECLINE))
    assert counting.statements == 1
    assert [a.outcome for a in answers[:31]] == [AuthorizationOutcome.AUTHORIZED] * 31
    assert answers[31].outcome is AuthorizationOutcome.DECLINED
    assert answers[30].payment_id == answers[0].payment_id
    assert len({a.payment_id for a in answers[:30]}) == 30
    recorded = await orders_pool.fetchval(
        "SELECT count(*) FROM simulated_provider_calls WHERE idempotency_key = ANY($1::text[])",
        keys)
    assert recorded == 30


async def test_a_key_asked_again_gets_its_first_answer(orders_pool: asyncpg.Pool) -> None:
    """A retry after a timeout or a crash: the same payment, never a second charge."""
    simulator = PaymentSimulator(orders_pool)
    key, lost = f"authorize-{new_id()}", f"authorize-{new_id()}"
    first = await authorize(simulator, key)
    again = await asyncio.gather(authorize(simulator, key), authorize(simulator, key))
    assert {a.payment_id for a in again} == {first.payment_id}
    with pytest.raises(ProviderTimeout):  # charged, but the answer is lost
        await authorize(simulator, lost, TIMEOUT)
    retried = await authorize(simulator, lost, TIMEOUT)  # the retry hears the first outcome
    assert retried.outcome is AuthorizationOutcome.AUTHORIZED
    assert await orders_pool.fetchval(
        "SELECT count(*) FROM simulated_provider_calls WHERE idempotency_key = ANY($1::text[])",
        [key, lost]) == 2


async def test_a_failed_statement_fails_every_caller_of_its_run(
        orders_pool: asyncpg.Pool, settings_for: Callable[..., Any]) -> None:
    """A database error reaches each caller (the saga retries the run); none waits forever."""
    closed = await create_pool(settings_for(OrdersSettings).database_url, "orders",
                               application_name="payment-simulator-test", min_size=1)
    await closed.close()
    simulator = PaymentSimulator(closed)
    results = await asyncio.wait_for(asyncio.gather(
        *(authorize(simulator, f"authorize-{new_id()}") for _ in range(3)),
        return_exceptions=True), timeout=5)
    assert all(isinstance(r, asyncpg.InterfaceError) for r in results), results
