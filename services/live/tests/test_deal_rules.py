"""Flash-deal terms and the accounting of a deal's units (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs.ids import new_id
from services.live.domain.deals import (
    ClaimableDeal,
    ClaimRefusal,
    DealError,
    DealTally,
    DealTerms,
    DealWindow,
    check_terms,
    decide_claim,
    released_claim_goes_to,
)

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def terms(**changes: int) -> DealTerms:
    values = {"deal_price_minor": 1500, "quantity": 100, "per_buyer_limit": 2,
              "countdown_seconds": 30, "duration_seconds": 300, **changes}
    return DealTerms(sku_id=new_id(), **values)


def refusal(deal: DealTerms, *, list_price: int = 2500, available: int | None = 500) -> str:
    with pytest.raises(DealError) as caught:
        check_terms(deal, list_price_minor=list_price, available=available)
    return f"{caught.value.field}:{caught.value.code}"


def test_terms_within_tiktok_style_limits_are_accepted() -> None:
    for countdown, duration in [(10, 60), (300, 1200), (45, 600)]:
        check_terms(terms(countdown_seconds=countdown, duration_seconds=duration),
                    list_price_minor=2500, available=100)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"countdown_seconds": 9}, "countdown_seconds:out_of_range"),
    ({"countdown_seconds": 301}, "countdown_seconds:out_of_range"),
    ({"duration_seconds": 59}, "duration_seconds:out_of_range"),
    ({"duration_seconds": 1201}, "duration_seconds:out_of_range"),
    ({"quantity": 0}, "quantity:out_of_range"),
    ({"quantity": 501}, "quantity:insufficient_stock"),
    ({"per_buyer_limit": 0}, "per_buyer_limit:out_of_range"),
    ({"per_buyer_limit": 11}, "per_buyer_limit:out_of_range"),
    ({"quantity": 3, "per_buyer_limit": 4}, "per_buyer_limit:out_of_range"),
    ({"deal_price_minor": 0}, "deal_price_minor:out_of_range"),
    ({"deal_price_minor": 2500}, "deal_price_minor:not_a_discount"),
])
def test_terms_out_of_bounds_name_the_field(changes: dict[str, int], expected: str) -> None:
    assert refusal(terms(**changes)) == expected


def test_unknown_stock_leaves_the_decision_to_catalog() -> None:
    check_terms(terms(quantity=10_000, per_buyer_limit=1), list_price_minor=2500,
                available=None)


def test_window_opens_after_the_countdown_and_holds_until_the_last_payment() -> None:
    window = DealWindow.after_countdown(NOW, terms(countdown_seconds=30, duration_seconds=300))
    assert window.starts_at == NOW + timedelta(seconds=30)
    assert window.ends_at == NOW + timedelta(seconds=330)
    assert window.hold_until(timedelta(minutes=5), timedelta(seconds=30)) == (
        NOW + timedelta(seconds=330 + 300 + 30))


def test_a_tally_balances_only_when_every_unit_is_accounted_for() -> None:
    running = DealTally(quantity=100, sold=40, held=10, returned_to_stock=0,
                        unclaimed_at_end=None)
    assert running.balances and not running.settled
    ended = DealTally(quantity=100, sold=40, held=0, returned_to_stock=10, unclaimed_at_end=50)
    assert ended.balances and ended.settled
    oversold = DealTally(quantity=100, sold=41, held=0, returned_to_stock=10,
                         unclaimed_at_end=50)
    assert not oversold.balances


def claimable(**changes: int) -> ClaimableDeal:
    values = {"units_left": 5, "per_buyer_limit": 2, "starts_at_ms": 1_000,
              "ends_at_ms": 61_000, **changes}
    return ClaimableDeal(**values)


@pytest.mark.parametrize(("deal", "claimed", "quantity", "now", "expected"), [
    (None, 0, 1, 5_000, ClaimRefusal.NOT_READY),
    (claimable(), 0, 1, 999, ClaimRefusal.NOT_STARTED),
    (claimable(), 0, 1, 61_000, ClaimRefusal.ENDED),
    (claimable(units_left=0), 0, 1, 5_000, ClaimRefusal.SOLD_OUT),
    (claimable(units_left=1), 0, 2, 5_000, ClaimRefusal.SOLD_OUT),
    (claimable(), 2, 1, 5_000, ClaimRefusal.LIMIT_REACHED),
    (claimable(), 1, 2, 5_000, ClaimRefusal.LIMIT_REACHED),
    (claimable(), 1, 1, 1_000, None),
    (claimable(units_left=2), 0, 2, 60_999, None),
])
def test_a_claim_is_refused_for_the_first_rule_it_breaks(
        deal: ClaimableDeal | None, claimed: int, quantity: int, now: int,
        expected: ClaimRefusal | None) -> None:
    assert decide_claim(deal, already_claimed=claimed, quantity=quantity, now_ms=now) == expected


@pytest.mark.parametrize(("status", "seconds_left", "expected"), [
    ("consumed", 30, "claim"),        # a declined card inside the window: the buyer retries
    ("consumed", 0, "give_back"),     # past the window: the deal (while it runs) or stock
    ("consumed", -5, "give_back"),
    ("paid", 30, "stock"),            # a paid order's units were committed: catalog restocks
])
def test_a_cancelled_orders_claim_goes_back_to_its_buyer_only_inside_the_window(
        status: str, seconds_left: int, expected: str) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert released_claim_goes_to(status, now=now,
                                  expires_at=now + timedelta(seconds=seconds_left)) == expected
