"""The discovery service's settings: one place, from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from libs.settings import ServiceSettings


class DiscoverySettings(ServiceSettings):
    service_name: str = "discovery"
    http_port: int = 8007
    ad_token_secret: SecretStr = Field(
        default=SecretStr("dev-only-ads-change-me"),
        description="Signs the click tokens of sponsored slots (what was shown, to whom, at "
                    "what price): a click is billed only with a token the platform signed.")
    ad_token_seconds: int = Field(default=3600, ge=60, le=86_400,
                                  description="How long a sponsored slot can be clicked.")
    reserve_price_minor: int = Field(
        default=5, ge=1, le=10_000, description="The least a sponsored click costs.")
    click_dedupe_seconds: int = Field(
        default=1800, ge=60, le=86_400,
        description="The same buyer's clicks on the same ad within this window bill once.")
    clicks_per_minute: int = Field(
        default=10, ge=1, le=1000,
        description="A buyer's clicks on sponsored slots beyond this a minute are a burst: "
                    "recorded, not billed.")
    click_requests_per_minute: int = Field(
        default=120, ge=1, le=100_000,
        description="Click requests one caller may make a minute (then 429).")
    attribution_days: int = Field(
        default=7, ge=1, le=30, description="An order within this many days of a billed click "
                                            "on one of its products is attributed to it.")
    interaction_requests_per_minute: int = Field(
        default=120, ge=1, le=100_000,
        description="Interaction batches one buyer may send a minute (then 429).")
    feed_requests_per_minute: int = Field(
        default=600, ge=1, le=100_000, description="Feed pages one caller may ask a minute.")
    recent_items: int = Field(
        default=20, ge=1, le=200,
        description="How many of a buyer's latest items shape their profile and co-visitation.")
    history_days: int = Field(
        default=90, ge=1, le=730,
        description="A consenting buyer's interactions are kept this long, then deleted.")
    co_visit_neighbours: int = Field(
        default=50, ge=5, le=1000,
        description="Neighbours kept per item in co-visitation (the strongest).")
    candidate_pool: int = Field(default=150, ge=20, le=5000,
                                description="Candidates ranked for a feed snapshot.")
    snapshot_seconds: int = Field(
        default=900, ge=30, le=86_400,
        description="How long a feed's order is kept for paging through it.")
    aggregate_interval_seconds: float = Field(
        default=60, gt=0, le=3600,
        description="How often `interaction.recorded` summaries are published per market.")
    auction_cache_seconds: float = Field(
        default=1.0, ge=0, le=60,
        description="How long an instance reuses a market's eligible campaigns and their "
                    "spend for auctions (pacing sees spend at most this old; billing always "
                    "sees the exact figure).")
    pacing_front_load: float = Field(default=0.1, ge=0, le=1,
                                     description="Share of a daily budget usable from midnight.")
