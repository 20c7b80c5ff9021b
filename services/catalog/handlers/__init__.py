"""Event handlers of the catalog service, by event type."""

from libs.consumer import BatchHandler, Handler
from libs.privacy_answers import handlers as privacy_handlers
from services.catalog.adapters.privacy_map import PRIVACY_MAP
from services.catalog.use_cases.batch_commits import on_order_confirmed, on_orders_confirmed
from services.catalog.use_cases.batch_reservations import on_orders_placed
from services.catalog.use_cases.flash_deals import (
    on_claim_expired,
    on_claim_released,
    on_deal_created,
    on_deal_ended,
)
from services.catalog.use_cases.inventory import (
    on_order_cancelled,
    on_order_placed,
    on_stock_adjusted,
    on_stock_received,
)
from services.catalog.use_cases.sellers import on_account_reinstated, on_account_suspended

HANDLERS: dict[str, Handler] = {
    "order.placed": on_order_placed,
    "order.confirmed": on_order_confirmed,
    "order.cancelled": on_order_cancelled,
    "stock.received": on_stock_received,
    "stock.adjusted": on_stock_adjusted,
    "live.deal.created": on_deal_created,
    "live.deal.ended": on_deal_ended,
    "live.claim.expired": on_claim_expired,
    "live.claim.released": on_claim_released,
    "account.suspended": on_account_suspended,
    "account.reinstated": on_account_reinstated,
    **privacy_handlers(PRIVACY_MAP),
}

BATCH_HANDLERS: dict[str, BatchHandler] = {
    "order.placed": on_orders_placed,  # a flash sale's reservations, many per transaction
    "order.confirmed": on_orders_confirmed,  # and its paid orders' stock
}
