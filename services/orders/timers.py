"""Orders' durable timers, driven by the database: a restart loses none."""

from __future__ import annotations

import asyncio
from typing import Any

from services.orders.adapters.payment_simulator import PaymentSimulator
from services.orders.handlers.saga import run_timers

POLL_SECONDS = 0.2


async def run(runtime: Any) -> None:
    provider = PaymentSimulator(runtime.worker_db)
    while True:
        if await run_timers(runtime, provider, runtime.settings) == 0:
            await asyncio.sleep(POLL_SECONDS)
