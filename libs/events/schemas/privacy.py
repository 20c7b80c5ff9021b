"""Privacy requests: a buyer's data export or erasure, asked once by support and answered by
every service that holds personal data.

The request events carry the subject's id (each service must find its rows); nothing else in
this family does. An erasure request also carries the pseudonym every service puts in the
subject's place, so records kept for the law (orders, ledgers) still join across services.
Answers are keyed by request and service (`answer_id`): each service's answer is its own
aggregate, its pieces in order and numbered by the service that sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from libs.events.base import Event
from libs.events.registry import register

REQUESTS = "privacy.request.v1"
ANSWERS = "privacy.answer.v1"

PrivacyKind = Literal["export", "erasure"]


class _Request(Event):
    topic = REQUESTS
    key_field = "request_id"

    request_id: UUID
    subject_id: str = Field(min_length=1, max_length=200,
                            description="The buyer whose data is asked for (the token subject).")
    requested_at: datetime


@register
class ExportRequested(_Request):
    """A buyer (or an operator for them) asked for a copy of their data."""

    type = "privacy.export_requested"


@register
class ErasureRequested(_Request):
    """A buyer (or an operator for them) asked to be forgotten: each service erases what it
    may and replaces the subject's id with `pseudonym` in what the law makes it keep."""

    type = "privacy.erasure_requested"
    pseudonym: str = Field(pattern=r"^erased-[0-9a-f]{32}$")


@register
class RequestCompleted(Event):
    """Every service answered the request."""

    type = "privacy.request_completed"
    topic = REQUESTS
    key_field = "request_id"

    request_id: UUID
    kind: PrivacyKind
    services: list[str]
    completed_at: datetime


def answer_id(request_id: UUID, service: str) -> str:
    return f"{request_id}/{service}"


class _Answer(Event):
    """One service's answer to one request: its own aggregate, numbered by that service."""

    topic = ANSWERS
    key_field = "answer_id"

    answer_id: str = Field(max_length=100, description="`<request_id>/<service>`.")
    request_id: UUID
    service: str


@register
class ExportAnswered(_Answer):
    """One service's part of an export: a JSON document, split in `parts` pieces when large
    (each record stays well under the broker's message limit)."""

    type = "privacy.export_answered"
    part: int = Field(ge=1, le=10_000)
    parts: int = Field(ge=1, le=10_000)
    content: str = Field(max_length=200_000,
                         description="This piece of the service's JSON document.")
    answered_at: datetime


@register
class ErasureCompleted(_Answer):
    """One service erased or pseudonymised what it held of the subject."""

    type = "privacy.erasure_completed"
    redacted: int = Field(ge=0, description="Personal fields blanked or rows deleted.")
    pseudonymised: int = Field(ge=0, description="Values where the subject's id was replaced.")
    completed_at: datetime
