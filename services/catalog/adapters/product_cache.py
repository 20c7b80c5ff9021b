"""Buyer-facing product detail, cached in Redis as the exact JSON bytes served.

Entries are evicted after every committed change that a buyer would see (text, prices, status,
stock, the seller's standing) and expire on their own after a while as a safety net. A cache is
not worth an outage: with Redis unreachable, reads go to Postgres (an eviction missed meanwhile
is bounded by the entries' lifetime).
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any
from uuid import UUID

import redis.asyncio as redis

from libs.errors import UNREACHABLE

log = logging.getLogger(__name__)
TTL_SECONDS = 300
_bound: redis.Redis | None = None


def bind(client: redis.Redis) -> None:
    """Called once at start-up, so that handlers can evict without holding a client."""
    global _bound
    _bound = client


def _key(product_id: UUID) -> str:
    return f"catalog:product:v2:{product_id}"  # v2: market, cross_border, ships_from, tax


async def get(client: redis.Redis, product_id: UUID) -> bytes | None:
    try:
        value = await client.get(_key(product_id))
    except UNREACHABLE as exc:
        log.warning("product cache unreachable, reading Postgres: %r", exc)
        return None
    return value if isinstance(value, bytes) else None


async def put(client: redis.Redis, product_id: UUID, detail: dict[str, Any]) -> bytes:
    body = json.dumps(detail, default=str, separators=(",", ":")).encode()
    with contextlib.suppress(*UNREACHABLE):
        await client.set(_key(product_id), body, ex=TTL_SECONDS)
    return body


async def evict(*product_ids: UUID) -> None:
    if product_ids and _bound is not None:
        try:
            await _bound.delete(*(_key(p) for p in product_ids))
        except UNREACHABLE as exc:
            log.warning("product cache unreachable, eviction missed: %r", exc)
