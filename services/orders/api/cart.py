"""The buyer's cart."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from services.orders.adapters import repository
from services.orders.api.admission import BUSY
from services.orders.domain.cart import MAX_QUANTITY, Attribution, CartLine
from services.orders.use_cases.cart import put_line

router = APIRouter(prefix="/v1/cart", tags=["cart"])
buyers = require(Role.BUYER)


class Source(BaseModel):
    """Where the buyer met the product, as the platform signed it: credits are never taken
    from names a client sends (`creator_id` or `live_session_id` here are refused)."""

    model_config = ConfigDict(extra="forbid")
    attribution_token: str | None = Field(
        default=None, max_length=2000,
        description="From a tap on the product in a live session (live's taps route): the "
                    "sale credits that session and its partner creator.")
    claim_token: str | None = Field(default=None, max_length=1000,
                                    description="A flash-deal claim from the live service: "
                                                "the line is then priced by the claim.")


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"quantity": 2}]})
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    source: Source = Field(default_factory=Source)


class LineView(BaseModel):
    sku_id: UUID
    seller_id: UUID
    quantity: int
    unit_price_minor: int = Field(description="The price when the line was added or repriced.")
    currency: str
    source: dict[str, str]


class CartView(BaseModel):
    lines: list[LineView]


def _view(lines: list[CartLine]) -> CartView:
    return CartView(lines=[LineView(sku_id=line.sku_id, seller_id=line.seller_id,
                                    quantity=line.quantity,
                                    unit_price_minor=line.unit_price_minor,
                                    currency=line.currency, source=line.source.as_dict())
                           for line in lines])


@router.get("", response_model=CartView, summary="The caller's cart.")
async def get_cart(request: Request, principal: Annotated[Principal, Depends(buyers)]) -> Any:
    return _view(await repository.cart(request.app.state.runtime.db, principal.subject))


@router.put("/lines/{sku_id}", response_model=CartView, responses=BUSY,
            summary="Add a SKU or set its quantity; the price shown is a snapshot.")
async def put_cart_line(request: Request, sku_id: UUID, body: LineIn,
                   principal: Annotated[Principal, Depends(buyers)]) -> Any:
    runtime = request.app.state.runtime
    return _view(await put_line(
        runtime.db, runtime.settings.claim_token_secret.get_secret_value(), principal.subject,
        sku_id, body.quantity, Attribution(**body.source.model_dump())))


@router.delete("/lines/{sku_id}", status_code=204, summary="Remove a line.")
async def delete_line(request: Request, sku_id: UUID,
                      principal: Annotated[Principal, Depends(buyers)]) -> Response:
    if not await repository.remove_line(request.app.state.runtime.db, principal.subject, sku_id):
        raise Problem(404, "Not found", "That item is not in the cart.")
    return Response(status_code=204)
