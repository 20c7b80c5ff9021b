"""FBT warehouses: where they are, which zones they serve, when they stop taking today's orders,
which carrier services leave from them and how many units they hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libs import zones
from libs.domain_errors import FieldError
from libs.markets import MARKET_CURRENCIES
from services.fulfillment.domain.carriers import carrier

Speed = Literal["standard", "express"]


@dataclass(frozen=True)
class CarrierService:
    carrier: str
    service: str
    speed: Speed
    transit_days: int
    """Days in transit to a zone the warehouse serves; one more to other zones of its country,
    three more abroad."""

    def days_to(self, origin: zones.Zone, destination: zones.Zone) -> int:
        if destination.code == origin.code:
            return self.transit_days
        return self.transit_days + (1 if destination.country == origin.country else 3)


@dataclass(frozen=True)
class Warehouse:
    id: UUID
    code: str
    name: str
    market: str
    country: str
    postcode: str
    address: str
    timezone: str
    cutoff: time
    zones_served: tuple[str, ...]
    services: tuple[CarrierService, ...]
    capacity_units: int
    handling_days: int = 0
    active: bool = True

    @property
    def zone(self) -> zones.Zone:
        return zones.zone_of(self.country, self.postcode)

    def service_for(self, speed: Speed) -> CarrierService:
        """The warehouse's fastest service of that speed (express falls back to standard)."""
        for wanted in (speed, "standard"):
            offered = [s for s in self.services if s.speed == wanted]
            if offered:
                return min(offered, key=lambda s: s.transit_days)
        raise FieldError("services", f"warehouse {self.code} offers no carrier service",
                         "no_service")

    def next_cutoff(self, now: datetime) -> datetime:
        """The first daily cut-off at or after `now` (in the warehouse's time zone), pushed back
        by the handling days: an order in before it leaves that day."""
        tz = ZoneInfo(self.timezone)
        local = now.astimezone(tz)
        cut = datetime.combine(local.date(), self.cutoff, tz)
        if local > cut:
            cut = datetime.combine(local.date() + timedelta(days=1), self.cutoff, tz)
        return (cut + timedelta(days=self.handling_days)).astimezone(UTC)


def validate(*, market: str, country: str, postcode: str, timezone: str,
             zones_served: list[str], services: list[CarrierService]) -> None:
    """The rules a warehouse's definition must meet (raised as the field at fault)."""
    if market not in MARKET_CURRENCIES:
        raise FieldError("market", f"the platform does not sell in market {market!r}",
                         "unknown_market")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"unknown time zone {timezone!r}", "unknown_timezone") from None
    known = set(zones.known_zones())
    for index, code in enumerate(zones_served):
        if code not in known:
            raise FieldError(f"zones_served.{index}", f"unknown zone {code!r}", "unknown_zone")
    if not services:
        raise FieldError("services", "a warehouse needs at least one carrier service",
                         "no_service")
    for index, service in enumerate(services):
        carrier(service.carrier, f"services.{index}.carrier")
