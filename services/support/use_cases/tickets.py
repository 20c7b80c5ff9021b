"""Tickets from requesters' and agents' side: opening one, writing on it, solving, closing,
reopening, and the requester's verdict on an automatic answer. Each command runs in the
caller's transaction and leaves the ticket, its clocks and its events consistent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.auth.principal import Principal, Role
from libs.domain_errors import FieldError, StateConflict
from libs.errors import Problem
from libs.events.schemas.support import TicketCreated, TicketReplied, TicketSolved
from libs.ids import new_id
from libs.outbox import enqueue
from libs.rate_limit import RateLimiter, enforce
from services.support.adapters import context_repository as context
from services.support.adapters import desk_repository as desk
from services.support.adapters import seller_accounts_repository as accounts
from services.support.adapters import tickets_repository as tickets
from services.support.domain import routing
from services.support.domain.sla import Clock, support_tier
from services.support.domain.tickets import (
    LANGUAGES,
    AuthorKind,
    LinkKind,
    Status,
    TicketState,
    after_agent_reply,
    after_requester_message,
    asks_for_person,
)
from services.support.domain.tickets import close as close_state
from services.support.domain.tickets import solve as solve_state
from services.support.settings import SupportSettings
from services.support.use_cases import clocks
from services.support.use_cases.access import is_requester
from services.support.use_cases.desk import assign

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
SOURCE = "support"
AUTO_REPLY = "auto_reply"
CLOSE_SOLVED = "close_solved"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewTicket:
    category: str
    subject: str
    body: str
    priority: str = "normal"
    links: list[tuple[str, UUID]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    market: str | None = None
    language: str | None = None
    kind: str = "question"


async def check_rate(limiter: RateLimiter, settings: SupportSettings,
                     principal: Principal) -> str:
    """Refuses a requester opening too many tickets; returns who it counted (a seller's
    credentials all count as the seller)."""
    who = f"seller:{principal.seller_id}" if principal.seller_id else principal.subject
    await enforce(limiter, f"tickets:{who}", settings.tickets_per_hour, 3600, field="body",
                  what="tickets (write on an open ticket instead)")
    return who


async def listing_scope(conn: Conn, principal: Principal, scope: str | None,
                        queue_id: UUID | None) -> tuple[str, UUID | str | None]:
    """Which tickets a list shows: a requester's own; on the desk, an agent's assigned ones, a
    queue it works in, or (operators) all."""
    if not principal.is_staff:
        if principal.seller_id is not None:
            return tickets.SCOPE_SELLER, UUID(principal.seller_id)
        return tickets.SCOPE_REQUESTER, principal.subject
    if queue_id is not None:
        if not (principal.has(Role.OPERATOR)
                or await desk.is_member(conn, queue_id, principal.subject)):
            raise Problem(403, "Forbidden", "You do not work in this queue.",
                          errors=[{"field": "query.queue_id", "message": "not your queue",
                                   "code": "agents_only"}])
        return tickets.SCOPE_QUEUE, queue_id
    if scope == "all" and principal.has(Role.OPERATOR):
        return tickets.SCOPE_ALL, None
    return tickets.SCOPE_ASSIGNEE, principal.subject


async def write(conn: asyncpg.Connection, settings: SupportSettings, principal: Principal,
                ticket: dict[str, Any], on_desk: bool, body: str,
                attachments: list[dict[str, Any]], *, internal: bool,
                await_requester: bool) -> dict[str, Any]:
    """A message from whoever the caller is on this ticket: the desk replies or notes; the
    requester writes (and may not use the desk's options)."""
    if on_desk and not is_requester(principal, ticket):
        return await agent_writes(conn, settings, ticket, principal.subject, body, attachments,
                                  internal=internal, await_requester=await_requester)
    for option, used in (("internal", internal), ("await_requester", await_requester)):
        if used:
            raise Problem(403, "Forbidden", f"Only the support desk may set {option}.",
                          errors=[{"field": option, "message": "only agents may set it",
                                   "code": "agents_only"}])
    return await requester_writes(conn, settings, ticket, principal.subject, body, attachments)


async def open_ticket(conn: asyncpg.Connection, settings: SupportSettings,
                      principal: Principal, new: NewTicket) -> dict[str, Any]:
    at = now()
    seller_id: UUID | None = None
    origin: str | None = None
    if principal.has(Role.SELLER) and principal.seller_id:
        seller_id = UUID(principal.seller_id)
        account = await accounts.get(conn, seller_id)
        if account is None:
            raise StateConflict("seller_id", "support has not heard of this seller yet; try "
                                             "again in a few seconds")
        market, origin, requester_kind = account.market, account.origin, "seller"
        recent = await context.orders_since(conn, seller_id, at - timedelta(days=30))
        tier = support_tier(recent, settings.tier_thresholds)
    elif principal.has(Role.BUYER):
        requester_kind, tier = "buyer", "buyer"
        market = new.market or await _market_of_links(conn, new.links) or ""
        if not market:
            raise FieldError("market", "name the market (or link an order)")
    else:
        raise StateConflict("requester", "tickets are opened by sellers and buyers")
    await _check_links(conn, principal, seller_id, new.links)
    if market not in LANGUAGES:
        raise FieldError("market", f"the platform does not sell in market {market!r}")
    ticket: dict[str, Any] = {
        "id": new_id(), "kind": new.kind, "requester": principal.subject,
        "requester_kind": requester_kind, "seller_id": seller_id, "market": market,
        "language": new.language or LANGUAGES[market], "tier": tier, "origin": origin,
        "category": new.category, "priority": new.priority, "subject": new.subject,
        "status": Status.NEW.value, "wants_person": asks_for_person(new.body),
        "created_at": at, "updated_at": at}
    queue = routing.queue_for(await desk.queues(conn), new.category, market)
    ticket["queue_id"] = queue.id if queue else None
    await tickets.add(conn, ticket)
    await tickets.add_links(conn, ticket["id"], new.links)
    await tickets.add_message(conn, _message(ticket["id"], principal.subject,
                                             AuthorKind.REQUESTER, new.body, at,
                                             attachments=new.attachments))
    ticket.update(first_reply_due_at=None, next_reply_due_at=None, resolution_due_at=None,
                  resolution_left_s=None, escalations=0, assignee=None)
    first_due = await clocks.start(conn, settings, ticket, Clock.FIRST_REPLY, at)
    resolution_due = await clocks.start(conn, settings, ticket, Clock.RESOLUTION, at)
    await _answer_soon(conn, settings, ticket["id"], at)
    await enqueue(conn, SOURCE, TicketCreated.model_validate({
        "ticket_id": ticket["id"], "requester_kind": requester_kind, "seller_id": seller_id,
        "market": market, "category": new.category, "priority": new.priority, "tier": tier,
        "origin": origin, "first_reply_due_at": first_due,
        "resolution_due_at": resolution_due, "created_at": at}))
    stored = await tickets.get(conn, ticket["id"])
    assert stored is not None
    return stored


async def _market_of_links(conn: asyncpg.Connection, links: list[tuple[str, UUID]]) -> str | None:
    for kind, object_id in links:
        if kind == LinkKind.ORDER:
            order = await context.order(conn, object_id)
            if order is not None:
                account = await accounts.get(conn, order["seller_id"])
                if account is not None:
                    return account.market
    return None


async def _check_links(conn: asyncpg.Connection, principal: Principal, seller_id: UUID | None,
                       links: list[tuple[str, UUID]]) -> None:
    """Every linked object must be the requester's: the seller's own orders, parcels and
    listings; the buyer's own orders and parcels, and products they bought."""
    for index, (kind, object_id) in enumerate(links):
        owner_ok = False
        if kind == LinkKind.ORDER:
            order = await context.order(conn, object_id)
            owner_ok = order is not None and _owns_order(order, principal, seller_id)
        elif kind == LinkKind.SHIPMENT:
            parcel = await context.parcel(conn, object_id)
            order = await context.order(conn, parcel["order_id"]) if parcel else None
            owner_ok = order is not None and _owns_order(order, principal, seller_id)
        elif kind == LinkKind.PRODUCT:
            listing = await context.listing(conn, object_id)
            owner_ok = listing is not None and (
                listing["seller_id"] == seller_id if seller_id is not None
                else await context.buyer_bought_listing(conn, principal.subject, object_id))
        if not owner_ok:
            raise StateConflict(f"links.{index}.id",
                                f"no {kind} {object_id} of yours is known to support",
                                "not_yours")


def _owns_order(order: dict[str, Any], principal: Principal, seller_id: UUID | None) -> bool:
    if seller_id is not None:
        return bool(order["seller_id"] == seller_id)
    return bool(order["buyer_id"] == principal.subject)


def _message(ticket_id: UUID, author: str, kind: AuthorKind, body: str, at: datetime, *,
             internal: bool = False, attachments: list[dict[str, Any]] | None = None,
             ) -> dict[str, Any]:
    return {"id": new_id(), "ticket_id": ticket_id, "author": author,
            "author_kind": kind.value, "internal": internal, "body": body,
            "attachments": attachments or [], "created_at": at}


async def _answer_soon(conn: asyncpg.Connection, settings: SupportSettings, ticket_id: UUID,
                       at: datetime) -> None:
    await deadlines.schedule(conn, ticket_id, AUTO_REPLY,
                             at + timedelta(seconds=settings.responder_delay_seconds),
                             replace=True)


async def requester_writes(conn: asyncpg.Connection, settings: SupportSettings,
                           ticket: dict[str, Any], author: str, body: str,
                           attachments: list[dict[str, Any]]) -> dict[str, Any]:
    at = now()
    before = Status(ticket["status"])
    status = after_requester_message(TicketState(before, ticket["reopen_until"]), at)
    message = _message(ticket["id"], author, AuthorKind.REQUESTER, body, at,
                       attachments=attachments)
    await tickets.add_message(conn, message)
    wants_person = ticket["wants_person"] or asks_for_person(body)
    await tickets.update(conn, ticket["id"], at, status=status.value, wants_person=wants_person)
    ticket.update(status=status.value, wants_person=wants_person)
    if before is Status.SOLVED:  # reopened: the desk owes it a resolution again
        await deadlines.cancel(conn, ticket["id"], CLOSE_SOLVED)
        await tickets.update(conn, ticket["id"], at, solved_at=None, reopen_until=None)
        await clocks.start(conn, settings, ticket, Clock.RESOLUTION, at)
    elif before is Status.PENDING_REQUESTER:
        await clocks.resume_resolution(conn, settings, ticket, at)
    if await tickets.has_agent_reply(conn, ticket["id"]):
        if ticket["next_reply_due_at"] is None:
            await clocks.start(conn, settings, ticket, Clock.NEXT_REPLY, at)
    else:
        await _answer_soon(conn, settings, ticket["id"], at)
    await enqueue(conn, SOURCE, TicketReplied(ticket_id=ticket["id"], message_id=message["id"],
                                              author_kind="requester", replied_at=at))
    return message


async def agent_writes(conn: asyncpg.Connection, settings: SupportSettings,
                       ticket: dict[str, Any], agent: str, body: str,
                       attachments: list[dict[str, Any]], *, internal: bool,
                       await_requester: bool) -> dict[str, Any]:
    at = now()
    if Status(ticket["status"]) is Status.CLOSED:
        raise StateConflict("body", "the ticket is closed")
    message = _message(ticket["id"], agent, AuthorKind.AGENT, body, at, internal=internal,
                       attachments=attachments)
    if internal:  # a note for the desk: no clock moves, the requester never sees it
        await tickets.add_message(conn, message)
        return message
    status = after_agent_reply(TicketState(Status(ticket["status"]), ticket["reopen_until"]),
                               await_requester=await_requester)
    await tickets.add_message(conn, message)
    if ticket["first_replied_at"] is None:
        await tickets.update(conn, ticket["id"], at, first_replied_at=at, first_reply_by="agent")
        ticket.update(first_replied_at=at, first_reply_by="agent")
    await clocks.stop(conn, ticket, at, Clock.FIRST_REPLY, Clock.NEXT_REPLY)
    await deadlines.cancel(conn, ticket["id"], AUTO_REPLY)
    if ticket["assignee"] is None:
        await assign(conn, ticket, at, reason="taken", agent=agent)
    await tickets.update(conn, ticket["id"], at, status=status.value)
    ticket["status"] = status.value
    if status is Status.PENDING_REQUESTER:
        await clocks.pause_resolution(conn, settings, ticket, at)
    await enqueue(conn, SOURCE, TicketReplied(ticket_id=ticket["id"], message_id=message["id"],
                                              author_kind="agent", replied_at=at))
    return message


async def solve(conn: asyncpg.Connection, settings: SupportSettings, ticket: dict[str, Any],
                agent: str) -> None:
    at = now()
    status = solve_state(TicketState(Status(ticket["status"]), ticket["reopen_until"]))
    reopen_until = at + timedelta(seconds=settings.reopen_window_seconds)
    await clocks.stop(conn, ticket, at, Clock.FIRST_REPLY, Clock.NEXT_REPLY, Clock.RESOLUTION)
    await deadlines.cancel(conn, ticket["id"], AUTO_REPLY)
    await deadlines.schedule(conn, ticket["id"], CLOSE_SOLVED, reopen_until, replace=True)
    await tickets.update(conn, ticket["id"], at, status=status.value, solved_at=at,
                         reopen_until=reopen_until, resolution_left_s=None)
    ticket.update(status=status.value, solved_at=at, reopen_until=reopen_until)
    await enqueue(conn, SOURCE, TicketSolved(ticket_id=ticket["id"], solved_by=agent,
                                             reopen_until=reopen_until, solved_at=at))


async def close(conn: asyncpg.Connection, ticket: dict[str, Any]) -> None:
    at = now()
    status = close_state(TicketState(Status(ticket["status"]), ticket["reopen_until"]))
    await deadlines.cancel(conn, ticket["id"])
    await tickets.update(conn, ticket["id"], at, status=status.value, closed_at=at,
                         next_reply_due_at=None, resolution_due_at=None)
    ticket.update(status=status.value, closed_at=at)


async def judge_answer(conn: asyncpg.Connection, ticket: dict[str, Any], message_id: UUID,
                       helpful: bool) -> None:
    """The requester's verdict on an automatic answer. Helpful: it counts as the first reply
    (if none came before it). Not helpful: a person takes over."""
    message = await tickets.message(conn, ticket["id"], message_id, for_update=True)
    if message is None or message["author_kind"] != AuthorKind.RESPONDER.value:
        raise Problem(404, "Not found", "No automatic answer with this id on the ticket.")
    if message["helpful"] is not None:
        raise StateConflict("helpful", "this answer was already rated")
    at = now()
    await tickets.set_helpful(conn, message_id, helpful)
    if helpful:
        if ticket["first_replied_at"] is None:
            await tickets.update(conn, ticket["id"], at, first_replied_at=message["created_at"],
                                 first_reply_by="responder")
            ticket.update(first_replied_at=message["created_at"], first_reply_by="responder")
            await clocks.stop(conn, ticket, at, Clock.FIRST_REPLY)
        return
    await tickets.update(conn, ticket["id"], at, wants_person=True)
    ticket["wants_person"] = True
    if ticket["assignee"] is None:
        await assign(conn, ticket, at, reason="requested_person")
