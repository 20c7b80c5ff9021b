"""The live service's collaborators beyond the platform's: Redis scripts, the session feeds and
this instance's fan-out hub. Built once the connections exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import Request

from libs.errors import Problem
from libs.rate_limit import RateLimiter
from services.live.adapters.channel import Feed, Hub
from services.live.adapters.claims_store import ClaimsStore
from services.live.adapters.presence import Presence, Throttle
from services.live.adapters.sold_out_memory import SoldOutMemory
from services.live.settings import LiveSettings

if TYPE_CHECKING:
    from services.live.use_cases.grant_records import GrantRecorder


@dataclass(frozen=True)
class DealCard:
    """A deal's fixed terms, cached per instance so the claim path reads no table."""

    id: UUID
    session_id: UUID
    sku_id: UUID
    product_id: UUID
    deal_price_minor: int
    currency: str
    quantity: int


@dataclass
class LiveComponents:
    settings: LiveSettings
    claims: ClaimsStore
    feed: Feed
    hub: Hub
    presence: Presence
    throttle: Throttle
    rate_limiter: RateLimiter
    sold_out: SoldOutMemory
    grants: GrantRecorder
    deal_cards: dict[UUID, DealCard] = field(default_factory=dict)

    async def give_back(self, deal_id: UUID, claim_id: UUID, buyer_id: str,
                        quantity: int, *, unrecorded_at_epoch: int | None = None) -> str:
        """Hands a claim's units back (see `ClaimsStore.give_back`); units back in the deal
        are offered by this instance at once, whatever it remembered of a sell-out."""
        destination = await self.claims.give_back(deal_id, claim_id, buyer_id, quantity,
                                                  unrecorded_at_epoch=unrecorded_at_epoch)
        if destination == "deal":
            self.sold_out.forget(deal_id)
        return destination


def build(runtime: Any) -> None:
    from services.live.use_cases.grant_records import GrantRecorder  # it needs this module

    settings: LiveSettings = runtime.settings
    feed = Feed(runtime.redis, settings.replay_window_events)
    components = LiveComponents(
        settings=settings, claims=ClaimsStore(runtime.redis), feed=feed,
        hub=Hub(feed, settings.connection_queue_size), presence=Presence(runtime.redis),
        throttle=Throttle(runtime.redis), rate_limiter=RateLimiter(runtime.redis),
        sold_out=SoldOutMemory(settings.sold_out_memory_seconds), grants=GrantRecorder())
    runtime.components["live"] = components


async def close(runtime: Any) -> None:
    components: LiveComponents | None = runtime.components.get("live")
    if components is not None:
        await components.hub.close()


def of(request: Request) -> LiveComponents:
    components: LiveComponents | None = request.app.state.runtime.components.get("live")
    if components is None:
        raise Problem(503, "Service unavailable", "The live service is still starting.",
                      headers={"Retry-After": "2"})
    return components
