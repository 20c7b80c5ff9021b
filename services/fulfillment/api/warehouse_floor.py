"""The warehouse floor (operators): waves of parcels to pick, then pick, pack, label and hand
each parcel to its carrier. The warehouse is in the path: a parcel of another warehouse is
refused."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_GRAMS, MAX_MILLIMETRES
from libs.db.transaction import transaction
from libs.idempotency import IdempotencyKey
from services.fulfillment.api.fulfillment_orders import ParcelView
from services.fulfillment.use_cases import shipping

router = APIRouter(prefix="/v1/warehouses/{warehouse_id}", tags=["warehouse floor"])
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]


class Wave(BaseModel):
    wave: str
    parcels: list[ParcelView]
    pick_list: dict[str, int] = Field(description="SKU -> units to pick for the whole wave.")


class WaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int | None = Field(default=None, gt=0, le=1000)


class Package(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weight_grams: int = Field(gt=0, le=MAX_GRAMS)
    length_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    width_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    height_mm: int = Field(gt=0, le=MAX_MILLIMETRES)


@router.post("/waves", status_code=201, response_model=Wave,
             summary="Start a wave: the next allocated parcels and their pick list.")
async def start_wave(request: Request, warehouse_id: UUID, body: WaveIn, principal: Operator,
                     idempotency_key: IdempotencyKey = None) -> Any:
    size = body.size or runtime(request).settings.pick_wave_size

    async def work(conn: Any) -> tuple[int, Any]:
        wave, found = await shipping.pick_list(conn, warehouse_id, size)
        totals: dict[str, int] = {}
        for parcel in found:
            for sku, qty in parcel["lines"].items():
                totals[str(sku)] = totals.get(str(sku), 0) + qty
        return 201, Wave(wave=wave, parcels=[ParcelView.of(p) for p in found],
                         pick_list=totals).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST {request.url.path}",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)


@router.post("/parcels/{parcel_id}/pick", response_model=ParcelView, summary="Picked.")
async def pick(request: Request, warehouse_id: UUID, parcel_id: UUID, _: Operator) -> Any:
    async with transaction(runtime(request).db) as conn:
        return ParcelView.of(await shipping.pick(conn, warehouse_id, parcel_id))


@router.post("/parcels/{parcel_id}/pack", response_model=ParcelView,
             summary="Packed: the package's weight and size set its billable weight and fee.")
async def pack(request: Request, warehouse_id: UUID, parcel_id: UUID, body: Package,
               _: Operator) -> Any:
    async with transaction(runtime(request).db) as conn:
        return ParcelView.of(await shipping.pack(
            conn, warehouse_id, parcel_id, weight_grams=body.weight_grams,
            dims_mm=(body.length_mm, body.width_mm, body.height_mm)))


@router.post("/parcels/{parcel_id}/label", response_model=ParcelView,
             summary="Buy the label: carrier service for the order's speed, tracking number.")
async def label(request: Request, warehouse_id: UUID, parcel_id: UUID, _: Operator) -> Any:
    async with transaction(runtime(request).db) as conn:
        return ParcelView.of(await shipping.label(conn, warehouse_id, parcel_id))


@router.post("/parcels/{parcel_id}/handover", response_model=ParcelView,
             summary="The carrier collected the parcel: shipped.")
async def hand_over(request: Request, warehouse_id: UUID, parcel_id: UUID, _: Operator) -> Any:
    settings = runtime(request).settings
    async with transaction(runtime(request).db) as conn:
        return ParcelView.of(await shipping.hand_over(conn, warehouse_id, parcel_id, settings))
