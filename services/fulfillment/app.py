"""The fulfillment service: FBT warehouses, inbound shipments, stock, fulfillment orders,
pick/pack/ship, carriers and tracking, delivery promises, shipping rates, returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from libs.auth import api_key_replica
from libs.service import ServiceDefinition, create_service_app
from services.fulfillment.adapters import views_repository
from services.fulfillment.api import (
    carriers,
    fulfillment_orders,
    inbound,
    returns,
    stock,
    warehouse_floor,
    warehouses,
)
from services.fulfillment.handlers import batch_handlers, handlers
from services.fulfillment.settings import FulfillmentSettings
from services.fulfillment.use_cases import tracking


def create_app(settings: FulfillmentSettings | None = None) -> FastAPI:
    settings = settings or FulfillmentSettings()

    def deadline_kinds(runtime: Any) -> Any:
        return tracking.kinds(runtime.settings)

    return create_service_app(ServiceDefinition(
        name="fulfillment",
        description="FBT warehouses, inbound shipments, stock, fulfillment orders, "
                    "pick/pack/ship, tracking, delivery promises, shipping rates, returns.",
        settings=settings,
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[warehouses.router, inbound.router, stock.router, warehouse_floor.router,
                 fulfillment_orders.router, returns.router, carriers.router],
        handlers=handlers(settings),
        batch_handlers=batch_handlers(settings),
        deadline_kinds=deadline_kinds,
        api_key_resolver=lambda runtime: api_key_replica.resolver(
            runtime, views_repository.seller_status),
    ))
