"""A parcel's life. Warehouse parcels: allocated -> picked -> packed -> labelled -> shipped;
seller parcels start awaiting_seller and become shipped when the seller says so. Then the carrier
moves every parcel: in_transit -> out_for_delivery -> delivered, or delivery_failed ->
returned_to_sender. A parcel not yet shipped is cancelled with its order.
"""

from __future__ import annotations

from enum import StrEnum

from libs.domain_errors import transition


class ParcelStatus(StrEnum):
    AWAITING_SELLER = "awaiting_seller"
    ALLOCATED = "allocated"
    PICKED = "picked"
    PACKED = "packed"
    LABELLED = "labelled"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"


S = ParcelStatus
NEXT: dict[ParcelStatus, set[ParcelStatus]] = {
    S.AWAITING_SELLER: {S.SHIPPED, S.CANCELLED},
    S.ALLOCATED: {S.PICKED, S.CANCELLED},
    S.PICKED: {S.PACKED, S.CANCELLED},
    S.PACKED: {S.LABELLED, S.CANCELLED},
    S.LABELLED: {S.SHIPPED, S.CANCELLED},
    S.SHIPPED: {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED},
    S.IN_TRANSIT: {S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED},
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.DELIVERY_FAILED},
    S.DELIVERY_FAILED: {S.RETURNED_TO_SENDER, S.OUT_FOR_DELIVERY},
    S.DELIVERED: set(),
    S.RETURNED_TO_SENDER: set(),
    S.CANCELLED: set(),
}
CARRIER_STATES = (S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_FAILED,
                  S.RETURNED_TO_SENDER)
"""The states a carrier reports (the tracking webhook and the simulator)."""
UNSHIPPED = {S.AWAITING_SELLER, S.ALLOCATED, S.PICKED, S.PACKED, S.LABELLED}
ON_THE_WAY = {S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_FAILED}


def move(current: ParcelStatus, to: ParcelStatus) -> ParcelStatus:
    return transition(NEXT, current, to, "a parcel")


def is_news(current: ParcelStatus, reported: ParcelStatus) -> bool:
    """Whether a carrier's report moves the parcel on (a repeat or a late, older report is
    not news and is ignored rather than refused: carriers resend)."""
    return reported in NEXT[current]
