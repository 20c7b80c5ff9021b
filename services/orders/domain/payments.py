"""The payment-provider port. Every call carries its own idempotency key, so a retry after a
timeout returns the first outcome instead of charging again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID


class AuthorizationOutcome(StrEnum):
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"


@dataclass(frozen=True)
class Authorization:
    payment_id: UUID
    outcome: AuthorizationOutcome


@dataclass(frozen=True)
class PaymentMethod:
    """What the provider says of a payment-method token: enough to show, never to charge."""

    brand: str
    last4: str


PAYMENT_METHOD_PATTERN = r"^pm_[A-Za-z0-9_]{3,64}$"
"""A provider's payment-method token. Card numbers are refused: they never reach the API."""


class ProviderTimeout(Exception):
    """No answer in time: the charge may or may not have happened. Retry with the same key."""


class PaymentProvider(Protocol):
    async def describe(self, payment_method: str) -> PaymentMethod | None:
        """The card behind a token; None when the provider does not know it."""

    async def authorize(self, *, idempotency_key: str, amount_minor: int, currency: str,
                        payment_method: str) -> Authorization: ...

    async def void(self, *, idempotency_key: str, payment_id: UUID) -> None: ...

    async def capture(self, *, idempotency_key: str, payment_id: UUID,
                      amount_minor: int) -> None: ...

    async def refund(self, *, idempotency_key: str, payment_id: UUID,
                     amount_minor: int) -> None: ...
