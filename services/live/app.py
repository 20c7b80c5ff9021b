"""The live service: live shopping sessions, pinned products, flash deals, real-time fan-out,
chat, gifts, analytics and replay."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.service import ServiceDefinition, create_service_app
from services.live import components
from services.live.api import (
    analytics,
    chat,
    deals,
    gifts,
    partners,
    realtime,
    sessions,
    showcase,
    taps,
    video_feed,
    videos,
    ws_tickets,
)
from services.live.handlers import BATCH_HANDLERS, handlers
from services.live.settings import LiveSettings
from services.live.use_cases import deal_clock


def create_app(settings: LiveSettings | None = None) -> FastAPI:
    return create_service_app(ServiceDefinition(
        name="live",
        description="Live shopping sessions, pinned products, flash deals, real-time fan-out, "
                    "chat, gifts, analytics and replay.",
        settings=settings or LiveSettings(),
        migrations_dir=Path(__file__).parent / "migrations",
        routers=[sessions.router, showcase.router, deals.router, realtime.router, chat.router,
                 gifts.router, analytics.router, partners.router, taps.router,
                 ws_tickets.router, videos.router, video_feed.router],
        handlers=handlers,
        batch_handlers=BATCH_HANDLERS,
        on_start=components.build,
        on_stop=components.close,
        deadline_kinds=deal_clock.kinds,
    ))
