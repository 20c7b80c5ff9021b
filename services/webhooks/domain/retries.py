"""When a failed delivery is tried again: a schedule over about three days, with jitter, and a
receiver's `Retry-After` honoured when it asks for longer (within the schedule's horizon).

Attempt 1 is immediate; then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 10 h, 10 h and
14 h (about 2 days 15 hours in all). A `scale` shrinks it for tests.
"""

from __future__ import annotations

import random

SCHEDULE_SECONDS = (5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 50400)
RETRY_AFTER_MAX_SECONDS = 86_400


def next_delay(attempts: int, *, scale: float = 1.0, retry_after: float | None = None,
               rng: random.Random | None = None) -> float | None:
    """Seconds until the next try after `attempts` failed ones; None when the schedule is over."""
    if attempts > len(SCHEDULE_SECONDS):
        return None
    base = SCHEDULE_SECONDS[attempts - 1]
    jittered = base * (0.8 + 0.4 * (rng or random).random())
    if retry_after is not None:
        jittered = max(jittered, min(retry_after, RETRY_AFTER_MAX_SECONDS))
    return jittered * scale


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header in seconds (HTTP-dates are rare from webhook receivers)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
