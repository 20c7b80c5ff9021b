"""Event handlers of the support service, by event type."""

from libs.consumer import Handler
from services.support.handlers.sellers import on_seller_registered

HANDLERS: dict[str, Handler] = {
    "seller.registered": on_seller_registered,
}
