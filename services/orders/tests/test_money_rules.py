"""Commission and refund arithmetic (domain, no servers)."""

from __future__ import annotations

import pytest

from libs.ids import new_id
from services.orders.domain import commissions
from services.orders.domain.refunds import RefundError, refund_amount


def test_commission_rounds_down_and_rates_are_bounded() -> None:
    assert commissions.commission(1999, 3, 1250) == 749  # 749.625
    with pytest.raises(commissions.CommissionError):
        commissions.commission(100, 1, 5001)


def test_every_ledger_movement_balances() -> None:
    seller = new_id()
    for entries in (commissions.accrual(seller, "cr", 700), commissions.reversal(seller, "cr", 7),
                    commissions.release("cr", 693)):
        assert commissions.balanced(entries)


def test_refunds_cover_the_lines_and_never_exceed_what_is_left() -> None:
    a, b = new_id(), new_id()
    lines = {a: (1500, 4), b: (900, 1)}
    assert refund_amount(lines, {a: 1}, shipping_minor=399, include_shipping=False,
                         already_refunded=0, captured=6900) == 1500
    assert refund_amount(lines, {a: 1, b: 1}, shipping_minor=399, include_shipping=True,
                         already_refunded=0, captured=6900) == 2799
    assert refund_amount(lines, {a: 4}, shipping_minor=0, include_shipping=False,
                         already_refunded=6000, captured=6900) == 900
    with pytest.raises(RefundError):
        refund_amount(lines, {a: 5}, shipping_minor=0, include_shipping=False,
                      already_refunded=0, captured=6900)
    with pytest.raises(RefundError):
        refund_amount(lines, {new_id(): 1}, shipping_minor=0, include_shipping=False,
                      already_refunded=0, captured=6900)
