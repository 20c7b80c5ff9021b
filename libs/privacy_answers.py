"""The two event handlers every service registers for privacy requests: answer an export with
the service's document (in pieces), and erase then say so. Each runs in the consumer's
transaction, so the erasure and its `privacy.erasure_completed` commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from libs.consumer import Handler
from libs.events.envelope import Envelope
from libs.events.schemas.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportAnswered,
    ExportRequested,
    answer_id,
)
from libs.outbox import enqueue
from libs.privacy import PrivacyMap, erase, export_document, split_document

AfterErasure = Callable[[asyncpg.Connection, ErasureRequested], Awaitable[None]]


def handlers(privacy_map: PrivacyMap, *,
             after_erasure: AfterErasure | None = None) -> dict[str, Handler]:
    """`after_erasure` runs after the sweep, in the same transaction (orders tells sellers)."""
    service = privacy_map.service

    async def on_export(conn: asyncpg.Connection, envelope: Envelope,
                        event: ExportRequested) -> None:
        document = await export_document(conn, event.subject_id, privacy_map)
        pieces = split_document(document)
        now = datetime.now(UTC)
        await enqueue(conn, service, *[
            ExportAnswered(answer_id=answer_id(event.request_id, service),
                           request_id=event.request_id, service=service, part=index,
                           parts=len(pieces), content=piece, answered_at=now)
            for index, piece in enumerate(pieces, start=1)])

    async def on_erasure(conn: asyncpg.Connection, envelope: Envelope,
                         event: ErasureRequested) -> None:
        counts = await erase(conn, event.subject_id, event.pseudonym, privacy_map)
        if after_erasure is not None:
            await after_erasure(conn, event)
        await enqueue(conn, service, ErasureCompleted(
            answer_id=answer_id(event.request_id, service), request_id=event.request_id,
            service=service, redacted=counts.redacted, pseudonymised=counts.pseudonymised,
            completed_at=datetime.now(UTC)))

    return {ExportRequested.type: on_export, ErasureRequested.type: on_erasure}
