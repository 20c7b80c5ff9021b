"""Sellers' campaigns: create (on their own live products, or their catalogue), pause, resume,
end, and the report of what each bought."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as redis

from libs.domain_errors import StateConflict
from libs.errors import Problem
from libs.events.base import Event
from libs.events.schemas import discovery as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.discovery.adapters import campaigns_repository as campaigns
from services.discovery.adapters import clicks_repository as clicks
from services.discovery.adapters import counters
from services.discovery.adapters import showcase_repository as showcase
from services.discovery.domain.campaigns import Audience, Campaign, Kind, new_campaign

SOURCE = "discovery"


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    kind: Kind
    daily_budget_minor: int
    max_bid_minor: int
    product_ids: list[UUID]
    markets: list[str] | None
    keywords: list[str]
    categories: set[UUID]
    audience: Audience
    target_roas: float | None
    catalogue_category: UUID | None


async def selling_seller(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID
                         ) -> asyncpg.Record:
    """Advertising is selling: only a verified seller in good standing may run campaigns."""
    seller = await showcase.seller(conn, seller_id)
    if seller is None or seller["standing"] == "pending":
        raise Problem(403, "Seller not verified",
                      "Campaigns open once the seller's account is verified.",
                      errors=[{"field": "seller_id", "message": "not verified yet",
                               "code": "seller_pending"}])
    if seller["standing"] == "suspended":
        raise Problem(403, "Seller suspended", "A suspended seller cannot advertise.",
                      errors=[{"field": "seller_id", "message": "the account is suspended",
                               "code": "seller_suspended"}])
    return seller


async def create(conn: asyncpg.Connection, seller_id: UUID, draft: CampaignDraft) -> Campaign:
    seller = await selling_seller(conn, seller_id)
    market = seller["market"].strip()
    if draft.product_ids:
        owned = {p["id"]: p for p in await showcase.products_of_seller(
            conn, seller_id, draft.product_ids)}
        for index, product_id in enumerate(draft.product_ids):
            product = owned.get(product_id)
            if product is None:
                raise StateConflict(f"product_ids.{index}",
                                    "not a product of this shop", "not_your_product")
            if not product["live"]:
                raise StateConflict(f"product_ids.{index}", "the product is not live",
                                    "product_not_live")
    campaign = new_campaign(
        id=new_id(), seller_id=seller_id, name=draft.name, kind=draft.kind,
        currency=seller["currency"].strip(), daily_budget_minor=draft.daily_budget_minor,
        max_bid_minor=draft.max_bid_minor, markets=draft.markets or [market],
        seller_market=market, keywords=draft.keywords, categories=draft.categories,
        audience=draft.audience, target_roas=draft.target_roas,
        catalogue_category=draft.catalogue_category,
        product_count=len(set(draft.product_ids)), created_at=datetime.now(UTC))
    await campaigns.insert(conn, campaign, sorted(set(draft.product_ids)))
    await enqueue(conn, SOURCE, events.CampaignCreated(
        campaign_id=campaign.id, seller_id=seller_id, name=campaign.name,
        kind=campaign.kind.value, currency=campaign.currency,
        daily_budget_minor=campaign.daily_budget_minor, max_bid_minor=campaign.max_bid_minor,
        markets=list(campaign.markets), created_at=campaign.created_at or datetime.now(UTC)))
    return campaign


async def owned(conn: asyncpg.Connection | asyncpg.Pool, campaign_id: UUID,
                seller_id: UUID | None, *, for_update: bool = False) -> Campaign:
    """The campaign when the caller may see it (its seller; staff pass None)."""
    campaign = await campaigns.get(conn, campaign_id, for_update=for_update)
    if campaign is None or (seller_id is not None and campaign.seller_id != seller_id):
        raise Problem(404, "Campaign not found", "No such campaign of this shop.")
    return campaign


async def change(conn: asyncpg.Connection, campaign_id: UUID, seller_id: UUID,
                 action: str) -> Campaign:
    campaign = await owned(conn, campaign_id, seller_id, for_update=True)
    if action == "resume":
        await selling_seller(conn, seller_id)
    updated = {"pause": campaign.paused, "resume": campaign.resumed,
               "end": campaign.ended}[action]()
    if updated.status == campaign.status:
        return campaign
    now = datetime.now(UTC)
    await campaigns.set_status(conn, campaign.id, updated.status, now)
    event: Event
    if action == "pause":
        event = events.CampaignPaused(campaign_id=campaign.id, seller_id=seller_id, paused_at=now)
    elif action == "resume":
        event = events.CampaignResumed(campaign_id=campaign.id, seller_id=seller_id,
                                       resumed_at=now)
    else:
        event = events.CampaignEnded(campaign_id=campaign.id, seller_id=seller_id, ended_at=now)
    await enqueue(conn, SOURCE, event)
    return updated


async def report(db: asyncpg.Pool, client: redis.Redis, campaign: Campaign,
                 days: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    since = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), UTC)
    figures = await clicks.figures(db, campaign.id, since)
    impressions = await counters.impressions(
        client, [now.date() - timedelta(days=d) for d in range(days)], campaign.id)
    spend = int(figures["spend_minor"])  # type: ignore[call-overload]
    revenue = int(figures["attributed_revenue_minor"])  # type: ignore[call-overload]
    today = await db.fetchval(
        "SELECT spent_minor FROM campaign_days WHERE campaign_id = $1 AND day = $2",
        campaign.id, now.date())
    return {**figures, "impressions": impressions, "days": days,
            "spent_today_minor": today or 0,
            "return_on_ad_spend": round(revenue / spend, 4) if spend else None,
            "currency": campaign.currency}
