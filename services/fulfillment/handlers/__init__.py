"""Event handlers of the fulfillment service, by event type."""

from __future__ import annotations

from functools import partial

from libs.auth import api_key_replica
from libs.consumer import BatchHandler, Handler
from libs.privacy_answers import handlers as privacy_handlers
from services.fulfillment.adapters.privacy_map import PRIVACY_MAP
from services.fulfillment.handlers import catalog_view
from services.fulfillment.settings import FulfillmentSettings
from services.fulfillment.use_cases import fulfillment_orders, returns


def handlers(settings: FulfillmentSettings) -> dict[str, Handler]:
    return {
        "seller.registered": catalog_view.on_seller_registered,
        "seller.verified": catalog_view.on_seller_verified,
        "seller.suspended": catalog_view.on_seller_suspended,
        "seller.reinstated": catalog_view.on_seller_reinstated,
        "product.published": catalog_view.on_product_published,
        "order.fulfillment_requested": partial(fulfillment_orders.on_requested,
                                               settings=settings),
        "order.cancelled": fulfillment_orders.on_order_cancelled,
        "return.authorized": returns.on_authorized,
        **api_key_replica.HANDLERS,
        **privacy_handlers(PRIVACY_MAP),
    }


def batch_handlers(settings: FulfillmentSettings) -> dict[str, BatchHandler]:
    """A sale's confirmed orders arrive in runs: each run is allocated and written at once."""
    return {"order.fulfillment_requested": partial(fulfillment_orders.on_requested_many,
                                                   settings=settings)}
