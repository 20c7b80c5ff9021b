"""Stock per warehouse and SKU, kept as four balances and changed only by movements.

fulfillable: on the shelf, free to allocate; reserved: allocated to a fulfillment order, not yet
picked; inbound: planned on an inbound shipment; unfulfillable: damaged, never sellable. Every
movement is a ledger row of deltas, so the ledger sums to the balances.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MovementKind(StrEnum):
    INBOUND_PLANNED = "inbound_planned"
    INBOUND_CANCELLED = "inbound_cancelled"
    RECEIPT = "receipt"
    ALLOCATION = "allocation"
    DEALLOCATION = "deallocation"
    PICK = "pick"
    UNPICK = "unpick"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    WRITE_OFF = "write_off"


@dataclass(frozen=True)
class Deltas:
    fulfillable: int = 0
    reserved: int = 0
    inbound: int = 0
    unfulfillable: int = 0


def inbound_planned(units: int) -> Deltas:
    return Deltas(inbound=units)


def inbound_cancelled(units: int) -> Deltas:
    return Deltas(inbound=-units)


def receipt(*, planned: int, good: int, damaged: int) -> Deltas:
    """The plan's inbound units leave the inbound balance; what was found goes on the shelf
    (good) or aside (damaged). Unexpected units are part of good or damaged."""
    return Deltas(fulfillable=good, inbound=-planned, unfulfillable=damaged)


def allocation(units: int) -> Deltas:
    return Deltas(fulfillable=-units, reserved=units)


def deallocation(units: int) -> Deltas:
    return Deltas(fulfillable=units, reserved=-units)


def pick(units: int) -> Deltas:
    """Picked units leave the shelf for a parcel: they are in no balance until they come back."""
    return Deltas(reserved=-units)


def back_on_shelf(units: int) -> Deltas:
    """A picked parcel that did not ship, or came back to sender, is shelved again."""
    return Deltas(fulfillable=units)


def returned(*, resellable: int, damaged: int) -> Deltas:
    return Deltas(fulfillable=resellable, unfulfillable=damaged)
