"""The orders service: carts, checkout saga, payments, refunds, vouchers, creator commissions, age rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.orders.handlers import HANDLERS
from services.orders.settings import OrdersSettings


def create_app(settings: OrdersSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="orders",
        description="Carts, checkout saga, payments, refunds, vouchers, creator commissions, age rules.",
        settings=settings or OrdersSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[],
        handlers=HANDLERS,
    ))
