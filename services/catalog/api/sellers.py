"""Seller registration and reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from libs import idempotency
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.domain_errors import InvalidTransition
from libs.errors import Problem
from libs.events.base import Event
from libs.idempotency import IdempotencyKey
from libs.markets import MARKET_CURRENCIES
from libs.outbox import enqueue
from libs.pagination import Page, PageParams, decode_cursor, encode_cursor, page_params
from libs.request_guard import NOT_BLANK
from services.catalog.adapters import sellers_repository
from services.catalog.domain.sellers import (
    BusinessType,
    Seller,
    SellerStatus,
    Tier,
    register_seller,
)
from services.catalog.use_cases import sellers

router = APIRouter(prefix="/v1/sellers", tags=["sellers"])


class SellerRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "legal_name": "Tenby Threads Ltd", "country": "GB", "business_type": "company",
        "market": "GB",
    }]})

    legal_name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="Where the seller is based.")
    business_type: BusinessType
    market: str = Field(pattern=r"^[A-Z]{2}$",
                        json_schema_extra={"enum": list[JsonValue](sorted(MARKET_CURRENCIES))},
                        description="The market the shop sells in (one of the platform's). "
                                    "The tier follows: local when it is the seller's country, "
                                    "else cross-border.")


class SellerView(BaseModel):
    id: UUID
    shop_id: UUID
    legal_name: str
    country: str
    business_type: BusinessType
    market: str
    currency: str
    tier: Tier
    status: SellerStatus
    created_at: datetime

    @classmethod
    def of(cls, seller: Seller) -> SellerView:
        return cls(**{name: getattr(seller, name) for name in cls.model_fields})


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


@router.post("", status_code=201, response_model=SellerView,
             summary="Register as a seller (one shop in one market).",
             responses={409: {"description": "This user already registered a seller."}})
async def register(
    request: Request,
    registration: Annotated[SellerRegistration, Body()],
    principal: Annotated[Principal, Depends(require(Role.SELLER))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    runtime = _runtime(request)
    seller = register_seller(
        owner_subject=principal.subject, legal_name=registration.legal_name,
        country=registration.country, business_type=registration.business_type,
        market=registration.market, tier=None, now=datetime.now(UTC),
    )

    async def work(conn: Any) -> tuple[int, Any]:
        try:
            await sellers_repository.add(conn, seller)
        except sellers_repository.SellerAlreadyRegistered as exc:
            raise Problem(409, "Conflict", "This user has already registered a seller.") from exc
        await enqueue(conn, runtime.settings.service_name, seller.registered_event())
        return 201, SellerView.of(seller).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime.db, scope=f"{principal.subject}:POST /v1/sellers", key=idempotency_key,
        body=registration.model_dump(mode="json"), work=work,
    )


@router.get("/{seller_id}", response_model=SellerView, summary="A seller (its owner or staff).")
async def get_seller(
    request: Request, seller_id: UUID,
    principal: Annotated[Principal, Depends(require())],
) -> SellerView:
    seller = await sellers_repository.get(_runtime(request).db, seller_id)
    # Someone else's seller answers exactly like a missing one: ids are not an oracle.
    if seller is None or not (
        principal.is_staff or principal.owns_seller(seller.id)
        or principal.subject == seller.owner_subject
    ):
        raise Problem(404, "Not found", "No such seller.")
    return SellerView.of(seller)


@router.get("", response_model=Page[SellerView], summary="All sellers, newest first (staff).")
async def list_sellers(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.OPERATOR, Role.AGENT))],
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[SellerStatus | None, Query()] = None,
) -> Page[SellerView]:
    after = None
    if page.cursor:
        created_at, seller_id = decode_cursor(page.cursor, 2)
        try:
            after = (datetime.fromisoformat(created_at), UUID(seller_id))
        except (TypeError, ValueError) as exc:
            raise Problem(422, "Validation failed", "The cursor is not valid for this list.",
                          errors=[{"field": "query.cursor", "message": "invalid cursor",
                                   "code": "cursor_invalid"}]) from exc
    sellers = await sellers_repository.list_page(
        _runtime(request).db, status=status, after=after, limit=page.limit + 1,
    )
    more = len(sellers) > page.limit
    sellers = sellers[: page.limit]
    cursor = encode_cursor(sellers[-1].created_at.isoformat(), str(sellers[-1].id)) if more else None
    return Page[SellerView](items=[SellerView.of(s) for s in sellers], next_cursor=cursor)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "reason": "Listed counterfeit trainers after two warnings (case 4411)."}]})
    reason: str = Field(min_length=1, max_length=1000)


class StatusChange(BaseModel):
    status: SellerStatus
    actor: str
    reason: str | None
    changed_at: datetime


async def _decide(
    request: Request, seller_id: UUID, principal: Principal, reason: str | None,
    action: Callable[[Seller, datetime], tuple[Seller, Event]],
) -> SellerView:
    runtime = _runtime(request)
    async with transaction(runtime.db) as conn:
        try:
            changed = await sellers.decide(conn, seller_id, actor=principal.subject,
                                           reason=reason, action=action)
        except InvalidTransition as exc:
            current = await sellers_repository.get_for_update(conn, seller_id)
            raise Problem(409, "Conflict", str(exc),
                          current_status=current.status.value if current else None) from exc
    if changed is None:
        raise Problem(404, "Not found", "No such seller.")
    return SellerView.of(changed)


@router.post("/{seller_id}/verification", response_model=SellerView,
             summary="Verify a pending seller (operators).",
             responses={409: {"description": "The seller is not pending verification."}})
async def verify_seller(
    request: Request, seller_id: UUID,
    principal: Annotated[Principal, Depends(require(Role.OPERATOR))],
) -> SellerView:
    return await _decide(request, seller_id, principal, None,
                         lambda seller, now: seller.verify(now))


@router.post("/{seller_id}/suspension", response_model=SellerView,
             summary="Suspend a seller, with the reason (operators).")
async def suspend_seller(
    request: Request, seller_id: UUID, decision: Decision,
    principal: Annotated[Principal, Depends(require(Role.OPERATOR))],
) -> SellerView:
    return await _decide(request, seller_id, principal, decision.reason,
                         lambda seller, now: seller.suspend(decision.reason, now))


@router.post("/{seller_id}/reinstatement", response_model=SellerView,
             summary="Reinstate a suspended seller, with the reason (operators).")
async def reinstate_seller(
    request: Request, seller_id: UUID, decision: Decision,
    principal: Annotated[Principal, Depends(require(Role.OPERATOR))],
) -> SellerView:
    return await _decide(request, seller_id, principal, decision.reason,
                         lambda seller, now: seller.reinstate(decision.reason, now))


@router.get("/{seller_id}/status-history", response_model=list[StatusChange],
            summary="Onboarding decisions, oldest first (the seller itself or staff).")
async def status_history(
    request: Request, seller_id: UUID, principal: Annotated[Principal, Depends(require())],
) -> list[StatusChange]:
    await get_seller(request, seller_id, principal)  # same visibility rule as the seller
    rows = await sellers_repository.status_history(_runtime(request).db, seller_id)
    return [StatusChange(**dict(r)) for r in rows]
