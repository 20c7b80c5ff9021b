"""Buyer-facing product detail, cached in Redis as the exact JSON bytes served, and for a
moment in this instance's memory.

Entries are evicted after every committed change that a buyer would see (text, prices, status,
stock, the seller's standing) and expire on their own after a while as a safety net. A cache is
not worth an outage: with Redis unreachable, reads go to Postgres (an eviction missed meanwhile
is bounded by the entries' lifetime).

The memory layer spares the Redis round trip that a popular product's every view paid (the
route's largest cost after the framework's). An eviction clears it on the instance that made
the change at once; other instances serve their copy for at most `memory_seconds` more. A page
showing a price or stock level a second old is the price; checkout never reads this cache.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from typing import Any, NamedTuple
from uuid import UUID

import redis.asyncio as redis

from libs.errors import UNREACHABLE

log = logging.getLogger(__name__)
TTL_SECONDS = 300
MEMORY_ENTRIES = 20_000
"""Bound on the memory layer: past it the oldest entries go (a dict keeps insertion order)."""
_bound: redis.Redis | None = None
_memory_seconds = 0.0
_memory: dict[UUID, tuple[float, CachedDetail]] = {}


class CachedDetail(NamedTuple):
    body: bytes
    market: str
    """Kept beside the bytes so that a market filter needs no parse of them."""


def bind(client: redis.Redis, memory_seconds: float = 0.0) -> None:
    """Called once at start-up, so that handlers can evict without holding a client."""
    global _bound, _memory_seconds
    _bound, _memory_seconds = client, memory_seconds
    _memory.clear()


def _key(product_id: UUID) -> str:
    return f"catalog:product:v2:{product_id}"  # v2: market, cross_border, ships_from, tax


async def get(client: redis.Redis, product_id: UUID) -> CachedDetail | None:
    remembered = _memory.get(product_id)
    if remembered is not None:
        if time.monotonic() < remembered[0]:
            return remembered[1]
        _memory.pop(product_id, None)
    try:
        value = await client.get(_key(product_id))
    except UNREACHABLE as exc:
        log.warning("product cache unreachable, reading Postgres: %r", exc)
        return None
    if not isinstance(value, bytes):
        return None
    return _remember(product_id, CachedDetail(value, json.loads(value)["market"]))


async def put(client: redis.Redis, product_id: UUID, detail: dict[str, Any]) -> CachedDetail:
    body = json.dumps(detail, default=str, separators=(",", ":")).encode()
    with contextlib.suppress(*UNREACHABLE):
        await client.set(_key(product_id), body, ex=TTL_SECONDS)
    return _remember(product_id, CachedDetail(body, detail["market"]))


async def evict(*product_ids: UUID) -> None:
    for product_id in product_ids:
        _memory.pop(product_id, None)
    if product_ids and _bound is not None:
        try:
            await _bound.delete(*(_key(p) for p in product_ids))
        except UNREACHABLE as exc:
            log.warning("product cache unreachable, eviction missed: %r", exc)


def _remember(product_id: UUID, detail: CachedDetail) -> CachedDetail:
    if _memory_seconds > 0:
        if len(_memory) >= MEMORY_ENTRIES:
            del _memory[next(iter(_memory))]
        # Each entry keeps for a random share (half to all) of the window: entries filled
        # together would expire together, and every view of them would queue on Redis at once.
        keep = _memory_seconds * random.uniform(0.5, 1.0)  # noqa: S311 - not a secret
        _memory[product_id] = (time.monotonic() + keep, detail)
    return detail
