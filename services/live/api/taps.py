"""A buyer taps a product in a live session: the platform signs what the tap credits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from libs import idempotency
from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.idempotency import IdempotencyKey
from libs.rate_limit import RATE_LIMITED, RateLimiter, enforce
from services.live.use_cases.attribution import IssuedTouch, tap

router = APIRouter(prefix="/v1/live/sessions/{session_id}", tags=["attribution"])


class TouchView(BaseModel):
    attribution_token: str = Field(
        description="Send it as the cart line's `source.attribution_token`: the sale is "
                    "credited to this session (and its creator) if checked out before "
                    "`expires_at`; a later tap on the same product replaces it.")
    session_id: UUID
    product_id: UUID
    creator_credited: bool = Field(description="Whether a partner creator earns commission.")
    expires_at: datetime


@router.post("/products/{product_id}/taps", status_code=201, response_model=TouchView,
             summary="A buyer taps a product in a live session: an attribution token.",
             responses={409: {"description": "The session is not live, or the product is not "
                                             "in its showcase."}, **RATE_LIMITED})
async def tap_product(request: Request, session_id: UUID, product_id: UUID,
                      principal: Annotated[Principal, Depends(require(Role.BUYER))],
                      idempotency_key: IdempotencyKey = None) -> Any:
    settings, pool = runtime(request).settings, runtime(request).db
    await enforce(RateLimiter(runtime(request).redis), f"taps:{principal.subject}",
                  settings.taps_per_minute, 60, field="product_id", what="taps")

    async def work(conn: Any) -> tuple[int, Any]:
        issued = await tap(conn, settings, session_id, product_id, principal.subject)
        return 201, _view(issued).model_dump(mode="json")

    return await idempotency.run_idempotent(
        pool, scope=f"{principal.subject}:POST taps", key=idempotency_key,
        body={"session_id": str(session_id), "product_id": str(product_id)}, work=work)


def _view(issued: IssuedTouch) -> TouchView:
    touch = issued.touch
    assert touch.session_id is not None
    return TouchView(attribution_token=issued.token, session_id=touch.session_id,
                     product_id=touch.product_id, creator_credited=touch.creator_id is not None,
                     expires_at=touch.expires_at)
