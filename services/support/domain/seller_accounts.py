"""Seller account health: every seller starts in good standing with a full score.

Later issues lower the score on late shipments, disputes lost and policy breaches, and let a
seller appeal; here an account is opened when the seller registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from libs.events.schemas.catalog import SellerRegistered
from libs.events.schemas.support import SellerAccountOpened

FULL_HEALTH_SCORE = 100


class Standing(StrEnum):
    GOOD = "good"
    AT_RISK = "at_risk"
    RESTRICTED = "restricted"


@dataclass(frozen=True)
class SellerAccount:
    seller_id: UUID
    shop_id: UUID
    market: str
    tier: str
    health_score: int
    standing: Standing
    opened_at: datetime

    def opened_event(self) -> SellerAccountOpened:
        return SellerAccountOpened(seller_id=self.seller_id, opened_at=self.opened_at)


def standing_after_suspension() -> Standing:
    return Standing.RESTRICTED


def standing_after_reinstatement() -> Standing:
    return Standing.GOOD


def open_account(registered: SellerRegistered) -> SellerAccount:
    return SellerAccount(
        seller_id=registered.seller_id, shop_id=registered.shop_id, market=registered.market,
        tier=registered.tier, health_score=FULL_HEALTH_SCORE, standing=Standing.GOOD,
        opened_at=registered.registered_at,
    )
