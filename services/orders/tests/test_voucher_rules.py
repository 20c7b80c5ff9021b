"""Voucher rules (domain, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain.vouchers import (
    Voucher,
    VoucherError,
    VoucherKind,
    check_definition,
    share,
)

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def voucher(**kw: object) -> Voucher:
    values: dict[str, object] = {
        "code": "SAVE", "seller_id": None, "kind": VoucherKind.PERCENT, "value": 1000,
        "currency": "GBP", "min_spend_minor": 2000, "max_discount_minor": 500,
        "starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=1),
        "total_limit": None, "per_buyer_limit": None}
    values.update(kw)
    return Voucher(**values)  # type: ignore[arg-type]


def test_percent_is_capped_and_fixed_never_exceeds_the_subtotal() -> None:
    assert voucher().discount(3000, "GBP", NOW) == 300
    assert voucher().discount(9000, "GBP", NOW) == 500
    fixed = voucher(kind=VoucherKind.FIXED, value=5000, min_spend_minor=0)
    assert fixed.discount(1200, "GBP", NOW) == 1200


@pytest.mark.parametrize(("kw", "subtotal", "currency", "code"), [
    ({}, 1999, "GBP", "voucher_min_spend"),
    ({}, 3000, "EUR", "voucher_currency"),
    ({"starts_at": NOW + timedelta(hours=1)}, 3000, "GBP", "voucher_not_started"),
    ({"ends_at": NOW}, 3000, "GBP", "voucher_expired"),
])
def test_refusals_say_why(kw: dict[str, object], subtotal: int, currency: str, code: str) -> None:
    with pytest.raises(VoucherError) as err:
        voucher(**kw).discount(subtotal, currency, NOW)
    assert err.value.code == code


def test_definitions_are_checked() -> None:
    with pytest.raises(VoucherError):
        check_definition(VoucherKind.PERCENT, 10001, NOW, NOW + timedelta(days=1))
    with pytest.raises(VoucherError):
        check_definition(VoucherKind.FIXED, 100, NOW, NOW)


def test_a_platform_discount_is_shared_to_the_unit() -> None:
    assert share(1000, [3000, 1000]) == [750, 250]
    parts = share(1001, [1, 1, 1])
    assert sum(parts) == 1001 and sorted(parts) == [333, 333, 335]
