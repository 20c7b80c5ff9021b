"""The one retry schedule of the platform: exponential backoff, capped.

Retries here are of two kinds: loops that wait in-process (start-up, a crashed background task,
a consumer's handler, a dead-letter publish) and retries scheduled in the database (an outbox
row, a deadline), where the wait becomes a timestamp. Both take their waits from `backoff`, so a
change of policy is made once.
"""

from __future__ import annotations


def backoff(attempt: int, *, base: float = 0.5, cap: float = 60.0) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry): base, 2 x base,
    4 x base, ... never more than `cap`."""
    if attempt < 1:
        return base
    return float(min(cap, base * 2 ** min(attempt - 1, 62)))
