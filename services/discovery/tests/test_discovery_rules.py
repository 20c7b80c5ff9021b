"""Discovery's rules without servers: who may be profiled, how the feed ranks, the second-price
auction, budget pacing, which clicks are billed and what a campaign may ask for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from libs.domain_errors import FieldError, StateConflict
from services.discovery.domain import auction, pacing
from services.discovery.domain.campaigns import (
    Audience,
    Kind,
    check_audience,
    keyword_match,
    new_campaign,
    title_match,
)
from services.discovery.domain.clicks import (
    ClickFacts,
    Outcome,
    decide_billing,
    looks_like_bot,
    pre_filter,
)
from services.discovery.domain.consent import Basis, audience, default_consent
from services.discovery.domain.ranking import Candidate, Profile, co_visitation_pairs, rank

TODAY = date(2026, 11, 27)
ADULT = date(1990, 1, 1)
SEVENTEEN = date(2009, 11, 28)  # 18 tomorrow


@pytest.mark.parametrize(("consent", "market", "birthdate", "basis"), [
    (None, "GB", ADULT, Basis.NO_CONSENT),        # opt-in market: off until chosen
    (None, "US", ADULT, Basis.PERSONALISED),      # opt-out market: on until refused
    (False, "US", ADULT, Basis.NO_CONSENT),
    (True, "GB", ADULT, Basis.PERSONALISED),
    (True, "GB", SEVENTEEN, Basis.MINOR),         # a minor's consent is not enough
    (True, "US", None, Basis.AGE_UNVERIFIED),     # nor an unknown age
])
def test_profiling_needs_consent_and_a_verified_adult(
        consent: bool | None, market: str, birthdate: date | None, basis: Basis) -> None:
    decided = audience(consent=consent, market=market, birthdate=birthdate, today=TODAY)
    assert decided.basis is basis
    assert decided.profiled is (basis is Basis.PERSONALISED)
    assert decided.minor_or_unverified is (birthdate is None or birthdate == SEVENTEEN)


def test_anyone_may_ask_for_the_non_personalised_feed() -> None:
    decided = audience(consent=True, market="GB", birthdate=ADULT, today=TODAY,
                       wants_personalised=False)
    assert decided.basis is Basis.NOT_REQUESTED and not decided.profiled
    assert not default_consent("DE") and default_consent("BR")


def _candidate(category: UUID, popularity: float, co: float = 0.0) -> Candidate:
    return Candidate(uuid4(), "product", category, popularity, co)


def test_popularity_orders_a_feed_without_profile_and_interests_reorder_it() -> None:
    shoes, knits = uuid4(), uuid4()
    popular = [_candidate(knits, 100 - n) for n in range(5)]
    niche = [_candidate(shoes, 5 - n) for n in range(5)]
    plain = rank(popular + niche, profile=None)
    assert [c.category_id for c in plain[:5]] == [knits] * 5
    assert plain == rank(list(reversed(popular + niche)), profile=None)  # order-independent
    fan = Profile(recent_items=(niche[0].item_id,), category_weights={shoes: 1.0})
    personal = rank(popular + niche, profile=fan)
    assert [c.category_id for c in personal[:5]] == [shoes] * 5
    assert personal[4].item_id == niche[0].item_id  # just seen: moved down among its peers


def test_co_visitation_counts_nearer_items_more_and_never_an_item_with_itself() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    assert dict(((x, y), w) for x, y, w in co_visitation_pairs([a, b], c, 3.0)) == {
        (c, b): 3.0, (b, c): 3.0, (c, a): 1.5, (a, c): 1.5}
    # seen again: the pairs count steps back through the history, itself left out
    assert dict(((x, y), w) for x, y, w in co_visitation_pairs([a, b, c], c, 3.0)) == {
        (c, b): 1.5, (b, c): 1.5, (c, a): 1.0, (a, c): 1.0}


def _bid(amount: int, relevance: float, campaign: UUID | None = None,
         product: UUID | None = None) -> auction.Bid:
    return auction.Bid(campaign or uuid4(), uuid4(), product or uuid4(), amount, relevance)


def test_the_winner_pays_what_the_next_score_needed_never_more_than_its_bid() -> None:
    high, middle, low = _bid(100, 0.5), _bid(60, 0.5), _bid(40, 0.5)
    wins = auction.run([low, high, middle], slots=2, reserve_price_minor=5)
    assert [w.bid for w in wins] == [high, middle]
    assert [w.price_minor for w in wins] == [60, 40]


def test_relevance_lets_a_lower_bid_win_and_pay_less() -> None:
    relevant, broad = _bid(50, 0.9), _bid(80, 0.3)
    [win] = auction.run([broad, relevant], slots=1, reserve_price_minor=5)
    assert win.bid is relevant
    assert win.price_minor == 27  # ceil(80 * 0.3 / 0.9)


def test_the_last_winner_pays_the_reserve_and_bids_under_it_never_win() -> None:
    lone = _bid(30, 0.5)
    assert [w.price_minor for w in auction.run([lone], slots=3, reserve_price_minor=7)] == [7]
    assert auction.run([_bid(4, 1.0)], slots=1, reserve_price_minor=5) == []


def test_one_slot_per_campaign_and_per_product() -> None:
    campaign, product = uuid4(), uuid4()
    same_campaign = [_bid(90, 1, campaign), _bid(80, 1, campaign)]
    same_product = [_bid(70, 1, product=product), _bid(60, 1, product=product)]
    wins = auction.run(same_campaign + same_product, slots=4, reserve_price_minor=1)
    assert len(wins) == 2


@pytest.mark.parametrize(("page", "slots"), [(1, 0), (4, 0), (5, 1), (10, 2), (20, 4), (50, 10)])
def test_sponsored_slots_never_exceed_one_in_five(page: int, slots: int) -> None:
    assert auction.sponsored_slots(page) == slots
    positions = auction.sponsored_positions(page, slots)
    assert len(set(positions)) == slots and all(0 < p < page for p in positions)


def test_a_catalogue_bid_follows_the_target_return_within_the_cap() -> None:
    assert auction.catalogue_bid(price_minor=5000, conversion_rate=0.02, target_roas=4,
                                 max_bid_minor=100, reserve_price_minor=5) == 25
    assert auction.catalogue_bid(price_minor=90_000, conversion_rate=0.05, target_roas=2,
                                 max_bid_minor=100, reserve_price_minor=5) == 100
    assert auction.catalogue_bid(price_minor=100, conversion_rate=0.02, target_roas=4,
                                 max_bid_minor=100, reserve_price_minor=5) == 5
    assert auction.conversion_rate(0, 0) == pytest.approx(0.02)
    assert auction.conversion_rate(10, 50) == pytest.approx(0.11)


def test_pacing_spreads_the_budget_through_the_day() -> None:
    midnight = datetime(2026, 11, 27, tzinfo=UTC)
    assert pacing.allowance(1000, midnight) == 100
    assert pacing.allowance(1000, midnight + timedelta(hours=12)) == 550
    assert pacing.allowance(1000, midnight + timedelta(hours=23, minutes=59, seconds=59)) == 999
    noon = midnight + timedelta(hours=12)
    assert pacing.may_serve(daily_budget_minor=1000, spent_minor=500, price_floor_minor=5,
                            at=noon)
    assert not pacing.may_serve(daily_budget_minor=1000, spent_minor=550, price_floor_minor=5,
                                at=noon)
    assert not pacing.may_serve(daily_budget_minor=1000, spent_minor=997, price_floor_minor=5,
                                at=midnight + timedelta(hours=23, minutes=59), front_load=1.0)


def _facts(**overrides: object) -> ClickFacts:
    values: dict[str, object] = {"clicker_seller_id": None, "campaign_seller_id": "s-1",
                                 "user_agent": "ShopApp/5 (Android 15)",
                                 "clicks_this_minute": 1, "burst_limit": 10}
    values.update(overrides)
    return ClickFacts(**values)  # type: ignore[arg-type]


def test_clicks_that_are_not_a_buyers_interest_are_not_billed() -> None:
    assert pre_filter(_facts()) is None
    assert pre_filter(_facts(clicker_seller_id="s-1")) is Outcome.OWN_AD
    assert pre_filter(_facts(user_agent="Mozilla/5.0 (compatible; bingbot/2.0)")) is Outcome.BOT
    assert pre_filter(_facts(user_agent=None)) is Outcome.BOT
    assert pre_filter(_facts(clicks_this_minute=11)) is Outcome.BURST
    assert not looks_like_bot("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)")


def test_billing_under_the_lock_checks_state_repeats_and_budget() -> None:
    ok = {"active": True, "repeat_within_window": False, "spent_minor": 90,
          "price_minor": 10, "daily_budget_minor": 100}
    assert decide_billing(**ok) is Outcome.BILLED  # type: ignore[arg-type]
    assert decide_billing(**{**ok, "spent_minor": 91}) is Outcome.BUDGET_EXHAUSTED  # type: ignore[arg-type]
    assert decide_billing(**{**ok, "repeat_within_window": True}) is Outcome.DUPLICATE  # type: ignore[arg-type]
    assert decide_billing(**{**ok, "active": False}) is Outcome.CAMPAIGN_INACTIVE  # type: ignore[arg-type]


def _new(**overrides: object) -> object:
    values: dict[str, object] = {
        "id": uuid4(), "seller_id": uuid4(), "name": "Spring", "kind": Kind.PRODUCTS,
        "currency": "GBP", "daily_budget_minor": 5000, "max_bid_minor": 50, "markets": ["GB"],
        "seller_market": "GB", "keywords": [" Trainers ", "white  trainers", ""],
        "categories": set(), "audience": Audience(), "target_roas": None,
        "catalogue_category": None, "product_count": 2, "created_at": datetime.now(UTC)}
    values.update(overrides)
    return new_campaign(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"max_bid_minor": 6000}, "max_bid_minor"),
    ({"markets": ["US"]}, "targeting.markets"),
    ({"product_count": 0}, "product_ids"),
    ({"product_count": 51}, "product_ids"),
    ({"target_roas": 3.0}, "target_roas"),
    ({"kind": Kind.CATALOGUE, "product_count": 0}, "target_roas"),
    ({"kind": Kind.CATALOGUE, "target_roas": 3.0}, "product_ids"),
    ({"audience": Audience(min_age=16)}, "targeting.audience.min_age"),
    ({"audience": Audience(include_non_consenting=True)},
     "targeting.audience.include_non_consenting"),
])
def test_a_campaign_that_breaks_a_rule_is_refused_naming_the_field(
        overrides: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as refused:
        _new(**overrides)
    assert refused.value.field == field


def test_a_campaign_is_cleaned_and_an_ended_one_stays_ended() -> None:
    campaign = _new()
    assert campaign.keywords == ("trainers", "white  trainers")  # type: ignore[attr-defined]
    ended = campaign.paused().resumed().ended()  # type: ignore[attr-defined]
    with pytest.raises(StateConflict):
        ended.resumed()
    check_audience(Audience(min_age=21))


def test_keywords_match_whole_words_of_the_query() -> None:
    assert keyword_match(["trainers"], "White Trainers")
    assert keyword_match(["white trainers"], "trainers white leather")
    assert not keyword_match(["trainers"], "trainer")
    assert not keyword_match([], "trainers")
    assert title_match("Leather court trainers", "court trainers")
    assert not title_match("Leather court trainers", "running trainers")
