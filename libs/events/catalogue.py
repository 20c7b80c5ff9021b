"""The one catalogue of topics and event types. `docs/events.md` is generated from it
(`make events-doc`) and a test keeps the two in step."""

from __future__ import annotations

from dataclasses import dataclass

from libs.events.base import Event


@dataclass(frozen=True)
class Topic:
    name: str
    producer: str
    aggregate: str
    description: str


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in [
        Topic("catalog.seller.v1", "catalog", "seller", "Seller onboarding and account state."),
        Topic("catalog.product.v1", "catalog", "product", "Product listing lifecycle."),
        Topic("catalog.inventory.v1", "catalog", "sku", "Stock levels and reservations."),
        Topic("orders.order.v1", "orders", "order", "Order lifecycle."),
        Topic("orders.payment.v1", "orders", "order", "Payment lifecycle, keyed by order."),
        Topic("orders.commission.v1", "orders", "order", "Creator commissions, keyed by order."),
        Topic("orders.wallet.v1", "orders", "top-up", "Paid top-ups of buyers' gift wallets."),
        Topic("live.session.v1", "live", "live session",
              "Live shopping sessions: schedule, state, pins, gifts."),
        Topic("live.deal.v1", "live", "flash deal",
              "Flash deals and their claims, keyed by deal so a deal's story stays in order."),
        Topic("fulfillment.shipment.v1", "fulfillment", "shipment", "Shipments and tracking."),
        Topic("fulfillment.inbound.v1", "fulfillment", "sku", "Goods received into warehouses."),
        Topic("support.ticket.v1", "support", "ticket", "Support tickets and disputes."),
        Topic("support.seller_account.v1", "support", "seller account", "Seller account health."),
        Topic("webhooks.delivery.v1", "webhooks", "endpoint", "Webhook endpoint health."),
    ]
}

EVENT_TYPES: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator adding an event schema to the catalogue."""
    if cls.topic not in TOPICS:
        raise ValueError(f"{cls.__name__}: unknown topic {cls.topic!r}")
    previous = EVENT_TYPES.get(cls.type)
    if previous is not None and previous is not cls:
        raise ValueError(f"event type {cls.type!r} registered twice")
    EVENT_TYPES[cls.type] = cls
    return cls


def event_class(event_type: str) -> type[Event] | None:
    _load_schemas()
    return EVENT_TYPES.get(event_type)


def dead_letter_topic(consumer_group: str) -> str:
    """Each consumer group has its own dead-letter topic, so it can be inspected and replayed
    into that group alone."""
    return f"dlq.{consumer_group}"


def all_event_types() -> dict[str, type[Event]]:
    _load_schemas()
    return dict(EVENT_TYPES)


def _load_schemas() -> None:
    # Importing the schema modules registers their classes.
    from libs.events import schemas  # noqa: F401
