"""The catalog service: sellers and shops, products and SKUs, moderation, stock."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.catalog.api import api_keys, categories, sellers
from services.catalog.handlers import HANDLERS
from services.catalog.settings import CatalogSettings


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="catalog",
        description="Sellers and shops, categories, products and SKUs, listing moderation, stock.",
        settings=settings or CatalogSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[sellers.router, api_keys.router, categories.router],
        handlers=HANDLERS,
        api_key_resolver=api_keys.api_key_resolver,
    ))
