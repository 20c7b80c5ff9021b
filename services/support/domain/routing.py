"""Which queue a ticket goes to, and which of the queue's agents gets it.

A queue serves a category and a market, either of which may be open (any). A ticket goes to
the most specific queue that fits (category counts more than market); escalations go to a lead
queue of the ticket's market, or to one for any market. Within a queue, round robin gives the
ticket to the agent assigned least recently; skills gives it to the agent whose skills name the
most of the ticket's category, language and market, least recently assigned first among equals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

EPOCH = datetime.min


@dataclass(frozen=True)
class Queue:
    id: UUID
    name: str
    category: str | None
    market: str | None
    lead: bool
    strategy: str
    created_at: datetime


@dataclass(frozen=True)
class Member:
    agent: str
    skills: frozenset[str]
    last_assigned_at: datetime | None


def _fits(queue: Queue, category: str, market: str) -> bool:
    return queue.category in (None, category) and queue.market in (None, market)


def queue_for(queues: list[Queue], category: str, market: str, *, lead: bool = False
              ) -> Queue | None:
    if lead:  # a lead queue takes any category of its market
        fitting = [q for q in queues if q.lead and q.market in (None, market)]
    else:
        fitting = [q for q in queues if not q.lead and _fits(q, category, market)]
    if not fitting:
        return None
    return max(fitting, key=lambda q: (2 * (q.category == category) + (q.market == market),
                                       -q.created_at.timestamp()))


def agent_for(queue: Queue, members: list[Member], *, category: str, language: str,
              market: str) -> str | None:
    if not members:
        return None
    wanted = {category, language, market}

    def recency(member: Member) -> datetime:
        return (member.last_assigned_at or EPOCH).replace(tzinfo=None)

    if queue.strategy == "skills":
        chosen = min(members, key=lambda m: (-len(wanted & m.skills), recency(m), m.agent))
    else:
        chosen = min(members, key=lambda m: (recency(m), m.agent))
    return chosen.agent
