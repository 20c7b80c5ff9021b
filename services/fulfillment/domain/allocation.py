"""Allocation: which warehouse sends which units of an order.

The nearest warehouse that can send everything wins; when none can, the order is split: the
nearest warehouses give what they have, in order of distance, until every line is covered. What
no warehouse has is reported as short (catalog and fulfillment disagree, or stock was lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Candidate:
    warehouse_id: UUID
    distance_km: float
    fulfillable: dict[UUID, int]


@dataclass(frozen=True)
class Allocation:
    parcels: list[tuple[UUID, dict[UUID, int]]]
    short: dict[UUID, int]

    @property
    def split(self) -> bool:
        return len(self.parcels) > 1


def allocate(lines: dict[UUID, int], candidates: list[Candidate]) -> Allocation:
    by_distance = sorted(candidates, key=lambda c: (c.distance_km, str(c.warehouse_id)))
    for candidate in by_distance:
        if all(candidate.fulfillable.get(sku, 0) >= qty for sku, qty in lines.items()):
            return Allocation([(candidate.warehouse_id, dict(lines))], {})
    remaining = dict(lines)
    parcels = []
    for candidate in by_distance:
        taken = {sku: min(qty, candidate.fulfillable.get(sku, 0))
                 for sku, qty in remaining.items()}
        taken = {sku: qty for sku, qty in taken.items() if qty > 0}
        if taken:
            parcels.append((candidate.warehouse_id, taken))
            for sku, qty in taken.items():
                remaining[sku] -= qty
        remaining = {sku: qty for sku, qty in remaining.items() if qty > 0}
        if not remaining:
            break
    return Allocation(parcels, remaining)
