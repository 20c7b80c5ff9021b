"""The "for you" feed and the sponsored slots of a search page."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from libs.api import runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.markets import MARKET_PATTERN
from libs.rate_limit import RATE_LIMITED, enforce
from services.discovery.api.schemas import FeedItem, FeedView, SponsoredView
from services.discovery.domain import auction
from services.discovery.use_cases import feed, sponsored
from services.discovery.use_cases.consent import audience_for
from services.discovery.use_cases.feed import profile_of

router = APIRouter(prefix="/v1/discovery", tags=["feed"])
Buyer = Annotated[Principal, Depends(require(Role.BUYER))]
MarketQuery = Annotated[str, Query(pattern=MARKET_PATTERN, description="The buyer's market.")]


async def _limited(request: Request, principal: Principal) -> None:
    rt = runtime(request)
    await enforce(rt.components["rate_limiter"], f"discovery:feed:{principal.subject}",
                  rt.settings.feed_requests_per_minute, 60, field="query.market",
                  what="feed requests")


@router.get("/feed", response_model=FeedView, responses=RATE_LIMITED,
            summary="The buyer's feed of products, live sessions and videos, with labelled "
                    "sponsored products (at most one slot in five).",
            openapi_extra={"x-cross-field-rules": [
                "cursor is one this buyer was given for this market and basis, in the last "
                "15 minutes"]})
async def read_feed(
    request: Request, principal: Buyer, market: MarketQuery,
    personalised: Annotated[bool, Query(description="false: the non-personalised feed, for "
                                                    "anyone who prefers it.")] = True,
    category_id: Annotated[UUID | None, Query(description="The category on screen, if any.")]
    = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> FeedView:
    await _limited(request, principal)
    rt = runtime(request)
    page = await feed.page(rt.db, rt.redis, rt.components["ad_cache"], rt.settings, principal,
                           feed.FeedRequest(market, personalised, category_id, cursor, limit))
    return FeedView(personalised=page.audience.profiled, basis=page.audience.basis,
                    items=[FeedItem.model_validate(i) for i in page.items],
                    next_cursor=page.next_cursor)


@router.get("/search-ads", response_model=SponsoredView, responses=RATE_LIMITED,
            summary="Sponsored products for a search results page (catalog answers the search; "
                    "the app shows these labelled, in at most one slot in five).")
async def search_ads(
    request: Request, principal: Buyer, market: MarketQuery,
    q: Annotated[str, Query(min_length=1, max_length=200, description="The search words.")],
    category_id: Annotated[UUID | None, Query()] = None,
    results: Annotated[int, Query(ge=1, le=100, description="Organic results on the page.")]
    = 20,
) -> SponsoredView:
    await _limited(request, principal)
    rt = runtime(request)
    audience = await audience_for(rt.db, principal, market)
    profile = (await profile_of(rt.db, principal.subject, rt.settings.recent_items)
               if audience.profiled else None)
    items = await sponsored.fill(rt.db, rt.redis, rt.components["ad_cache"], rt.settings,
                                 sponsored.AdContext(
                                     market=market, buyer_id=principal.subject,
                                     audience=audience, birthdate=principal.birthdate,
                                     profile=profile, query=q,
                                     context_categories=frozenset(
                                         {category_id} if category_id else set())),
                                 auction.sponsored_slots(results))
    return SponsoredView(items=[FeedItem(
        kind="product", id=i.product_id, title=i.title, category_id=i.category_id,
        price_minor=i.price_minor, currency=i.currency, sponsored=True,
        campaign_id=i.campaign_id, click_token=i.click_token) for i in items])
