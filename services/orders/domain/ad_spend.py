"""Sponsored clicks billed by discovery, charged to the seller in the same double-entry ledger
as commissions: what the seller owes for ads moves to the platform's ad revenue."""

from __future__ import annotations

from uuid import UUID

from services.orders.domain.commissions import Entry

PLATFORM_AD_REVENUE = "platform:ad_revenue"


def seller_ad_spend(seller_id: UUID) -> str:
    return f"seller:{seller_id}:ad_spend"


def charge(seller_id: UUID, amount_minor: int) -> list[Entry]:
    return [Entry(seller_ad_spend(seller_id), -amount_minor),
            Entry(PLATFORM_AD_REVENUE, amount_minor)]
