"""Events produced by the discovery service: what buyers look at (aggregated per market, never
per buyer), buyers' personalisation consent, sellers' ad campaigns and their billed clicks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.registry import register

ItemKind = Literal["product", "live_session", "video"]


class InteractionCount(BaseModel):
    item_kind: ItemKind
    item_id: UUID
    views: int = Field(ge=0)
    taps: int = Field(ge=0)
    add_to_carts: int = Field(ge=0)
    purchases: int = Field(ge=0)


@register
class InteractionRecorded(Event):
    """What buyers of one market did with items over a window, summed: no buyer is named, so
    consumers (analytics, sellers' dashboards) learn popularity without anyone's history."""

    type = "interaction.recorded"
    topic = "discovery.interaction.v1"
    key_field = "market"

    market: str = Field(min_length=2, max_length=2)
    window_start: datetime
    window_end: datetime
    items: list[InteractionCount] = Field(min_length=1, max_length=500)


@register
class ConsentChanged(Event):
    """A buyer turned personalisation on or off (their own choice; the history is kept)."""

    type = "consent.changed"
    topic = "discovery.consent.v1"
    key_field = "buyer_id"

    buyer_id: str
    personalised: bool
    market: str = Field(min_length=2, max_length=2)
    changed_at: datetime


class _CampaignEvent(Event):
    topic = "discovery.campaign.v1"
    key_field = "campaign_id"

    campaign_id: UUID
    seller_id: UUID


@register
class CampaignCreated(_CampaignEvent):
    """A seller started a sponsored-products campaign (its own products, or its whole live
    catalogue with a target return on ad spend)."""

    type = "campaign.created"
    public = True

    name: str
    kind: Literal["products", "catalogue"]
    currency: str = Field(min_length=3, max_length=3)
    daily_budget_minor: int = Field(gt=0)
    max_bid_minor: int = Field(gt=0)
    markets: list[str]
    created_at: datetime


@register
class CampaignPaused(_CampaignEvent):
    type = "campaign.paused"
    public = True

    paused_at: datetime


@register
class CampaignResumed(_CampaignEvent):
    type = "campaign.resumed"
    public = True

    resumed_at: datetime


@register
class CampaignEnded(_CampaignEvent):
    """For good: an ended campaign never serves or spends again."""

    type = "campaign.ended"
    public = True

    ended_at: datetime


@register
class AdClicked(_CampaignEvent):
    """A sponsored slot's click that passed the filters and fitted the day's budget: billed.
    Orders charges it to the seller's ledger."""

    type = "ad.clicked"
    public = True

    click_id: UUID
    product_id: UUID
    market: str = Field(min_length=2, max_length=2)
    price_minor: int = Field(gt=0, description="The second price: what the next bidder's "
                                               "score made necessary, never above the bid.")
    currency: str = Field(min_length=3, max_length=3)
    clicked_at: datetime


@register
class BudgetExhausted(_CampaignEvent):
    """The campaign's budget for the day is spent: it stops serving until the next day."""

    type = "budget.exhausted"
    public = True

    day: date
    daily_budget_minor: int
    spent_minor: int
    exhausted_at: datetime
