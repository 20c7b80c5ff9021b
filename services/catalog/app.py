"""The catalog service: sellers and shops, products and SKUs, moderation, stock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.catalog.adapters import product_cache
from services.catalog.api import (
    api_keys,
    categories,
    imports,
    moderation,
    products,
    sellers,
    stock,
)
from services.catalog.handlers import BATCH_HANDLERS, HANDLERS
from services.catalog.settings import CatalogSettings
from services.catalog.use_cases.import_worker import run_worker
from services.catalog.use_cases.inventory import DEADLINE_KINDS


def _on_start(runtime: Any) -> None:
    product_cache.bind(runtime.redis, runtime.settings.product_memory_seconds)


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="catalog",
        description="Sellers and shops, categories, products and SKUs, listing moderation, stock.",
        settings=settings or CatalogSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[sellers.router, api_keys.router, categories.router, products.router,
                 moderation.router, stock.router, imports.router],
        handlers=HANDLERS,
        batch_handlers=BATCH_HANDLERS,
        join_partitions=True,  # a bestseller's rows, written by every partition
        api_key_resolver=api_keys.api_key_resolver,
        on_start=_on_start,
        background={"import-worker": run_worker},
        deadline_kinds=lambda runtime: DEADLINE_KINDS,
    ))
