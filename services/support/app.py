"""The support service: tickets with SLAs, the automatic first responder and its knowledge base,
agent queues, disputes, seller account health and appeals, buyers' privacy requests, and the read
model of orders,
parcels and listings that gives them context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from libs.auth import api_key_replica
from libs.rate_limit import RateLimiter
from libs.service import Runtime, ServiceDefinition, create_service_app
from services.support.api import (
    desk,
    disputes,
    knowledge_base,
    privacy,
    reports,
    seller_accounts,
    tickets,
)
from services.support.handlers import BATCH_HANDLERS, handlers
from services.support.settings import SupportSettings
from services.support.use_cases import timers


async def _appeals_stay_open(db: Any, seller_id: Any) -> str | None:
    """A suspended seller's API key still works here: support is where it appeals."""
    return None


def _start(runtime: Runtime) -> None:
    runtime.components["rate_limiter"] = RateLimiter(runtime.redis)


def create_app(settings: SupportSettings | None = None) -> FastAPI:
    settings = settings or SupportSettings()

    def deadline_kinds(runtime: Any) -> Any:
        return timers.kinds(runtime.settings)

    return create_service_app(ServiceDefinition(
        name="support",
        description="Seller and buyer tickets with SLAs, an automatic first responder with a "
                    "knowledge base, agent queues, disputes, seller account health and appeals.",
        settings=settings,
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[tickets.router, desk.router, knowledge_base.router, disputes.router,
                 seller_accounts.router, reports.router, privacy.router],
        handlers=handlers(settings),
        batch_handlers=BATCH_HANDLERS,
        # A privacy request's answers (one per service) and a seller's orders come on
        # different partitions and lock the same rows: side by side, two partitions' batches
        # locked two requests in opposite orders and deadlocked (every CI's contract stage).
        join_partitions=True,
        deadline_kinds=deadline_kinds,
        on_start=_start,
        api_key_resolver=lambda runtime: api_key_replica.resolver(runtime, _appeals_stay_open),
    ))
