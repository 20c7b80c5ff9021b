"""Seller account health: violations, the score, and when a seller is warned or suspended.

The score is 100 minus the points of the violations in the rolling window (`window`, 30 days
in production), never below 0:

    score = max(0, 100 - Σ points of unforgiven violations with occurred_at > now - window)

Points per violation: a late shipment (a ship-by promise the seller itself missed) 10, a late
delivery of a self-shipped order 4, a cancellation by the seller 8, a rejected listing 2, a
dispute lost 10. Late promises of orders the platform's warehouses ship are the platform's
fault and count nothing. Falling below `warning_below` warns the seller once; below
`suspension_below` suspends it (catalog carries the suspension out). A granted appeal forgives
the violations counted so far and reinstates the seller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

FULL_SCORE = 100


class ViolationKind(StrEnum):
    LATE_SHIPMENT = "late_shipment"
    LATE_DELIVERY = "late_delivery"
    SELLER_CANCELLATION = "seller_cancellation"
    LISTING_REJECTED = "listing_rejected"
    DISPUTE_LOST = "dispute_lost"


POINTS: dict[ViolationKind, int] = {
    ViolationKind.LATE_SHIPMENT: 10,
    ViolationKind.LATE_DELIVERY: 4,
    ViolationKind.SELLER_CANCELLATION: 8,
    ViolationKind.LISTING_REJECTED: 2,
    ViolationKind.DISPUTE_LOST: 10,
}


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    points: int
    occurred_at: datetime
    forgiven: bool = False


@dataclass(frozen=True)
class HealthRules:
    window: timedelta
    warning_below: int
    suspension_below: int

    def score(self, violations: list[Violation], now: datetime) -> int:
        counted = sum(v.points for v in violations
                      if not v.forgiven and v.occurred_at > now - self.window)
        return max(0, FULL_SCORE - counted)


class Verdict(StrEnum):
    NONE = "none"
    WARN = "warn"
    SUSPEND = "suspend"
    RECOVERED = "recovered"


def verdict(rules: HealthRules, score: int, *, warned: bool, suspended: bool) -> Verdict:
    """What a new score means for a seller in its current standing. A suspension stays until an
    appeal (or an operator) lifts it; a warning lapses once the score is back above the line."""
    if suspended:
        return Verdict.NONE
    if score < rules.suspension_below:
        return Verdict.SUSPEND
    if score < rules.warning_below:
        return Verdict.NONE if warned else Verdict.WARN
    return Verdict.RECOVERED if warned else Verdict.NONE


def late_promise_kind(promise: str, method: str | None) -> ViolationKind | None:
    """A missed promise counts against the seller only when the seller ships (all or part)."""
    if method not in ("seller", "mixed"):
        return None
    return ViolationKind.LATE_SHIPMENT if promise == "ship_by" else ViolationKind.LATE_DELIVERY
