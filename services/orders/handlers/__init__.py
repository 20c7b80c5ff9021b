"""Event handlers of the orders service, by event type."""

from libs.consumer import Handler
from services.orders.handlers import catalog_view
from services.orders.use_cases import saga

HANDLERS: dict[str, Handler] = {
    "product.published": catalog_view.on_product_published,
    "product.updated": catalog_view.on_product_updated,
    "product.submitted": catalog_view.on_product_withdrawn,
    "product.rejected": catalog_view.on_product_withdrawn,
    "product.deactivated": catalog_view.on_product_withdrawn,
    "seller.suspended": catalog_view.on_seller_suspended,
    "seller.reinstated": catalog_view.on_seller_reinstated,
    "inventory.reserved": saga.on_inventory_reserved,
    "inventory.reservation_failed": saga.on_reservation_failed,
    "shipment.shipped": saga.on_shipped,
    "shipment.delivered": saga.on_delivered,
    "return.received": saga.on_return_received,
    "dispute.resolved": saga.on_dispute_resolved,
}
