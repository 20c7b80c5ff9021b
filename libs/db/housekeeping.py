"""Keeps the platform tables from growing without bound.

Retention must outlast the windows that give the rows meaning: inbox rows must outlive Kafka's
retention (a redelivery older than that cannot happen), idempotency keys the clients' retry
window, published outbox rows only serve as an audit trail.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    published_outbox_hours: float = 24 * 7
    inbox_hours: float = 24 * 14
    idempotency_key_hours: float = 24


async def prune(pool: asyncpg.Pool, retention: Retention) -> dict[str, int]:
    statements = {
        "outbox": ("DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)",
                   retention.published_outbox_hours),
        "inbox": ("DELETE FROM inbox WHERE processed_at < now() - make_interval(hours => $1)",
                  retention.inbox_hours),
        "idempotency_keys": (
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
            retention.idempotency_key_hours),
    }
    removed = {}
    for table, (sql, hours) in statements.items():
        result = await pool.execute(sql, hours)
        removed[table] = int(str(result).split()[-1])
    return removed


async def run_periodically(pool: asyncpg.Pool, retention: Retention,
                           every_seconds: float = 3600) -> None:
    while True:
        removed = await prune(pool, retention)
        if any(removed.values()):
            log.info("housekeeping removed %s", removed)
        await asyncio.sleep(every_seconds)
