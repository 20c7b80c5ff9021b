"""Delivery promises: ship by the warehouse's next cut-off, deliver by that plus the carrier
service's transit days to the buyer's zone. A seller shipping its own parcels promises its
handling days instead of a cut-off.

`TimeScale` shrinks the platform's days for tests and demos: a promise due in two days with one
day lasting six seconds is due in twelve seconds. Real deployments keep 86,400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from libs import zones
from services.fulfillment.domain.warehouses import Speed, Warehouse

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class TimeScale:
    seconds_per_day: float = SECONDS_PER_DAY

    def later(self, now: datetime, real: datetime) -> datetime:
        """A real-calendar time after `now`, on this scale."""
        factor = self.seconds_per_day / SECONDS_PER_DAY
        return now + (real - now) * factor

    def days(self, n: float) -> timedelta:
        return timedelta(seconds=n * self.seconds_per_day)


@dataclass(frozen=True)
class Promise:
    ship_by: datetime
    deliver_by: datetime


def from_warehouses(now: datetime, warehouses: list[Warehouse], destination: zones.Zone,
                    speed: Speed, scale: TimeScale) -> Promise:
    """An order leaving from several warehouses is promised by its slowest parcel."""
    ship_by, deliver_by = now, now
    for warehouse in warehouses:
        cutoff = warehouse.next_cutoff(now)
        service = warehouse.service_for(speed)
        days = service.days_to(warehouse.zone, destination)
        ship_by = max(ship_by, scale.later(now, cutoff))
        deliver_by = max(deliver_by, scale.later(now, cutoff + timedelta(days=days)))
    return Promise(ship_by, deliver_by)


def from_seller(now: datetime, handling_days: int, transit_days: int,
                scale: TimeScale) -> Promise:
    ship_by = now + scale.days(handling_days)
    return Promise(ship_by, ship_by + scale.days(transit_days))
