"""Seller account health as the seller and the desk see it: the score and its violations, and
appeals (a ticket the desk decides)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import retry_on_conflict, transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.request_guard import NOT_BLANK
from services.support.adapters import seller_accounts_repository as accounts
from services.support.api.schemas import MAX_MESSAGE_CHARS, TicketView
from services.support.domain.seller_accounts import Standing
from services.support.use_cases import account_health, tickets
from services.support.use_cases.access import require_desk, ticket_for

router = APIRouter(prefix="/v1/seller-accounts", tags=["seller accounts"])
Caller = Annotated[Principal, Depends(require())]


class SellerAccountView(BaseModel):
    seller_id: UUID
    shop_id: UUID
    market: str
    origin: str = Field(description="local or cross_border")
    health_score: int
    standing: Standing
    catalog_status: str
    warned_at: datetime | None
    suspended_at: datetime | None
    suspension_reason: str | None
    suspended_by: str | None
    warning_below: int
    suspension_below: int
    window_days: float
    opened_at: datetime


class ViolationView(BaseModel):
    id: UUID
    kind: str
    points: int
    reference: str
    occurred_at: datetime
    forgiven_at: datetime | None


class AppealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statement: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK,
                           description="Why the account should be reinstated, and what changed.")


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grant: bool
    reason: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)


async def _account(request: Request, seller_id: UUID, principal: Principal) -> Any:
    if not (principal.is_staff or principal.owns_seller(seller_id)):
        raise Problem(404, "Not found", "No such seller account.")
    account = await accounts.get(runtime(request).db, seller_id)
    if account is None:
        raise Problem(404, "Not found", "No such seller account.")
    return account


@router.get("/{seller_id}", response_model=SellerAccountView,
            summary="A seller's account health (the seller itself or support staff).")
async def get_account(request: Request, seller_id: UUID,
                      principal: Caller) -> SellerAccountView:
    account = await _account(request, seller_id, principal)
    return SellerAccountView(**account_health.view(account,
                                                   runtime(request).settings.health_rules()))


@router.get("/{seller_id}/violations", response_model=list[ViolationView],
            summary="What counted against the score, newest first.")
async def violations(request: Request, seller_id: UUID,
                     principal: Caller) -> list[ViolationView]:
    await _account(request, seller_id, principal)
    return [ViolationView(**v) for v in await accounts.violation_list(runtime(request).db,
                                                                      seller_id)]


@router.post("/{seller_id}/appeals", status_code=201, response_model=TicketView,
             summary="Appeal a warning or a suspension: opens a high-priority account ticket.")
async def appeal(request: Request, seller_id: UUID, body: AppealRequest,
                 principal: Annotated[Principal, Depends(require(Role.SELLER))],
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    account = await _account(request, seller_id, principal)
    account_health.check_can_appeal(account)
    rt = runtime(request)

    async def work(conn: Any) -> tuple[int, Any]:
        ticket = await tickets.open_ticket(conn, rt.settings, principal, tickets.NewTicket(
            category="account", priority="high", kind="appeal", body=body.statement,
            subject=f"Appeal: {account.standing.value.replace('_', ' ')} account"))
        return 201, TicketView.of(ticket).model_dump(mode="json")

    return await idempotency.run_idempotent(
        rt.db, scope=f"support:appeal:{seller_id}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.post("/{seller_id}/appeals/{ticket_id}/decision", response_model=TicketView,
             summary="Decide an appeal (the desk): granting it forgives the violations counted "
                     "so far and reinstates the seller; either way the ticket is solved.")
async def decide_appeal(request: Request, seller_id: UUID, ticket_id: UUID,
                        body: AppealDecision, principal: Caller) -> TicketView:
    # Deciding locks the ticket, then the seller's account and the ticket's deadlines; support's
    # consumer and deadline worker may hold them in the other order (a CI run met one such
    # deadlock). Postgres then aborts one of the two, and this one runs again: all its effects
    # are in its transaction.
    return await retry_on_conflict(
        partial(_decide_appeal_once, request, seller_id, ticket_id, body, principal))


async def _decide_appeal_once(request: Request, seller_id: UUID, ticket_id: UUID,
                              body: AppealDecision, principal: Principal) -> TicketView:
    rt = runtime(request)
    async with transaction(rt.db) as conn:
        ticket, on_desk = await ticket_for(conn, principal, ticket_id, for_update=True)
        require_desk(on_desk, "grant", "decide appeals")
        if ticket["kind"] != "appeal" or ticket["seller_id"] != seller_id:
            raise Problem(404, "Not found", "No such appeal for this seller.")
        if body.grant:
            await account_health.grant_appeal(conn, rt.settings, seller_id, ticket_id,
                                              body.reason)
        verdict = "granted: your account is reinstated" if body.grant else "not granted"
        await tickets.agent_writes(conn, rt.settings, ticket, principal.subject,
                                   f"Your appeal was {verdict}. {body.reason}", [],
                                   internal=False, await_requester=False)
        await tickets.solve(conn, rt.settings, ticket, principal.subject)
        return TicketView.of(ticket)
