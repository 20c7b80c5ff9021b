"""The webhooks service: sellers' endpoint subscriptions, signed and ordered delivery of their
public events with retries, a delivery log with replay, and a pull feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from libs.auth import api_key_replica
from libs.service import ServiceDefinition, create_service_app
from services.webhooks.adapters.secrets_box import SecretBox
from services.webhooks.api import endpoints, feed
from services.webhooks.handlers import BATCH_HANDLERS, HANDLERS, seller_standing
from services.webhooks.settings import WebhooksSettings
from services.webhooks.use_cases import retention
from services.webhooks.use_cases.delivery import Deliverer


def _on_start(runtime: Any) -> None:
    runtime.components["secret_box"] = SecretBox(runtime.settings.secret_key())


async def _deliver(runtime: Any) -> None:
    await Deliverer(runtime.worker_db, runtime.settings).run()


async def _retention(runtime: Any) -> None:
    await retention.run(runtime.worker_db, runtime.settings)


def create_app(settings: WebhooksSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="webhooks",
        description="Sellers' webhook endpoints, signed ordered deliveries with retries, the "
                    "delivery log and replay, and a pull feed of their events.",
        settings=settings or WebhooksSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[endpoints.router, feed.router],
        handlers=HANDLERS,
        batch_handlers=BATCH_HANDLERS,
        on_start=_on_start,
        background={"deliveries": _deliver, "retention": _retention},
        api_key_resolver=lambda runtime: api_key_replica.resolver(runtime, seller_standing),
    ))
