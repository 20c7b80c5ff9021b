"""The delivery log and the feed are kept for a retention period, then purged in batches:
attempts, then finished deliveries, then events no pending delivery still needs."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.webhooks.settings import WebhooksSettings

log = logging.getLogger(__name__)
BATCH = 5000


async def purge_once(pool: asyncpg.Pool | asyncpg.Connection, settings: WebhooksSettings) -> int:
    log_days, feed_days = settings.delivery_log_retention_days, settings.feed_retention_days
    removed = 0
    for sql, days in [
        ("""DELETE FROM attempts WHERE id IN (SELECT id FROM attempts
            WHERE at < now() - make_interval(days => $1) LIMIT $2)""", log_days),
        ("""DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
            WHERE status IN ('succeeded', 'failed') AND updated_at < now() - make_interval(days => $1)
            LIMIT $2)""", log_days),
        ("""DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e
            WHERE e.received_at < now() - make_interval(days => $1)
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq)
            LIMIT $2)""", feed_days),
    ]:
        result = await pool.execute(sql, days, BATCH)
        removed += int(str(result).split()[-1])
    return removed


async def run(pool: asyncpg.Pool, settings: WebhooksSettings) -> None:
    while True:
        try:
            removed = await purge_once(pool, settings)
            if removed:
                log.info("webhooks retention: %d old rows purged", removed)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("webhooks retention: %r; trying again later", exc)
        await asyncio.sleep(settings.retention_interval_seconds)
