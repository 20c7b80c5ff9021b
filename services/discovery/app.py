"""The discovery service: a personalised "for you" feed with consent and no profiling of
minors, interactions aggregated per market, and sponsored products sold by a second-price
auction with paced budgets and filtered, once-only billed clicks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from libs.auth import api_key_replica
from libs.rate_limit import RateLimiter
from libs.service import Runtime, ServiceDefinition, create_service_app
from services.discovery.api import ads, consent, feed, interactions
from services.discovery.handlers import batch_handlers, handlers, seller_standing
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases import summaries
from services.discovery.use_cases.sponsored import ServingCache


def _start(runtime: Runtime) -> None:
    runtime.components["rate_limiter"] = RateLimiter(runtime.redis)
    settings = runtime.settings
    runtime.components["ad_cache"] = ServingCache(
        settings.auction_cache_seconds, settings.reserve_price_minor)  # type: ignore[attr-defined]


async def _summaries(runtime: Any) -> None:
    await summaries.run_publisher(runtime)


def create_app(settings: DiscoverySettings | None = None) -> FastAPI:
    settings = settings or DiscoverySettings()
    return create_service_app(ServiceDefinition(
        name="discovery",
        description="The personalised feed (with consent; never profiling minors), interaction "
                    "ingest, sponsored-product campaigns, the ad auction and billed clicks.",
        settings=settings,
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[feed.router, interactions.router, consent.router, ads.router],
        handlers=handlers(settings),
        batch_handlers=batch_handlers(settings),
        join_partitions=True,  # a bestseller's rows, written by every partition
        on_start=_start,
        background={"interaction-summaries": _summaries},
        api_key_resolver=lambda runtime: api_key_replica.resolver(runtime, seller_standing),
    ))
