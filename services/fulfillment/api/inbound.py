"""Inbound plans: sellers plan and ship their goods into FBT warehouses; operators record the
arrival and the counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_GRAMS, MAX_MILLIMETRES, MAX_UNITS
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, id_cursor, page_of, page_params
from libs.request_guard import NOT_BLANK
from services.fulfillment.adapters import inbound_repository
from services.fulfillment.domain.inbound import Carton, Count, InboundStatus
from services.fulfillment.use_cases import inbound

router = APIRouter(prefix="/v1/inbound-plans", tags=["inbound"])
Seller = Annotated[Principal, Depends(require(Role.SELLER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]


class Place(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    postcode: str = Field(min_length=1, max_length=20, pattern=NOT_BLANK)


class PlanLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: UUID
    quantity: int = Field(gt=0, le=MAX_UNITS)


class CartonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weight_grams: int = Field(gt=0, le=MAX_GRAMS)
    length_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    width_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    height_mm: int = Field(gt=0, le=MAX_MILLIMETRES)
    contents: list[PlanLine] = Field(min_length=1, max_length=200)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ship_from: Place
    lines: list[PlanLine] = Field(min_length=1, max_length=200)
    cartons: list[CartonIn] = Field(min_length=1, max_length=500)


class Transport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: str = Field(min_length=1, max_length=50, examples=["DPD"])
    tracking_number: str = Field(min_length=1, max_length=40, examples=["15501234567890"])


class CountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: UUID
    good: int = Field(ge=0, le=MAX_UNITS)
    damaged: int = Field(default=0, ge=0, le=MAX_UNITS)
    missing: int = Field(default=0, ge=0, le=MAX_UNITS)
    unexpected: int = Field(default=0, ge=0, le=MAX_UNITS)


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counts: list[CountIn] = Field(min_length=1, max_length=400)


class LineView(BaseModel):
    sku_id: UUID
    planned: int
    good: int | None
    damaged: int | None
    missing: int | None
    unexpected: int | None


class CartonView(BaseModel):
    number: int
    label: str = Field(description="Print on the carton: the warehouse scans it on arrival.")
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int
    contents: dict[str, int]


class PlanView(BaseModel):
    id: UUID
    seller_id: UUID
    warehouse_id: UUID
    status: InboundStatus
    ship_from: Place
    carrier: str | None
    tracking_number: str | None
    lines: list[LineView]
    cartons: list[CartonView]
    created_at: datetime
    updated_at: datetime


class PlanSummary(BaseModel):
    id: UUID
    seller_id: UUID
    warehouse_id: UUID
    status: InboundStatus
    created_at: datetime
    updated_at: datetime


def _duplicate(lines: list[PlanLine], field: str) -> dict[UUID, int]:
    found: dict[UUID, int] = {}
    for index, line in enumerate(lines):
        if line.sku_id in found:
            raise Problem(422, "Validation failed", "A SKU appears twice.", errors=[
                {"field": f"{field}.{index}.sku_id", "message": "listed twice",
                 "code": "duplicate"}])
        found[line.sku_id] = line.quantity
    return found


@router.post("", status_code=201, response_model=PlanView,
             openapi_extra={"x-cross-field-rules": ["the cartons hold exactly the lines"]},
             summary="Plan a shipment of your SKUs into a warehouse; the platform picks which.")
async def create_plan(request: Request, body: PlanIn, principal: Seller,
                      idempotency_key: IdempotencyKey = None) -> Any:
    lines = _duplicate(body.lines, "lines")
    cartons = [Carton(c.weight_grams, c.length_mm, c.width_mm, c.height_mm,
                      _duplicate(c.contents, f"cartons.{i}.contents"))
               for i, c in enumerate(body.cartons)]

    async def work(conn: Any) -> tuple[int, Any]:
        plan = await inbound.create_plan(conn, seller_id=acting_seller(principal),
                                         ship_from=body.ship_from.model_dump(), lines=lines,
                                         cartons=cartons)
        return 201, PlanView(**plan).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST /v1/inbound-plans",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)


@router.get("", response_model=Page[PlanSummary],
            summary="Your inbound plans (operators: everyone's).")
async def list_plans(request: Request,
                     principal: Annotated[Principal, Depends(require(Role.SELLER, Role.OPERATOR))],
                     page: Annotated[PageParams, Depends(page_params)],
                     status: InboundStatus | None = None) -> Any:
    seller = None if principal.has(Role.OPERATOR) else acting_seller(principal)
    after = id_cursor(page.cursor)
    found = await inbound_repository.page(runtime(request).db, seller_id=seller,
                                          status=status, after=after, limit=page.limit + 1)
    return page_of([PlanSummary(**p) for p in found], page.limit, lambda p: (p.id,))


@router.get("/{inbound_id}", response_model=PlanView,
            summary="An inbound plan with its carton labels and counts.")
async def get_plan(request: Request, inbound_id: UUID,
                   principal: Annotated[Principal, Depends(require(Role.SELLER, Role.OPERATOR))]
                   ) -> Any:
    plan = await inbound_repository.get(runtime(request).db, inbound_id)
    if plan is None or not (principal.has(Role.OPERATOR)
                            or principal.owns_seller(plan["seller_id"])):
        raise Problem(404, "Not found", "No such inbound plan.")
    return PlanView(**plan)


async def _step(request: Request, step: Callable[[Any], Awaitable[dict[str, Any]]]) -> Any:
    """Runs one step of a plan in a transaction; a plan the caller cannot see is a 404."""
    try:
        async with transaction(runtime(request).db) as conn:
            await step(conn)
            found = await inbound_repository.get(conn, request.path_params["inbound_id"])
            return PlanView(**(found or {}))
    except LookupError:
        raise Problem(404, "Not found", "No such inbound plan.") from None


@router.post("/{inbound_id}/confirmation", response_model=PlanView,
             summary="The cartons are labelled and ready: draft -> ready_to_ship.")
async def confirm_plan(request: Request, inbound_id: UUID, principal: Seller) -> Any:
    return await _step(request, lambda c: inbound.confirm(c, inbound_id, acting_seller(principal)))


@router.post("/{inbound_id}/transport", response_model=PlanView,
             summary="Transport booked and handed over: ready_to_ship -> in_transit.")
async def book_transport(request: Request, inbound_id: UUID, body: Transport,
                         principal: Seller) -> Any:
    return await _step(request, lambda c: inbound.book_transport(
        c, inbound_id, acting_seller(principal), **body.model_dump()))


@router.post("/{inbound_id}/cancellation", response_model=PlanView,
             summary="Cancel a plan that has not shipped.")
async def cancel_plan(request: Request, inbound_id: UUID, principal: Seller) -> Any:
    return await _step(request, lambda c: inbound.cancel(c, inbound_id, acting_seller(principal)))


@router.post("/{inbound_id}/arrival", response_model=PlanView,
             summary="The cartons reached the dock (operators): in_transit -> arrived.")
async def record_arrival(request: Request, inbound_id: UUID, _: Operator) -> Any:
    return await _step(request, lambda c: inbound.arrive(c, inbound_id))


@router.post("/{inbound_id}/receiving", response_model=PlanView,
             summary="Counting started (operators): arrived -> receiving.")
async def start_receiving(request: Request, inbound_id: UUID, _: Operator) -> Any:
    return await _step(request, lambda c: inbound.start_receiving(c, inbound_id))


@router.post("/{inbound_id}/receipt", response_model=PlanView,
             openapi_extra={"x-cross-field-rules": [
                 "per SKU: good + damaged + missing - unexpected = planned"]},
             summary="Record the counts per SKU (operators); good units become sellable.")
async def record_receipt(request: Request, inbound_id: UUID, body: Receipt, _: Operator) -> Any:
    counts = [Count(**c.model_dump()) for c in body.counts]
    return await _step(request, lambda c: inbound.receive(c, inbound_id, counts))
