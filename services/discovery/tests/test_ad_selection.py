"""Choosing each campaign's bid for a request (no servers): visiting campaigns best possible
first and stopping early picks exactly the winners and prices that scoring every campaign
would."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from services.discovery.domain import auction
from services.discovery.domain.campaigns import Campaign, Kind, Status
from services.discovery.domain.consent import audience
from services.discovery.domain.ranking import Profile
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases import sponsored

SETTINGS = DiscoverySettings(dev_mode=True, pacing_front_load=1.0)


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128))


def _serving(rng: random.Random, campaigns: int, categories: list[UUID],
             shared: list[UUID]) -> sponsored._Serving:
    rows = []
    for _ in range(campaigns):
        c = Campaign(_uuid(rng), _uuid(rng), "c", Kind.PRODUCTS, Status.ACTIVE, "GBP", 10**6,
                     rng.randint(1, 200), ("GB",))
        for _ in range(rng.randint(1, 8)):
            product = rng.choice(shared) if rng.random() < 0.2 else _uuid(rng)
            rows.append((c, product, rng.choice(categories), rng.random()))
    serving = sponsored._Serving(0)
    for c, product, category, share in rows:
        if c.max_bid_minor < SETTINGS.reserve_price_minor + 3:
            continue
        amount = c.max_bid_minor - rng.randint(0, 3)  # a catalogue campaign's bids differ
        offer = sponsored.Offer(c, 0, product, category, rng.choice(["court trainers", "scarf"]),
                                100, "GBP", False, auction.base_relevance(share), amount)
        serving.offers.setdefault(c.id, []).append(offer)
        serving.by_key[(c.id, product)] = offer
    for offers in serving.offers.values():
        offers.sort(key=lambda o: (-o.bid_minor, -o.base))
    serving.offers = dict(sorted(serving.offers.items(), key=lambda kv: -kv[1][0].bid_minor))
    return serving


@pytest.mark.parametrize("query", [None, "court trainers"])
@pytest.mark.parametrize("profiled", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_stopping_early_changes_no_winner_and_no_price(seed: int, profiled: bool,
                                                       query: str | None) -> None:
    rng = random.Random(seed)
    categories = [_uuid(rng) for _ in range(6)]
    serving = _serving(rng, rng.randint(1, 300), categories, [_uuid(rng) for _ in range(5)])
    profile = Profile(category_weights={c: rng.random() for c in categories[:3]})
    ctx = sponsored.AdContext(
        market="GB", buyer_id="b", birthdate=date(1990, 1, 1),
        profile=profile if profiled else None, query=query,
        audience=audience(consent=True, market="GB", birthdate=date(1990, 1, 1),
                          today=date(2026, 11, 27)),
        context_categories=frozenset(rng.sample(categories, 2)))
    now = datetime.now(UTC)
    for slots in (1, 2, 4):
        quick = sponsored._bids(serving, ctx, SETTINGS, now, slots)
        every = sponsored._bids(serving, ctx, SETTINGS, now, 10**6)
        assert len(quick) <= len(every)
        decide = {"slots": slots, "reserve_price_minor": SETTINGS.reserve_price_minor}
        assert auction.run(quick, **decide) == auction.run(every, **decide)
