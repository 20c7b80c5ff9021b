"""Creator commissions and the ledger that records them.

Every movement is a set of entries summing to zero (double entry), so the ledger always
balances: accrual moves money from what the seller owes to what the creator has pending; a
reversal moves it back; when the return window closes, pending becomes payable.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

MAX_RATE_BPS = 5000  # 50 %


class CommissionError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    account: str
    amount_minor: int


def seller_owes(seller_id: UUID) -> str:
    return f"seller:{seller_id}:commission_owed"


def creator_pending(creator_id: str) -> str:
    return f"creator:{creator_id}:pending"


def creator_payable(creator_id: str) -> str:
    return f"creator:{creator_id}:payable"


def commission(unit_price_minor: int, quantity: int, rate_bps: int) -> int:
    """Rounded down: the creator is never paid a fraction the seller did not earn."""
    if not 0 <= rate_bps <= MAX_RATE_BPS:
        raise CommissionError(f"a rate is between 0 and {MAX_RATE_BPS} basis points")
    return unit_price_minor * quantity * rate_bps // 10_000


def accrual(seller_id: UUID, creator_id: str, amount: int) -> list[Entry]:
    return [Entry(seller_owes(seller_id), -amount), Entry(creator_pending(creator_id), amount)]


def reversal(seller_id: UUID, creator_id: str, amount: int) -> list[Entry]:
    return [Entry(seller_owes(seller_id), amount), Entry(creator_pending(creator_id), -amount)]


def release(creator_id: str, amount: int) -> list[Entry]:
    return [Entry(creator_pending(creator_id), -amount), Entry(creator_payable(creator_id), amount)]


def balanced(entries: list[Entry]) -> bool:
    return sum(e.amount_minor for e in entries) == 0
