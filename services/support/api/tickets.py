"""Tickets as requesters and the desk use them: open, read, write, rate an automatic answer,
solve, close, and the requester's whole story for agents."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, page_of, page_params, time_cursor
from services.support.adapters import tickets_repository as tickets
from services.support.api.schemas import (
    Feedback,
    MessageRequest,
    MessageView,
    TicketRequest,
    TicketView,
    attachments_json,
)
from services.support.domain.tickets import Status
from services.support.use_cases import context
from services.support.use_cases import tickets as ticket_cases
from services.support.use_cases.access import is_requester, require_desk, ticket_for

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
Caller = Annotated[Principal, Depends(require())]


async def _view(conn: Any, ticket: dict[str, Any], on_desk: bool) -> TicketView:
    return TicketView.of(ticket, links=await tickets.links(conn, ticket["id"]),
                         messages=await tickets.messages(conn, ticket["id"], internal=on_desk),
                         desk=on_desk)


@router.post("", status_code=201, response_model=TicketView,
             summary="Open a ticket (sellers, with a token or API key, and buyers).",
             openapi_extra={"x-cross-field-rules": [
                 "a buyer names the market unless a linked order tells it"]},
             responses={429: {"description": "Too many tickets opened in the last hour."}})
async def open_ticket(
    request: Request, body: TicketRequest,
    principal: Annotated[Principal, Depends(require(Role.SELLER, Role.BUYER))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    rt = runtime(request)
    who = await ticket_cases.check_rate(rt.components["rate_limiter"], rt.settings, principal)

    async def work(conn: Any) -> tuple[int, Any]:
        ticket = await ticket_cases.open_ticket(conn, rt.settings, principal, body.ticket())
        return 201, (await _view(conn, ticket, False)).model_dump(mode="json")

    return await idempotency.run_idempotent(
        rt.db, scope=f"support:ticket:{who}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("", response_model=Page[TicketView],
            summary="Tickets: a requester's own; an agent's assigned ones (`scope=mine`) or a "
                    "queue's (`queue_id`); operators any (`scope=all`).")
async def list_tickets(
    request: Request, principal: Caller, page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Status | None, Query()] = None,
    scope: Annotated[str | None, Query(pattern="^(mine|all)$")] = None,
    queue_id: Annotated[UUID | None, Query(description="The desk: one queue's tickets.")]
    = None,
) -> Page[TicketView]:
    db = runtime(request).db
    where, value = await ticket_cases.listing_scope(db, principal, scope, queue_id)
    rows = await tickets.list_where(db, where, value, status=status.value if status else None,
                                    after=time_cursor(page.cursor), limit=page.limit + 1)
    return page_of([TicketView.of(r) for r in rows], page.limit,
                   lambda t: (t.created_at.isoformat(), str(t.id)))


@router.get("/{ticket_id}", response_model=TicketView,
            summary="A ticket with its messages (internal notes only for the desk) and its "
                    "SLA due times.")
async def get_ticket(request: Request, ticket_id: UUID, principal: Caller) -> TicketView:
    db = runtime(request).db
    ticket, on_desk = await ticket_for(db, principal, ticket_id)
    return await _view(db, ticket, on_desk)


@router.post("/{ticket_id}/messages", status_code=201, response_model=MessageView,
             summary="Write on a ticket: the requester (reopens a solved ticket within its "
                     "window), or an agent (a reply, or an internal note).",
             responses={409: {"description": "The ticket is closed, or past its reopen window."}})
async def write(request: Request, ticket_id: UUID, body: MessageRequest, principal: Caller,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    rt = runtime(request)

    async def work(conn: Any) -> tuple[int, Any]:
        ticket, on_desk = await ticket_for(conn, principal, ticket_id, for_update=True)
        message = await ticket_cases.write(
            conn, rt.settings, principal, ticket, on_desk, body.body,
            attachments_json(body.attachments), internal=body.internal,
            await_requester=body.await_requester)
        return 201, MessageView(**{**message, "confidence": None, "helpful": None, "author":
                                   message["author"] if on_desk else None}).model_dump(mode="json")

    return await idempotency.run_idempotent(
        rt.db, scope=f"support:message:{principal.subject}:{ticket_id}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.post("/{ticket_id}/messages/{message_id}/feedback", status_code=204,
             summary="The requester rates an automatic answer: helpful counts it as the first "
                     "reply; not helpful hands the ticket to a person.")
async def rate_answer(request: Request, ticket_id: UUID, message_id: UUID, body: Feedback,
                      principal: Caller) -> None:
    async with transaction(runtime(request).db) as conn:
        ticket, _ = await ticket_for(conn, principal, ticket_id, for_update=True)
        if not is_requester(principal, ticket):
            raise Problem(403, "Forbidden", "Only the requester rates an automatic answer.",
                          errors=[{"field": "helpful", "message": "requester only",
                                   "code": "requester_only"}])
        await ticket_cases.judge_answer(conn, ticket, message_id, body.helpful)


@router.post("/{ticket_id}/solution", response_model=TicketView,
             summary="Solve a ticket (agents); the requester may reopen it within the window.")
async def solve(request: Request, ticket_id: UUID, principal: Caller) -> TicketView:
    rt = runtime(request)
    async with transaction(rt.db) as conn:
        ticket, on_desk = await ticket_for(conn, principal, ticket_id, for_update=True)
        require_desk(on_desk, "status", "solve a ticket")
        await ticket_cases.solve(conn, rt.settings, ticket, principal.subject)
        return await _view(conn, ticket, True)


@router.post("/{ticket_id}/closure", response_model=TicketView,
             summary="Close a ticket for good (its requester, or the desk).")
async def close(request: Request, ticket_id: UUID, principal: Caller) -> TicketView:
    async with transaction(runtime(request).db) as conn:
        ticket, on_desk = await ticket_for(conn, principal, ticket_id, for_update=True)
        await ticket_cases.close(conn, ticket)
        return await _view(conn, ticket, on_desk)


@router.get("/{ticket_id}/context",
            summary="The requester's whole story on one screen (the desk): their recent orders "
                    "with parcels, refunds and each order's story, listings, account health, "
                    "disputes.")
async def ticket_context(request: Request, ticket_id: UUID, principal: Caller) -> JSONResponse:
    db = runtime(request).db
    ticket, on_desk = await ticket_for(db, principal, ticket_id)
    require_desk(on_desk, "ticket_id", "read a requester's context")
    story = await context.whole_story(db, ticket)
    return JSONResponse(jsonable_encoder(story))
