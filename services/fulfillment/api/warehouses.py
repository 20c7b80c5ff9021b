"""Warehouses (operators define them; any signed-in caller may read them) and the markets'
shipping rate cards (public to read; operators publish)."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_GRAMS, MAX_MINOR, MAX_UNITS
from libs.db.transaction import transaction
from libs.domain_errors import FieldError
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.markets import MARKET_CURRENCIES
from libs.pagination import Page, PageParams, id_cursor, page_of, page_params
from libs.request_guard import NOT_BLANK
from libs.shipping_rates import RateCard, RateLine
from libs.zones import known_zones
from services.fulfillment.adapters import warehouses_repository
from services.fulfillment.domain.carriers import CARRIERS
from services.fulfillment.domain.warehouses import CarrierService, Warehouse
from services.fulfillment.use_cases import warehouses

router = APIRouter(tags=["warehouses"])
MARKETS = sorted(MARKET_CURRENCIES)
Market = Annotated[str, Path(pattern=r"^[A-Z]{2}$", json_schema_extra={"enum": MARKETS},
                             description="A market the platform sells in (ISO 3166-1).")]
MarketField = Annotated[str, Field(pattern=r"^[A-Z]{2}$", json_schema_extra={"enum": MARKETS})]
Cutoff = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
                              examples=["15:00"],
                              description="Local time (HH:MM): orders in by then leave the "
                                          "same day.")]
ZoneCode = Annotated[str, Field(max_length=20, json_schema_extra={"enum": known_zones()})]
TimeZone = Annotated[str, Field(max_length=64, json_schema_extra={
    "enum": sorted(available_timezones())}, examples=["Europe/London"])]
CarrierName = Annotated[str, Field(max_length=50, json_schema_extra={"enum": sorted(CARRIERS)},
                                   examples=["Royal Mail"])]


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: CarrierName
    service: str = Field(min_length=1, max_length=50, pattern=NOT_BLANK, examples=["Tracked 48"])
    speed: Literal["standard", "express"]
    transit_days: int = Field(ge=0, le=60)


class WarehouseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "LHR1", "name": "London Heathrow FBT", "market": "GB", "country": "GB",
        "postcode": "UB3 1AA", "address": "Unit 4, Heathrow Logistics Park",
        "timezone": "Europe/London", "cutoff": "15:00", "zones_served": ["GB-LON", "GB-SOU"],
        "services": [{"carrier": "Royal Mail", "service": "Tracked 48", "speed": "standard",
                      "transit_days": 2}], "capacity_units": 100000}]})
    code: str = Field(pattern=r"^[A-Z0-9-]{2,20}$")
    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    market: MarketField
    country: str = Field(pattern=r"^[A-Z]{2}$")
    postcode: str = Field(min_length=1, max_length=20, pattern=NOT_BLANK)
    address: str = Field(min_length=1, max_length=500, pattern=NOT_BLANK)
    timezone: TimeZone
    cutoff: Cutoff
    handling_days: int = Field(default=0, ge=0, le=30)
    zones_served: list[ZoneCode] = Field(min_length=1, max_length=100)
    services: list[ServiceIn] = Field(min_length=1, max_length=20)
    capacity_units: int = Field(gt=0, le=MAX_UNITS * 100)


class WarehouseChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NOT_BLANK)
    cutoff: Cutoff | None = None
    handling_days: int | None = Field(default=None, ge=0, le=30)
    zones_served: list[ZoneCode] | None = Field(default=None, min_length=1, max_length=100)
    services: list[ServiceIn] | None = Field(default=None, min_length=1, max_length=20)
    capacity_units: int | None = Field(default=None, gt=0, le=MAX_UNITS * 100)
    active: bool | None = None


class WarehouseView(WarehouseIn):
    id: UUID
    zone: str
    active: bool

    @classmethod
    def of(cls, w: Warehouse) -> WarehouseView:
        return cls(id=w.id, code=w.code, name=w.name, market=w.market, country=w.country,
                   postcode=w.postcode, address=w.address, timezone=w.timezone,
                   cutoff=w.cutoff.strftime("%H:%M"),
                   handling_days=w.handling_days, zones_served=list(w.zones_served),
                   services=[ServiceIn(**vars(s)) for s in w.services],
                   capacity_units=w.capacity_units, zone=w.zone.code, active=w.active)


def _services(items: list[ServiceIn]) -> list[CarrierService]:
    return [CarrierService(**s.model_dump()) for s in items]


@router.post("/v1/warehouses", status_code=201, response_model=WarehouseView,
             summary="Open a warehouse (operators).")
async def create_warehouse(request: Request, body: WarehouseIn,
                           principal: Annotated[Principal, Depends(require(Role.OPERATOR))],
                           idempotency_key: IdempotencyKey = None) -> Any:
    async def work(conn: Any) -> tuple[int, Any]:
        created = await warehouses.create(conn, **{
            **body.model_dump(exclude={"services"}), "cutoff": time.fromisoformat(body.cutoff),
            "services": _services(body.services)})
        return 201, WarehouseView.of(created).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/warehouses",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)


@router.get("/v1/warehouses", response_model=Page[WarehouseView], summary="Warehouses.")
async def list_warehouses(request: Request, _: Annotated[Principal, Depends(require())],
                          page: Annotated[PageParams, Depends(page_params)]) -> Any:
    after = id_cursor(page.cursor)
    found = await warehouses_repository.page(runtime(request).db, after, page.limit + 1)
    return page_of([WarehouseView.of(w) for w in found], page.limit, lambda w: (w.id,))


@router.get("/v1/warehouses/{warehouse_id}", response_model=WarehouseView,
            summary="A warehouse.")
async def get_warehouse(request: Request, warehouse_id: UUID,
                        _: Annotated[Principal, Depends(require())]) -> Any:
    found = await warehouses_repository.get(runtime(request).db, warehouse_id)
    if found is None:
        raise Problem(404, "Not found", "No such warehouse.")
    return WarehouseView.of(found)


@router.patch("/v1/warehouses/{warehouse_id}", response_model=WarehouseView,
              summary="Change a warehouse's cut-off, zones, services, capacity or state.")
async def change_warehouse(request: Request, warehouse_id: UUID, body: WarehouseChange,
                           _: Annotated[Principal, Depends(require(Role.OPERATOR))]) -> Any:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True, exclude={"services"}).items()
               if v is not None}
    if body.cutoff is not None:
        changes["cutoff"] = time.fromisoformat(body.cutoff)
    if body.services is not None:
        changes["services"] = _services(body.services)
    try:
        async with transaction(runtime(request).db) as conn:
            return WarehouseView.of(await warehouses.update(conn, warehouse_id, changes))
    except LookupError:
        raise Problem(404, "Not found", "No such warehouse.") from None


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    band: str = Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")
    speed: Literal["standard", "express"]
    up_to_grams: int = Field(gt=0, le=MAX_GRAMS)
    price_minor: int = Field(ge=0, le=MAX_MINOR)


class RateCardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    zone_bands: dict[str, str] = Field(
        max_length=200, description="Zone code (or `CC-*` for a whole country) -> band.")
    default_band: str = Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")
    rates: list[RateIn] = Field(min_length=1, max_length=500)
    free_from_minor: int | None = Field(default=None, ge=0, le=MAX_MINOR)


class RateCardView(RateCardIn):
    market: str
    card_version: int

    @classmethod
    def of(cls, card: RateCard) -> RateCardView:
        return cls(market=card.market, currency=card.currency, card_version=card.card_version,
                   zone_bands=card.zone_bands, default_band=card.default_band,
                   rates=[RateIn(**vars(r)) for r in card.rates],
                   free_from_minor=card.free_from_minor)


@router.get("/v1/shipping-rates/{market}", response_model=RateCardView, tags=["shipping rates"],
            summary="A market's shipping rate card (version 0: the opening card).")
async def get_rate_card(request: Request, market: Market) -> Any:
    try:
        return RateCardView.of(await warehouses.rate_card(runtime(request).db, market))
    except FieldError:
        raise Problem(404, "Not found", f"The platform does not sell in {market}.") from None


@router.put("/v1/shipping-rates/{market}", response_model=RateCardView, tags=["shipping rates"],
            openapi_extra={"x-cross-field-rules": ["currency is the market's currency"]},
            summary="Publish a market's rate card (operators); checkout quotes from it.")
async def put_rate_card(request: Request, market: Market, body: RateCardIn,
                        _: Annotated[Principal, Depends(require(Role.OPERATOR))]) -> Any:
    card = RateCard(market, body.currency, 0, body.zone_bands, body.default_band,
                    tuple(RateLine(**r.model_dump()) for r in body.rates), body.free_from_minor)
    async with transaction(runtime(request).db) as conn:
        return RateCardView.of(await warehouses.publish_rate_card(conn, card))
