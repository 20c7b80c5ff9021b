"""Rate limits shared by every instance of a service, kept in Redis.

The counting is the `limits` library's sliding-window counter (two Redis counters per key and
window, weighted by how far into the current window the request falls): no burst of twice the
limit across a window's edge, as a fixed window allows, at the cost of one round trip. This
module only adds the platform's answer: a 429 problem naming the field, with `Retry-After`
and the IETF `RateLimit-Policy` / `RateLimit` headers.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

import redis.asyncio as redis
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from libs.errors import UNREACHABLE, Problem

log = logging.getLogger(__name__)

_STRATEGIES: weakref.WeakKeyDictionary[redis.Redis, SlidingWindowCounterRateLimiter] = (
    weakref.WeakKeyDictionary())


def _strategy(client: redis.Redis) -> SlidingWindowCounterRateLimiter:
    """One limiter per Redis client, sharing the client's connection pool."""
    strategy = _STRATEGIES.get(client)
    if strategy is None:
        storage = RedisStorage("async+redis://", implementation="redispy", key_prefix="rate",
                               connection_pool=client.connection_pool)  # type: ignore[arg-type]
        strategy = _STRATEGIES[client] = SlidingWindowCounterRateLimiter(storage)
    return strategy


class RateLimiter:
    """`limit` actions per `window_seconds` per key."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._limiter = _strategy(client)

    async def hit(self, key: str, limit: int, window_seconds: float) -> float | None:
        """None when allowed, else the seconds until the next try can succeed. With Redis
        unreachable it allows (fails open, logged): a budget is not worth an outage, and the
        gateway's per-address limits still hold. What needs Redis to be right (a flash claim)
        fails on its own."""
        item = RateLimitItemPerSecond(limit, max(1, round(window_seconds)))
        try:
            if await self._limiter.hit(item, key):
                return None
        except UNREACHABLE as exc:
            log.warning("rate limiter unreachable, allowing %s: %r", key, exc)
            return None
        stats = await self._limiter.get_window_stats(item, key)
        return max(0.001, stats.reset_time - time.time())


def too_many(field: str, detail: str, retry_after: float, *, limit: int | None = None,
             window_seconds: float | None = None) -> Problem:
    """The 429 a limited route answers, naming what was limited and when to try again (and,
    when given, the policy in the IETF `RateLimit-Policy` / `RateLimit` header form)."""
    wait = max(1, round(retry_after + 0.5))
    headers = {"Retry-After": str(wait)}
    if limit is not None and window_seconds is not None:
        headers["RateLimit-Policy"] = f"{limit};w={round(window_seconds)}"
        headers["RateLimit"] = f"limit={limit}, remaining=0, reset={wait}"
    return Problem(429, "Too many requests", detail, headers=headers,
                   errors=[{"field": field, "message": "rate limited", "code": "rate_limited"}])


async def enforce(limiter: RateLimiter, key: str, limit: int, window_seconds: float, *,
                  field: str, what: str) -> None:
    """Counts one action of `key`; a 429 naming `field` when over `limit` per window."""
    retry_after = await limiter.hit(key, limit, window_seconds)
    if retry_after is not None:
        raise too_many(field, f"Too many {what}: at most {limit} every "
                              f"{round(window_seconds)} s. Try again later.", retry_after,
                       limit=limit, window_seconds=window_seconds)


async def api_key_budget(runtime: Any, principal: Any) -> None:
    """The seller API's budget, per API key (the principal's subject names the key), shared by
    every instance through Redis: `api_key_requests` per `api_key_window_seconds`."""
    settings = runtime.settings
    await enforce(RateLimiter(runtime.redis), f"api-key:{principal.subject}",
                  settings.api_key_requests, settings.api_key_window_seconds,
                  field="header.X-API-Key", what="requests with this API key")


RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many requests: see `Retry-After` and `RateLimit`."}}
"""For a limited route's `responses`."""
