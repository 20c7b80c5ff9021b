"""Returns as the buyer, seller and operators see them; receipt and inspection by whoever the
goods go back to (operators at a warehouse, the seller for self-shipped orders)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_UNITS
from libs.db.transaction import transaction
from libs.errors import Problem
from services.fulfillment.adapters import returns_repository
from services.fulfillment.domain.returns import Inspection
from services.fulfillment.use_cases import returns

router = APIRouter(prefix="/v1/returns", tags=["returns"])
Receiver = Annotated[Principal, Depends(require(Role.OPERATOR, Role.SELLER))]


class ReturnLine(BaseModel):
    sku_id: UUID
    quantity: int


class InspectedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: UUID
    resellable: int = Field(ge=0, le=MAX_UNITS)
    damaged: int = Field(default=0, ge=0, le=MAX_UNITS)
    rejected: int = Field(default=0, ge=0, le=MAX_UNITS,
                          description="Not what was sold, or missing: not refunded.")


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[InspectedLine] = Field(min_length=1, max_length=200)


class ReturnView(BaseModel):
    id: UUID
    order_id: UUID
    seller_id: UUID
    destination: str
    warehouse_id: UUID | None
    status: str
    reason: str
    lines: list[ReturnLine]
    inspection: list[InspectedLine] | None
    carrier: str
    tracking_number: str
    created_at: datetime

    @classmethod
    def of(cls, r: dict[str, Any]) -> ReturnView:
        return cls(**{**r, "lines": [ReturnLine(sku_id=k, quantity=v)
                                     for k, v in r["lines"].items()]})


@router.get("/{return_id}", response_model=ReturnView,
            summary="A return and its label (its buyer, its seller, staff).")
async def get_return(request: Request, return_id: UUID,
                     principal: Annotated[Principal, Depends(require())]) -> Any:
    found = await returns_repository.get(runtime(request).db, return_id)
    if found is None or not (principal.is_staff or principal.owns_seller(found["seller_id"])
                             or principal.subject == found["buyer_id"]):
        raise Problem(404, "Not found", "No such return.")
    return ReturnView.of(found)


async def _as_receiver(request: Request, principal: Principal,
                       step: Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]) -> Any:
    seller = UUID(principal.seller_id) if principal.seller_id else None
    try:
        async with transaction(runtime(request).db) as conn:
            found = await returns.get_for(conn, request.path_params["return_id"],
                                          operator=principal.has(Role.OPERATOR),
                                          seller_id=seller)
            return ReturnView.of(await step(conn, found))
    except LookupError:
        raise Problem(404, "Not found", "No such return.") from None
    except PermissionError as exc:
        raise Problem(403, "Forbidden", str(exc)) from None


@router.post("/{return_id}/receipt", response_model=ReturnView,
             summary="The return parcel arrived (the warehouse's operators, or the seller).")
async def receive(request: Request, return_id: UUID, principal: Receiver) -> Any:
    return await _as_receiver(request, principal, returns.receive)


@router.post("/{return_id}/inspection", response_model=ReturnView,
             openapi_extra={"x-cross-field-rules": [
                 "per line: resellable + damaged + rejected = units authorised"]},
             summary="Inspected: resellable units are sellable again; the buyer is refunded "
                     "for resellable and damaged units.")
async def inspect(request: Request, return_id: UUID, body: InspectionIn,
                  principal: Receiver) -> Any:
    lines = [Inspection(**line.model_dump()) for line in body.lines]
    return await _as_receiver(request, principal, lambda c, r: returns.inspect(c, r, lines))
