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
_evictions = 0
"""Evictions this instance has made: a fill that began before one does not enter memory."""
_STORE_UNLESS_EVICTED = """
if (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
end
"""
"""A fill's bytes are stored only if no eviction came between its read and now: each eviction
bumps the product's generation, and the fill carries the one it saw before reading."""


class CachedDetail(NamedTuple):
    body: bytes
    market: str
    """Kept beside the bytes so that a market filter needs no parse of them."""


class Lookup(NamedTuple):
    """What a read found, and what a fill after it must carry (see `put`)."""

    found: CachedDetail | None
    generation: bytes | None
    """The product's eviction count in Redis when it was read (None: Redis unreachable)."""
    evictions: int


def bind(client: redis.Redis, memory_seconds: float = 0.0) -> None:
    """Called once at start-up, so that handlers can evict without holding a client."""
    global _bound, _memory_seconds
    _bound, _memory_seconds = client, memory_seconds
    _memory.clear()


def _key(product_id: UUID) -> str:
    return f"catalog:product:v2:{product_id}"  # v2: market, cross_border, ships_from, tax


def _generation_key(product_id: UUID) -> str:
    return f"catalog:product:v2:{product_id}:generation"


async def get(client: redis.Redis, product_id: UUID) -> Lookup:
    remembered = _memory.get(product_id)
    if remembered is not None:
        if time.monotonic() < remembered[0]:
            return Lookup(remembered[1], None, _evictions)
        _memory.pop(product_id, None)
    evictions = _evictions
    try:
        body, generation = await client.mget(_key(product_id), _generation_key(product_id))
    except UNREACHABLE as exc:
        log.warning("product cache unreachable, reading Postgres: %r", exc)
        return Lookup(None, None, evictions)
    if not isinstance(body, bytes):
        return Lookup(None, generation or b"0", evictions)
    found = CachedDetail(body, json.loads(body)["market"])
    _remember(product_id, found, evictions)
    return Lookup(found, generation, evictions)


async def put(client: redis.Redis, product_id: UUID, detail: dict[str, Any],
              lookup: Lookup) -> CachedDetail:
    """Caches what the caller read from Postgres after `lookup` missed, unless the product was
    evicted meanwhile: then the bytes may predate the change, and are served once, not kept."""
    found = CachedDetail(json.dumps(detail, default=str, separators=(",", ":")).encode(),
                         detail["market"])
    if lookup.generation is not None:
        with contextlib.suppress(*UNREACHABLE):
            await client.eval(_STORE_UNLESS_EVICTED, 2, _key(product_id),  # type: ignore[misc]
                              _generation_key(product_id), found.body, lookup.generation,
                              TTL_SECONDS)
    _remember(product_id, found, lookup.evictions)
    return found


async def evict(*product_ids: UUID) -> None:
    global _evictions
    _evictions += 1
    for product_id in product_ids:
        _memory.pop(product_id, None)
    if product_ids and _bound is not None:
        try:
            async with _bound.pipeline(transaction=True) as pipe:
                for product_id in product_ids:
                    pipe.delete(_key(product_id))
                    pipe.incr(_generation_key(product_id))
                    pipe.expire(_generation_key(product_id), 2 * TTL_SECONDS)
                await pipe.execute()
        except UNREACHABLE as exc:
            log.warning("product cache unreachable, eviction missed: %r", exc)


def _remember(product_id: UUID, detail: CachedDetail, evictions: int) -> None:
    """Keeps `detail` in memory, unless this instance evicted anything since it was read."""
    if _memory_seconds > 0 and evictions == _evictions:
        if len(_memory) >= MEMORY_ENTRIES:
            del _memory[next(iter(_memory))]
        # Each entry keeps for a random share (half to all) of the window: entries filled
        # together would expire together, and every view of them would queue on Redis at once.
        keep = _memory_seconds * random.uniform(0.5, 1.0)  # noqa: S311 - not a secret
        _memory[product_id] = (time.monotonic() + keep, detail)
