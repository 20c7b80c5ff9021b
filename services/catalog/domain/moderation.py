"""Automatic listing checks, run on every submission.

Each check returns reasons; the outcome is auto-reject when any reason is a hard rule
(prohibited category or keyword, missing required attributes), the operators' queue when only
soft signals fire (a price far off the category's, a near-duplicate of the seller's own
listing), and auto-approve when nothing fires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any

from services.catalog.domain.categories import AttributeKind, EffectiveRules

# Keywords that may not be listed in a market, whatever the category. Lower case; matched as
# whole words or phrases. Markets add to the list that applies everywhere ("*").
PROHIBITED_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "*": ("skin bleaching", "skin-bleaching", "skin whitening injection", "hydroquinone",
          "mercury cream", "counterfeit", "replica", "fake id", "elephant ivory",
          "ivory tusk", "carved ivory", "rhino horn",
          "pangolin", "tear gas", "taser", "brass knuckles", "knuckle duster"),
    "GB": ("zombie knife", "flick knife", "gravity knife"),
    "SG": ("e-cigarette", "vape", "chewing gum"),
    "TH": ("e-cigarette", "vape"),
    "ID": ("alcohol", "beer", "wine", "whisky", "vodka"),
    "MY": ("alcohol", "beer", "wine", "whisky", "vodka"),
}
NEAR_DUPLICATE_RATIO = 0.92
PRICE_FLOOR_FACTOR = 0.1  # under a tenth of the category's median looks like bait or a typo
PRICE_CEILING_FACTOR = 20


class Outcome(StrEnum):
    AUTO_APPROVED = "auto_approved"
    AUTO_REJECTED = "auto_rejected"
    REVIEW_QUEUE = "review_queue"


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str
    field: str | None = None
    hard: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "detail": self.detail}


@dataclass(frozen=True)
class Listing:
    """What the checks look at."""

    title: str
    description: str
    attributes: Mapping[str, Any]
    prices_minor: list[int]
    market: str


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: list[Reason]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s-]", " ", text.lower())).strip()


def prohibited_keywords(listing: Listing) -> list[Reason]:
    words = [*PROHIBITED_KEYWORDS["*"], *PROHIBITED_KEYWORDS.get(listing.market, ())]
    reasons = []
    for field_name, text in (("title", listing.title), ("description", listing.description)):
        haystack = f" {_normalise(text)} "
        for word in words:
            if f" {word} " in haystack:
                reasons.append(Reason("prohibited_keyword",
                                      f"{word!r} may not be listed in {listing.market}",
                                      field_name))
    return reasons


def prohibited_category(rules: EffectiveRules, market: str) -> list[Reason]:
    if market in rules.prohibited_markets:
        return [Reason("prohibited_category",
                       f"{' > '.join(rules.path)} may not be sold in {market}", "category_id")]
    return []


def missing_attributes(rules: EffectiveRules, attributes: Mapping[str, Any]) -> list[Reason]:
    reasons = []
    for required in rules.required_attributes:
        value = attributes.get(required.name)
        where = f"attributes.{required.name}"
        if value is None or (isinstance(value, str) and not value.strip()):
            reasons.append(Reason("missing_attribute", f"{required.name} is required", where))
        elif required.kind is AttributeKind.NUMBER and not isinstance(value, int | float):
            reasons.append(Reason("invalid_attribute", f"{required.name} is a number", where))
        elif required.kind is AttributeKind.CHOICE and str(value) not in required.choices:
            reasons.append(Reason("invalid_attribute",
                                  f"{required.name} is one of {', '.join(required.choices)}",
                                  where))
    return reasons


def price_sanity(prices_minor: list[int], category_median_minor: int | None) -> list[Reason]:
    if not category_median_minor:
        return []
    low = category_median_minor * PRICE_FLOOR_FACTOR
    high = category_median_minor * PRICE_CEILING_FACTOR
    odd = [p for p in prices_minor if p < low or p > high]
    if odd:
        return [Reason("price_outlier",
                       f"price {odd[0]} is far from the category's typical "
                       f"{category_median_minor}", "skus", hard=False)]
    return []


def near_duplicate(title: str, sellers_other_titles: Iterable[str]) -> list[Reason]:
    # One matcher with our title as its cached second sequence; the cheap upper bounds
    # (length, then character counts) rule most titles out before the full comparison.
    matcher = SequenceMatcher(None, "", _normalise(title), autojunk=False)
    for other in sellers_other_titles:
        matcher.set_seq1(_normalise(other))
        if (matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO
                and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
                and matcher.ratio() >= NEAR_DUPLICATE_RATIO):
            return [Reason("near_duplicate", f"very like your listing {other!r}", "title",
                           hard=False)]
    return []


def moderate(
    listing: Listing, rules: EffectiveRules, *, category_median_minor: int | None,
    sellers_other_titles: Iterable[str],
) -> Verdict:
    reasons = [
        *prohibited_category(rules, listing.market),
        *prohibited_keywords(listing),
        *missing_attributes(rules, listing.attributes),
        *price_sanity(listing.prices_minor, category_median_minor),
        *near_duplicate(listing.title, sellers_other_titles),
    ]
    if any(r.hard for r in reasons):
        return Verdict(Outcome.AUTO_REJECTED, reasons)
    if reasons:
        return Verdict(Outcome.REVIEW_QUEUE, reasons)
    return Verdict(Outcome.AUTO_APPROVED, [])
