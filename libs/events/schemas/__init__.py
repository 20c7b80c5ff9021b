"""Event schemas, one module per producing service. Importing this package registers them all."""

from libs.events.schemas import catalog, fulfillment, live, orders, privacy, support, webhooks

__all__ = ["catalog", "fulfillment", "live", "orders", "privacy", "support", "webhooks"]
