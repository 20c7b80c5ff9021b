"""Privacy requests: a buyer (or an operator for them) asks for an export or an erasure; every
service answers through events; the request is done when all have answered, and an export's
archive can then be downloaded until it expires.

Support is where a buyer already asks the platform for things, so it keeps the registry; its
own data is answered like every other service's, by the same handlers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.auth.principal import Principal, Role
from libs.deadlines import Deadline
from libs.domain_errors import FieldError, StateConflict
from libs.errors import Problem
from libs.events.schemas.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportAnswered,
    ExportRequested,
    RequestCompleted,
)
from libs.ids import new_id
from libs.outbox import enqueue
from libs.rate_limit import RateLimiter, enforce
from services.support.adapters import privacy_repository as requests
from services.support.domain.privacy import (
    RESPONSE_TIME,
    Answer,
    Kind,
    archive,
    documents,
    is_complete,
    new_pseudonym,
)
from services.support.settings import SupportSettings

SOURCE = "support"
ARCHIVE_EXPIRY = "privacy_archive_expiry"


def subject_for(principal: Principal, subject_id: str | None) -> str:
    """Whose data: a buyer's own; an operator names the buyer it acts for."""
    if principal.has(Role.OPERATOR):
        if not subject_id:
            raise FieldError("subject_id", "an operator names the buyer it acts for",
                             "required")
        return subject_id
    if subject_id is not None and subject_id != principal.subject:
        raise Problem(403, "Forbidden", "A buyer asks only for their own data.",
                      errors=[{"field": "subject_id", "message": "not yours",
                               "code": "not_yours"}])
    return principal.subject


async def check_rate(limiter: RateLimiter, settings: SupportSettings, subject: str) -> None:
    await enforce(limiter, f"privacy:{subject}", settings.privacy_requests_per_day, 86_400,
                  field="kind", what="privacy requests")


async def ask(conn: asyncpg.Connection, settings: SupportSettings, principal: Principal,
              kind: Kind, subject: str) -> dict[str, Any]:
    """Records the request and asks every service, in one transaction."""
    now = datetime.now(UTC)
    request_id = new_id()
    pseudonym = new_pseudonym()
    request: dict[str, Any] = {"id": request_id, "kind": kind.value, "requester": subject,
               "requested_by": principal.subject,
               "pseudonym": pseudonym if kind is Kind.ERASURE else None,
               "services": list(settings.privacy_services), "requested_at": now,
               "due_at": now + RESPONSE_TIME}
    if not await requests.add(conn, request):
        existing = await requests.open_request(conn, subject, kind.value)
        raise StateConflict("kind", f"an {kind.value} request is already open ({existing})",
                            "already_open")
    if kind is Kind.ERASURE:
        await enqueue(conn, SOURCE, ErasureRequested(
            request_id=request_id, subject_id=subject, pseudonym=pseudonym,
            requested_at=now))
    else:
        await enqueue(conn, SOURCE, ExportRequested(request_id=request_id,
                                                    subject_id=subject, requested_at=now))
    return await requests.get(conn, request_id) or request


async def readable(conn: Any, principal: Principal, request_id: UUID) -> dict[str, Any]:
    """The request, for its requester or an operator; a 404 for anyone else."""
    request = await requests.get(conn, request_id)
    if request is None or not (principal.has(Role.OPERATOR)
                               or request["requester"] == principal.subject):
        raise Problem(404, "Not found", "No such privacy request.")
    return request


async def record_answer(conn: asyncpg.Connection, settings: SupportSettings,
                        event: ExportAnswered | ErasureCompleted) -> None:
    """Keeps a service's answer; the last one completes the request."""
    request = await requests.get(conn, event.request_id, for_update=True)
    if request is None or event.service not in request["services"]:
        return
    if isinstance(event, ExportAnswered):
        answer = Answer(event.service, event.part, event.parts, event.answered_at)
        content = None if request["archive_expired"] else event.content
    else:
        answer = Answer(event.service, 1, 1, event.completed_at, event.redacted,
                        event.pseudonymised)
        content = None
    if not await requests.add_answer(conn, request["id"], answer, content):
        return
    if request["status"] != "open" or not is_complete(
            request["services"], await requests.answers(conn, request["id"])):
        return
    now = datetime.now(UTC)
    expires = None
    if request["kind"] == Kind.EXPORT.value:
        expires = now + timedelta(seconds=settings.privacy_archive_seconds)
        await deadlines.schedule(conn, request["id"], ARCHIVE_EXPIRY, expires)
    await requests.complete(conn, request["id"], now, expires)
    if request["kind"] == Kind.ERASURE.value:
        await requests.forget_requester(conn, request["id"])
    await enqueue(conn, SOURCE, RequestCompleted(
        request_id=request["id"], kind=request["kind"], services=request["services"],
        completed_at=now))


async def archive_of(conn: Any, request: dict[str, Any]) -> bytes:
    if request["kind"] != Kind.EXPORT.value:
        raise StateConflict("request_id", "an erasure has no archive", "no_archive")
    if request["status"] != "completed":
        raise StateConflict("request_id", "the export is not complete yet", "not_complete")
    if request["archive_expired"]:
        raise Problem(410, "Gone", "The archive expired; ask for a new export.",
                      errors=[{"field": "request_id", "message": "expired",
                               "code": "expired"}])
    return archive(str(request["id"]), request["requested_at"],
                   documents(await requests.pieces(conn, request["id"])))


async def expire_archive(conn: asyncpg.Connection, deadline: Deadline) -> None:
    await requests.expire_archive(conn, UUID(deadline.key))
