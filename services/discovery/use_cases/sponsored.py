"""Sponsored slots for one request (a feed page or a search page): the eligible campaigns, each
one's best product for this request, the second-price auction, and a signed click token and an
impression for each winner."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as redis

from libs.ids import new_id
from services.discovery.adapters import ad_tokens, counters
from services.discovery.adapters import campaigns_repository as campaigns
from services.discovery.adapters.interactions_repository import growth
from services.discovery.domain import auction, pacing
from services.discovery.domain.campaigns import Campaign, Kind, keyword_match, title_match
from services.discovery.domain.consent import Audience, age_on
from services.discovery.domain.ranking import Profile
from services.discovery.settings import DiscoverySettings


@dataclass(frozen=True)
class AdContext:
    market: str
    buyer_id: str
    audience: Audience
    birthdate: date | None
    profile: Profile | None
    context_categories: frozenset[UUID] = frozenset()
    query: str | None = None
    exclude_products: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class SponsoredItem:
    campaign_id: UUID
    product_id: UUID
    category_id: UUID
    title: str | None
    price_minor: int
    currency: str
    click_token: str


@dataclass
class _Serving:
    """A market's eligible campaigns and their products, reused for `auction_cache_seconds`."""

    expires: float
    campaigns: list[tuple[Campaign, int, int, int]]
    """(campaign, spent today, billed clicks, attributed orders)."""
    products: dict[UUID, list[asyncpg.Record]] = field(default_factory=dict)


class ServingCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._markets: dict[tuple[str, date], _Serving] = {}

    async def get(self, db: asyncpg.Pool, market: str, day: date) -> _Serving:
        key = (market, day)
        cached = self._markets.get(key)
        if cached is not None and cached.expires > time.monotonic():
            return cached
        rows = await campaigns.serving(db, market, day)
        listed = [(campaigns.campaign_of(r), r["spent_minor"], r["billed_clicks"],
                   r["attributed_orders"]) for r in rows]
        product_rows = await campaigns.serving_products(
            db, market, [c.id for c, *_ in listed if c.kind is Kind.PRODUCTS],
            [c.id for c, *_ in listed if c.kind is Kind.CATALOGUE],
            1 / growth(datetime.now(UTC)))
        serving = _Serving(time.monotonic() + self.seconds, listed)
        for row in product_rows:
            serving.products.setdefault(row["campaign_id"], []).append(row)
        self._markets = {k: v for k, v in self._markets.items() if k[1] == day}
        self._markets[key] = serving
        return serving


def _targets(c: Campaign, ctx: AdContext, today: date) -> bool:
    """Whether the campaign may enter this request's auction at all."""
    if c.categories and not (c.categories & ctx.context_categories
                             or (ctx.profile is not None
                                 and c.categories & set(ctx.profile.category_weights))):
        return False
    if c.keywords and ctx.query is not None and not keyword_match(c.keywords, ctx.query):
        return False
    if c.audience.interest_categories or c.audience.min_age is not None:
        # audience targeting is profiling: consenting verified adults only
        if not ctx.audience.profiled or ctx.profile is None or ctx.birthdate is None:
            return False
        if c.audience.min_age is not None and age_on(ctx.birthdate, today) < c.audience.min_age:
            return False
        if (c.audience.interest_categories
                and not c.audience.interest_categories & set(ctx.profile.category_weights)):
            return False
    return True


def _bids(serving: _Serving, ctx: AdContext, settings: DiscoverySettings,
          now: datetime) -> list[auction.Bid]:
    bids = []
    top = max((p["popularity"] for rows in serving.products.values() for p in rows), default=0)
    for c, spent, clicks, orders in serving.campaigns:
        if not pacing.may_serve(daily_budget_minor=c.daily_budget_minor, spent_minor=spent,
                                price_floor_minor=settings.reserve_price_minor, at=now,
                                front_load=settings.pacing_front_load):
            continue
        if not _targets(c, ctx, now.date()):
            continue
        best: auction.Bid | None = None
        for p in serving.products.get(c.id, []):
            if p["id"] in ctx.exclude_products:
                continue
            if p["age_restricted"] and ctx.audience.minor_or_unverified:
                continue
            interest = (ctx.profile.category_weights.get(p["category_id"], 0.0)
                        if ctx.profile is not None else 0.0)
            relevance = auction.relevance(
                category_match=p["category_id"] in ctx.context_categories,
                keyword_match=(keyword_match(c.keywords, ctx.query)
                               or title_match(p["title"], ctx.query)),
                popularity_share=p["popularity"] / top if top else 0.0, interest=interest)
            amount = c.max_bid_minor if c.kind is Kind.PRODUCTS else auction.catalogue_bid(
                price_minor=p["price_minor"], conversion_rate=auction.conversion_rate(orders, clicks),
                target_roas=c.target_roas or 1.0, max_bid_minor=c.max_bid_minor,
                reserve_price_minor=settings.reserve_price_minor)
            bid = auction.Bid(c.id, c.seller_id, p["id"], amount, relevance)
            if best is None or bid.score > best.score:
                best = bid
        if best is not None:
            bids.append(best)
    return bids


async def fill(db: asyncpg.Pool, client: redis.Redis, cache: ServingCache,
               settings: DiscoverySettings, ctx: AdContext, slots: int) -> list[SponsoredItem]:
    if slots <= 0:
        return []
    now = datetime.now(UTC)
    serving = await cache.get(db, ctx.market, now.date())
    if not serving.campaigns:
        return []
    wins = auction.run(_bids(serving, ctx, settings, now), slots=slots,
                       reserve_price_minor=settings.reserve_price_minor)
    campaign_of = {c.id: c for c, *_ in serving.campaigns}
    rows = {(r["campaign_id"], r["id"]): r for rs in serving.products.values() for r in rs}
    secret = settings.ad_token_secret.get_secret_value()
    items = []
    for win in wins:
        product = rows[(win.bid.campaign_id, win.bid.product_id)]
        c = campaign_of[win.bid.campaign_id]
        slot = ad_tokens.Slot(impression_id=new_id(), campaign_id=c.id, seller_id=c.seller_id,
                              product_id=product["id"], buyer_id=ctx.buyer_id, market=ctx.market,
                              price_minor=win.price_minor, currency=c.currency)
        items.append(SponsoredItem(
            campaign_id=c.id, product_id=product["id"], category_id=product["category_id"],
            title=product["title"], price_minor=product["price_minor"],
            currency=product["currency"].strip(),
            click_token=ad_tokens.issue(secret, slot, now, settings.ad_token_seconds)))
    await counters.count_impressions(client, now.date(), [i.campaign_id for i in items])
    return items


def categories_on_screen(items: Iterable[dict[str, Any]]) -> frozenset[UUID]:
    return frozenset(UUID(str(i["category_id"])) for i in items if i.get("category_id"))
