"""Vouchers: who funds them (the platform or one seller), what they take off, and when.

A seller voucher applies to that seller's order; a platform voucher to the whole checkout, its
discount shared across the orders in proportion to their subtotals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class VoucherKind(StrEnum):
    FIXED = "fixed"
    PERCENT = "percent"


class VoucherError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Voucher:
    code: str
    seller_id: UUID | None  # None: platform-funded
    kind: VoucherKind
    value: int  # minor units (fixed) or basis points (percent)
    currency: str
    min_spend_minor: int
    max_discount_minor: int | None
    starts_at: datetime
    ends_at: datetime
    total_limit: int | None
    per_buyer_limit: int | None

    def discount(self, subtotal_minor: int, currency: str, now: datetime) -> int:
        if now < self.starts_at:
            raise VoucherError("voucher_not_started", f"{self.code} is not valid yet")
        if now >= self.ends_at:
            raise VoucherError("voucher_expired", f"{self.code} has expired")
        if currency != self.currency:
            raise VoucherError("voucher_currency", f"{self.code} is for {self.currency} orders")
        if subtotal_minor < self.min_spend_minor:
            raise VoucherError("voucher_min_spend",
                               f"{self.code} needs a spend of {self.min_spend_minor}")
        if self.kind is VoucherKind.FIXED:
            off = self.value
        else:
            off = subtotal_minor * self.value // 10_000
            if self.max_discount_minor is not None:
                off = min(off, self.max_discount_minor)
        return min(off, subtotal_minor)


def check_definition(kind: VoucherKind, value: int, starts_at: datetime,
                     ends_at: datetime) -> None:
    if value <= 0:
        raise VoucherError("value", "a voucher takes something off")
    if kind is VoucherKind.PERCENT and value > 10_000:
        raise VoucherError("value", "a percentage is at most 10000 basis points")
    if ends_at <= starts_at:
        raise VoucherError("ends_at", "a voucher ends after it starts")


def share(discount: int, subtotals: list[int]) -> list[int]:
    """Splits a discount over orders in proportion to their subtotals, to the unit; the
    remainder goes to the largest order."""
    total = sum(subtotals)
    if total == 0:
        return [0 for _ in subtotals]
    parts = [discount * s // total for s in subtotals]
    parts[subtotals.index(max(subtotals))] += discount - sum(parts)
    return parts
