"""The topics: who produces each, which aggregate it carries and the field it is keyed by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    producer: str
    aggregate: str
    key: str
    """The field every event on the topic is keyed by: the aggregate's id."""
    description: str

    def produced_by(self, service: str) -> bool:
        return self.producer in (service, EVERY_SERVICE)


EVERY_SERVICE = "every service"
"""The producer of a topic every service writes to (privacy answers)."""

TOPICS: dict[str, Topic] = {
    t.name: t
    for t in [
        Topic("catalog.seller.v1", "catalog", "seller", "seller_id",
              "Seller onboarding and account state."),
        Topic("catalog.product.v1", "catalog", "product", "product_id",
              "Product listing lifecycle."),
        Topic("catalog.inventory.v1", "catalog", "sku", "sku_id", "Stock levels of a SKU."),
        Topic("catalog.reservation.v1", "catalog", "reservation", "order_id",
              "Stock held for an order or a flash deal, keyed by its owner (`order_id` is the "
              "order's or the deal's id)."),
        Topic("orders.order.v1", "orders", "order", "order_id", "Order lifecycle."),
        Topic("orders.payment.v1", "orders", "order", "order_id",
              "Payment lifecycle, keyed by order."),
        Topic("orders.commission.v1", "orders", "order", "order_id",
              "Creator commissions, keyed by order."),
        Topic("orders.wallet.v1", "orders", "top-up", "topup_id",
              "Paid top-ups of buyers' gift wallets."),
        Topic("live.session.v1", "live", "live session", "session_id",
              "Live shopping sessions: schedule, state, pins, gifts."),
        Topic("live.deal.v1", "live", "flash deal", "deal_id",
              "Flash deals and their claims, keyed by deal so a deal's story stays in order."),
        Topic("live.video.v1", "live", "video", "video_id",
              "Shoppable short videos: published, unpublished, products tagged."),
        Topic("fulfillment.shipment.v1", "fulfillment", "order", "order_id",
              "Shipments, tracking and returns, keyed by the order they fulfil so an order's "
              "parcels are told in order."),
        Topic("fulfillment.inbound.v1", "fulfillment", "sku", "sku_id",
              "Warehouse stock of a SKU: goods received, resellable returns, corrections."),
        Topic("fulfillment.inbound_plan.v1", "fulfillment", "inbound plan", "inbound_id",
              "Sellers' shipments into warehouses, from plan to receipt."),
        Topic("fulfillment.rates.v1", "fulfillment", "market", "market",
              "Shipping rate cards, one per market."),
        Topic("support.ticket.v1", "support", "ticket", "ticket_id", "Support tickets."),
        Topic("support.dispute.v1", "support", "dispute", "dispute_id",
              "Disputes between buyers and sellers."),
        Topic("support.seller_account.v1", "support", "seller account", "seller_id",
              "Seller account health."),
        Topic("webhooks.delivery.v1", "webhooks", "endpoint", "endpoint_id",
              "Webhook endpoint health."),
        Topic("discovery.interaction.v1", "discovery", "market", "market",
              "What buyers looked at, tapped, carted and bought, summed per market and window "
              "(no buyer named)."),
        Topic("discovery.consent.v1", "discovery", "buyer's consent", "buyer_id",
              "Buyers' personalisation consent."),
        Topic("discovery.campaign.v1", "discovery", "campaign", "campaign_id",
              "Sponsored-product campaigns, their billed clicks and exhausted budgets."),
        Topic("orders.redaction.v1", "orders", "seller", "seller_id",
              "Notices to sellers that a buyer's personal data on their orders must be erased "
              "(delivered through webhooks, like Shopify's mandatory redact webhooks)."),
        Topic("privacy.request.v1", "support", "privacy request", "request_id",
              "Buyers' data export and erasure requests, and their completion."),
        Topic("privacy.answer.v1", EVERY_SERVICE, "service's answer", "answer_id",
              "Each service's answer to a privacy request: its part of an export, or the "
              "erasure done. Keyed `<request_id>/<service>`: every service numbers its own "
              "answer 1, 2, 3."),
    ]
}



def dead_letter_topic(consumer_group: str) -> str:
    """Each consumer group has its own dead-letter topic, so it can be inspected and replayed
    into that group alone."""
    return f"dlq.{consumer_group}"
