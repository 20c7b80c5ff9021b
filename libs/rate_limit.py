"""Rate limits shared by every instance of a service, kept in Redis.

A fixed window per key: the first action in a window starts it, and `limit` actions fit in it.
Coarse (a burst may straddle two windows), but one round trip, and shared across instances,
which is what abusable routes (chat, ticket creation) need.
"""

from __future__ import annotations

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


def too_many(field: str, detail: str, retry_after: float) -> Problem:
    """The 429 a limited route answers, naming what was limited and when to try again."""
    return Problem(429, "Too many requests", detail,
                   headers={"Retry-After": str(max(1, round(retry_after + 0.5)))},
                   errors=[{"field": field, "message": "rate limited", "code": "rate_limited"}])
