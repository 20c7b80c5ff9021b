"""The orders service: carts, checkout saga, payments, refunds, vouchers, commissions, age rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import Runtime, ServiceDefinition, create_service_app
from services.orders import timers
from services.orders.api import admission, cart, checkout, commissions, orders, returns, vouchers, wallet
from services.orders.handlers import BATCH_HANDLERS, handlers
from services.orders.settings import OrdersSettings
from services.orders.use_cases.admission import CheckoutAdmission


def _on_start(runtime: Runtime) -> None:
    runtime.components["checkout_admission"] = CheckoutAdmission(runtime.settings)  # type: ignore[arg-type]


async def _watch_saga_backlog(runtime: Runtime) -> None:
    await runtime.components["checkout_admission"].watch(runtime.worker_db)


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
        on_start=_on_start,
        background={"checkout-admission": _watch_saga_backlog},
        busy_routes=admission.ROUTES, busy_check=admission.busy,
        busy_limit=admission.in_flight_limit(settings),
    ))
