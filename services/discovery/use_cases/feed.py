"""The "for you" feed: a ranked snapshot made on the first page and kept while the buyer pages
through it (so nothing repeats or goes missing between pages), with items that stopped being
showable since (sold out, seller suspended) left out as pages are read, and sponsored slots
auctioned afresh for each page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as redis

from libs.auth.principal import Principal
from libs.ids import new_id
from libs.pagination import decode_cursor, encode_cursor, invalid_cursor
from services.discovery.adapters import counters, feed_repository, interactions_repository
from services.discovery.adapters.interactions_repository import growth
from services.discovery.domain import auction, ranking
from services.discovery.domain.consent import Audience
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases import sponsored
from services.discovery.use_cases.consent import audience_for


@dataclass(frozen=True)
class FeedRequest:
    market: str
    personalised: bool
    category_id: UUID | None
    cursor: str | None
    limit: int


@dataclass(frozen=True)
class FeedPage:
    audience: Audience
    items: list[dict[str, Any]]
    next_cursor: str | None


async def profile_of(db: asyncpg.Pool, buyer_id: str, limit: int) -> ranking.Profile:
    rows = await interactions_repository.recent(db, buyer_id, limit)
    now = datetime.now(UTC)
    weights = ranking.category_weights(
        (r["category_id"], r["weight"] * ranking.decay((now - r["occurred_at"]).days))
        for r in rows)
    return ranking.Profile(recent_items=tuple(r["item_id"] for r in rows),
                           category_weights=weights)


_KIND_CODE = {"product": "p", "live_session": "l", "video": "v"}
_CODE_KIND = {code: kind for kind, code in _KIND_CODE.items()}


def _card(row: Any) -> dict[str, Any]:
    """What the feed shows of an item."""
    return {"kind": row["kind"], "id": str(row["id"]),
            "category_id": str(row["category_id"]) if row["category_id"] else None,
            "title": row["title"], "price_minor": row["price_minor"],
            "currency": row["currency"].strip() if row["currency"] else None,
            "sponsored": False}


async def _snapshot(db: asyncpg.Pool, settings: DiscoverySettings, request: FeedRequest,
                    audience: Audience, profile: ranking.Profile | None) -> list[str]:
    """The ranked items as compact `<kind code><id>` strings (the cards are read per page)."""
    rows = await feed_repository.candidates(db, feed_repository.Query(
        market=request.market, minor_or_unverified=audience.minor_or_unverified,
        interest_categories=sorted(profile.category_weights) if profile else [],
        recent_items=list(profile.recent_items) if profile else [],
        decay=1 / growth(datetime.now(UTC)), pool=settings.candidate_pool))
    ranked = ranking.rank(
        (ranking.Candidate(item_id=row["id"], kind=row["kind"], category_id=row["category_id"],
                           popularity=row["popularity"], co_visitation=row["co_visitation"],
                           live_now=row["live_now"]) for row in rows),
        profile=profile, context_category=request.category_id)
    return [_KIND_CODE[c.kind] + c.item_id.hex for c in ranked]


async def page(db: asyncpg.Pool, client: redis.Redis, cache: sponsored.ServingCache,
               settings: DiscoverySettings, principal: Principal, request: FeedRequest
               ) -> FeedPage:
    audience = await audience_for(db, principal, request.market,
                                  wants_personalised=request.personalised)
    profile = (await profile_of(db, principal.subject, settings.recent_items)
               if audience.profiled else None)
    if request.cursor:
        snapshot_id, offset = decode_cursor(request.cursor, 2)
        snapshot = await counters.load_snapshot(client, str(snapshot_id))
        if (snapshot is None or snapshot["buyer"] != principal.subject
                or snapshot["market"] != request.market or snapshot["basis"] != audience.basis
                or not isinstance(offset, int) or offset < 0):
            raise invalid_cursor()
    else:
        snapshot_id, offset = new_id().hex, 0
        snapshot = {"buyer": principal.subject, "market": request.market,
                    "basis": audience.basis.value,
                    "items": await _snapshot(db, settings, request, audience, profile)}
        await counters.save_snapshot(client, snapshot_id, snapshot, settings.snapshot_seconds)
    items: list[str] = snapshot["items"]
    organic = await _showable(db, request.market, audience, items, offset, request.limit)
    slots = auction.sponsored_slots(request.limit)
    ads = await sponsored.fill(db, client, cache, settings, sponsored.AdContext(
        market=request.market, buyer_id=principal.subject, audience=audience,
        birthdate=principal.birthdate, profile=profile,
        context_categories=sponsored.categories_on_screen(i for i, _ in organic)
        | ({request.category_id} if request.category_id else set()),
        exclude_products=frozenset(UUID(i["id"]) for i, _ in organic if i["kind"] == "product")),
        slots)
    page_items = _compose([i for i, _ in organic], ads, request.limit)
    used = sum(1 for i in page_items if not i["sponsored"])
    following = organic[used - 1][1] + 1 if used else len(items)
    next_cursor = encode_cursor(snapshot_id, following) if following < len(items) else None
    return FeedPage(audience, page_items, next_cursor)


async def _showable(db: asyncpg.Pool, market: str, audience: Audience,
                    items: list[str], offset: int, limit: int
                    ) -> list[tuple[dict[str, Any], int]]:
    """Up to `limit` cards of items from `offset` that can still be shown, each with its place
    in the snapshot (the next page starts after the last one shown)."""
    taken: list[tuple[dict[str, Any], int]] = []
    position = offset
    while len(taken) < limit and position < len(items):
        window = [(_CODE_KIND[i[0]], UUID(hex=i[1:]))
                  for i in items[position:position + max(limit * 2, 20)]]
        alive = await feed_repository.showable(db, market, audience.minor_or_unverified, window)
        for _, item_id in window:
            row = alive.get(item_id)
            if row is not None:
                taken.append((_card(row), position))
            position += 1
            if len(taken) == limit:
                break
    return taken


def _compose(organic: list[dict[str, Any]], ads: list[sponsored.SponsoredItem],
             limit: int) -> list[dict[str, Any]]:
    positions = set(auction.sponsored_positions(limit, len(ads)))
    ad_items = iter(ads)
    organic_items = iter(organic)
    composed: list[dict[str, Any]] = []
    for index in range(limit):
        source = next(ad_items, None) if index in positions else None
        if source is not None:
            composed.append({
                "kind": "product", "id": str(source.product_id),
                "category_id": str(source.category_id), "title": source.title,
                "price_minor": source.price_minor, "currency": source.currency,
                "sponsored": True, "campaign_id": str(source.campaign_id),
                "click_token": source.click_token})
            continue
        item = next(organic_items, None)
        if item is None:
            break
        composed.append(item)
    return composed

