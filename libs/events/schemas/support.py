"""Events produced by the support service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from libs.events.base import Event
from libs.events.catalogue import register


@register
class SellerAccountOpened(Event):
    """Support opened an account-health record for a newly registered seller."""

    type = "seller_account.opened"
    topic = "support.seller_account.v1"
    key_field = "seller_id"

    seller_id: UUID
    opened_at: datetime
