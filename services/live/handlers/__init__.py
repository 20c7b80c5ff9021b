"""Event handlers of the live service, by event type."""

from functools import partial
from typing import Any

from libs.consumer import BatchHandler, Handler
from libs.privacy_answers import handlers as privacy_handlers
from services.live.adapters.privacy_map import PRIVACY_MAP
from services.live.handlers import catalog_view, orders_view, video_sales

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
    "inventory.adjusted": catalog_view.on_inventory_adjusted,
    "order.confirmed": orders_view.on_order_confirmed,
    "wallet.topped_up": orders_view.on_wallet_topped_up,
    "commission.accrued": video_sales.on_commission_accrued,
    "commission.reversed": video_sales.on_commission_reversed,
    **privacy_handlers(PRIVACY_MAP),
}


BATCH_HANDLERS: dict[str, BatchHandler] = {
    "order.confirmed": orders_view.on_orders_confirmed,  # a run of them in three statements
}


def handlers(runtime: Any) -> dict[str, Handler]:
    """Live's consumer, by event type; handlers that touch Redis are given the live components
    the runtime built (no module holds them)."""
    live = runtime.components["live"]
    return {**HANDLERS,
            "inventory.reserved": partial(catalog_view.on_stock_set_aside, live=live),
            "inventory.reservation_failed": partial(catalog_view.on_stock_refused, live=live),
            "order.placed": partial(orders_view.on_order_placed, live=live),
            "order.cancelled": partial(orders_view.on_order_cancelled, live=live)}

