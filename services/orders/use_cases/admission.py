"""Checkout admission: a background reading of the saga's backlog, and the check the busy gate
makes against it for cart writes and checkouts (the rule: `services.orders.domain.admission`;
the routes: `services.orders.api.admission`).

The reading is refreshed a few times a second, so the check costs no I/O: under overload the
turned-away requests are the cheapest the service answers.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

from libs.db.notify import DATABASE_ERRORS
from services.orders.adapters import saga_backlog
from services.orders.domain.admission import (
    AdmissionRule,
    SagaBacklog,
    late_order_deadlines,
    turns_away,
)
from services.orders.settings import OrdersSettings
from services.orders.use_cases.saga import AUTHORIZE, STOCK_TIMEOUT

log = logging.getLogger(__name__)

READ_EVERY_SECONDS = 0.25


class CheckoutAdmission:
    def __init__(self, settings: OrdersSettings) -> None:
        self.rule = AdmissionRule(late_after_seconds=settings.checkout_late_after_seconds,
                                  late_orders_allowed=settings.checkout_late_orders_allowed)
        late = late_order_deadlines(self.rule, settings.stock_answer_timeout_seconds)
        self.windows = {AUTHORIZE: late.authorisation}
        if late.stock_answer is not None:
            self.windows[STOCK_TIMEOUT] = late.stock_answer
        self.backlog: SagaBacklog | None = None

    async def read(self, pool: asyncpg.Pool) -> SagaBacklog:
        late = await saga_backlog.late_orders(pool, self.windows, self.rule.late_orders_allowed)
        self.backlog = SagaBacklog(late_orders=late, measured_at=time.monotonic())
        return self.backlog

    async def watch(self, pool: asyncpg.Pool) -> None:
        """Keeps the reading fresh until cancelled; a failed read leaves the old reading to go
        stale (checkout then admits, see the rule) and tries again on the next turn."""
        while True:
            try:
                await self.read(pool)
            except DATABASE_ERRORS as exc:
                log.debug("saga backlog not read: %s", exc)
            await asyncio.sleep(READ_EVERY_SECONDS)

    def behind(self) -> bool:
        """Whether the saga is behind now (the service's busy gate then answers cart writes
        and checkout 503: `api.admission`)."""
        return turns_away(self.rule, self.backlog, time.monotonic())
