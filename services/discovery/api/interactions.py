"""Interactions from frontends: views, taps and add-to-carts, in batches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.rate_limit import RATE_LIMITED, enforce
from services.discovery.api.schemas import IngestResult, InteractionBatch
from services.discovery.domain.ranking import Action
from services.discovery.use_cases import interactions

router = APIRouter(prefix="/v1/discovery/interactions", tags=["interactions"])


@router.post("", response_model=IngestResult, responses=RATE_LIMITED,
             summary="Record what the buyer saw and did (idempotent per client_event_id: "
                     "an event sent again is counted once, so no Idempotency-Key is needed).",
             openapi_extra={"x-cross-field-rules": [
                 "occurred_at is within the last 24 hours"]})
async def record_interactions(
    request: Request, body: InteractionBatch,
    principal: Annotated[Principal, Depends(require(Role.BUYER))],
) -> IngestResult:
    rt = runtime(request)
    await enforce(rt.components["rate_limiter"], f"discovery:ingest:{principal.subject}",
                  rt.settings.interaction_requests_per_minute, 60, field="body.events",
                  what="interaction batches")
    async with transaction(rt.db) as conn:
        outcome = await interactions.ingest(
            conn, buyer_id=principal.subject, birthdate=principal.birthdate, market=body.market,
            events=[interactions.Interaction(e.client_event_id, Action(e.action), e.item_kind,
                                             e.item_id, e.occurred_at) for e in body.events],
            recent_limit=rt.settings.recent_items)
    return IngestResult(accepted=outcome.accepted, duplicates=outcome.duplicates,
                        counted=outcome.counted, unknown_items=outcome.unknown_items)
