"""What support's deadlines do when they fall due (`libs.deadlines` fires them): SLA warnings
and breaches with escalation, the automatic responder, closing solved tickets after their
reopen window, and the disputes' clocks."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from uuid import UUID

import asyncpg

from libs.deadlines import Deadline, DeadlineKind
from libs.events.schemas.support import SlaBreached, SlaWarning
from libs.outbox import enqueue
from services.support.adapters import tickets_repository as tickets
from services.support.domain.tickets import Status
from services.support.settings import SupportSettings
from services.support.use_cases import clocks, disputes, privacy, responder
from services.support.use_cases.desk import escalate
from services.support.use_cases.tickets import AUTO_REPLY, CLOSE_SOLVED, close

SOURCE = "support"
WAITING = (Status.NEW.value, Status.OPEN.value, Status.PENDING_REQUESTER.value)


async def _sla_warning(conn: asyncpg.Connection, deadline: Deadline) -> None:
    await enqueue(conn, SOURCE, SlaWarning(
        ticket_id=UUID(deadline.key), clock=clocks.CLOCK_OF_KIND[deadline.kind].value,
        due_at=deadline.due_at, at=datetime.now(UTC)))


async def _sla_breached(conn: asyncpg.Connection, deadline: Deadline) -> None:
    ticket = await tickets.get(conn, UUID(deadline.key), for_update=True)
    if ticket is None or ticket["status"] not in WAITING:
        return
    clock = clocks.CLOCK_OF_KIND[deadline.kind]
    at = datetime.now(UTC)
    await enqueue(conn, SOURCE, SlaBreached(ticket_id=ticket["id"], clock=clock.value,
                                            due_at=deadline.due_at, at=at))
    await escalate(conn, ticket, clock, deadline.due_at, at)


async def _close_solved(conn: asyncpg.Connection, deadline: Deadline) -> None:
    ticket = await tickets.get(conn, UUID(deadline.key), for_update=True)
    if ticket is not None and ticket["status"] == Status.SOLVED.value:
        await close(conn, ticket)


def kinds(settings: SupportSettings) -> list[DeadlineKind]:
    dispute = disputes.kinds_fire(settings)
    sla = [DeadlineKind(kind, fire=_sla_breached, warn=_sla_warning)
           for kind in clocks.KIND.values()]
    return [*sla,
            DeadlineKind(AUTO_REPLY, fire=partial(responder.answer, settings=settings)),
            DeadlineKind(CLOSE_SOLVED, fire=_close_solved),
            DeadlineKind(disputes.SELLER_RESPONSE, fire=dispute["by_default"]),
            DeadlineKind(disputes.BUYER_ESCALATION, fire=dispute["by_default"]),
            DeadlineKind(disputes.DECISION, fire=dispute["decision_breached"],
                         warn=dispute["decision_warning"]),
            DeadlineKind(privacy.ARCHIVE_EXPIRY, fire=privacy.expire_archive)]
