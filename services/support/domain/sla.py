"""SLA policies and clocks.

A policy gives, per support tier and priority, three targets in business minutes: the first
reply, each next reply (after the requester writes again) and the resolution. The clocks run in
the market's business hours; the resolution clock pauses while the ticket waits on the
requester and resumes with the time it had left. A warning fires when `warning_fraction` of a
target is left; at the target the clock is breached and the ticket escalates.

`minute` is how long a business minute lasts: 60 seconds in production, less in tests and
demos, which shrink every target alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.support.domain.calendars import BusinessCalendar


class Clock(StrEnum):
    FIRST_REPLY = "first_reply"
    NEXT_REPLY = "next_reply"
    RESOLUTION = "resolution"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    def raised(self) -> Priority:
        order = list(Priority)
        return order[min(order.index(self) + 1, len(order) - 1)]


@dataclass(frozen=True)
class Policy:
    tier: str
    priority: Priority
    first_reply_minutes: int
    next_reply_minutes: int
    resolution_minutes: int

    def minutes(self, clock: Clock) -> int:
        return {Clock.FIRST_REPLY: self.first_reply_minutes,
                Clock.NEXT_REPLY: self.next_reply_minutes,
                Clock.RESOLUTION: self.resolution_minutes}[clock]


@dataclass(frozen=True)
class Target:
    clock: Clock
    due_at: datetime
    warn_at: datetime


@dataclass(frozen=True)
class SlaClockwork:
    calendar: BusinessCalendar
    minute: timedelta
    warning_fraction: float

    def target(self, clock: Clock, policy: Policy, start: datetime) -> Target:
        span = self.minute * policy.minutes(clock)
        return self.target_after(clock, start, span)

    def target_after(self, clock: Clock, start: datetime, span: timedelta) -> Target:
        """A clock with `span` of business time left, from `start` (a paused clock resuming)."""
        due = self.calendar.add(start, span)
        warn = self.calendar.add(start, span * (1 - self.warning_fraction))
        return Target(clock, due, warn)

    def left(self, now: datetime, due_at: datetime) -> timedelta:
        """Business time a running clock has left (what a paused clock keeps)."""
        return self.calendar.between(now, due_at)


def support_tier(orders_last_30_days: int, thresholds: dict[str, int]) -> str:
    """A seller's tier by its recent orders: the highest tier whose threshold it reaches."""
    reached = [(minimum, tier) for tier, minimum in thresholds.items()
               if orders_last_30_days >= minimum]
    return max(reached)[1] if reached else "standard"
