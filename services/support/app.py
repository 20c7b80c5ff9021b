"""The support service: tickets, SLAs, the first responder, disputes, seller account health."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.support.api import seller_accounts
from services.support.handlers import HANDLERS
from services.support.settings import SupportSettings


def create_app(settings: SupportSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="support",
        description="Seller and buyer tickets with SLAs, first responder, disputes, account health.",
        settings=settings or SupportSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[seller_accounts.router],
        handlers=HANDLERS,
    ))
