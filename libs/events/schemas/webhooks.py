"""Events produced by the webhooks service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from libs.events.base import Event
from libs.events.registry import register


@register
class EndpointDisabled(Event):
    """Deliveries to a seller's endpoint stopped: it answered 410 Gone, or kept failing for too
    long. The seller re-enables it once it is fixed."""

    type = "endpoint.disabled"
    topic = "webhooks.delivery.v1"
    key_field = "endpoint_id"
    public = True

    endpoint_id: UUID
    seller_id: UUID
    url: str
    reason: str
    disabled_at: datetime
