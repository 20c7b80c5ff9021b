"""Warehouses and rate cards, as operators define them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

import asyncpg

from libs.domain_errors import FieldError, StateConflict
from libs.events.schemas import fulfillment as events
from libs.ids import new_id
from libs.markets import currency_of
from libs.outbox import enqueue
from libs.shipping_rates import RateCard, opening_card
from services.fulfillment.adapters import rates_repository, warehouses_repository
from services.fulfillment.domain import warehouses
from services.fulfillment.domain.warehouses import CarrierService, Warehouse

SOURCE = "fulfillment"


async def create(conn: asyncpg.Connection, *, code: str, name: str, market: str, country: str,
                 postcode: str, address: str, timezone: str, cutoff: time, handling_days: int,
                 zones_served: list[str], services: list[CarrierService],
                 capacity_units: int) -> Warehouse:
    warehouses.validate(market=market, country=country, postcode=postcode, timezone=timezone,
                        zones_served=zones_served, services=services)
    warehouse = Warehouse(id=new_id(), code=code, name=name, market=market, country=country,
                          postcode=postcode, address=address, timezone=timezone, cutoff=cutoff,
                          zones_served=tuple(zones_served), services=tuple(services),
                          capacity_units=capacity_units, handling_days=handling_days)
    if not await warehouses_repository.add(conn, warehouse):
        raise StateConflict("code", f"a warehouse {code} exists", "code_taken")
    return warehouse


async def update(conn: asyncpg.Connection, warehouse_id: UUID,
                 changes: dict[str, Any]) -> Warehouse:
    current = await warehouses_repository.get(conn, warehouse_id, for_update=True)
    if current is None:
        raise LookupError(warehouse_id)
    if "services" in changes:
        changes["services"] = tuple(changes["services"])
    if "zones_served" in changes:
        changes["zones_served"] = tuple(changes["zones_served"])
    updated = replace(current, **changes)
    warehouses.validate(market=updated.market, country=updated.country,
                        postcode=updated.postcode, timezone=updated.timezone,
                        zones_served=list(updated.zones_served), services=list(updated.services))
    held = await warehouses_repository.units_held(conn, warehouse_id)
    if updated.capacity_units < held:
        raise StateConflict("capacity_units", f"the warehouse holds {held} units already",
                            "below_stock")
    await warehouses_repository.save(conn, updated)
    return updated


async def rate_card(conn: asyncpg.Connection | asyncpg.Pool, market: str) -> RateCard:
    currency = currency_of(market)
    if currency is None:
        raise FieldError("market", f"the platform does not sell in market {market!r}",
                         "unknown_market")
    return await rates_repository.get(conn, market) or opening_card(market, currency)


async def publish_rate_card(conn: asyncpg.Connection, card: RateCard) -> RateCard:
    """Stores the market's new card and tells orders, which quotes checkout from it."""
    if currency_of(card.market) != card.currency:
        raise FieldError("currency", f"market {card.market} sells in "
                         f"{currency_of(card.market)}", "wrong_currency")
    at = datetime.now(UTC)
    version = await rates_repository.save(conn, card, at)
    card = replace(card, card_version=version)
    await enqueue(conn, SOURCE, events.ShippingRatesPublished(
        market=card.market, currency=card.currency, card_version=version,
        zone_bands=card.zone_bands, default_band=card.default_band,
        rates=[events.Rate(band=r.band, speed=r.speed, up_to_grams=r.up_to_grams,
                           price_minor=r.price_minor) for r in card.rates],
        free_from_minor=card.free_from_minor, published_at=at))
    return card
