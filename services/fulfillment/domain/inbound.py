"""Inbound plans: a seller's shipment of its own goods into an FBT warehouse.

draft -> ready_to_ship -> in_transit -> arrived -> receiving -> received |
received_with_discrepancies; a draft or ready plan may be cancelled. Receiving counts every SKU:
good and damaged units were found, missing ones were planned but not found, unexpected ones were
found beyond the plan. The counts must add up, so nothing the warehouse holds is unexplained.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from libs.bounds import MAX_GRAMS, MAX_MILLIMETRES, MAX_UNITS
from libs.domain_errors import FieldError, transition


class InboundStatus(StrEnum):
    DRAFT = "draft"
    READY_TO_SHIP = "ready_to_ship"
    IN_TRANSIT = "in_transit"
    ARRIVED = "arrived"
    RECEIVING = "receiving"
    RECEIVED = "received"
    RECEIVED_WITH_DISCREPANCIES = "received_with_discrepancies"
    CANCELLED = "cancelled"


NEXT: dict[InboundStatus, set[InboundStatus]] = {
    InboundStatus.DRAFT: {InboundStatus.READY_TO_SHIP, InboundStatus.CANCELLED},
    InboundStatus.READY_TO_SHIP: {InboundStatus.IN_TRANSIT, InboundStatus.CANCELLED},
    InboundStatus.IN_TRANSIT: {InboundStatus.ARRIVED},
    InboundStatus.ARRIVED: {InboundStatus.RECEIVING},
    InboundStatus.RECEIVING: {InboundStatus.RECEIVED, InboundStatus.RECEIVED_WITH_DISCREPANCIES},
    InboundStatus.RECEIVED: set(),
    InboundStatus.RECEIVED_WITH_DISCREPANCIES: set(),
    InboundStatus.CANCELLED: set(),
}


def move(current: InboundStatus, to: InboundStatus) -> InboundStatus:
    return transition(NEXT, current, to, "an inbound plan")


@dataclass(frozen=True)
class Carton:
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int
    contents: dict[UUID, int]


@dataclass(frozen=True)
class Count:
    sku_id: UUID
    good: int
    damaged: int
    missing: int
    unexpected: int


def check_plan(lines: dict[UUID, int], cartons: list[Carton]) -> None:
    """A plan's quantities are positive and bounded, and its cartons hold exactly its lines."""
    if not lines:
        raise FieldError("lines", "an inbound plan needs at least one line", "empty")
    for index, carton in enumerate(cartons):
        if not 0 < carton.weight_grams <= MAX_GRAMS:
            raise FieldError(f"cartons.{index}.weight_grams", "must be between 1 and "
                             f"{MAX_GRAMS} grams", "out_of_range")
        for name in ("length_mm", "width_mm", "height_mm"):
            if not 0 < getattr(carton, name) <= MAX_MILLIMETRES:
                raise FieldError(f"cartons.{index}.{name}", "must be between 1 and "
                                 f"{MAX_MILLIMETRES} mm", "out_of_range")
    if not cartons:
        raise FieldError("cartons", "an inbound plan needs at least one carton", "empty")
    packed: dict[UUID, int] = {}
    for index, carton in enumerate(cartons):
        if not carton.contents:
            raise FieldError(f"cartons.{index}.contents", "a carton holds at least one SKU",
                             "empty")
        for sku_id, quantity in carton.contents.items():
            if sku_id not in lines:
                raise FieldError(f"cartons.{index}.contents", f"SKU {sku_id} is not a line of "
                                 "the plan", "not_planned")
            packed[sku_id] = packed.get(sku_id, 0) + quantity
    for sku_id, quantity in lines.items():
        if packed.get(sku_id, 0) != quantity:
            raise FieldError("cartons", f"the cartons hold {packed.get(sku_id, 0)} of SKU "
                             f"{sku_id}, the plan says {quantity}", "cartons_mismatch")
    if sum(lines.values()) > MAX_UNITS:
        raise FieldError("lines", f"at most {MAX_UNITS} units per plan", "out_of_range")


def check_counts(planned: dict[UUID, int], counts: list[Count]) -> bool:
    """Checks the warehouse's counts against the plan; True when there are discrepancies.

    For each SKU: good + damaged + missing - unexpected = planned, and a SKU is either short
    (missing) or over (unexpected), not both. Every planned SKU is counted once.
    """
    seen: set[UUID] = set()
    discrepancies = False
    for index, count in enumerate(counts):
        field = f"counts.{index}"
        if count.sku_id in seen:
            raise FieldError(f"{field}.sku_id", "counted twice", "duplicate")
        seen.add(count.sku_id)
        expected = planned.get(count.sku_id, 0)
        found = count.good + count.damaged
        if count.missing and count.unexpected:
            raise FieldError(f"{field}.unexpected", "a SKU is short or over, not both",
                             "inconsistent_count")
        if found > expected and count.unexpected != found - expected:
            raise FieldError(f"{field}.unexpected", f"{found} found against {expected} planned: "
                             f"record {found - expected} unexpected", "unexplained_surplus")
        if found <= expected and count.missing != expected - found:
            raise FieldError(f"{field}.missing", f"{found} found against {expected} planned: "
                             f"record {expected - found} missing", "unexplained_shortfall")
        discrepancies = discrepancies or bool(count.damaged or count.missing or count.unexpected)
    for sku_id in planned:
        if sku_id not in seen:
            raise FieldError("counts", f"planned SKU {sku_id} was not counted", "uncounted")
    return discrepancies
