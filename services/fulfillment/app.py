"""The fulfillment service: fBT warehouses, inbound shipments, pick/pack/ship, tracking, returns."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.fulfillment.handlers import HANDLERS
from services.fulfillment.settings import FulfillmentSettings


def create_app(settings: FulfillmentSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="fulfillment",
        description="FBT warehouses, inbound shipments, pick/pack/ship, tracking, returns.",
        settings=settings or FulfillmentSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[],
        handlers=HANDLERS,
    ))
