"""Which clicks on sponsored slots are billed. A click is billed at most once, and only when it
is a buyer's real interest: not the seller clicking its own ad, not the same buyer again on
the same ad within the window, not a burst from one buyer, not a known bot, and only while the
day's budget has room for its price."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    BILLED = "billed"
    DUPLICATE = "duplicate"
    """The same impression clicked again, or the same buyer on the same ad within the window."""
    OWN_AD = "own_ad"
    BURST = "burst"
    BOT = "bot"
    BUDGET_EXHAUSTED = "budget_exhausted"
    CAMPAIGN_INACTIVE = "campaign_inactive"


BOT_USER_AGENT = re.compile(
    r"bot\b|crawler|spider|slurp|headlesschrome|phantomjs|facebookexternalhit|"
    r"scrapy|wget|curl/|python-requests|go-http-client|java/", re.IGNORECASE)
"""Self-declared automation (the IAB list's common entries); a bot that lies about its agent
meets the burst filter."""


def looks_like_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(BOT_USER_AGENT.search(user_agent))


@dataclass(frozen=True)
class ClickFacts:
    clicker_seller_id: str | None
    campaign_seller_id: str
    user_agent: str | None
    clicks_this_minute: int
    burst_limit: int


def pre_filter(facts: ClickFacts) -> Outcome | None:
    """What can be decided without the campaign's lock; None when the click may be billed."""
    if facts.clicker_seller_id is not None and facts.clicker_seller_id == facts.campaign_seller_id:
        return Outcome.OWN_AD
    if looks_like_bot(facts.user_agent):
        return Outcome.BOT
    if facts.clicks_this_minute > facts.burst_limit:
        return Outcome.BURST
    return None


def decide_billing(*, active: bool, repeat_within_window: bool, spent_minor: int,
                   price_minor: int, daily_budget_minor: int) -> Outcome:
    """Under the campaign's lock for the day: the checks that concurrent clicks race on."""
    if not active:
        return Outcome.CAMPAIGN_INACTIVE
    if repeat_within_window:
        return Outcome.DUPLICATE
    if spent_minor + price_minor > daily_budget_minor:
        return Outcome.BUDGET_EXHAUSTED
    return Outcome.BILLED
