"""Stock arithmetic (domain, no servers)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from libs.ids import new_id
from services.catalog.domain.stock import (
    Request,
    StockError,
    StockLevel,
    allocate,
    merge_lines,
    shortfalls,
)


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


def test_a_batch_is_decided_first_come_first_served_as_one_at_a_time_would() -> None:
    hot, other, draft = uuid4(), uuid4(), uuid4()
    levels = {hot: StockLevel(hot, on_hand=5, reserved=1, version=7),
              other: StockLevel(other, on_hand=1, reserved=0),
              draft: StockLevel(draft, on_hand=9, reserved=0)}
    requests = [Request(uuid4(), hot, 3), Request(uuid4(), hot, 2),  # 4 free: 3 fit, 2 do not
                Request(uuid4(), hot, 1), Request(uuid4(), other, 1),
                Request(uuid4(), draft, 1), Request(uuid4(), uuid4(), 1)]
    decided, after = allocate(requests, levels, purchasable={hot, other})
    assert [(d.shortfall.reason, d.shortfall.available) if d.shortfall else "held"
            for d in decided] == ["held", ("insufficient_stock", 1), "held", "held",
                                  ("not_purchasable", 9), ("unknown_sku", 0)]
    assert after[hot] == StockLevel(hot, on_hand=5, reserved=5, version=9)
    assert after[other].available == 0 and after[draft] == levels[draft]
