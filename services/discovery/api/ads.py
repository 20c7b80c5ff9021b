"""Sellers' campaigns and their reports, and buyers' clicks on sponsored slots."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, page_of, page_params, time_cursor
from libs.rate_limit import RATE_LIMITED, enforce
from services.discovery.adapters import campaigns_repository
from services.discovery.api.schemas import (
    CampaignIn,
    CampaignReport,
    CampaignView,
    ClickIn,
    ClickView,
)
from services.discovery.domain.campaigns import Audience, Kind
from services.discovery.use_cases import campaigns, clicks

router = APIRouter(prefix="/v1/discovery", tags=["ads"])
Seller = Annotated[Principal, Depends(require(Role.SELLER))]
Staff = Annotated[Principal, Depends(require(Role.SELLER, Role.OPERATOR))]


def _seller_scope(principal: Principal) -> UUID | None:
    """A seller sees its own campaigns; an operator any."""
    return None if principal.has(Role.OPERATOR) and principal.seller_id is None \
        else acting_seller(principal)


@router.post("/campaigns", response_model=CampaignView, status_code=201,
             summary="Start a campaign on the shop's own live products, or on its catalogue.",
             openapi_extra={"x-cross-field-rules": [
                 "max_bid_minor is at most daily_budget_minor",
                 "targeting.markets is the seller's own market",
                 "a products campaign names product_ids; a catalogue one names target_roas and no "
                 "product_ids",
                 "targeting.audience may not reach buyers under 18 or who did not consent"]})
async def create_campaign(request: Request, principal: Seller, body: CampaignIn,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    seller_id = acting_seller(principal)
    audience = body.targeting.audience
    draft = campaigns.CampaignDraft(
        name=body.name, kind=Kind(body.kind), daily_budget_minor=body.daily_budget_minor,
        max_bid_minor=body.max_bid_minor, product_ids=body.product_ids,
        markets=body.targeting.markets, keywords=body.targeting.keywords,
        categories=set(body.targeting.categories),
        audience=Audience(frozenset(audience.interest_categories), audience.min_age,
                          audience.include_non_consenting),
        target_roas=body.target_roas, catalogue_category=body.catalogue_category_id)

    async def work(conn: Any) -> tuple[int, Any]:
        campaign = await campaigns.create(conn, seller_id, draft)
        return 201, CampaignView.of(campaign, sorted(set(body.product_ids))).model_dump(
            mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"discovery:campaign:{seller_id}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("/campaigns", response_model=Page[CampaignView],
            summary="The shop's campaigns, newest first (operators: every shop's).")
async def list_campaigns(request: Request, principal: Staff,
                         page: Annotated[PageParams, Depends(page_params)]) -> Page[CampaignView]:
    db = runtime(request).db
    found = await campaigns_repository.of_seller(db, _seller_scope(principal),
                                                 after=time_cursor(page.cursor),
                                                 limit=page.limit + 1)
    views = [CampaignView.of(c, await campaigns_repository.product_ids(db, c.id))
             for c in found]
    return page_of(views, page.limit, lambda v: (v.created_at, v.id))


@router.get("/campaigns/{campaign_id}", response_model=CampaignView)
async def read_campaign(request: Request, principal: Staff, campaign_id: UUID) -> CampaignView:
    db = runtime(request).db
    campaign = await campaigns.owned(db, campaign_id, _seller_scope(principal))
    return CampaignView.of(campaign, await campaigns_repository.product_ids(db, campaign_id))


@router.post("/campaigns/{campaign_id}/{action}", response_model=CampaignView,
             summary="Pause, resume or end a campaign (ended is for good).")
async def change_campaign(request: Request, principal: Seller, campaign_id: UUID,
                          action: Literal["pause", "resume", "end"]) -> CampaignView:
    db = runtime(request).db
    async with transaction(db) as conn:
        campaign = await campaigns.change(conn, campaign_id, acting_seller(principal), action)
    return CampaignView.of(campaign, await campaigns_repository.product_ids(db, campaign_id))


@router.get("/campaigns/{campaign_id}/report", response_model=CampaignReport,
            summary="Impressions, clicks (billed and filtered), spend, attributed orders and "
                    "return on ad spend.")
async def campaign_report(request: Request, principal: Staff, campaign_id: UUID,
                          days: Annotated[int, Query(ge=1, le=30)] = 7) -> CampaignReport:
    rt = runtime(request)
    campaign = await campaigns.owned(rt.db, campaign_id, _seller_scope(principal))
    return CampaignReport.model_validate(await campaigns.report(rt.db, rt.redis, campaign, days))


@router.post("/ads/clicks", response_model=ClickView, responses=RATE_LIMITED,
             summary="The buyer tapped a sponsored slot: billed once if it passes the filters "
                     "(a slot's token bills at most once, so no Idempotency-Key is needed).",
             openapi_extra={"x-cross-field-rules": [
                 "token is a click token this platform signed, unexpired"]})
async def click_ad(
    request: Request, body: ClickIn,
    principal: Annotated[Principal, Depends(require())],
    user_agent: Annotated[str | None, Header(max_length=500)] = None,
) -> ClickView:
    rt = runtime(request)
    await enforce(rt.components["rate_limiter"], f"discovery:clicks:{principal.subject}",
                  rt.settings.click_requests_per_minute, 60, field="body.token",
                  what="clicks")
    slot = clicks.slot_of(rt.settings, body.token, principal)
    result = await clicks.click(rt.db, rt.redis, rt.settings, principal, slot, user_agent)
    return ClickView(click_id=result.click_id, billed=result.billed, outcome=result.outcome.value,
                     price_minor=result.price_minor, product_id=result.product_id)
