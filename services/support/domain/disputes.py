"""Disputes between a buyer and a seller, with deadlines that decide when someone is silent.

    awaiting_seller ──accept──────────────────────────────► resolved (refund, by the seller)
          │  └──respond_by passes──────────────────────────► resolved (refund, by deadline)
          └──reject──► seller_rejected ──escalate──► under_review ──agent──► resolved
                             └──escalate_by passes─────────► resolved (claim rejected)

An agent may decide at any point before resolution; nobody else decides against anyone but
themselves (a seller may accept a claim, which refunds the buyer). `decide_by` is the desk's
own target: when it passes the dispute escalates to a lead, it is not decided by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from libs.domain_errors import StateConflict


class DisputeStatus(StrEnum):
    AWAITING_SELLER = "awaiting_seller"
    SELLER_REJECTED = "seller_rejected"
    UNDER_REVIEW = "under_review"
    RESOLVED = "resolved"


class Reason(StrEnum):
    NOT_RECEIVED = "not_received"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"
    UNAUTHORISED = "unauthorised"


class Outcome(StrEnum):
    REFUND_BUYER = "refund_buyer"
    REJECT_CLAIM = "reject_claim"
    RETURN_AND_REFUND = "return_and_refund"


@dataclass(frozen=True)
class DisputeWindows:
    seller_response: timedelta
    buyer_escalation: timedelta
    agent_decision: timedelta
    after_delivery: timedelta
    """How long after delivery a buyer may still dispute what arrived."""


@dataclass(frozen=True)
class OrderFacts:
    status: str
    delivered_at: datetime | None
    deliver_by: datetime | None
    lines: dict[str, int]


UNPAID = {"placed", "pending", "cancelled"}


def check_can_open(reason: Reason, order: OrderFacts, now: datetime,
                   windows: DisputeWindows) -> None:
    """A dispute is about a delivered order, or one overdue for a "not received" claim."""
    if order.status in UNPAID:
        raise StateConflict("order_id", f"a {order.status} order cannot be disputed")
    delivered = order.delivered_at is not None
    if reason is Reason.NOT_RECEIVED:
        overdue = order.deliver_by is not None and now > order.deliver_by
        if not (delivered or overdue):
            raise StateConflict("reason", "the order is not overdue yet: it is promised by "
                                          f"{order.deliver_by:%Y-%m-%d %H:%M} UTC"
                                if order.deliver_by else "the order has no delivery date yet")
    elif reason in (Reason.NOT_AS_DESCRIBED, Reason.DAMAGED) and not delivered:
        raise StateConflict("reason", "only a delivered order can be disputed for what arrived")
    if delivered and order.delivered_at is not None \
            and now > order.delivered_at + windows.after_delivery:
        raise StateConflict("order_id", "the order was delivered too long ago to dispute")


def disputed_lines(order_lines: dict[str, int], asked: dict[str, int] | None) -> dict[str, int]:
    """The lines in dispute: all of the order's, or those asked, which it must contain."""
    if not asked:
        return dict(order_lines)
    for sku, quantity in asked.items():
        if quantity > order_lines.get(sku, 0):
            raise StateConflict("lines", f"the order has {order_lines.get(sku, 0)} of SKU {sku}")
    return dict(asked)


def check_response(status: DisputeStatus, now: datetime, respond_by: datetime | None) -> None:
    if status is not DisputeStatus.AWAITING_SELLER:
        raise StateConflict("response", f"the dispute is {status.value}, not awaiting the seller")
    if respond_by is not None and now > respond_by:
        raise StateConflict("response", "the time to respond has passed")


def check_escalation(status: DisputeStatus, now: datetime, escalate_by: datetime | None) -> None:
    if status is not DisputeStatus.SELLER_REJECTED:
        raise StateConflict("status", "only a dispute the seller rejected can be escalated")
    if escalate_by is not None and now > escalate_by:
        raise StateConflict("status", "the time to escalate has passed")


def check_decision(status: DisputeStatus) -> None:
    if status is DisputeStatus.RESOLVED:
        raise StateConflict("outcome", "the dispute is already resolved")


def default_outcome(status: DisputeStatus) -> Outcome | None:
    """What a passed deadline decides: a silent seller loses; a buyer who does not escalate a
    rejection accepts it. A dispute under review waits for its agent."""
    if status is DisputeStatus.AWAITING_SELLER:
        return Outcome.REFUND_BUYER
    if status is DisputeStatus.SELLER_REJECTED:
        return Outcome.REJECT_CLAIM
    return None


def seller_lost(outcome: Outcome, decided_by: str) -> bool:
    """A lost dispute counts against the seller's health, unless the seller conceded it."""
    return outcome is not Outcome.REJECT_CLAIM and decided_by != "seller"
