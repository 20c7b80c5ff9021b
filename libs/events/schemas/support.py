"""Events produced by the support service: tickets and their SLA clocks, disputes between buyers
and sellers, and seller account health.

Ticket and SLA events are keyed by the ticket (one ticket's story stays in order) and are not
public: a buyer's ticket about an order is not the seller's business. Dispute and account events
are public, carry the `seller_id` they concern, and reach sellers' webhooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.registry import register

TICKETS = "support.ticket.v1"
DISPUTES = "support.dispute.v1"
ACCOUNTS = "support.seller_account.v1"

Priority = Literal["low", "normal", "high", "urgent"]
Clock = Literal["first_reply", "next_reply", "resolution", "dispute_decision"]


@register
class SellerAccountOpened(Event):
    """Support opened an account-health record for a newly registered seller."""

    type = "seller_account.opened"
    topic = ACCOUNTS
    key_field = "seller_id"

    seller_id: UUID
    opened_at: datetime


# --- tickets ----------------------------------------------------------------------------------

class _TicketEvent(Event):
    topic = TICKETS
    key_field = "ticket_id"

    ticket_id: UUID


@register
class TicketCreated(_TicketEvent):
    """A seller or buyer opened a ticket; its SLA clocks started."""

    type = "ticket.created"
    requester_kind: Literal["seller", "buyer"]
    seller_id: UUID | None = Field(default=None, description="The requesting seller.")
    market: str
    category: Literal["order", "shipment", "payment", "listing", "account", "other"]
    priority: Priority
    tier: str = Field(description="The support tier whose SLA policy applies.")
    origin: Literal["local", "cross_border"] | None = Field(
        default=None, description="A seller's origin; none for buyers.")
    first_reply_due_at: datetime
    resolution_due_at: datetime
    created_at: datetime


@register
class TicketReplied(_TicketEvent):
    """Someone wrote on the ticket where the requester can read it."""

    type = "ticket.replied"
    message_id: UUID
    author_kind: Literal["requester", "agent", "responder"]
    confidence: float | None = Field(default=None, ge=0, le=1,
                                     description="The automatic responder's confidence.")
    replied_at: datetime


@register
class TicketAssigned(_TicketEvent):
    """The ticket went to a queue, and to an agent when one was free."""

    type = "ticket.assigned"
    queue_id: UUID
    agent: str | None
    reason: Literal["handover", "requested_person", "transfer", "escalation", "taken"]
    assigned_at: datetime


@register
class TicketEscalated(_TicketEvent):
    """An SLA was breached: the ticket's priority rose and it moved to a lead queue."""

    type = "ticket.escalated"
    clock: Clock
    from_priority: Priority
    to_priority: Priority
    queue_id: UUID | None
    escalated_at: datetime


@register
class TicketSolved(_TicketEvent):
    """An agent solved the ticket; the requester may reopen it until `reopen_until`."""

    type = "ticket.solved"
    solved_by: str
    reopen_until: datetime
    solved_at: datetime


@register
class SlaWarning(_TicketEvent):
    """An SLA clock is close to its target (the ticket's, or a dispute's decision clock, whose
    `ticket_id` is then the dispute's id)."""

    type = "sla.warning"
    clock: Clock
    due_at: datetime
    at: datetime


@register
class SlaBreached(_TicketEvent):
    """An SLA clock passed its target."""

    type = "sla.breached"
    clock: Clock
    due_at: datetime
    at: datetime


# --- disputes -------------------------------------------------------------------------------

class RefundedLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)


DisputeReason = Literal["not_received", "not_as_described", "damaged", "unauthorised"]


class _DisputeEvent(Event):
    topic = DISPUTES
    key_field = "dispute_id"
    public = True

    dispute_id: UUID
    order_id: UUID
    seller_id: UUID


@register
class DisputeOpened(_DisputeEvent):
    """A buyer disputes an order; the seller must respond by `respond_by` or the buyer wins."""

    type = "dispute.opened"
    reason: DisputeReason
    lines: list[RefundedLine]
    respond_by: datetime
    opened_at: datetime


@register
class DisputeResponded(_DisputeEvent):
    """The seller answered: it accepts the claim (the buyer is refunded) or rejects it, after
    which the buyer may escalate to an agent by `escalate_by`."""

    type = "dispute.responded"
    response: Literal["accept", "reject"]
    escalate_by: datetime | None = None
    responded_at: datetime


@register
class DisputeEscalated(_DisputeEvent):
    """The buyer escalated the seller's rejection; an agent decides by `decide_by`."""

    type = "dispute.escalated"
    decide_by: datetime
    escalated_at: datetime


@register
class DisputeResolved(Event):
    """A dispute between buyer and seller was decided; a refund decision orders carries out
    (`return_and_refund`: orders authorises a return of the lines, refunded when received)."""

    type = "dispute.resolved"
    topic = DISPUTES
    key_field = "dispute_id"
    public = True

    dispute_id: UUID
    order_id: UUID
    seller_id: UUID | None = Field(default=None, description="Always set from support's v1.1.")
    outcome: Literal["refund_buyer", "reject_claim", "return_and_refund"]
    decided_by: Literal["agent", "seller", "deadline"] | None = Field(
        default=None, description="An agent; the seller accepting the claim; or a deadline "
                                  "(the seller did not respond, or the buyer did not escalate).")
    refund_lines: list[RefundedLine] = Field(default_factory=list)
    refund_shipping: bool = False
    resolved_at: datetime


# --- account health ---------------------------------------------------------------------------

ViolationKind = Literal["late_shipment", "late_delivery", "seller_cancellation",
                        "listing_rejected", "dispute_lost"]


class _AccountEvent(Event):
    topic = ACCOUNTS
    key_field = "seller_id"
    public = True

    seller_id: UUID


@register
class AccountViolationRecorded(_AccountEvent):
    """A breach of the seller's obligations counted against its health score."""

    type = "account.violation_recorded"
    violation_id: UUID
    kind: ViolationKind
    points: int = Field(ge=0, le=100)
    reference: str = Field(description="What it is about: an order, a listing, a dispute.")
    score: int = Field(ge=0, le=100, description="The health score after it.")
    occurred_at: datetime


@register
class AccountWarned(_AccountEvent):
    """The health score fell below the warning line."""

    type = "account.warned"
    score: int = Field(ge=0, le=100)
    warning_below: int
    suspension_below: int
    warned_at: datetime


@register
class AccountSuspended(_AccountEvent):
    """The health score fell below the suspension line: catalog suspends the seller."""

    type = "account.suspended"
    score: int = Field(ge=0, le=100)
    reason: str
    suspended_at: datetime


@register
class AccountReinstated(_AccountEvent):
    """An appeal succeeded: catalog reinstates the seller; the violations it answered for no
    longer count."""

    type = "account.reinstated"
    appeal_ticket_id: UUID
    reason: str
    reinstated_at: datetime
