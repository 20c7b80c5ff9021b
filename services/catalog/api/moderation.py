"""The operators' review queue and their decisions on listings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.domain_errors import InvalidTransition
from libs.errors import Problem
from libs.pagination import Page, PageParams, encode_cursor, page_params, time_cursor
from services.catalog.adapters import products_repository
from services.catalog.api.products import ProductView
from services.catalog.use_cases import listings as listing

router = APIRouter(prefix="/v1/moderation", tags=["moderation"])
operators = require(Role.OPERATOR)


class RejectionReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, examples=["misleading_images"])
    detail: str = Field(min_length=1, max_length=1000)
    field: str | None = Field(default=None, examples=["images.0"])


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reasons": [{
        "code": "misleading_images", "field": "images.0",
        "detail": "The photo shows a branded item; the listing is unbranded."}]}]})
    reasons: list[RejectionReason] = Field(min_length=1)


class Decision(BaseModel):
    outcome: str
    reasons: list[dict[str, Any]]
    actor: str
    decided_at: datetime


@router.get("/queue", response_model=Page[ProductView],
            summary="Listings waiting for an operator, oldest first.")
async def queue(
    request: Request, _: Annotated[Principal, Depends(operators)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ProductView]:
    products = await products_repository.review_queue(
        runtime(request).db, after=time_cursor(page.cursor), limit=page.limit + 1)
    more = len(products) > page.limit
    products = products[: page.limit]
    cursor = (encode_cursor(products[-1].updated_at.isoformat(), str(products[-1].id))
              if more else None)
    return Page[ProductView](items=[ProductView.of(p) for p in products], next_cursor=cursor)


async def _decide(request: Request, product_id: UUID, principal: Principal, *, approve: bool,
                  reasons: list[dict[str, Any]]) -> ProductView:
    async with transaction(runtime(request).db) as conn:
        try:
            product = await listing.operator_decision(conn, product_id, approve=approve,
                                                      reasons=reasons,
                                                      operator=principal.subject)
        except listing.NotFound as exc:
            raise Problem(404, "Not found", "No such product.") from exc
        except InvalidTransition as exc:
            raise Problem(409, "Conflict", str(exc)) from exc
    return ProductView.of(product)


@router.post("/products/{product_id}/approval", response_model=ProductView,
             summary="Approve a listing pending review: it goes live.")
async def approve(request: Request, product_id: UUID,
                  principal: Annotated[Principal, Depends(operators)]) -> ProductView:
    return await _decide(request, product_id, principal, approve=True, reasons=[])


@router.post("/products/{product_id}/rejection", response_model=ProductView,
             summary="Reject a listing pending review, with reasons the seller will see.")
async def reject(request: Request, product_id: UUID, body: Rejection,
                 principal: Annotated[Principal, Depends(operators)]) -> ProductView:
    return await _decide(request, product_id, principal, approve=False,
                         reasons=[r.model_dump() for r in body.reasons])


@router.get("/products/{product_id}/decisions", response_model=list[Decision],
            summary="Every automatic and operator decision on a listing, oldest first.")
async def decisions(request: Request, product_id: UUID,
                    _: Annotated[Principal, Depends(require(Role.OPERATOR, Role.AGENT))],
                    ) -> list[Decision]:
    return [Decision(**dict(r)) for r in
            await products_repository.decisions(runtime(request).db, product_id)]
