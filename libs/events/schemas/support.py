"""Events produced by the support service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.registry import register


@register
class SellerAccountOpened(Event):
    """Support opened an account-health record for a newly registered seller."""

    type = "seller_account.opened"
    topic = "support.seller_account.v1"
    key_field = "seller_id"

    seller_id: UUID
    opened_at: datetime


class RefundedLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)


@register
class DisputeResolved(Event):
    """A dispute between buyer and seller was decided; a refund decision orders carries out."""

    type = "dispute.resolved"
    topic = "support.dispute.v1"
    key_field = "dispute_id"

    dispute_id: UUID
    order_id: UUID
    outcome: Literal["refund_buyer", "reject_claim"]
    refund_lines: list[RefundedLine] = Field(default_factory=list)
    refund_shipping: bool = False
    resolved_at: datetime
