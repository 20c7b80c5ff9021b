"""Stock arithmetic (domain, no servers)."""

from __future__ import annotations

import pytest

from libs.ids import new_id
from services.catalog.domain.stock import StockError, StockLevel, merge_lines, shortfalls


def level(on_hand: int = 10, reserved: int = 0, threshold: int = 0) -> StockLevel:
    return StockLevel(new_id(), on_hand, reserved, threshold)


def test_available_is_on_hand_less_reserved_and_adjustments_bump_the_version() -> None:
    stock = level(10, 3)
    assert stock.available == 7
    assert stock.adjusted(delta=5).on_hand == 15
    assert stock.adjusted(set_to=4).version == stock.version + 1


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"delta": -11}, "negative_stock"),
    ({"set_to": 2}, "below_reserved"),
    ({"delta": -8}, "below_reserved"),
])
def test_never_negative_never_below_what_orders_hold(kwargs: dict[str, int], code: str) -> None:
    with pytest.raises(StockError) as err:
        level(10, 3).adjusted(**kwargs)
    assert err.value.code == code


def test_delta_xor_set_to() -> None:
    with pytest.raises(StockError):
        level().adjusted()
    with pytest.raises(StockError):
        level().adjusted(delta=1, set_to=2)


def test_low_stock_fires_once_when_crossing_the_threshold() -> None:
    before = level(10, 0, threshold=5)
    crossing = StockLevel(before.sku_id, 10, 6, 5)
    assert crossing.crossed_below_threshold(before)
    further = StockLevel(before.sku_id, 10, 7, 5)
    assert not further.crossed_below_threshold(crossing)
    assert not StockLevel(before.sku_id, 10, 6, 0).crossed_below_threshold(before)


def test_lines_merge_per_sku_and_shortfalls_explain_why() -> None:
    a, b, c, d = new_id(), new_id(), new_id(), new_id()
    wanted = merge_lines([(a, 2), (b, 1), (a, 3), (c, 1), (d, 1)])
    assert wanted[a] == 5
    levels = {a: StockLevel(a, 4, 0), b: StockLevel(b, 9, 0), c: StockLevel(c, 9, 0)}
    short = {s.sku_id: s.reason for s in shortfalls(wanted, levels, purchasable={a, b})}
    assert short == {a: "insufficient_stock", c: "not_purchasable", d: "unknown_sku"}
    with pytest.raises(StockError):
        merge_lines([(a, 0)])
