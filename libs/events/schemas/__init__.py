"""Event schemas, one module per producing service. Importing this package registers them all."""

from libs.events.schemas import (
    catalog,
    discovery,
    fulfillment,
    live,
    orders,
    privacy,
    support,
    webhooks,
)

__all__ = ["catalog", "discovery", "fulfillment", "live", "orders", "privacy", "support", "webhooks"]
