"""Event handlers of the support service, by event type."""

from libs.consumer import Handler
from services.support.handlers.sellers import (
    on_seller_registered,
    on_seller_reinstated,
    on_seller_suspended,
)

HANDLERS: dict[str, Handler] = {
    "seller.registered": on_seller_registered,
    "seller.suspended": on_seller_suspended,
    "seller.reinstated": on_seller_reinstated,
}
