"""`python -m services.<name>`: serve one service with uvicorn on its configured port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from libs.prepared_frames import PROTOCOL as PREPARED_FRAMES_PROTOCOL
from libs.settings import ServiceSettings

WEBSOCKETS = PREPARED_FRAMES_PROTOCOL
"""uvicorn's websockets-sansio protocol (the maintained implementation of the `websockets`
library), plus prepared frames for broadcasts (libs/prepared_frames.py)."""
WEBSOCKET_MAX_FRAME_BYTES = 64 * 1024
"""Larger client frames close the connection (1009); services check sizes below this."""
WEBSOCKET_OPTIONS: dict[str, Any] = {
    "ws": WEBSOCKETS, "ws_max_size": WEBSOCKET_MAX_FRAME_BYTES, "ws_per_message_deflate": False}
"""permessage-deflate is off: browsers offer it, and each connection that takes it holds zlib
state for both directions (34 KiB more per connection at uvicorn's settings, measured: 17 KiB
a bare connection, 51 with deflate), while broadcasts, nearly all that a socket carries here,
go out as prepared frames that are never compressed."""


def serve(create_app: Callable[[Any], FastAPI], settings: ServiceSettings) -> None:
    """One process, or `HTTP_WORKERS` processes sharing the port. Each worker is a full
    instance (consumer, relay, background work); the services are built to run as several
    instances, so this is how one machine's cores are used."""
    options: dict[str, Any] = {
        "host": settings.http_host, "port": settings.http_port, "log_config": None,
        "access_log": False, "timeout_graceful_shutdown": 10, **WEBSOCKET_OPTIONS}
    if settings.http_workers > 1:
        factory = f"{create_app.__module__}:{create_app.__name__}"
        uvicorn.run(factory, factory=True, workers=settings.http_workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
