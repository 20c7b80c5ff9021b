"""The automatic first responder, fired as a deadline (`auto_reply`) set in the transaction that
opened the ticket or added the requester's message: durable, answered within seconds, and never
twice for one message (a later message replaces the pending answer)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs.deadlines import Deadline
from libs.events.schemas.support import TicketReplied
from libs.ids import new_id
from libs.outbox import enqueue
from services.support.adapters import kb_repository as kb
from services.support.adapters import tickets_repository as tickets
from services.support.domain import responder
from services.support.domain.tickets import AuthorKind, Status
from services.support.settings import SupportSettings
from services.support.use_cases import context
from services.support.use_cases.desk import assign

SOURCE = "support"


async def answer(conn: asyncpg.Connection, deadline: Deadline, *,
                 settings: SupportSettings) -> None:
    ticket = await tickets.get(conn, UUID(deadline.key), for_update=True)
    if ticket is None or ticket["status"] in (Status.SOLVED.value, Status.CLOSED.value):
        return
    if await tickets.has_agent_reply(conn, ticket["id"]):
        return  # a person is on it
    at = datetime.now(UTC)
    question = await context.question(conn, ticket)
    audience = "seller" if ticket["requester_kind"] == "seller" else "buyer"
    found = await kb.search(conn, question.text, language=ticket["language"],
                            market=ticket["market"], audience=audience)
    articles = [responder.Article(id=a["id"], title=a["title"], body=a["body"],
                                  category=a["category"], rank=float(a["rank"]))
                for a in found]
    reply = responder.answer(question, articles, at, settings.responder_threshold)
    message_id = new_id()
    await tickets.add_message(conn, {
        "id": message_id, "ticket_id": ticket["id"], "author": "responder",
        "author_kind": AuthorKind.RESPONDER.value, "internal": False, "body": reply.body,
        "confidence": reply.confidence, "article_ids": reply.article_ids, "created_at": at})
    await enqueue(conn, SOURCE, TicketReplied(ticket_id=ticket["id"], message_id=message_id,
                                              author_kind="responder",
                                              confidence=reply.confidence, replied_at=at))
    if reply.hand_over and ticket["assignee"] is None:
        await assign(conn, ticket, at,
                     reason="requested_person" if question.wants_person else "handover")
