"""Rate limits shared by every instance of a service, kept in Redis.

A fixed window per key: the first action in a window starts it, and `limit` actions fit in it.
Coarse (a burst may straddle two windows), but one round trip, and shared across instances,
which is what abusable routes (chat, ticket creation) need.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from libs.errors import Problem


class RateLimiter:
    """`limit` actions per `window_seconds` per key."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def hit(self, key: str, limit: int, window_seconds: float) -> float | None:
        """None when allowed, else the seconds until the next try can succeed."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(f"rate:{key}")
            pipe.pexpire(f"rate:{key}", int(window_seconds * 1000), nx=True)
            pipe.pttl(f"rate:{key}")
            count, _, ttl_ms = await pipe.execute()
        if int(count) <= limit:
            return None
        return max(0.001, int(ttl_ms) / 1000)


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


RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many requests: see `Retry-After` and `RateLimit`."}}
"""For a limited route's `responses`."""
