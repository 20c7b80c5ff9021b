"""Seller accounts as support keeps them: where the seller sells from (local or cross-border),
its standing with catalog, and its health (see `health`).

An account is opened when the seller registers, with a full score and good standing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from libs.events.schemas.catalog import SellerRegistered
from libs.events.schemas.support import SellerAccountOpened
from services.support.domain.health import FULL_SCORE


class Standing(StrEnum):
    GOOD = "good"
    AT_RISK = "at_risk"
    RESTRICTED = "restricted"


@dataclass(frozen=True)
class SellerAccount:
    seller_id: UUID
    shop_id: UUID
    market: str
    origin: str
    """`local` or `cross_border`: catalog's tier of the seller."""
    health_score: int
    standing: Standing
    opened_at: datetime
    catalog_status: str = "pending_verification"
    warned_at: datetime | None = None
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    suspended_by: str | None = None
    """`support` (the health score) or `operator` (catalog's own decision)."""

    def opened_event(self) -> SellerAccountOpened:
        return SellerAccountOpened(seller_id=self.seller_id, opened_at=self.opened_at)

    def warned(self, score: int, now: datetime) -> SellerAccount:
        return replace(self, health_score=score, standing=Standing.AT_RISK, warned_at=now)

    def suspended(self, score: int, reason: str, by: str, now: datetime) -> SellerAccount:
        return replace(self, health_score=score, standing=Standing.RESTRICTED,
                       suspended_at=self.suspended_at or now,
                       suspension_reason=self.suspension_reason or reason,
                       suspended_by=self.suspended_by or by)

    def recovered(self, score: int) -> SellerAccount:
        return replace(self, health_score=score, standing=Standing.GOOD, warned_at=None)

    def reinstated(self, score: int) -> SellerAccount:
        return replace(self, health_score=score, standing=Standing.GOOD, warned_at=None,
                       suspended_at=None, suspension_reason=None, suspended_by=None)


def open_account(registered: SellerRegistered) -> SellerAccount:
    return SellerAccount(
        seller_id=registered.seller_id, shop_id=registered.shop_id, market=registered.market,
        origin=registered.tier, health_score=FULL_SCORE, standing=Standing.GOOD,
        opened_at=registered.registered_at,
    )
