"""How the "for you" feed orders its candidates. Pure: the service and the offline evaluation
(`make eval-discovery`) run the same code.

Candidates come from two sources:
- popularity in the buyer's market: a weighted, time-decayed count of what buyers did with each
  item (a purchase says more than a view);
- co-visitation: items that consenting buyers interacted with close together with the items
  this buyer interacted with lately ("people who looked at this also looked at").

A personalised request then re-ranks by the buyer's recent interests: the categories of what
they touched lately, and how strongly the candidate co-occurs with those items. A request
without profiling uses popularity and the request's context only, so two such buyers of one
market with the same context see the same feed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID


class Action(StrEnum):
    VIEW = "view"
    TAP = "tap"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"


ACTION_WEIGHT: Mapping[Action, float] = {
    Action.VIEW: 1.0, Action.TAP: 3.0, Action.ADD_TO_CART: 6.0, Action.PURCHASE: 10.0}
"""How much one action says about interest."""

HALF_LIFE_DAYS = 7.0
"""Popularity halves in a week: last month's hit does not hold the top for ever."""


def decay(age_days: float, half_life_days: float = HALF_LIFE_DAYS) -> float:
    return float(0.5 ** (max(0.0, age_days) / half_life_days))


@dataclass(frozen=True)
class Candidate:
    item_id: UUID
    kind: str
    category_id: UUID | None
    popularity: float
    """Weighted, decayed interactions in the market."""
    co_visitation: float = 0.0
    """How strongly it co-occurs with the buyer's recent items (0 without profiling)."""
    live_now: bool = False


@dataclass(frozen=True)
class Profile:
    """A consenting adult's recent interests; absent without profiling."""

    recent_items: Sequence[UUID] = ()
    category_weights: Mapping[UUID, float] = field(default_factory=dict)
    """Share of recent interest per category (sums to 1)."""


@dataclass(frozen=True)
class Weights:
    """Chosen with the offline evaluation on a validation seed (11) of the simulated buyers;
    `make eval-discovery` reports on another (7)."""

    popularity: float = 1.0
    co_visitation: float = 4.0
    category: float = 3.0
    context_category: float = 1.0
    live_now: float = 0.5
    seen_penalty: float = 0.6
    """Items the buyer touched very lately move down (they saw them; show something new)."""


DEFAULT_WEIGHTS = Weights()


def category_weights(categories: Iterable[tuple[UUID | None, float]]) -> dict[UUID, float]:
    """(category, interaction weight) pairs of recent interactions, as shares."""
    totals: dict[UUID, float] = {}
    for category, weight in categories:
        if category is not None:
            totals[category] = totals.get(category, 0.0) + weight
    whole = sum(totals.values())
    return {c: w / whole for c, w in totals.items()} if whole else {}


def score(candidate: Candidate, *, max_popularity: float, max_co_visitation: float,
          profile: Profile | None, context_category: UUID | None,
          weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Each signal scaled to [0, 1] before weighting, so no one signal's units dominate."""
    value = weights.popularity * _scaled(candidate.popularity, max_popularity)
    if context_category is not None and candidate.category_id == context_category:
        value += weights.context_category
    if candidate.live_now:
        value += weights.live_now
    if profile is not None:
        value += weights.co_visitation * _scaled(candidate.co_visitation, max_co_visitation)
        if candidate.category_id is not None:
            value += weights.category * profile.category_weights.get(candidate.category_id, 0.0)
        if candidate.item_id in profile.recent_items:
            value -= weights.seen_penalty
    return value


def _scaled(value: float, maximum: float) -> float:
    # log scaling: a long tail of popularity otherwise flattens everything below the top few
    return math.log1p(value) / math.log1p(maximum) if maximum > 0 else 0.0


def rank(candidates: Iterable[Candidate], *, profile: Profile | None,
         context_category: UUID | None = None, weights: Weights = DEFAULT_WEIGHTS
         ) -> list[Candidate]:
    """Best first; ties broken by id so a feed is the same on every replica."""
    pool = list(candidates)
    if not pool:
        return []
    top_popularity = max(c.popularity for c in pool)
    top_co_visitation = max(c.co_visitation for c in pool)
    scored = [(score(c, max_popularity=top_popularity, max_co_visitation=top_co_visitation,
                     profile=profile, context_category=context_category, weights=weights), c)
              for c in pool]
    scored.sort(key=lambda pair: (-pair[0], str(pair[1].item_id)))
    return [c for _, c in scored]


def co_visitation_pairs(recent: Sequence[UUID], new_item: UUID, weight: float
                        ) -> list[tuple[UUID, UUID, float]]:
    """The pairs one interaction adds: the new item with each of the buyer's recent items (both
    directions), nearer ones counting more."""
    pairs = []
    for distance, other in enumerate(reversed(recent), start=1):
        if other == new_item:
            continue
        strength = weight / distance
        pairs.append((new_item, other, strength))
        pairs.append((other, new_item, strength))
    return pairs
