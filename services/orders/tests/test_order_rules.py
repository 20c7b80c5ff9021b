"""Order, checkout and age rules (domain, no servers)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from libs import shipping_rates
from libs.domain_errors import InvalidTransition
from libs.ids import new_id
from libs.shipping_rates import Quote, opening_card
from services.orders.domain.age_rules import (
    AgeRuleViolation,
    LineForAgeCheck,
    age_on,
    check_minor_spending_cap,
    check_restricted_products,
)
from services.orders.domain.cart import CartLine
from services.orders.domain.catalog_view import SkuView
from services.orders.domain.checkout import (
    CheckoutError,
    parcel_grams,
    revalidate,
    split_by_seller,
)
from services.orders.domain.order import Order, OrderStatus

TODAY = date(2026, 11, 21)


def line(seller: object, price: int, qty: int = 1, currency: str = "GBP") -> CartLine:
    return CartLine(sku_id=new_id(), seller_id=seller, quantity=qty,  # type: ignore[arg-type]
                    unit_price_minor=price, currency=currency)


def test_the_cart_splits_per_seller_with_shipping_free_over_the_threshold() -> None:
    a, b = new_id(), new_id()
    card = opening_card("GB", "GBP")

    def quote(lines: list[CartLine], subtotal: int) -> Quote:
        grams = parcel_grams(lines, {})
        return shipping_rates.quote(card, zone="GB-LON", speed="standard",
                                    billable_grams=grams, subtotal_minor=subtotal)

    drafts = {d.seller_id: d for d in split_by_seller(
        [line(a, 1000, 2), line(b, 3500), line(a, 500)], quote)}
    assert drafts[a].subtotal_minor == 2500 and drafts[a].shipping_minor == 399 * 2  # 1.5 kg
    assert drafts[b].shipping_minor == 0 and drafts[b].total_minor == 3500
    quoted = drafts[a].quote
    assert quoted is not None and quoted.billable_grams == 1500 and quoted.zone == "GB-LON"
    with pytest.raises(CheckoutError):
        split_by_seller([], quote)


def test_quotes_follow_the_zone_band_speed_and_weight_of_the_card() -> None:
    card = opening_card("GB", "GBP")
    london = shipping_rates.quote(card, zone="GB-LON", speed="standard", billable_grams=800,
                                  subtotal_minor=100)
    highlands = shipping_rates.quote(card, zone="GB-SCO", speed="standard",
                                     billable_grams=800, subtotal_minor=100)
    express = shipping_rates.quote(card, zone="GB-LON", speed="express", billable_grams=800,
                                   subtotal_minor=100_000)
    assert (london.band, london.price_minor) == ("A", 399)
    assert (highlands.band, highlands.price_minor) == ("B", 598)
    assert express.price_minor == 798  # express is never free
    with pytest.raises(shipping_rates.NoRate) as heavy:
        shipping_rates.quote(card, zone="GB-LON", speed="standard", billable_grams=30_001,
                             subtotal_minor=100)
    assert heavy.value.field == "lines"


def test_price_changes_and_unsellable_lines_are_caught() -> None:
    seller = new_id()
    cart = [line(seller, 1000), line(seller, 2000)]
    skus = {cart[0].sku_id: SkuView(cart[0].sku_id, new_id(), seller, 1000, "GBP", "GB", False,
                                    True, True),
            cart[1].sku_id: SkuView(cart[1].sku_id, new_id(), seller, 1800, "GBP", "GB", False,
                                    True, True)}
    [change] = revalidate(cart, skus)
    assert (change.was_minor, change.now_minor) == (2000, 1800)
    skus[cart[0].sku_id] = SkuView(cart[0].sku_id, new_id(), seller, 1000, "GBP", "GB", False,
                                   True, False)
    with pytest.raises(CheckoutError) as err:
        revalidate(cart, skus)
    assert err.value.field == "lines.0.sku_id"


def test_the_saga_only_moves_forward_along_its_rules() -> None:
    order = Order(id=new_id(), checkout_id=new_id(), buyer_id="b", seller_id=new_id(),
                  currency="GBP", subtotal_minor=1000, shipping_minor=399,
                  status=OrderStatus.AWAITING_STOCK, created_at=datetime.now(UTC))
    paid = order.move(OrderStatus.AWAITING_PAYMENT).move(OrderStatus.ON_HOLD)
    assert paid.buyer_may_cancel
    with pytest.raises(InvalidTransition):
        order.move(OrderStatus.ON_HOLD)
    shipping = paid.move(OrderStatus.AWAITING_SHIPMENT)
    assert not shipping.buyer_may_cancel
    cancelled = paid.cancel("buyer_cancelled")
    assert cancelled.cancel_reason == "buyer_cancelled"
    with pytest.raises(InvalidTransition):
        cancelled.move(OrderStatus.ON_HOLD)


def test_age_is_counted_in_whole_years_to_the_birthday() -> None:
    assert age_on(date(2008, 11, 21), TODAY) == 18
    assert age_on(date(2008, 11, 22), TODAY) == 17


def test_restricted_products_need_a_verified_adult() -> None:
    lines = [LineForAgeCheck(0, False), LineForAgeCheck(1, True)]
    check_restricted_products(lines, date(1990, 1, 1), TODAY)
    with pytest.raises(AgeRuleViolation) as minor:
        check_restricted_products(lines, date(2010, 1, 1), TODAY)
    assert (minor.value.rule, minor.value.field) == ("age_restricted_product", "lines.1")
    with pytest.raises(AgeRuleViolation) as unverified:
        check_restricted_products(lines, None, TODAY)
    assert unverified.value.rule == "age_unverified"
    check_restricted_products([LineForAgeCheck(0, False)], None, TODAY)


def test_minors_have_a_monthly_cap_adults_and_unverified_do_not() -> None:
    teen = date(2011, 3, 3)
    check_minor_spending_cap(teen, TODAY, spent_this_month=6000, this_order=4000, cap=10000,
                             currency="GBP")
    with pytest.raises(AgeRuleViolation) as err:
        check_minor_spending_cap(teen, TODAY, spent_this_month=6000, this_order=4001,
                                 cap=10000, currency="GBP")
    assert err.value.rule == "minor_monthly_cap"
    for birthdate in (date(1990, 1, 1), None):
        check_minor_spending_cap(birthdate, TODAY, spent_this_month=10**9, this_order=1,
                                 cap=10000, currency="GBP")


def test_every_market_currency_has_a_minor_cap_and_a_gap_refuses_to_start() -> None:
    from libs.markets import MARKET_CURRENCIES
    from services.orders.settings import OrdersSettings

    caps = OrdersSettings(dev_mode=True).minor_monthly_cap_minor
    assert set(MARKET_CURRENCIES.values()) <= set(caps)
    with pytest.raises(ValueError, match="JPY"):
        OrdersSettings(dev_mode=True, minor_monthly_cap_minor={
            c: 1 for c in set(MARKET_CURRENCIES.values()) - {"JPY"}})
