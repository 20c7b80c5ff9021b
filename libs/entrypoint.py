"""`python -m services.<name>`: serve one service with uvicorn on its configured port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from libs.settings import ServiceSettings


def serve(create_app: Callable[[Any], FastAPI], settings: ServiceSettings) -> None:
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port,
        log_config=None, access_log=False, timeout_graceful_shutdown=10,
    )
