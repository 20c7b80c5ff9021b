"""The tax table and its arithmetic (unit: no servers)."""

from __future__ import annotations

import pytest

from libs.markets import MARKET_CURRENCIES
from libs.taxes import TAX_CLASSES, TAXES, UnknownRegion, added_tax, allocate, included_tax


def test_every_market_has_a_regime_and_every_vat_market_every_class() -> None:
    for market in MARKET_CURRENCIES:
        if TAXES.prices_include_tax(market):
            assert {TAXES.included_rate(market, c) for c in TAX_CLASSES}
        else:
            assert len(TAXES.regions(market)) == 51, "50 states and DC"


def test_tax_inside_and_on_top_rounds_half_up_once_per_line() -> None:
    assert included_tax(12_000, 2000) == 2000
    assert included_tax(1070, 700) == 70
    assert included_tax(8000, 2000) == 1333  # 1333.33
    assert added_tax(10_000, 725) == 725
    assert added_tax(999, 725) == 72  # 72.43
    assert added_tax(1000, 725) == 73  # 72.5 rounds up


def test_a_discount_spreads_over_lines_to_the_last_unit() -> None:
    for total, weights in ((100, [1, 1, 1]), (7, [5000, 3000, 2000]), (0, [3, 4]),
                           (999, [1, 998, 1000])):
        parts = allocate(total, weights)
        assert sum(parts) == total and all(p >= 0 for p in parts)
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


def test_us_tax_needs_a_known_state_and_the_platform_collects_it() -> None:
    with pytest.raises(UnknownRegion):
        TAXES.line("US", "standard", None, 1000)
    with pytest.raises(UnknownRegion):
        TAXES.line("US", "standard", "XX", 1000)
    assert TAXES.line("US", "standard", "OR", 1000).tax_minor == 0  # no sales tax in Oregon
    assert TAXES.collected_by("US", cross_border=False) == "platform"
    assert TAXES.collected_by("DE", cross_border=True) == "platform", "deemed supplier"
    assert TAXES.collected_by("DE", cross_border=False) == "seller"
    assert TAXES.collected_by("JP", cross_border=True) == "seller"
