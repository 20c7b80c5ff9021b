"""Request and response shapes the support routes share."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from libs.markets import MARKET_PATTERN
from libs.request_guard import NOT_BLANK
from services.support.domain.tickets import Category, LinkKind
from services.support.use_cases.tickets import NewTicket

MAX_MESSAGE_CHARS = 10_000
MAX_ATTACHMENTS = 10


class Attachment(BaseModel):
    """A file the requester or agent hosts elsewhere (support stores the link, not the file)."""

    model_config = ConfigDict(extra="forbid")
    url: HttpUrl = Field(description="http(s) URL of the file.")
    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    content_type: str | None = Field(default=None, max_length=100)


def attachments_json(items: list[Attachment]) -> list[dict[str, Any]]:
    return [{"url": str(a.url), "name": a.name, "content_type": a.content_type} for a in items]


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: LinkKind
    id: UUID


class TicketRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "category": "order", "priority": "normal", "subject": "My order is late",
        "body": "Order 0193... was promised for Tuesday and has not shipped. Where is it?",
        "links": [{"kind": "order", "id": "0193a1b2-0000-7000-8000-000000000000"}]}]})
    category: Category
    subject: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    body: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK)
    priority: Literal["low", "normal", "high"] = Field(
        default="normal", description="Urgent is for the desk: agents and escalations set it.")
    links: list[Link] = Field(default_factory=list, max_length=20,
                              description="Orders, parcels (shipment) and products of yours.")
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    market: str | None = Field(default=None, pattern=MARKET_PATTERN,
                               description="Buyers: the market (else the linked order's).")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$",
                                 description="Defaults to the market's language.")

    def ticket(self) -> NewTicket:
        return NewTicket(
            category=self.category.value, subject=self.subject.strip(), body=self.body,
            priority=self.priority, links=[(link.kind.value, link.id) for link in self.links],
            attachments=attachments_json(self.attachments), market=self.market,
            language=self.language)


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    internal: bool = Field(default=False, description="Agents only: a note the requester never "
                                                      "sees.")
    await_requester: bool = Field(
        default=False, description="Agents only: the reply asks the requester something; the "
                                   "ticket waits on them and its resolution clock pauses.")


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    helpful: bool


class MessageView(BaseModel):
    id: UUID
    author_kind: str
    author: str | None = Field(description="Shown to the desk only.")
    internal: bool
    body: str
    attachments: list[dict[str, Any]]
    confidence: float | None
    helpful: bool | None
    created_at: datetime


class TicketView(BaseModel):
    id: UUID
    kind: str
    status: str
    category: str
    priority: str
    subject: str
    requester_kind: str
    seller_id: UUID | None
    market: str
    language: str
    tier: str
    origin: str | None
    queue_id: UUID | None
    assignee: str | None
    wants_person: bool
    first_reply_due_at: datetime | None
    next_reply_due_at: datetime | None
    resolution_due_at: datetime | None
    resolution_paused: bool = Field(description="Waiting on the requester: the resolution "
                                                "clock is stopped.")
    first_replied_at: datetime | None
    first_reply_by: str | None
    escalations: int
    solved_at: datetime | None
    reopen_until: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    links: list[Link] = Field(default_factory=list)
    messages: list[MessageView] = Field(default_factory=list)

    @classmethod
    def of(cls, ticket: dict[str, Any], *, links: list[tuple[str, UUID]] | None = None,
           messages: list[dict[str, Any]] | None = None, desk: bool = False) -> TicketView:
        fields: dict[str, Any] = {k: ticket.get(k) for k in cls.model_fields if k in ticket}
        return cls.model_validate({
            **fields, "resolution_paused": ticket.get("resolution_left_s") is not None,
            "links": [Link(kind=LinkKind(k), id=i) for k, i in links or []],
            "messages": [MessageView(**{**m, "author": m["author"] if desk else None})
                         for m in messages or []]})
