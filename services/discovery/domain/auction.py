"""Sponsored slots: a generalised second-price auction with a relevance factor.

Each eligible campaign bids for its best product for this request. Its score is
`bid x relevance`, where relevance (0, 1] says how well the product fits the request (its
category and the query, its popularity, the buyer's interests where profiling is allowed). The
highest scores win the slots, one per campaign and one per product. A winner pays the least
bid that would still have beaten the next score, `next_score / own_relevance`, rounded up to
a whole minor unit, at least the reserve price and never above its own bid. A relevant ad
therefore pays less than an irrelevant one for the same slot, and no bidder gains by bidding
other than what a click is worth to it.

Slots never exceed `MAX_SPONSORED_SHARE` of a page, and every sponsored item is labelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from uuid import UUID

MAX_SPONSORED_SHARE = 0.2
"""At most one slot in five is sponsored, in the feed and in search."""
MIN_RELEVANCE = 0.05


@dataclass(frozen=True)
class Bid:
    campaign_id: UUID
    seller_id: UUID
    product_id: UUID
    bid_minor: int
    relevance: float

    @property
    def score(self) -> float:
        return self.bid_minor * self.relevance


@dataclass(frozen=True)
class Win:
    bid: Bid
    price_minor: int
    """What a click on this slot costs (the second price)."""


def sponsored_slots(page_size: int, share: float = MAX_SPONSORED_SHARE) -> int:
    return math.floor(page_size * min(share, MAX_SPONSORED_SHARE))


def sponsored_positions(page_size: int, slots: int) -> list[int]:
    """Where sponsored items go on a page: spread out, never first (position 1, then every
    `page_size / slots`)."""
    if slots <= 0:
        return []
    step = page_size / slots
    return [min(page_size - 1, 1 + math.floor(i * step)) for i in range(slots)]


def run(bids: list[Bid], *, slots: int, reserve_price_minor: int) -> list[Win]:
    eligible = [b for b in bids if b.bid_minor >= reserve_price_minor
                and b.relevance >= MIN_RELEVANCE]
    eligible.sort(key=lambda b: (-b.score, str(b.campaign_id), str(b.product_id)))
    ranked: list[Bid] = []
    campaigns: set[UUID] = set()
    products: set[UUID] = set()
    for bid in eligible:
        if bid.campaign_id in campaigns or bid.product_id in products:
            continue
        ranked.append(bid)
        campaigns.add(bid.campaign_id)
        products.add(bid.product_id)
    wins = []
    for index, bid in enumerate(ranked[:slots]):
        following = ranked[index + 1] if index + 1 < len(ranked) else None
        needed = math.ceil(following.score / bid.relevance) if following else 0
        wins.append(Win(bid, min(bid.bid_minor, max(reserve_price_minor, needed))))
    return wins


BASE_MAX = 0.3
"""The highest base relevance (`base_relevance`)."""


def context_gain(*, searched: bool, profiled: bool) -> float:
    """The most a request can add to a product's base relevance: the category on screen,
    matching words (a search), the buyer's interest (profiling allowed)."""
    return 0.3 + (0.3 if searched else 0.0) + (0.1 if profiled else 0.0)


def base_relevance(popularity_share: float) -> float:
    """What a product's relevance is before any request: a floor and its popularity."""
    return 0.2 + 0.1 * max(0.0, min(1.0, popularity_share))


def relevance(*, base: float, category_match: bool, keyword_match: bool,
              interest: float) -> float:
    """How well a product fits a request, in (0, 1]: context first (the category on screen, the
    words searched), then popularity in the market (`base`), then the buyer's interest in its
    category (0 without profiling). At most `base + context_gain(...)`."""
    value = base
    if category_match:
        value += 0.3
    if keyword_match:
        value += 0.3
    value += 0.1 * max(0.0, min(1.0, interest))
    return min(1.0, value)


def ceiling(bid_minor: int, base: float, gain: float) -> float:
    """The highest score a bid on a product can reach in a request that adds at most `gain`
    (see `relevance`)."""
    return bid_minor * min(1.0, base + gain)


def catalogue_bid(*, price_minor: int, conversion_rate: float, target_roas: float,
                  max_bid_minor: int, reserve_price_minor: int) -> int:
    """An automatic catalogue campaign's bid for one product: what a click is worth at the
    seller's target return on ad spend (revenue per click / target), within its cap."""
    worth = price_minor * conversion_rate / target_roas
    return max(reserve_price_minor, min(max_bid_minor, math.floor(worth)))


def conversion_rate(orders: int, clicks: int, *, prior: float = 0.02, weight: int = 50) -> float:
    """Orders per click, smoothed toward the prior until the campaign has clicks of its own."""
    return (orders + prior * weight) / (clicks + weight)
