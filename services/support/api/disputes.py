"""Disputes between a buyer and a seller: opened by the buyer, answered by the seller,
escalated by the buyer, decided by an agent, with evidence from each side and deadlines shown
on the dispute."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.bounds import MAX_UNITS
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, page_of, page_params, time_cursor
from libs.request_guard import NOT_BLANK
from services.support.adapters import disputes_repository as disputes
from services.support.api.schemas import MAX_MESSAGE_CHARS
from services.support.domain.disputes import DisputeStatus, Outcome, Reason
from services.support.use_cases import disputes as cases
from services.support.use_cases.access import dispute_for

router = APIRouter(prefix="/v1/disputes", tags=["disputes"])
Caller = Annotated[Principal, Depends(require())]


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK)
    urls: list[HttpUrl] = Field(default_factory=list, max_length=10)
    private: bool = Field(default=False, description="Only agents (and your side) see it.")

    def evidence(self) -> cases.Evidence:
        return cases.Evidence(self.text, [str(u) for u in self.urls], self.private)


class DisputedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: UUID
    quantity: int = Field(gt=0, le=MAX_UNITS)


class DisputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: UUID
    reason: Reason
    description: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK)
    lines: list[DisputedLine] = Field(default_factory=list, max_length=100,
                                      description="Empty: the whole order.")
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class ResponseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    response: Literal["accept", "reject"] = Field(
        description="accept: the buyer is refunded now; reject: the buyer may escalate.")
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class EscalationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    note: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    lines: list[DisputedLine] = Field(default_factory=list, max_length=100,
                                      description="Refund these lines (default: all disputed).")
    refund_shipping: bool = False


class EvidenceView(BaseModel):
    id: UUID
    party: str
    body: str
    urls: list[str]
    private: bool
    created_at: datetime


class DisputeView(BaseModel):
    id: UUID
    order_id: UUID
    buyer_id: str
    seller_id: UUID
    reason: str
    description: str
    lines: dict[str, int]
    status: DisputeStatus
    respond_by: datetime | None
    escalate_by: datetime | None
    decide_by: datetime | None
    outcome: str | None
    decided_by: str | None
    decision_note: str | None
    refund_shipping: bool
    opened_at: datetime
    resolved_at: datetime | None
    evidence: list[EvidenceView] = Field(default_factory=list)


def _visible(item: dict[str, Any], party: str) -> bool:
    return not item["private"] or party in ("agent", item["party"])


async def _view(conn: Any, dispute: dict[str, Any], party: str) -> DisputeView:
    items = [EvidenceView(**e) for e in await disputes.evidence(conn, dispute["id"])
             if _visible(e, party)]
    return DisputeView(**{k: v for k, v in dispute.items() if k in DisputeView.model_fields},
                       evidence=items)


def _only(party: str, wanted: str, field: str, action: str) -> None:
    if party != wanted:
        raise Problem(403, "Forbidden", f"Only the {wanted} may {action}.",
                      errors=[{"field": field, "message": f"{wanted} only",
                               "code": f"{wanted}_only"}])


@router.post("", status_code=201, response_model=DisputeView,
             summary="Open a dispute on a delivered order, or an overdue one (buyers).")
async def open_dispute(
    request: Request, body: DisputeRequest,
    principal: Annotated[Principal, Depends(require(Role.BUYER))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    rt = runtime(request)

    async def work(conn: Any) -> tuple[int, Any]:
        dispute = await cases.open_dispute(
            conn, rt.settings, principal.subject, body.order_id, body.reason, body.description,
            {str(line.sku_id): line.quantity for line in body.lines} or None,
            [e.evidence() for e in body.evidence])
        return 201, (await _view(conn, dispute, "buyer")).model_dump(mode="json")

    return await idempotency.run_idempotent(
        rt.db, scope=f"support:dispute:{principal.subject}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("", response_model=Page[DisputeView],
            summary="Disputes: a buyer's own, a seller's (about its orders), or all (the desk).")
async def list_disputes(
    request: Request, principal: Caller, page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[DisputeStatus | None, Query()] = None,
) -> Page[DisputeView]:
    db = runtime(request).db
    buyer_id = seller_id = None
    if not principal.is_staff:
        if principal.has(Role.SELLER) and principal.seller_id:
            seller_id = UUID(principal.seller_id)
        else:
            buyer_id = principal.subject
    rows = await disputes.list_for(db, buyer_id=buyer_id, seller_id=seller_id,
                                   status=status.value if status else None,
                                   after=time_cursor(page.cursor), limit=page.limit + 1)
    views = [DisputeView(**{k: v for k, v in r.items() if k in DisputeView.model_fields})
             for r in rows]
    return page_of(views, page.limit, lambda d: (d.opened_at.isoformat(), str(d.id)))


@router.get("/{dispute_id}", response_model=DisputeView,
            summary="A dispute with the evidence the caller may see (private evidence is for "
                    "its side and agents).")
async def get_dispute(request: Request, dispute_id: UUID, principal: Caller) -> DisputeView:
    db = runtime(request).db
    dispute, party = await dispute_for(db, principal, dispute_id)
    return await _view(db, dispute, party)


@router.get("/{dispute_id}/evidence/{evidence_id}", response_model=EvidenceView,
            summary="One piece of evidence.",
            responses={403: {"description": "The other side's private evidence."}})
async def get_evidence(request: Request, dispute_id: UUID, evidence_id: UUID,
                       principal: Caller) -> EvidenceView:
    db = runtime(request).db
    dispute, party = await dispute_for(db, principal, dispute_id)
    for item in await disputes.evidence(db, dispute["id"]):
        if item["id"] == evidence_id:
            if not _visible(item, party):
                raise Problem(403, "Forbidden", "This evidence is private to the other side.",
                              errors=[{"field": "evidence_id", "message": "private evidence",
                                       "code": "private"}])
            return EvidenceView(**item)
    raise Problem(404, "Not found", "No such evidence.")


@router.post("/{dispute_id}/evidence", status_code=201, response_model=EvidenceView,
             summary="Add evidence (either side, or an agent).")
async def add_evidence(request: Request, dispute_id: UUID, body: EvidenceIn,
                       principal: Caller, idempotency_key: IdempotencyKey = None,
                       ) -> JSONResponse:
    async def work(conn: Any) -> tuple[int, Any]:
        dispute, party = await dispute_for(conn, principal, dispute_id, for_update=True)
        row = await cases.add_evidence(conn, dispute, party, principal.subject, body.evidence())
        return 201, EvidenceView(**row).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"support:evidence:{principal.subject}:{dispute_id}",
        key=idempotency_key, body=body.model_dump(mode="json"), work=work)


@router.post("/{dispute_id}/response", response_model=DisputeView,
             summary="The seller accepts (refunds the buyer) or rejects the claim.")
async def respond(request: Request, dispute_id: UUID, body: ResponseRequest,
                  principal: Caller) -> DisputeView:
    rt = runtime(request)
    async with transaction(rt.db) as conn:
        dispute, party = await dispute_for(conn, principal, dispute_id, for_update=True)
        _only(party, "seller", "response", "respond to a dispute")
        await cases.respond(conn, rt.settings, dispute, principal.subject,
                            body.response == "accept", [e.evidence() for e in body.evidence])
        return await _view(conn, dispute, party)


@router.post("/{dispute_id}/escalation", response_model=DisputeView,
             summary="The buyer escalates the seller's rejection to an agent.")
async def escalate(request: Request, dispute_id: UUID, body: EscalationRequest,
                   principal: Caller) -> DisputeView:
    rt = runtime(request)
    async with transaction(rt.db) as conn:
        dispute, party = await dispute_for(conn, principal, dispute_id, for_update=True)
        _only(party, "buyer", "status", "escalate a dispute")
        await cases.escalate(conn, rt.settings, dispute, [e.evidence() for e in body.evidence])
        return await _view(conn, dispute, party)


@router.post("/{dispute_id}/decision", response_model=DisputeView,
             summary="An agent decides: refund the buyer, authorise a return and refund, or "
                     "reject the claim.")
async def decide(request: Request, dispute_id: UUID, body: DecisionRequest,
                 principal: Caller) -> DisputeView:
    rt = runtime(request)
    async with transaction(rt.db) as conn:
        dispute, party = await dispute_for(conn, principal, dispute_id, for_update=True)
        _only(party, "agent", "outcome", "decide a dispute")
        await cases.resolve(conn, rt.settings, dispute, body.outcome,
                            f"agent:{principal.subject}", note=body.note,
                            lines={str(line.sku_id): line.quantity for line in body.lines}
                            or None, refund_shipping=body.refund_shipping)
        return await _view(conn, dispute, party)
