"""A seller's sponsored-products campaign: what it promotes, where, to whom, and its state.

Audience targeting (reaching buyers by their interests) is profiling: a campaign may ask for
it, but it only ever reaches consenting verified adults, and a campaign that asks to reach
minors or buyers who did not consent is refused, not quietly narrowed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict

MAX_PRODUCTS = 50
MAX_KEYWORDS = 50


class Kind(StrEnum):
    PRODUCTS = "products"
    CATALOGUE = "catalogue"
    """The seller's whole live catalogue (or one category of it), products and bids chosen by
    the platform toward a target return on ad spend."""


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class CampaignError(FieldError):
    pass


@dataclass(frozen=True)
class Audience:
    interest_categories: frozenset[UUID] = frozenset()
    min_age: int | None = None
    include_non_consenting: bool = False


def check_audience(audience: Audience) -> None:
    if audience.min_age is not None and audience.min_age < 18:
        raise CampaignError("targeting.audience.min_age",
                            "ads may not target buyers under 18 by audience", "minors_targeted")
    if audience.include_non_consenting:
        raise CampaignError(
            "targeting.audience.include_non_consenting",
            "audience targeting reaches only buyers who consented to personalisation",
            "consent_required")


@dataclass(frozen=True)
class Campaign:
    id: UUID
    seller_id: UUID
    name: str
    kind: Kind
    status: Status
    currency: str
    daily_budget_minor: int
    max_bid_minor: int
    markets: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    categories: frozenset[UUID] = frozenset()
    audience: Audience = Audience()
    target_roas: float | None = None
    catalogue_category: UUID | None = None
    created_at: datetime | None = None

    def paused(self) -> Campaign:
        self._not_ended()
        return replace(self, status=Status.PAUSED)

    def resumed(self) -> Campaign:
        self._not_ended()
        return replace(self, status=Status.ACTIVE)

    def ended(self) -> Campaign:
        self._not_ended()
        return replace(self, status=Status.ENDED)

    def _not_ended(self) -> None:
        if self.status is Status.ENDED:
            raise StateConflict("status", "the campaign has ended", "campaign_ended")


def new_campaign(*, id: UUID, seller_id: UUID, name: str, kind: Kind, currency: str,
                 daily_budget_minor: int, max_bid_minor: int, markets: list[str],
                 seller_market: str, keywords: list[str], categories: set[UUID],
                 audience: Audience, target_roas: float | None,
                 catalogue_category: UUID | None, product_count: int,
                 created_at: datetime) -> Campaign:
    """The rules a new campaign must meet (bounds of single fields are the API schema's)."""
    if max_bid_minor > daily_budget_minor:
        raise CampaignError("max_bid_minor", "the maximum bid cannot exceed the daily budget",
                            "bid_above_budget")
    if markets != [seller_market]:
        raise CampaignError("targeting.markets",
                            f"this shop sells in {seller_market}; campaigns target it alone",
                            "market_not_sold_in")
    check_audience(audience)
    if kind is Kind.PRODUCTS:
        if not 1 <= product_count <= MAX_PRODUCTS:
            raise CampaignError("product_ids", f"a campaign promotes 1 to {MAX_PRODUCTS} "
                                               "products")
        if target_roas is not None or catalogue_category is not None:
            raise CampaignError("target_roas", "a target return and a catalogue category are "
                                               "for catalogue campaigns")
    else:
        if product_count:
            raise CampaignError("product_ids", "a catalogue campaign chooses its own products")
        if target_roas is None:
            raise CampaignError("target_roas", "a catalogue campaign needs a target return on "
                                               "ad spend")
    cleaned = tuple(sorted({k.strip().lower() for k in keywords if k.strip()}))
    if len(cleaned) > MAX_KEYWORDS:
        raise CampaignError("targeting.keywords", f"at most {MAX_KEYWORDS} keywords")
    return Campaign(id=id, seller_id=seller_id, name=name, kind=kind, status=Status.ACTIVE,
                    currency=currency, daily_budget_minor=daily_budget_minor,
                    max_bid_minor=max_bid_minor, markets=tuple(markets), keywords=cleaned,
                    categories=frozenset(categories), audience=audience,
                    target_roas=target_roas, catalogue_category=catalogue_category,
                    created_at=created_at)


def keyword_match(keywords: tuple[str, ...] | list[str], query: str | None) -> bool:
    """A keyword matches when all its words are among the query's words."""
    if not query or not keywords:
        return False
    words = set(query.lower().split())
    return any(set(k.split()) <= words for k in keywords)


def title_match(title: str | None, query: str | None) -> bool:
    if not query or not title:
        return False
    words = {w for w in query.lower().split() if len(w) > 2}
    return bool(words) and words <= set(title.lower().replace(",", " ").split())
