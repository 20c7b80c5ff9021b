"""Business hours: when a market's support desk works, and SLA time counted only then.

A target of "four business hours" set on Friday at 18:00 in a desk open 08:00-20:00 Monday to
Friday is due on Monday at 10:00, local time, and a public holiday counts as a closed day.
Times are computed in the market's own time zone (so daylight-saving changes are right) and
returned in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libs.domain_errors import FieldError

MAX_DAYS_AHEAD = 3 * 366
"""A target never reaches further than this (a desk with no working day left is refused)."""


class CalendarError(FieldError):
    """A calendar that cannot work (answered 422 naming the field)."""


@dataclass(frozen=True)
class BusinessCalendar:
    market: str
    timezone: str
    working_days: frozenset[int]
    """ISO weekdays: Monday is 1."""
    opens_minute: int
    closes_minute: int
    """Minutes after local midnight; 1440 is the end of the day."""
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError("timezone", f"unknown time zone {self.timezone!r}") from None
        if not self.working_days or not self.working_days <= set(range(1, 8)):
            raise CalendarError("working_days", "name at least one ISO weekday (1 = Monday)")
        if not 0 <= self.opens_minute < self.closes_minute <= 1440:
            raise CalendarError("closes", "the desk must close after it opens, the same day")

    @property
    def always_open(self) -> bool:
        return (len(self.working_days) == 7 and self.opens_minute == 0
                and self.closes_minute == 1440 and not self.holidays)

    def _windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open periods (UTC) from the local day of `start` on, earliest first."""
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        for _ in range(MAX_DAYS_AHEAD):
            if day.isoweekday() in self.working_days and day not in self.holidays:
                opens = _local(day, self.opens_minute, zone)
                closes = _local(day, self.closes_minute, zone)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def add(self, start: datetime, business: timedelta) -> datetime:
        """The moment `business` time of open hours after `start` has passed."""
        if business <= timedelta(0):
            return start
        if self.always_open:
            return start + business
        left = business
        for opens, closes in self._windows(start):
            if opens + left <= closes:
                return (opens + left).astimezone(UTC)
            left -= closes - opens
        raise CalendarError("working_days", "no working day within three years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two moments (zero when `end` is not after `start`)."""
        if end <= start:
            return timedelta(0)
        if self.always_open:
            return end - start
        total = timedelta(0)
        for opens, closes in self._windows(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    def is_open(self, moment: datetime) -> bool:
        for opens, closes in self._windows(moment):
            return opens <= moment < closes
        return False


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Local wall-clock time `minute` after midnight of `day`, in UTC (1440: next midnight)."""
    if minute >= 1440:
        return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), zone).astimezone(UTC)


def parse_clock(value: str, field: str) -> int:
    """'HH:MM' as minutes after midnight; '24:00' is the end of the day."""
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except ValueError:
        raise CalendarError(field, "use HH:MM") from None
    total = hours * 60 + minutes
    if not (0 <= minutes < 60 and 0 <= total <= 1440):
        raise CalendarError(field, "a time of day between 00:00 and 24:00")
    return total


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
