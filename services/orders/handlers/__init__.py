"""Event handlers of the orders service, by event type."""

from functools import partial

from libs.consumer import BatchHandler, Handler
from services.orders.handlers import catalog_view, privacy, shipping
from services.orders.settings import OrdersSettings
from services.orders.use_cases import ad_spend, after_sale, saga, saga_batches


def handlers(settings: OrdersSettings) -> dict[str, Handler]:
    """Orders' consumer, by event type; the settings are given, not read from a global."""
    return {**HANDLERS, "shipment.shipped": partial(after_sale.on_shipped, settings=settings),
            "shipment.delivered": partial(after_sale.on_delivered, settings=settings),
            "shipment.returned_to_sender": partial(after_sale.on_returned_to_sender,
                                                   settings=settings)}


HANDLERS: dict[str, Handler] = {
    "product.published": catalog_view.on_product_published,
    "product.updated": catalog_view.on_product_updated,
    "product.submitted": catalog_view.on_product_withdrawn,
    "product.rejected": catalog_view.on_product_withdrawn,
    "product.deactivated": catalog_view.on_product_withdrawn,
    "seller.registered": catalog_view.on_seller_registered,
    "seller.verified": catalog_view.on_seller_verified,
    "seller.suspended": catalog_view.on_seller_suspended,
    "seller.reinstated": catalog_view.on_seller_reinstated,
    "inventory.reserved": saga.on_inventory_reserved,
    "inventory.reservation_failed": saga.on_reservation_failed,
    "return.received": after_sale.on_return_received,
    "fulfillment_order.allocated": saga_batches.on_fulfillment_promised,
    "shipping_rates.published": shipping.on_rates_published,
    "dispute.resolved": after_sale.on_dispute_resolved,
    "ad.clicked": ad_spend.on_ad_clicked,
    **privacy.HANDLERS,
}

BATCH_HANDLERS: dict[str, BatchHandler] = {
    # catalog's answers to a sale's checkouts arrive in runs: many orders per statement
    "inventory.reserved": saga_batches.on_inventory_reserved_many,
    # and fulfillment's promises for them, once they are paid
    "fulfillment_order.allocated": saga_batches.on_fulfillment_promised_many,
}
