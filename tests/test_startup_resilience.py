"""A service whose Kafka is down at start-up stays alive, reports not-ready naming what is
missing, and becomes ready by itself once the broker appears."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from libs.devstack.servers import TansuBroker, free_port
from libs.testing import eventually, run_service
from services.webhooks.app import create_app
from services.webhooks.settings import WebhooksSettings


async def test_kafka_down_at_start_then_up(settings_for: Callable[..., Any]) -> None:
    port = free_port()
    settings = settings_for(WebhooksSettings, kafka_bootstrap_servers=f"127.0.0.1:{port}")
    async with run_service(create_app(settings), wait_ready=False) as webhooks:
        assert (await webhooks.client.get("/healthz")).status_code == 200

        async def database_connected() -> Any:
            response = await webhooks.client.get("/readyz")
            checks = response.json()["checks"]
            return (response, checks) if checks["postgres"] == "ok" else None

        response, checks = await eventually(database_connected)
        assert response.status_code == 503
        assert checks["redis"] == "ok"
        assert checks["kafka"].startswith("unavailable")
        assert "startup" in checks, "the failing start-up step is reported"

        broker = TansuBroker(Path(tempfile.mkdtemp()), port=port).start()
        try:
            async def ready() -> bool:
                return (await webhooks.client.get("/readyz")).status_code == 200

            assert await eventually(ready, timeout=60, interval=0.5)
        finally:
            broker.stop()


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
async def test_operational_routes_are_public(settings_for: Callable[..., Any], path: str) -> None:
    async with run_service(create_app(settings_for(WebhooksSettings))) as webhooks:
        assert (await webhooks.client.get(path)).status_code == 200
