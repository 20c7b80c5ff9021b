"""Flash deals and claims: the terms a host may set, and how a deal's units are accounted for.

The claim decision itself is made atomically in Redis (adapters/claims_store.py) because it
must hold across every instance of the service; the rules it enforces are stated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict

COUNTDOWN_SECONDS = (10, 300)
DURATION_SECONDS = (60, 1200)
MAX_PER_BUYER = 10


class DealError(FieldError):
    """Deal terms a host may not set."""


class DealConflict(DealError, StateConflict):
    """The same, refused for the state things are in (answered 409)."""



class DealStatus(StrEnum):
    AWAITING_STOCK = "awaiting_stock"
    """Announced; catalog has not yet set its units aside."""
    READY = "ready"
    """Units set aside; counting down."""
    LIVE = "live"
    ENDED = "ended"
    REFUSED = "refused"
    """Catalog could not set the units aside."""


class ClaimRefusal(StrEnum):
    NOT_READY = "not_ready"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    SOLD_OUT = "sold_out"
    LIMIT_REACHED = "limit_reached"


class ClaimStatus(StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    """Checked out: an order was placed with the claim's token (not paid yet)."""
    PAID = "paid"
    """The order was paid: the claim's units are sold."""
    EXPIRED = "expired"
    """Not paid in time (or its order was cancelled after the payment window)."""


def released_claim_goes_to(status: str, *, now: datetime, expires_at: datetime) -> str:
    """Where a claim goes when its order is cancelled: back to its buyer while its payment
    window is open ('claim'), else its units are handed back like an expired claim's
    ('give_back'). A paid order's units were committed, so catalog restocks them ('stock')."""
    if status == ClaimStatus.PAID:
        return "stock"
    return "claim" if now < expires_at else "give_back"


@dataclass(frozen=True)
class ClaimableDeal:
    """What a claim is decided on: the deal's live figures at the moment of the claim."""

    units_left: int
    per_buyer_limit: int
    starts_at_ms: int
    ends_at_ms: int


def decide_claim(deal: ClaimableDeal | None, *, already_claimed: int, quantity: int,
                 now_ms: int) -> ClaimRefusal | None:
    """The claim rule, in the order the checks apply. The Lua script in
    `adapters/claims_store.py` applies exactly this rule atomically in Redis (a test runs both
    on the same cases); None means granted."""
    if deal is None:
        return ClaimRefusal.NOT_READY
    if now_ms < deal.starts_at_ms:
        return ClaimRefusal.NOT_STARTED
    if now_ms >= deal.ends_at_ms:
        return ClaimRefusal.ENDED
    if deal.units_left < quantity:
        return ClaimRefusal.SOLD_OUT
    if already_claimed + quantity > deal.per_buyer_limit:
        return ClaimRefusal.LIMIT_REACHED
    return None


@dataclass(frozen=True)
class DealTerms:
    sku_id: UUID
    deal_price_minor: int
    quantity: int
    per_buyer_limit: int
    countdown_seconds: int
    duration_seconds: int


def check_terms(terms: DealTerms, *, list_price_minor: int, available: int | None) -> None:
    """`available` is the last stock figure live heard of; catalog has the final word."""
    low, high = COUNTDOWN_SECONDS
    if not low <= terms.countdown_seconds <= high:
        raise DealError("countdown_seconds", f"must be between {low} and {high}", "out_of_range")
    low, high = DURATION_SECONDS
    if not low <= terms.duration_seconds <= high:
        raise DealError("duration_seconds", f"must be between {low} and {high} (1 to 20 "
                                            "minutes)", "out_of_range")
    if terms.quantity < 1:
        raise DealError("quantity", "must be at least 1", "out_of_range")
    if available is not None and terms.quantity > available:
        raise DealConflict("quantity", f"only {available} in stock", "insufficient_stock")
    if not 1 <= terms.per_buyer_limit <= min(MAX_PER_BUYER, terms.quantity):
        raise DealError("per_buyer_limit",
                        f"must be between 1 and {min(MAX_PER_BUYER, terms.quantity)}",
                        "out_of_range")
    if terms.deal_price_minor <= 0:
        raise DealError("deal_price_minor", "must be positive", "out_of_range")
    if terms.deal_price_minor >= list_price_minor:
        raise DealConflict("deal_price_minor", f"must be below the list price {list_price_minor}",
                        "not_a_discount")


@dataclass(frozen=True)
class DealWindow:
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def after_countdown(cls, now: datetime, terms: DealTerms) -> DealWindow:
        starts = now + timedelta(seconds=terms.countdown_seconds)
        return cls(starts, starts + timedelta(seconds=terms.duration_seconds))

    def hold_until(self, payment_window: timedelta, grace: timedelta) -> datetime:
        """The last moment a claim made in this deal can still turn into an order."""
        return self.ends_at + payment_window + grace


@dataclass(frozen=True)
class DealTally:
    """Where a deal's units went: `sold` counts units in paid orders only, `held` those of
    claims not yet paid (unchecked-out or checking out). Once every claim is settled,
    `sold + returned_to_stock + unclaimed_at_end == quantity`."""

    quantity: int
    sold: int
    held: int
    returned_to_stock: int
    unclaimed_at_end: int | None

    @property
    def settled(self) -> bool:
        return self.unclaimed_at_end is not None and self.held == 0

    @property
    def balances(self) -> bool:
        if self.unclaimed_at_end is None:
            return True
        return (self.sold + self.held + self.returned_to_stock + self.unclaimed_at_end
                == self.quantity)
