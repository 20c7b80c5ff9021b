"""The buyer's cart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from libs import claim_tokens
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.domain_errors import StateConflict
from libs.errors import Problem
from services.orders.adapters import repository
from services.orders.domain.cart import MAX_LINES, MAX_QUANTITY, Attribution, CartLine
from services.orders.domain.claims import check_claim

router = APIRouter(prefix="/v1/cart", tags=["cart"])
buyers = require(Role.BUYER)


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    creator_id: str | None = Field(default=None, max_length=64)
    video_id: str | None = Field(default=None, max_length=64)
    live_session_id: str | None = Field(default=None, max_length=64)
    claim_token: str | None = Field(default=None, max_length=1000,
                                    description="A flash-deal claim from the live service: "
                                                "the line is then priced by the claim.")


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"quantity": 2, "source": {"creator_id": "cr_81", "video_id": "v_1002"}}]})
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


@router.put("/lines/{sku_id}", response_model=CartView,
            summary="Add a SKU or set its quantity; the price shown is a snapshot.")
async def put_line(request: Request, sku_id: UUID, body: LineIn,
                   principal: Annotated[Principal, Depends(buyers)]) -> Any:
    pool = request.app.state.runtime.db
    sku = (await repository.skus(pool, [sku_id])).get(sku_id)
    if sku is None or not sku.purchasable:
        raise StateConflict("sku_id", "This item is not for sale.", "not_purchasable")
    lines = await repository.cart(pool, principal.subject)
    if len(lines) >= MAX_LINES and all(line.sku_id != sku_id for line in lines):
        raise Problem(422, "Validation failed", f"A cart holds at most {MAX_LINES} lines.",
                      errors=[{"field": "sku_id", "message": "cart full", "code": "cart_full"}])
    source = Attribution(**body.source.model_dump())
    price = sku.price_minor
    if source.claim_token is not None:
        grant = _verified_claim(request, source.claim_token)
        check_claim(grant, buyer_id=principal.subject, sku_id=sku_id, quantity=body.quantity,
                    now=datetime.now(UTC))
        price = grant.unit_price_minor
        source = replace(source, live_session_id=str(grant.session_id))
    await repository.put_line(pool, principal.subject, CartLine(
        sku_id=sku_id, seller_id=sku.seller_id, quantity=body.quantity,
        unit_price_minor=price, currency=sku.currency, source=source))
    return _view(await repository.cart(pool, principal.subject))


def _verified_claim(request: Request, token: str) -> claim_tokens.ClaimGrant:
    secret = request.app.state.runtime.settings.claim_token_secret.get_secret_value()
    try:
        return claim_tokens.verify(secret, token)
    except claim_tokens.InvalidClaimToken as exc:
        raise Problem(422, "Validation failed", str(exc).capitalize() + ".", errors=[
            {"field": "source.claim_token", "message": str(exc), "code": "claim_invalid"}],
        ) from exc


@router.delete("/lines/{sku_id}", status_code=204, summary="Remove a line.")
async def delete_line(request: Request, sku_id: UUID,
                      principal: Annotated[Principal, Depends(buyers)]) -> Response:
    if not await repository.remove_line(request.app.state.runtime.db, principal.subject, sku_id):
        raise Problem(404, "Not found", "That item is not in the cart.")
    return Response(status_code=204)
