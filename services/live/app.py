"""The live service: live shopping sessions, pinned products, flash deals, real-time fan-out, chat, gifts."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.live.handlers import HANDLERS
from services.live.settings import LiveSettings


def create_app(settings: LiveSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="live",
        description="Live shopping sessions, pinned products, flash deals, real-time fan-out, chat, gifts.",
        settings=settings or LiveSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[],
        handlers=HANDLERS,
    ))
