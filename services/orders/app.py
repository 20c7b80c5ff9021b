"""The orders service: carts, checkout saga, payments, refunds, vouchers, commissions, age rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.orders import timers
from services.orders.api import cart, checkout, commissions, orders, returns, vouchers, wallet
from services.orders.handlers import BATCH_HANDLERS, handlers
from services.orders.settings import OrdersSettings


def create_app(settings: OrdersSettings | None = None) -> FastAPI:
    settings = settings or OrdersSettings()
    return create_service_app(ServiceDefinition(
        name="orders",
        description="Carts, checkout saga, payments, refunds, vouchers, creator commissions, "
                    "age rules.",
        settings=settings,
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[cart.router, checkout.router, orders.router, commissions.router,
                 vouchers.router, wallet.router, returns.router],
        handlers=handlers(settings),
        batch_handlers=BATCH_HANDLERS,
        deadline_kinds=timers.kinds,
    ))
