"""Sponsored slots for one request (a feed page or a search page): the eligible campaigns, each
one's best product for this request, the second-price auction, and a signed click token and an
impression for each winner."""

from __future__ import annotations

import asyncio
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


@dataclass(frozen=True)
class Offer:
    """A product a campaign may promote now, with what does not depend on the request."""

    campaign: Campaign
    spent_minor: int
    product_id: UUID
    category_id: UUID
    title: str | None
    price_minor: int
    currency: str
    age_restricted: bool
    base: float
    """Relevance before the request (`auction.base_relevance`)."""
    bid_minor: int


@dataclass
class _Serving:
    """A market's eligible campaigns and their offers, reused for `auction_cache_seconds`."""

    expires: float
    offers: dict[UUID, list[Offer]] = field(default_factory=dict)
    """By campaign, highest bid first (campaigns by their highest bid, offers by bid then
    base relevance), so a request can stop as soon as no bid left could matter."""
    by_key: dict[tuple[UUID, UUID], Offer] = field(default_factory=dict)


class ServingCache:
    """One refresh at a time per market: requests arriving while it runs wait for it instead
    of each querying again."""

    def __init__(self, seconds: float, reserve_price_minor: int) -> None:
        self.seconds = seconds
        self.reserve_price_minor = reserve_price_minor
        self._markets: dict[tuple[str, date], _Serving] = {}
        self._refreshing: dict[str, asyncio.Lock] = {}

    async def get(self, db: asyncpg.Pool, market: str, day: date) -> _Serving:
        key = (market, day)
        cached = self._markets.get(key)
        if cached is not None and cached.expires > time.monotonic():
            return cached
        async with self._refreshing.setdefault(market, asyncio.Lock()):
            cached = self._markets.get(key)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            serving = await self._load(db, market, day)
            self._markets = {k: v for k, v in self._markets.items() if k[1] == day}
            self._markets[key] = serving
            return serving

    async def _load(self, db: asyncpg.Pool, market: str, day: date) -> _Serving:
        rows = await campaigns.serving(db, market, day)
        listed = {r["id"]: (campaigns.campaign_of(r), r["spent_minor"],
                            auction.conversion_rate(r["attributed_orders"], r["billed_clicks"]))
                  for r in rows}
        product_rows = await campaigns.serving_products(
            db, market, [c.id for c, _, _ in listed.values() if c.kind is Kind.PRODUCTS],
            [c.id for c, _, _ in listed.values() if c.kind is Kind.CATALOGUE],
            1 / growth(datetime.now(UTC)))
        top = max((r["popularity"] for r in product_rows), default=0.0)
        serving = _Serving(time.monotonic() + self.seconds)
        for r in product_rows:
            c, spent, conversion = listed[r["campaign_id"]]
            amount = c.max_bid_minor if c.kind is Kind.PRODUCTS else auction.catalogue_bid(
                price_minor=r["price_minor"], conversion_rate=conversion,
                target_roas=c.target_roas or 1.0, max_bid_minor=c.max_bid_minor,
                reserve_price_minor=self.reserve_price_minor)
            if amount < self.reserve_price_minor:
                continue  # can never win
            base = auction.base_relevance(r["popularity"] / top if top else 0.0)
            offer = Offer(c, spent, r["id"], r["category_id"], r["title"], r["price_minor"],
                          r["currency"].strip(), r["age_restricted"],
                          base, amount)
            serving.offers.setdefault(c.id, []).append(offer)
            serving.by_key[(c.id, offer.product_id)] = offer
        for offers in serving.offers.values():
            offers.sort(key=lambda o: (-o.bid_minor, -o.base))
        serving.offers = dict(sorted(serving.offers.items(), key=lambda kv: -kv[1][0].bid_minor))
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


def _bids(serving: _Serving, ctx: AdContext, settings: DiscoverySettings, now: datetime,
          slots: int) -> list[auction.Bid]:
    """Each eligible campaign's best bid for this request. Campaigns and their offers are
    visited best possible score first, and the visit stops once nothing left could reach the
    winners or set their prices (the top `slots + 1` of distinct products): with thousands of
    campaigns in a market, a request scores the few that could matter."""
    bids: list[auction.Bid] = []
    leaders = _Leaders(slots + 1)
    interests = ctx.profile.category_weights if ctx.profile is not None else {}
    gain = auction.context_gain(searched=bool(ctx.query), profiled=ctx.profile is not None)
    reach = min(1.0, auction.BASE_MAX + gain)
    for offers in serving.offers.values():
        if leaders.beyond_reach(offers[0].bid_minor * reach):
            break
        c = offers[0].campaign
        if not pacing.may_serve(daily_budget_minor=c.daily_budget_minor,
                                spent_minor=offers[0].spent_minor,
                                price_floor_minor=settings.reserve_price_minor, at=now,
                                front_load=settings.pacing_front_load):
            continue
        if not _targets(c, ctx, now.date()):
            continue
        keywords = keyword_match(c.keywords, ctx.query)
        best: Offer | None = None
        best_relevance = best_score = 0.0
        for offer in offers:
            if offer.bid_minor * reach <= best_score:
                break  # the offers after it bid no more
            if auction.ceiling(offer.bid_minor, offer.base, gain) <= best_score:
                continue
            if offer.product_id in ctx.exclude_products or (
                    offer.age_restricted and ctx.audience.minor_or_unverified):
                continue
            relevance = auction.relevance(
                base=offer.base, category_match=offer.category_id in ctx.context_categories,
                keyword_match=keywords or title_match(offer.title, ctx.query),
                interest=interests.get(offer.category_id, 0.0))
            if offer.bid_minor * relevance > best_score:
                best, best_relevance, best_score = offer, relevance, offer.bid_minor * relevance
        if best is not None:
            bids.append(auction.Bid(c.id, c.seller_id, best.product_id, best.bid_minor,
                                    best_relevance))
            leaders.add(best.product_id, best_score)
    return bids


class _Leaders:
    """The best scores so far, one per product, as many as decide an auction's winners and
    their prices."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.scores: dict[UUID, float] = {}

    def add(self, product_id: UUID, score: float) -> None:
        if score <= self.scores.get(product_id, 0.0):
            return
        self.scores[product_id] = score
        if len(self.scores) > self.size:
            del self.scores[min(self.scores, key=self.scores.__getitem__)]

    def beyond_reach(self, ceiling: float) -> bool:
        """Whether nothing scoring at most `ceiling` could change the outcome."""
        return len(self.scores) == self.size and min(self.scores.values()) > ceiling


async def fill(db: asyncpg.Pool, client: redis.Redis, cache: ServingCache,
               settings: DiscoverySettings, ctx: AdContext, slots: int) -> list[SponsoredItem]:
    if slots <= 0:
        return []
    now = datetime.now(UTC)
    serving = await cache.get(db, ctx.market, now.date())
    if not serving.offers:
        return []
    wins = auction.run(_bids(serving, ctx, settings, now, slots), slots=slots,
                       reserve_price_minor=settings.reserve_price_minor)
    secret = settings.ad_token_secret.get_secret_value()
    items = []
    for win in wins:
        offer = serving.by_key[(win.bid.campaign_id, win.bid.product_id)]
        c = offer.campaign
        slot = ad_tokens.Slot(impression_id=new_id(), campaign_id=c.id, seller_id=c.seller_id,
                              product_id=offer.product_id, buyer_id=ctx.buyer_id,
                              market=ctx.market, price_minor=win.price_minor,
                              currency=c.currency)
        items.append(SponsoredItem(
            campaign_id=c.id, product_id=offer.product_id, category_id=offer.category_id,
            title=offer.title, price_minor=offer.price_minor, currency=offer.currency,
            click_token=ad_tokens.issue(secret, slot, now, settings.ad_token_seconds)))
    await counters.count_impressions(client, now.date(), [i.campaign_id for i in items])
    return items


def categories_on_screen(items: Iterable[dict[str, Any]]) -> frozenset[UUID]:
    return frozenset(UUID(str(i["category_id"])) for i in items if i.get("category_id"))
