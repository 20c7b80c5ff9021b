"""Request and response bodies of discovery's HTTP API (bounds on every number)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.markets import MARKET_PATTERN
from services.discovery.domain.campaigns import MAX_KEYWORDS, MAX_PRODUCTS, Campaign
from services.discovery.domain.consent import Basis

Market = Field(pattern=MARKET_PATTERN, examples=["GB"], description="ISO 3166-1 alpha-2.")
MAX_EVENTS = 100


class ConsentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personalised: bool = Field(description="Use my activity to personalise my feed and ads.")
    market: str = Market


class ConsentView(BaseModel):
    personalised: bool = Field(description="The choice in force (the buyer's, or the "
                                           "market's default).")
    chosen: bool = Field(description="Whether the buyer made the choice themselves.")
    default_for_market: bool
    profiled: bool = Field(description="Whether the feed and ads may use the buyer's history "
                                       "now (also needs a verified age of 18 or over).")
    basis: Basis


class ConsentRecord(BaseModel):
    personalised: bool
    market: str
    changed_at: datetime


class InteractionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_event_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-:.]+$",
                                 description="The app's id of this event: sent twice, it counts "
                                             "once.")
    action: Literal["view", "tap", "add_to_cart"] = Field(
        description="Purchases are learnt from orders, never from clients.")
    item_kind: Literal["product", "live_session", "video"]
    item_id: UUID
    surface: Literal["feed", "live", "video", "search", "product_page"]
    occurred_at: datetime

    @model_validator(mode="after")
    def _recent(self) -> Self:
        now = datetime.now(UTC)
        at = self.occurred_at if self.occurred_at.tzinfo else self.occurred_at.replace(tzinfo=UTC)
        if not now - timedelta(hours=24) <= at <= now + timedelta(minutes=5):
            raise ValueError("occurred_at must be within the last 24 hours")
        self.occurred_at = at
        return self


class InteractionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    market: str = Market
    events: list[InteractionIn] = Field(min_length=1, max_length=MAX_EVENTS)


class IngestResult(BaseModel):
    accepted: int
    duplicates: int = Field(description="Events sent before (same client_event_id).")
    counted: int = Field(description="Accepted events that counted toward popularity (once "
                                     "per buyer, item, action and hour).")
    unknown_items: int = Field(description="Items not (yet) known in this market: ignored.")


class FeedItem(BaseModel):
    kind: Literal["product", "live_session", "video"]
    id: UUID
    title: str | None
    category_id: UUID | None
    price_minor: int | None
    currency: str | None
    sponsored: bool = Field(description="A paid placement: shown labelled 'Sponsored'.")
    campaign_id: UUID | None = None
    click_token: str | None = Field(
        default=None, description="For a sponsored item: POST it to /v1/discovery/ads/clicks "
                                  "when the buyer taps it.")


class FeedView(BaseModel):
    personalised: bool
    basis: Basis = Field(description="Why the feed is, or is not, personalised.")
    items: list[FeedItem]
    next_cursor: str | None


class SponsoredView(BaseModel):
    items: list[FeedItem]


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=20, max_length=2000)


class ClickView(BaseModel):
    click_id: UUID
    billed: bool
    outcome: str
    price_minor: int
    product_id: UUID


class AudienceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    interest_categories: list[UUID] = Field(default_factory=list, max_length=20)
    min_age: int | None = Field(default=None, ge=0, le=120)
    include_non_consenting: bool = False


class TargetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    markets: list[Annotated[str, Field(pattern=MARKET_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=1,
        description="The seller's own market (the default).")
    categories: list[UUID] = Field(default_factory=list, max_length=20)
    keywords: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=MAX_KEYWORDS)
    audience: AudienceIn = Field(default_factory=AudienceIn)


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["products", "catalogue"] = "products"
    daily_budget_minor: int = Field(ge=100, le=1_000_000_000)
    max_bid_minor: int = Field(ge=1, le=10_000_000)
    product_ids: list[UUID] = Field(default_factory=list, max_length=MAX_PRODUCTS)
    targeting: TargetingIn = Field(default_factory=TargetingIn)
    target_roas: float | None = Field(default=None, gt=0, le=100,
                                      description="Catalogue campaigns: revenue per unit of "
                                                  "spend to aim for (3 = 300 %).")
    catalogue_category_id: UUID | None = None


class CampaignView(BaseModel):
    id: UUID
    seller_id: UUID
    name: str
    kind: str
    status: str
    currency: str
    daily_budget_minor: int
    max_bid_minor: int
    markets: list[str]
    keywords: list[str]
    categories: list[UUID]
    product_ids: list[UUID]
    target_roas: float | None
    created_at: datetime | None

    @classmethod
    def of(cls, c: Campaign, product_ids: list[UUID]) -> CampaignView:
        return cls(id=c.id, seller_id=c.seller_id, name=c.name, kind=c.kind.value,
                   status=c.status.value, currency=c.currency,
                   daily_budget_minor=c.daily_budget_minor, max_bid_minor=c.max_bid_minor,
                   markets=list(c.markets), keywords=list(c.keywords),
                   categories=sorted(c.categories), product_ids=product_ids,
                   target_roas=c.target_roas, created_at=c.created_at)


class CampaignReport(BaseModel):
    days: int
    currency: str
    impressions: int
    clicks: int = Field(description="Billed clicks.")
    filtered: dict[str, int] = Field(description="Clicks not billed, by reason.")
    spend_minor: int
    spent_today_minor: int
    attributed_orders: int
    attributed_revenue_minor: int
    return_on_ad_spend: float | None = Field(description="Attributed revenue / spend.")
