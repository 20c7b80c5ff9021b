"""What discovery keeps in Redis: feed snapshots (a feed's order while it is paged through),
impressions of sponsored slots per campaign and day, and clicks per buyer and minute (the burst
filter). None of it is the record of money: spend and billed clicks live in Postgres."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import redis.asyncio as redis


def _impressions_key(day: date) -> str:
    return f"discovery:impressions:{day.isoformat()}"


async def save_snapshot(client: redis.Redis, snapshot_id: str, snapshot: dict[str, Any],
                        ttl_seconds: int) -> None:
    await client.set(f"discovery:feed:{snapshot_id}", json.dumps(snapshot), ex=ttl_seconds)


async def load_snapshot(client: redis.Redis, snapshot_id: str) -> dict[str, Any] | None:
    raw = await client.get(f"discovery:feed:{snapshot_id}")
    return json.loads(raw) if raw else None


async def count_impressions(client: redis.Redis, day: date, campaign_ids: list[UUID]) -> None:
    if not campaign_ids:
        return
    key = _impressions_key(day)
    async with client.pipeline(transaction=False) as pipe:
        for campaign_id in campaign_ids:
            pipe.hincrby(key, str(campaign_id), 1)
        pipe.expire(key, 40 * 86_400)
        await pipe.execute()


async def impressions(client: redis.Redis, days: list[date], campaign_id: UUID) -> int:
    async with client.pipeline(transaction=False) as pipe:
        for day in days:
            pipe.hget(_impressions_key(day), str(campaign_id))
        values = await pipe.execute()
    return sum(int(v) for v in values if v)


async def clicks_this_minute(client: redis.Redis, buyer_id: str, minute: int) -> int:
    key = f"discovery:clicks:{buyer_id}:{minute}"
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = await pipe.execute()
    return int(count)
