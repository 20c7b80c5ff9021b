"""Budget pacing: a daily budget spread through the (UTC) day, so a campaign does not spend
it all in the first hour and vanish for the rest of the day.

A campaign takes part in auctions only while what it spent today is under its allowance for
the time of day: a front-loaded share at midnight, growing linearly to the whole budget at the
end of the day. Pacing only decides eligibility; the budget itself is enforced when a click is
billed (under a lock), so no burst of concurrent clicks can overspend it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

FRONT_LOAD = 0.1
"""A share of the budget available from the start of the day."""


def day_of(at: datetime) -> date:
    return at.astimezone(UTC).date()


def elapsed_share(at: datetime) -> float:
    start = datetime.combine(day_of(at), time(), UTC)
    return min(1.0, (at - start) / timedelta(days=1))


def allowance(daily_budget_minor: int, at: datetime, front_load: float = FRONT_LOAD) -> int:
    return int(daily_budget_minor * min(1.0, front_load + (1 - front_load) * elapsed_share(at)))


def may_serve(*, daily_budget_minor: int, spent_minor: int, price_floor_minor: int,
              at: datetime, front_load: float = FRONT_LOAD) -> bool:
    """Under today's allowance, and room left for at least one click at the floor price."""
    return (spent_minor < allowance(daily_budget_minor, at, front_load)
            and spent_minor + price_floor_minor <= daily_budget_minor)
