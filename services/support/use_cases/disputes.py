"""Disputes between buyers and sellers: opening, the seller's response, the buyer's
escalation, the agent's decision, evidence, and the deadlines that decide for the silent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.deadlines import Deadline
from libs.domain_errors import StateConflict
from libs.events.schemas.support import (
    DisputeEscalated,
    DisputeOpened,
    DisputeResolved,
    DisputeResponded,
    RefundedLine,
    SlaBreached,
    SlaWarning,
)
from libs.ids import new_id
from libs.outbox import enqueue
from services.support.adapters import context_repository as context
from services.support.adapters import disputes_repository as disputes
from services.support.adapters import seller_accounts_repository as accounts
from services.support.domain import disputes as rules
from services.support.domain.disputes import DisputeStatus, Outcome, Reason
from services.support.domain.health import ViolationKind
from services.support.settings import SupportSettings
from services.support.use_cases.account_health import record_violation

SOURCE = "support"
SELLER_RESPONSE = "dispute_seller_response"
BUYER_ESCALATION = "dispute_buyer_escalation"
DECISION = "dispute_decision"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Evidence:
    text: str
    urls: list[str]
    private: bool = False


async def open_dispute(conn: asyncpg.Connection, settings: SupportSettings, buyer_id: str,
                       order_id: UUID, reason: Reason, description: str,
                       lines: dict[str, int] | None, evidence: list[Evidence]) -> dict[str, Any]:
    at = now()
    order = await context.order(conn, order_id)
    if order is None or order["buyer_id"] != buyer_id:
        raise StateConflict("order_id", "no order of yours with this id is known to support")
    windows = settings.dispute_windows()
    rules.check_can_open(reason, rules.OrderFacts(
        status=order["status"], delivered_at=order["delivered_at"],
        deliver_by=order["deliver_by"], lines=order["lines"]), at, windows)
    chosen = rules.disputed_lines(order["lines"], lines)
    account = await accounts.get(conn, order["seller_id"])
    respond_by = at + windows.seller_response
    dispute = {"id": new_id(), "order_id": order_id, "buyer_id": buyer_id,
               "seller_id": order["seller_id"], "market": account.market if account else "GB",
               "reason": reason.value, "description": description, "lines": chosen,
               "status": DisputeStatus.AWAITING_SELLER.value, "respond_by": respond_by,
               "opened_at": at, "updated_at": at}
    if not await disputes.add(conn, dispute):
        raise StateConflict("order_id", "the order already has an open dispute")
    for item in [Evidence(description, []), *evidence]:
        await _add_evidence(conn, dispute["id"], "buyer", buyer_id, item, at)
    await deadlines.schedule(conn, dispute["id"], SELLER_RESPONSE, respond_by)
    await context.tell(conn, order_id, at, "dispute.opened", f"buyer disputed: {reason.value}")
    await enqueue(conn, SOURCE, DisputeOpened(
        dispute_id=dispute["id"], order_id=order_id, seller_id=order["seller_id"],
        reason=reason.value, lines=_lines(chosen), respond_by=respond_by, opened_at=at))
    stored = await disputes.get(conn, dispute["id"])
    assert stored is not None
    return stored


async def respond(conn: asyncpg.Connection, settings: SupportSettings, dispute: dict[str, Any],
                  seller_subject: str, accept: bool, evidence: list[Evidence]) -> None:
    at = now()
    rules.check_response(DisputeStatus(dispute["status"]), at, dispute["respond_by"])
    for item in evidence:
        await _add_evidence(conn, dispute["id"], "seller", seller_subject, item, at)
    await deadlines.cancel(conn, dispute["id"], SELLER_RESPONSE)
    common = {"dispute_id": dispute["id"], "order_id": dispute["order_id"],
              "seller_id": dispute["seller_id"]}
    if accept:
        await enqueue(conn, SOURCE, DisputeResponded(**common, response="accept",
                                                     responded_at=at))
        await resolve(conn, settings, dispute, Outcome.REFUND_BUYER, "seller",
                      note="the seller accepted the claim",
                      refund_shipping=dispute["reason"] == Reason.NOT_RECEIVED.value)
        return
    escalate_by = at + settings.dispute_windows().buyer_escalation
    await disputes.update(conn, dispute["id"], at, status=DisputeStatus.SELLER_REJECTED.value,
                          escalate_by=escalate_by)
    dispute.update(status=DisputeStatus.SELLER_REJECTED.value, escalate_by=escalate_by)
    await deadlines.schedule(conn, dispute["id"], BUYER_ESCALATION, escalate_by)
    await context.tell(conn, dispute["order_id"], at, "dispute.responded",
                       "seller rejected the dispute")
    await enqueue(conn, SOURCE, DisputeResponded(**common, response="reject",
                                                 escalate_by=escalate_by, responded_at=at))


async def escalate(conn: asyncpg.Connection, settings: SupportSettings,
                   dispute: dict[str, Any], evidence: list[Evidence]) -> None:
    at = now()
    rules.check_escalation(DisputeStatus(dispute["status"]), at, dispute["escalate_by"])
    for item in evidence:
        await _add_evidence(conn, dispute["id"], "buyer", dispute["buyer_id"], item, at)
    decide_by = at + settings.dispute_windows().agent_decision
    await deadlines.cancel(conn, dispute["id"], BUYER_ESCALATION)
    await deadlines.schedule(conn, dispute["id"], DECISION, decide_by,
                             warn_at=at + (decide_by - at) * (1 - settings.sla_warning_fraction))
    await disputes.update(conn, dispute["id"], at, status=DisputeStatus.UNDER_REVIEW.value,
                          decide_by=decide_by)
    dispute.update(status=DisputeStatus.UNDER_REVIEW.value, decide_by=decide_by)
    await context.tell(conn, dispute["order_id"], at, "dispute.escalated",
                       "buyer escalated the dispute to support")
    await enqueue(conn, SOURCE, DisputeEscalated(
        dispute_id=dispute["id"], order_id=dispute["order_id"], seller_id=dispute["seller_id"],
        decide_by=decide_by, escalated_at=at))


async def resolve(conn: asyncpg.Connection, settings: SupportSettings, dispute: dict[str, Any],
                  outcome: Outcome, decided_by: str, *, note: str,
                  lines: dict[str, int] | None = None, refund_shipping: bool = False) -> None:
    at = now()
    rules.check_decision(DisputeStatus(dispute["status"]))
    chosen = rules.disputed_lines(dispute["lines"], lines) if lines else dispute["lines"]
    await deadlines.cancel(conn, dispute["id"])
    await disputes.update(conn, dispute["id"], at, status=DisputeStatus.RESOLVED.value,
                          outcome=outcome.value, decided_by=decided_by, decision_note=note,
                          refund_shipping=refund_shipping, resolved_at=at)
    dispute.update(status=DisputeStatus.RESOLVED.value, outcome=outcome.value,
                   decided_by=decided_by, resolved_at=at)
    await context.tell(conn, dispute["order_id"], at, "dispute.resolved",
                       f"{outcome.value.replace('_', ' ')} (decided by {decided_by}): {note}")
    await enqueue(conn, SOURCE, DisputeResolved.model_validate({
        "dispute_id": dispute["id"], "order_id": dispute["order_id"],
        "seller_id": dispute["seller_id"], "outcome": outcome.value,
        "decided_by": decided_by if decided_by in ("seller", "deadline") else "agent",
        "refund_lines": [] if outcome is Outcome.REJECT_CLAIM else _lines(chosen),
        "refund_shipping": refund_shipping and outcome is not Outcome.REJECT_CLAIM,
        "resolved_at": at}))
    if rules.seller_lost(outcome, decided_by):
        await record_violation(conn, settings, dispute["seller_id"], ViolationKind.DISPUTE_LOST,
                               f"dispute:{dispute['id']}", at)


async def add_evidence(conn: asyncpg.Connection, dispute: dict[str, Any], party: str,
                       author: str, item: Evidence) -> dict[str, Any]:
    if dispute["status"] == DisputeStatus.RESOLVED.value:
        raise StateConflict("text", "the dispute is resolved")
    return await _add_evidence(conn, dispute["id"], party, author, item, now())


async def _add_evidence(conn: asyncpg.Connection, dispute_id: UUID, party: str, author: str,
                        item: Evidence, at: datetime) -> dict[str, Any]:
    row = {"id": new_id(), "dispute_id": dispute_id, "party": party, "author": author,
           "body": item.text, "urls": item.urls, "private": item.private, "created_at": at}
    await disputes.add_evidence(conn, row)
    return row


def _lines(lines: dict[str, int]) -> list[RefundedLine]:
    return [RefundedLine(sku_id=UUID(sku), quantity=qty) for sku, qty in lines.items()]


def kinds_fire(settings: SupportSettings) -> dict[str, Any]:
    """The dispute deadlines: what a passed one decides."""

    async def by_default(conn: asyncpg.Connection, deadline: Deadline) -> None:
        dispute = await disputes.get(conn, UUID(deadline.key), for_update=True)
        if dispute is None:
            return
        outcome = rules.default_outcome(DisputeStatus(dispute["status"]))
        if outcome is None:
            return
        note = ("the seller did not respond in time" if outcome is Outcome.REFUND_BUYER
                else "the buyer did not escalate the seller's rejection in time")
        await resolve(conn, settings, dispute, outcome, "deadline", note=note,
                      refund_shipping=outcome is Outcome.REFUND_BUYER
                      and dispute["reason"] == Reason.NOT_RECEIVED.value)

    async def decision_warning(conn: asyncpg.Connection, deadline: Deadline) -> None:
        await enqueue(conn, SOURCE, SlaWarning(ticket_id=UUID(deadline.key),
                                               clock="dispute_decision",
                                               due_at=deadline.due_at, at=now()))

    async def decision_breached(conn: asyncpg.Connection, deadline: Deadline) -> None:
        dispute = await disputes.get(conn, UUID(deadline.key))
        if dispute is None or dispute["status"] == DisputeStatus.RESOLVED.value:
            return
        await enqueue(conn, SOURCE, SlaBreached(ticket_id=dispute["id"],
                                                clock="dispute_decision",
                                                due_at=deadline.due_at, at=now()))

    return {"by_default": by_default, "decision_warning": decision_warning,
            "decision_breached": decision_breached}
