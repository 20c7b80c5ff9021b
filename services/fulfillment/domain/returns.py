"""Returns: authorised by orders, labelled here, received and inspected by whoever the goods go
back to (the warehouse for FBT parcels, the seller otherwise).

authorized -> label_issued -> received -> inspected. Inspection splits each line's authorised
units into resellable, damaged and rejected (not what was sold, or not in the parcel); the buyer
is refunded for resellable and damaged units, not for rejected ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError, transition


class ReturnStatus(StrEnum):
    LABEL_ISSUED = "label_issued"
    RECEIVED = "received"
    INSPECTED = "inspected"


NEXT = {ReturnStatus.LABEL_ISSUED: {ReturnStatus.RECEIVED},
        ReturnStatus.RECEIVED: {ReturnStatus.INSPECTED}, ReturnStatus.INSPECTED: set()}


def move(current: ReturnStatus, to: ReturnStatus) -> ReturnStatus:
    return transition(NEXT, current, to, "a return")


@dataclass(frozen=True)
class Inspection:
    sku_id: UUID
    resellable: int
    damaged: int
    rejected: int

    @property
    def accepted(self) -> int:
        return self.resellable + self.damaged


def check_inspection(authorized: dict[UUID, int], lines: list[Inspection]) -> None:
    """Every authorised unit is accounted for exactly once; nothing else is."""
    seen = set()
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        if line.sku_id not in authorized:
            raise FieldError(f"{field}.sku_id", "not a line of this return", "not_returned")
        if line.sku_id in seen:
            raise FieldError(f"{field}.sku_id", "inspected twice", "duplicate")
        seen.add(line.sku_id)
        if min(line.resellable, line.damaged, line.rejected) < 0:
            raise FieldError(field, "counts cannot be negative", "out_of_range")
        total = line.resellable + line.damaged + line.rejected
        if total != authorized[line.sku_id]:
            raise FieldError(field, f"{total} units inspected; {authorized[line.sku_id]} were "
                             "authorised for return", "count_mismatch")
    for sku_id in authorized:
        if sku_id not in seen:
            raise FieldError("lines", f"SKU {sku_id} of the return was not inspected",
                             "uninspected")
