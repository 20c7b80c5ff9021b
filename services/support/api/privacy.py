"""Privacy requests: a buyer asks for a copy of their data or to be erased (operators ask for a
buyer); every service answers by event; the status shows which have; an export's archive is
downloaded here once all have."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, page_of, page_params, time_cursor
from libs.rate_limit import RATE_LIMITED
from services.support.adapters import privacy_repository as requests
from services.support.domain.privacy import Answer, Kind, ServiceProgress, progress
from services.support.use_cases import privacy

router = APIRouter(prefix="/v1/privacy-requests", tags=["privacy"])
Caller = Annotated[Principal, Depends(require(Role.BUYER, Role.OPERATOR))]


class PrivacyRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "export"}, {"kind": "erasure", "subject_id": "buyer-42"}]})
    kind: Kind
    subject_id: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="The buyer an operator acts for; a buyer leaves it out (or names "
                    "themself).")


class ServiceAnswer(BaseModel):
    service: str
    answered: bool
    answered_at: datetime | None
    parts_received: int
    parts: int | None
    redacted: int | None = Field(description="Erasure: personal fields blanked or rows "
                                             "deleted.")
    pseudonymised: int | None = Field(description="Erasure: values where the buyer's id "
                                                  "was replaced.")

    @classmethod
    def of(cls, item: ServiceProgress) -> ServiceAnswer:
        return cls(**item.__dict__)


class PrivacyRequestView(BaseModel):
    id: UUID
    kind: Kind
    status: str
    requested_at: datetime
    due_at: datetime = Field(description="The legal deadline to answer (one month).")
    completed_at: datetime | None
    services: list[ServiceAnswer]
    archive_expires_at: datetime | None = Field(
        description="An export: until when its archive can be downloaded.")
    archive_expired: bool

    @classmethod
    def of(cls, request: dict[str, Any], answered: list[ServiceAnswer]) -> PrivacyRequestView:
        return cls(**{k: request[k] for k in (
            "id", "kind", "status", "requested_at", "due_at", "completed_at",
            "archive_expires_at", "archive_expired")}, services=answered)


async def _view(conn: Any, request: dict[str, Any],
                answers: list[Answer] | None = None) -> PrivacyRequestView:
    if answers is None:
        answers = await requests.answers(conn, request["id"])
    return PrivacyRequestView.of(request, [ServiceAnswer.of(p) for p in
                                           progress(request["services"], answers)])


@router.post("", status_code=202, response_model=PrivacyRequestView,
             summary="Ask for a copy of your data (`export`) or to be erased (`erasure`); "
                     "operators name the buyer in `subject_id`.",
             responses={403: {"description": "A buyer named someone else."},
                        409: {"description": "A request of this kind is already open."},
                        **RATE_LIMITED})
async def ask(request: Request, body: PrivacyRequestBody, principal: Caller,
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    rt = runtime(request)
    subject = privacy.subject_for(principal, body.subject_id)
    await privacy.check_rate(rt.components["rate_limiter"], rt.settings, subject)

    async def work(conn: Any) -> tuple[int, Any]:
        asked = await privacy.ask(conn, rt.settings, principal, body.kind, subject)
        return 202, (await _view(conn, asked)).model_dump(mode="json")

    return await idempotency.run_idempotent(
        rt.db, scope=f"support:privacy:{principal.subject}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("", response_model=Page[PrivacyRequestView],
            summary="Your privacy requests, newest first (operators: everyone's).")
async def list_requests(request: Request, principal: Caller,
                        page: Annotated[PageParams, Depends(page_params)],
                        ) -> Page[PrivacyRequestView]:
    db = runtime(request).db
    requester = None if principal.has(Role.OPERATOR) else principal.subject
    rows = await requests.list_for(db, requester, time_cursor(page.cursor), page.limit + 1)
    answered = await requests.answers_of(db, [row["id"] for row in rows])
    views = [await _view(db, row, answered.get(row["id"], [])) for row in rows]
    return page_of(views, page.limit, lambda v: (v.requested_at.isoformat(), str(v.id)))


@router.get("/{request_id}", response_model=PrivacyRequestView,
            summary="A request and which services have answered it.")
async def get_request(request: Request, request_id: UUID,
                      principal: Caller) -> PrivacyRequestView:
    db = runtime(request).db
    return await _view(db, await privacy.readable(db, principal, request_id))


@router.get("/{request_id}/archive", response_class=Response,
            summary="A completed export: a zip of one JSON document per service.",
            responses={200: {"content": {"application/zip": {}}},
                       409: {"description": "Not an export, or not complete yet."},
                       410: {"description": "The archive expired."}})
async def download(request: Request, request_id: UUID, principal: Caller) -> Response:
    db = runtime(request).db
    data = await privacy.archive_of(db, await privacy.readable(db, principal, request_id))
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="my-data-{request_id}.zip"'})
