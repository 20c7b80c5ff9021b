"""The webhooks service: sellers' endpoint subscriptions and signed event delivery."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.webhooks.handlers import HANDLERS
from services.webhooks.settings import WebhooksSettings


def create_app(settings: WebhooksSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="webhooks",
        description="Sellers' endpoint subscriptions and signed event delivery.",
        settings=settings or WebhooksSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[],
        handlers=HANDLERS,
    ))
