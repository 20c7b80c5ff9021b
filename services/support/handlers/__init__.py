"""Event handlers of the support service, by event type."""

from __future__ import annotations

from libs.auth import api_key_replica
from libs.consumer import BatchHandler, Handler
from services.support.handlers import context, privacy
from services.support.handlers.sellers import (
    on_seller_registered,
    on_seller_reinstated,
    on_seller_suspended,
    on_seller_verified,
)
from services.support.settings import SupportSettings


def handlers(settings: SupportSettings) -> dict[str, Handler]:
    return {
        "seller.registered": on_seller_registered,
        "seller.verified": on_seller_verified,
        "seller.suspended": on_seller_suspended,
        "seller.reinstated": on_seller_reinstated,
        **api_key_replica.HANDLERS,
        **context.handlers(settings),
        **privacy.handlers(settings),
    }


BATCH_HANDLERS: dict[str, BatchHandler] = context.BATCH_HANDLERS
