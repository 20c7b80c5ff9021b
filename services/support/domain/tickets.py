"""Tickets: who may open one about what, and the states a ticket moves through.

    new ──► open ──► pending_requester ──► open ──► solved ──► closed
     │        ▲                                       │
     └────────┴──────── reopened within the window ◄──┘

`new`: nobody on the desk has touched it (the automatic responder may have answered).
`open`: an agent has it. `pending_requester`: an agent asked the requester something; the
resolution clock is paused. `solved`: an agent solved it; the requester may write again until
`reopen_until`, which reopens it. `closed`: final; the automatic responder never closes or
solves a ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from libs.domain_errors import StateConflict


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_REQUESTER = "pending_requester"
    SOLVED = "solved"
    CLOSED = "closed"


class Category(StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"
    PAYMENT = "payment"
    LISTING = "listing"
    ACCOUNT = "account"
    OTHER = "other"


class LinkKind(StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"
    PRODUCT = "product"


class AuthorKind(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    RESPONDER = "responder"
    SYSTEM = "system"


REQUESTER_PRIORITIES = ("low", "normal", "high")
"""Urgent is for the desk: agents and escalations raise a ticket to it."""

LANGUAGES = {"GB": "en", "US": "en", "IE": "en", "SG": "en", "PH": "en", "MY": "en",
             "DE": "de", "FR": "fr", "ES": "es", "IT": "it", "MX": "es", "BR": "pt",
             "ID": "id", "TH": "en", "VN": "en", "JP": "en"}
"""The language a market's tickets default to (the desk answers in it)."""

_PERSON = re.compile(
    r"\b(human|person|real (?:agent|person)|someone|somebody|agent|operator|representative|"
    r"speak to|talk to|call me|mensch|mitarbeiter|personne|conseiller|persona|humano)\b",
    re.IGNORECASE)


def asks_for_person(text: str) -> bool:
    """The requester wants a person, not the automatic responder."""
    return bool(_PERSON.search(text))


@dataclass(frozen=True)
class TicketState:
    status: Status
    reopen_until: datetime | None


def after_requester_message(state: TicketState, now: datetime) -> Status:
    """A requester writing reopens a solved ticket within its window and answers a pending one;
    a closed ticket (or a solved one past its window) takes no more messages."""
    if state.status is Status.CLOSED:
        raise StateConflict("body", "the ticket is closed; open a new one")
    if state.status is Status.SOLVED:
        if state.reopen_until is None or now > state.reopen_until:
            raise StateConflict("body", "the ticket can no longer be reopened; open a new one")
        return Status.OPEN
    if state.status is Status.PENDING_REQUESTER:
        return Status.OPEN
    return state.status


def after_agent_reply(state: TicketState, *, await_requester: bool) -> Status:
    if state.status in (Status.CLOSED, Status.SOLVED):
        raise StateConflict("body", f"the ticket is {state.status.value}")
    return Status.PENDING_REQUESTER if await_requester else Status.OPEN


def solve(state: TicketState) -> Status:
    if state.status in (Status.SOLVED, Status.CLOSED):
        raise StateConflict("status", f"the ticket is already {state.status.value}")
    return Status.SOLVED


def close(state: TicketState) -> Status:
    if state.status is Status.CLOSED:
        raise StateConflict("status", "the ticket is already closed")
    return Status.CLOSED
