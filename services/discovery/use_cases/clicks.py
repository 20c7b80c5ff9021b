"""A click on a sponsored slot: checked, filtered, and billed at most once within the day's
budget. Every click is recorded with its outcome, so a seller's report shows what was filtered
and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import redis.asyncio as redis

from libs.auth.principal import Principal
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.events.schemas.discovery import AdClicked, BudgetExhausted
from libs.ids import new_id
from libs.outbox import enqueue
from services.discovery.adapters import ad_tokens, counters
from services.discovery.adapters import campaigns_repository as campaigns
from services.discovery.adapters import clicks_repository as clicks
from services.discovery.adapters import showcase_repository as showcase
from services.discovery.domain.campaigns import Status
from services.discovery.domain.clicks import ClickFacts, Outcome, decide_billing, pre_filter
from services.discovery.settings import DiscoverySettings

SOURCE = "discovery"


@dataclass(frozen=True)
class ClickResult:
    click_id: UUID
    outcome: Outcome
    price_minor: int
    product_id: UUID

    @property
    def billed(self) -> bool:
        return self.outcome is Outcome.BILLED


def slot_of(settings: DiscoverySettings, token: str, principal: Principal) -> ad_tokens.Slot:
    try:
        slot = ad_tokens.verify(settings.ad_token_secret.get_secret_value(), token)
    except ad_tokens.InvalidAdToken as exc:
        raise Problem(422, "Invalid click token", str(exc),
                      errors=[{"field": "token", "message": str(exc), "code": "invalid_token"}]
                      ) from exc
    if slot.buyer_id != principal.subject:
        raise Problem(403, "Not your sponsored slot",
                      "This slot was shown to someone else; a click is billed only for the "
                      "buyer it was served to.",
                      errors=[{"field": "token", "message": "served to another buyer",
                               "code": "not_your_slot"}])
    return slot


async def click(db: asyncpg.Pool, client: redis.Redis, settings: DiscoverySettings,
                principal: Principal, slot: ad_tokens.Slot, user_agent: str | None) -> ClickResult:
    now = datetime.now(UTC)
    click_id = new_id()
    early = pre_filter(ClickFacts(
        clicker_seller_id=principal.seller_id, campaign_seller_id=str(slot.seller_id),
        user_agent=user_agent,
        clicks_this_minute=await counters.clicks_this_minute(
            client, principal.subject, int(now.timestamp() // 60)),
        burst_limit=settings.clicks_per_minute))
    if early is not None:
        await _record(db, click_id, slot, early, now)
        return ClickResult(click_id, early, 0, slot.product_id)
    async with transaction(db) as conn:
        outcome = await _bill(conn, settings, click_id, slot, now)
    return ClickResult(click_id, outcome, slot.price_minor if outcome is Outcome.BILLED else 0,
                       slot.product_id)


async def _record(conn: asyncpg.Connection | asyncpg.Pool, click_id: UUID,
                  slot: ad_tokens.Slot, outcome: Outcome, at: datetime) -> None:
    await clicks.add(conn, click_id=click_id, impression_id=slot.impression_id,
                     campaign_id=slot.campaign_id, product_id=slot.product_id,
                     buyer_id=slot.buyer_id,
                     price_minor=slot.price_minor if outcome is Outcome.BILLED else 0,
                     outcome=outcome.value, at=at)


async def _bill(conn: asyncpg.Connection, settings: DiscoverySettings, click_id: UUID,
                slot: ad_tokens.Slot, now: datetime) -> Outcome:
    """Under the campaign's lock for the day: one decision at a time per campaign."""
    day = now.date()
    campaign = await campaigns.get(conn, slot.campaign_id)
    if campaign is None:
        raise Problem(404, "Campaign not found", "The sponsored slot's campaign does not exist.")
    locked = await campaigns.lock_day(conn, campaign.id, day)
    repeated = (await clicks.impression_clicked(conn, slot.impression_id)
                or await clicks.billed_recently(
                    conn, buyer_id=slot.buyer_id, campaign_id=campaign.id,
                    product_id=slot.product_id,
                    since=now - timedelta(seconds=settings.click_dedupe_seconds)))
    seller = await showcase.seller(conn, campaign.seller_id)
    serving = (campaign.status is Status.ACTIVE and seller is not None
               and seller["standing"] == "active")
    outcome = decide_billing(active=serving,
                             repeat_within_window=repeated, spent_minor=locked["spent_minor"],
                             price_minor=slot.price_minor,
                             daily_budget_minor=campaign.daily_budget_minor)
    await _record(conn, click_id, slot, outcome, now)
    spent = locked["spent_minor"]
    if outcome is Outcome.BILLED:
        spent = await campaigns.spend(conn, campaign.id, day, slot.price_minor)
        await enqueue(conn, SOURCE, AdClicked(
            campaign_id=campaign.id, seller_id=campaign.seller_id, click_id=click_id,
            product_id=slot.product_id, market=slot.market, price_minor=slot.price_minor,
            currency=campaign.currency, clicked_at=now))
    if ((outcome is Outcome.BUDGET_EXHAUSTED
         or spent + settings.reserve_price_minor > campaign.daily_budget_minor)
            and await campaigns.mark_exhausted(conn, campaign.id, day, now)):
        await enqueue(conn, SOURCE, BudgetExhausted(
            campaign_id=campaign.id, seller_id=campaign.seller_id, day=day,
            daily_budget_minor=campaign.daily_budget_minor, spent_minor=spent,
            exhausted_at=now))
    return outcome
