"""Privacy requests as support coordinates them: who has answered, when a request is done,
and the export archive assembled from every service's pieces. Pure: no I/O."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

ANSWERING_SERVICES = ("catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery")
"""Every service that holds personal data answers every request."""
RESPONSE_TIME = timedelta(days=30)
"""The GDPR's one month (Art. 12(3)) to answer an access or erasure request."""


class Kind(StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"


@dataclass(frozen=True)
class Answer:
    service: str
    part: int
    parts: int
    answered_at: datetime
    redacted: int | None = None
    pseudonymised: int | None = None


@dataclass(frozen=True)
class ServiceProgress:
    service: str
    answered: bool
    parts_received: int
    parts: int | None
    answered_at: datetime | None
    redacted: int | None
    pseudonymised: int | None


def new_pseudonym() -> str:
    """What an erased buyer is called from now on: random, so nothing derives it back."""
    return f"erased-{uuid.uuid4().hex}"


def progress(expected: Iterable[str], answers: Iterable[Answer]) -> list[ServiceProgress]:
    by_service: dict[str, list[Answer]] = {}
    for answer in answers:
        by_service.setdefault(answer.service, []).append(answer)
    result = []
    for service in expected:
        got = by_service.get(service, [])
        parts = got[0].parts if got else None
        done = bool(got) and len({a.part for a in got}) >= (parts or 0)
        result.append(ServiceProgress(
            service=service, answered=done, parts_received=len({a.part for a in got}),
            parts=parts, answered_at=max(a.answered_at for a in got) if done else None,
            redacted=sum(a.redacted or 0 for a in got) if done else None,
            pseudonymised=sum(a.pseudonymised or 0 for a in got) if done else None))
    return result


def is_complete(expected: Iterable[str], answers: Iterable[Answer]) -> bool:
    return all(p.answered for p in progress(expected, answers))


def documents(pieces: Iterable[tuple[str, int, str]]) -> dict[str, Any]:
    """Each service's document from its pieces `(service, part, content)`."""
    texts: dict[str, list[tuple[int, str]]] = {}
    for service, part, content in pieces:
        texts.setdefault(service, []).append((part, content))
    return {service: json.loads("".join(c for _, c in sorted(parts)))
            for service, parts in sorted(texts.items())}


def archive(request_id: str, requested_at: datetime, docs: dict[str, Any]) -> bytes:
    """A zip of one JSON document per service and a manifest saying what is in it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive_file:
        archive_file.writestr("manifest.json", json.dumps({
            "request_id": request_id, "requested_at": requested_at.isoformat(),
            "services": sorted(docs),
            "note": "Each file holds what that service keeps about you."}, indent=2))
        for service, document in docs.items():
            archive_file.writestr(f"{service}.json", json.dumps(document, indent=2))
    return buffer.getvalue()
