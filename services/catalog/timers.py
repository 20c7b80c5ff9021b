"""Catalog's durable timers: the database says what is due, so a restart loses nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from services.catalog.handlers.inventory import release_expired

SWEEP_INTERVAL_SECONDS = 1.0


async def expire_reservations(runtime: Any) -> None:
    """Releases reservations past their expiry; several instances share the work (SKIP LOCKED)."""
    while True:
        released = await release_expired(runtime.worker_db)
        if released == 0:
            await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
