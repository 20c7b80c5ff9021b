"""Who works a ticket: assignment to a queue and an agent, transfers, and escalation when an
SLA clock is breached."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from libs.events.schemas.support import TicketAssigned, TicketEscalated
from libs.ids import new_id
from libs.outbox import enqueue
from services.support.adapters import desk_repository as desk
from services.support.adapters import tickets_repository as tickets
from services.support.domain import routing
from services.support.domain.sla import Clock, Priority
from services.support.domain.tickets import AuthorKind, Status

SOURCE = "support"
Reason = Literal["handover", "requested_person", "transfer", "escalation", "taken"]


async def assign(conn: asyncpg.Connection, ticket: dict[str, Any], now: datetime, *,
                 reason: Reason, queue_id: UUID | None = None,
                 agent: str | None = None) -> dict[str, Any]:
    """Gives the ticket to a queue (its current one, the one named, or the best fit) and to the
    agent named or the one the queue's strategy picks; a queue without agents keeps it
    waiting there. A new ticket an agent has is open."""
    queue = await desk.queue(conn, queue_id) if queue_id else (
        await desk.queue(conn, ticket["queue_id"]) if ticket["queue_id"] else None)
    if queue is None:
        queue = routing.queue_for(await desk.queues(conn), ticket["category"], ticket["market"])
    if queue is None:
        return ticket
    if agent is None:
        members = await desk.members(conn, queue.id, for_update=True)  # one pick at a time
        agent = routing.agent_for(queue, members, category=ticket["category"],
                                  language=ticket["language"], market=ticket["market"])
        if agent is None and reason == "escalation":
            agent = ticket["assignee"]  # no lead free: whoever has it keeps it meanwhile
    if agent is not None:
        await desk.mark_assigned(conn, queue.id, agent, now)
    status = Status.OPEN.value if agent and ticket["status"] == Status.NEW.value \
        else ticket["status"]
    await tickets.update(conn, ticket["id"], now, queue_id=queue.id, assignee=agent,
                         status=status)
    ticket.update(queue_id=queue.id, assignee=agent, status=status)
    await enqueue(conn, SOURCE, TicketAssigned(ticket_id=ticket["id"], queue_id=queue.id,
                                               agent=agent, reason=reason, assigned_at=now))
    return ticket


async def escalate(conn: asyncpg.Connection, ticket: dict[str, Any], clock: Clock,
                   due_at: datetime, now: datetime) -> None:
    """A breached clock: the priority rises a step, the ticket moves to a lead queue (and a
    lead), and the desk sees a note saying why."""
    before = Priority(ticket["priority"])
    after = before.raised()
    await tickets.update(conn, ticket["id"], now, priority=after.value,
                         escalations=ticket["escalations"] + 1)
    ticket.update(priority=after.value, escalations=ticket["escalations"] + 1)
    lead = routing.queue_for(await desk.queues(conn), ticket["category"], ticket["market"],
                             lead=True)
    await tickets.add_message(conn, {
        "id": new_id(), "ticket_id": ticket["id"], "author": "sla", "internal": True,
        "author_kind": AuthorKind.SYSTEM.value, "created_at": now,
        "body": f"The {clock.value.replace('_', ' ')} target ({due_at:%Y-%m-%d %H:%M:%S} UTC) "
                f"was missed: priority {before.value} → {after.value}"
                + (f", moved to {lead.name}." if lead else ".")})
    await enqueue(conn, SOURCE, TicketEscalated(
        ticket_id=ticket["id"], clock=clock.value, from_priority=before.value,
        to_priority=after.value, queue_id=lead.id if lead else None, escalated_at=now))
    if lead is not None:
        await assign(conn, ticket, now, reason="escalation", queue_id=lead.id)
