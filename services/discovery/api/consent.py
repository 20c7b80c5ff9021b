"""A buyer's own personalisation consent: read it, change it, see its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.markets import MARKET_PATTERN
from services.discovery.adapters import consent_repository
from services.discovery.api.schemas import ConsentChange, ConsentRecord, ConsentView
from services.discovery.domain.consent import default_consent
from services.discovery.use_cases import consent

router = APIRouter(prefix="/v1/discovery/consent", tags=["consent"])
Buyer = Annotated[Principal, Depends(require(Role.BUYER))]


async def _view(request: Request, principal: Principal, market: str) -> ConsentView:
    effective, chosen, audience = await consent.current(runtime(request).db, principal, market)
    return ConsentView(personalised=effective, chosen=chosen,
                       default_for_market=default_consent(market), profiled=audience.profiled,
                       basis=audience.basis)


@router.get("", response_model=ConsentView,
            summary="My personalisation consent in a market, and what it allows now.")
async def read_consent(request: Request, principal: Buyer,
                       market: Annotated[str, Query(pattern=MARKET_PATTERN)]) -> ConsentView:
    return await _view(request, principal, market)


@router.put("", response_model=ConsentView,
            summary="Turn personalisation on or off (off deletes the history kept for it).")
async def change_consent(request: Request, principal: Buyer, body: ConsentChange) -> ConsentView:
    async with transaction(runtime(request).db) as conn:
        await consent.change(conn, principal, body.personalised, body.market)
    return await _view(request, principal, body.market)


@router.get("/history", response_model=list[ConsentRecord],
            summary="Every change of my consent, oldest first.")
async def consent_history(request: Request, principal: Buyer) -> list[ConsentRecord]:
    rows = await consent_repository.history(runtime(request).db, principal.subject)
    return [ConsentRecord(personalised=r["personalised"], market=r["market"].strip(),
                          changed_at=r["changed_at"]) for r in rows]
