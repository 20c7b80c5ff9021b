"""`interaction.recorded`: what buyers of each market did with items since the last summary,
summed and published on a timer; and, on the same timer, each item's co-visitation cut to its
strongest neighbours and the retention of what discovery keeps per buyer."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.db.transaction import transaction
from libs.events.schemas.discovery import InteractionCount, InteractionRecorded
from libs.outbox import enqueue
from services.discovery.adapters import interactions_repository

log = logging.getLogger(__name__)
SOURCE = "discovery"
ITEMS_PER_EVENT = 500
ROWS_PER_ROUND = 5000


async def publish_once(pool: Any) -> int:
    """Drains the pending counts into summary events (in one transaction with them, so a
    crash publishes them once or not at all). Returns the events published."""
    async with transaction(pool) as conn:
        rows = await interactions_repository.drain_unpublished(conn, ROWS_PER_ROUND)
        if not rows:
            return 0
        now = datetime.now(UTC)
        by_market: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_market[row["market"].strip()].append(row)
        published = []
        for market, market_rows in sorted(by_market.items()):
            for start in range(0, len(market_rows), ITEMS_PER_EVENT):
                chunk = market_rows[start:start + ITEMS_PER_EVENT]
                published.append(InteractionRecorded(
                    market=market, window_start=min(r["since"] for r in chunk), window_end=now,
                    items=[InteractionCount(item_kind=r["item_kind"], item_id=r["item_id"],
                                            views=r["views"], taps=r["taps"],
                                            add_to_carts=r["carts"], purchases=r["purchases"])
                           for r in chunk]))
        await enqueue(conn, SOURCE, *published)
        return len(published)


async def run_publisher(runtime: Any) -> None:
    settings = runtime.settings
    while True:
        await asyncio.sleep(settings.aggregate_interval_seconds)
        try:
            while await publish_once(runtime.worker_db):
                pass  # a busy market may need more than one round
            await interactions_repository.prune_co_visits(runtime.worker_db,
                                                          settings.co_visit_neighbours)
            now = datetime.now(UTC)
            await interactions_repository.forget_old(
                runtime.worker_db, history_before=now - timedelta(days=settings.history_days),
                keys_before=now - timedelta(days=2))
        except Exception:
            log.exception("interaction summaries failed; retrying next round")
