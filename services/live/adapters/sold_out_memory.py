"""What this instance last heard from Redis that a deal was sold out, kept for a moment.

After a flash deal sells out, nearly every claim that follows is refused: in a drop of 5,000
claimants on 100 units, 98 of 100. Each of those refusals cost a Redis round trip (the claim
script) to learn what the last one already said. For `seconds` after Redis answered "sold out"
(or granted the last unit), this instance answers the same refusal itself.

Units can come back to a running deal (an unpaid claim expiring, a cancelled checkout, a grant
never recorded). The instance that hands them back forgets the deal at once; other instances
offer them again at most `seconds` later. That is the price: a moment's delay on a returned
unit, never a unit granted twice, since every grant is still decided by the claim script.
"""

from __future__ import annotations

import time
from uuid import UUID


class SoldOutMemory:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._until: dict[UUID, float] = {}

    def sold_out(self, deal_id: UUID) -> bool:
        until = self._until.get(deal_id)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        del self._until[deal_id]
        return False

    def remember(self, deal_id: UUID) -> None:
        if self._seconds > 0:
            if len(self._until) > 10_000:
                self._until.clear()
            self._until[deal_id] = time.monotonic() + self._seconds

    def forget(self, deal_id: UUID) -> None:
        self._until.pop(deal_id, None)
