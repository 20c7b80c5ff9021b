"""Who may see and act on a ticket or a dispute.

A seller sees the tickets it opened (with any of its credentials) and the disputes about its
orders; a buyer sees the tickets and disputes it opened; an agent sees tickets in the queues it
belongs to and those assigned to it, and every dispute; operators see everything. Anyone else
gets a 404, the same as for a ticket that does not exist."""

from __future__ import annotations

from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs.auth.principal import Principal, Role
from libs.errors import Problem
from services.support.adapters import desk_repository as desk
from services.support.adapters import disputes_repository as disputes
from services.support.adapters import tickets_repository as tickets

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


def not_found(what: str = "ticket") -> Problem:
    return Problem(404, "Not found", f"No such {what}.")


def is_requester(principal: Principal, ticket: dict[str, Any]) -> bool:
    if ticket["seller_id"] is not None:
        return principal.owns_seller(ticket["seller_id"])
    return principal.subject == ticket["requester"] and principal.has(Role.BUYER)


async def is_desk(conn: Conn, principal: Principal, ticket: dict[str, Any]) -> bool:
    if principal.has(Role.OPERATOR):
        return True
    if not principal.has(Role.AGENT):
        return False
    return ticket["assignee"] == principal.subject or await desk.is_member(
        conn, ticket["queue_id"], principal.subject)


async def ticket_for(conn: Conn, principal: Principal, ticket_id: UUID, *,
                     for_update: bool = False) -> tuple[dict[str, Any], bool]:
    """The ticket and whether the caller works on the desk (else it is the requester)."""
    ticket = await tickets.get(conn, ticket_id, for_update=for_update)
    if ticket is None:
        raise not_found()
    if await is_desk(conn, principal, ticket):
        return ticket, True
    if is_requester(principal, ticket):
        return ticket, False
    raise not_found()


def require_desk(on_desk: bool, field: str, action: str) -> None:
    if not on_desk:
        raise Problem(403, "Forbidden", f"Only the support desk may {action}.",
                      errors=[{"field": field, "message": f"only agents may {action}",
                               "code": "agents_only"}])


async def dispute_for(conn: Conn, principal: Principal, dispute_id: UUID, *,
                      for_update: bool = False) -> tuple[dict[str, Any], str]:
    """The dispute and the caller's party in it: `buyer`, `seller` or `agent`."""
    dispute = await disputes.get(conn, dispute_id, for_update=for_update)
    if dispute is None:
        raise not_found("dispute")
    if principal.is_staff:
        return dispute, "agent"
    if principal.has(Role.SELLER) and principal.owns_seller(dispute["seller_id"]):
        return dispute, "seller"
    if principal.has(Role.BUYER) and principal.subject == dispute["buyer_id"]:
        return dispute, "buyer"
    raise not_found("dispute")
